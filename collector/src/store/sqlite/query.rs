//! Reads for the API and the dashboard.

use crate::store::{
    EnrolledAgent, HostDetail, HostSummary, IngestFigures, OpdHosts, Resolution, Series,
};
use chrono::{DateTime, Utc};
use pantau_proto::PublicKey;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

fn ts(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

pub fn agent(c: &Connection, id: &str) -> anyhow::Result<Option<EnrolledAgent>> {
    let row = c
        .query_row(
            "SELECT agent_id, opd, public_key, enrolled_at FROM agents
             WHERE agent_id = ?1 AND revoked_at IS NULL",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .optional()?;
    row.map(|(agent_id, opd, key, at)| {
        Ok(EnrolledAgent {
            public_key: PublicKey::from_base64(&key)
                .map_err(|e| anyhow::anyhow!("agent {agent_id}: stored key unusable: {e}"))?,
            agent_id,
            opd,
            enrolled_at: ts(Some(at)).unwrap_or_default(),
        })
    })
    .transpose()
}

const SUMMARY: &str = "SELECT h.agent_id, h.hostname, a.opd, h.online, h.last_seen, h.os, h.ip,
        h.cpu_pct, h.mem_pct, h.disk_pct
    FROM hosts h JOIN agents a USING (agent_id) WHERE a.revoked_at IS NULL";

fn summary(r: &Row) -> rusqlite::Result<HostSummary> {
    Ok(HostSummary {
        agent_id: r.get(0)?,
        hostname: r.get(1)?,
        opd: r.get(2)?,
        online: r.get(3)?,
        last_seen: ts(r.get(4)?),
        os: r.get(5)?,
        ip: r.get(6)?,
        cpu_pct: r.get(7)?,
        mem_pct: r.get(8)?,
        disk_pct: r.get(9)?,
    })
}

pub fn hosts(c: &Connection) -> anyhow::Result<Vec<HostSummary>> {
    let mut st = c.prepare_cached(&format!("{SUMMARY} ORDER BY a.opd, h.hostname, h.agent_id"))?;
    let rows = st.query_map([], summary)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn host(c: &Connection, id: &str) -> anyhow::Result<Option<HostDetail>> {
    let Some(summary) = c
        .query_row(&format!("{SUMMARY} AND h.agent_id = ?1"), [id], summary)
        .optional()?
    else {
        return Ok(None);
    };
    let (enrolled_at, status_since, agent_version, inventory_seq, inventory_at, dropped): (
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
    ) = c.query_row(
        "SELECT a.enrolled_at, h.status_since, h.agent_version, h.inventory_seq, h.inventory_at,
                h.spool_dropped_total
         FROM hosts h JOIN agents a USING (agent_id) WHERE h.agent_id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        },
    )?;
    let (messages, first, last): (i64, Option<i64>, Option<i64>) = c.query_row(
        "SELECT count(*), min(seq), max(seq) FROM messages WHERE agent_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let missing = match (first, last) {
        (Some(f), Some(l)) => (l - f + 1 - messages).max(0) as u64,
        _ => 0,
    };
    let mut offsets: Vec<f64> = c
        .prepare_cached(
            "SELECT (julianday(received_at) - julianday(ts)) * 86400.0 FROM messages
             WHERE agent_id = ?1 ORDER BY seq DESC LIMIT 20",
        )?
        .query_map([id], |r| r.get::<_, Option<f64>>(0))?
        .filter_map(|r| r.transpose())
        .collect::<rusqlite::Result<_>>()?;
    offsets.sort_by(f64::total_cmp);
    let clock_offset_s =
        (!offsets.is_empty()).then(|| (offsets[offsets.len() / 2] * 10.0).round() / 10.0);
    let inventory = match inventory_seq {
        Some(seq) => c
            .query_row(
                "SELECT body FROM inventories WHERE agent_id = ?1 AND seq = ?2",
                rusqlite::params![id, seq],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|b| serde_json::from_str(&b))
            .transpose()?,
        None => None,
    };
    Ok(Some(HostDetail {
        summary,
        enrolled_at: ts(Some(enrolled_at)).unwrap_or_default(),
        status_since: ts(status_since),
        agent_version,
        ingest: IngestFigures {
            messages: messages as u64,
            first_seq: first.map(|v| v as u64),
            last_seq: last.map(|v| v as u64),
            missing,
            spool_dropped_total: dropped as u64,
            clock_offset_s,
        },
        inventory_at: ts(inventory_at),
        inventory,
    }))
}

pub fn series(
    c: &Connection,
    id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: i64,
    names: &[String],
) -> anyhow::Result<(Resolution, Vec<Series>)> {
    let step = step.max(1);
    let res = Resolution::for_step(step);
    let (from, to) = (from.timestamp(), to.timestamp());
    // Values are bound as parameters, never spliced into the SQL.
    let mut args: Vec<rusqlite::types::Value> =
        vec![step.into(), id.to_owned().into(), from.into(), to.into()];
    let filter = if names.is_empty() {
        String::new()
    } else {
        args.extend(names.iter().map(|n| n.clone().into()));
        format!(" AND name IN ({})", vec!["?"; names.len()].join(","))
    };
    let sql = match res {
        Resolution::Raw => format!(
            "SELECT name, (ts / ?1) * ?1 AS b, avg(value), min(value), max(value) FROM points
             WHERE agent_id = ?2 AND ts >= ?3 AND ts < ?4{filter} GROUP BY name, b ORDER BY name, b"
        ),
        _ => {
            args.push(res.seconds().into());
            let res_arg = args.len();
            format!(
                "SELECT name, (bucket / ?1) * ?1 AS b, sum(sum) / sum(n), min(min), max(max) FROM rollups
                 WHERE agent_id = ?2 AND bucket >= ?3 AND bucket < ?4{filter} AND res = ?{res_arg}
                 GROUP BY name, b ORDER BY name, b"
            )
        }
    };
    let mut st = c.prepare(&sql)?;
    let out = collect_series(st.query(params_from_iter(args))?)?;
    Ok((res, out))
}

/// Rows of `(name, ts, avg, min, max)` ordered by name, then time, as one [`Series`] per name.
pub(super) fn collect_series(mut rows: rusqlite::Rows) -> anyhow::Result<Vec<Series>> {
    let mut out: Vec<Series> = Vec::new();
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        let point = (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
        match out.last_mut() {
            Some(s) if s.name == name => s.points.push(point),
            _ => out.push(Series {
                name,
                points: vec![point],
            }),
        }
    }
    Ok(out)
}

/// The OPD an agent was enrolled in: reports are filed under it, never under what they say.
pub(super) fn agent_opd(c: &Connection, agent: &str) -> anyhow::Result<String> {
    Ok(
        c.query_row("SELECT opd FROM agents WHERE agent_id = ?1", [agent], |r| {
            r.get(0)
        })?,
    )
}

pub fn hosts_by_opd(c: &Connection) -> anyhow::Result<Vec<OpdHosts>> {
    let mut st = c.prepare_cached(
        "SELECT a.opd, sum(h.online), sum(1 - h.online) FROM hosts h JOIN agents a USING (agent_id)
         WHERE a.revoked_at IS NULL GROUP BY a.opd ORDER BY a.opd",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(OpdHosts {
                opd: r.get(0)?,
                online: r.get::<_, i64>(1)? as u64,
                offline: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
