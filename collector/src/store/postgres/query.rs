//! Reads for the API and the dashboard; the twin of `sqlite/query.rs`.

use super::ts;
use crate::store::{
    EnrolledAgent, HostDetail, HostSummary, IngestFigures, OpdHosts, Resolution, Series,
};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use pantau_proto::PublicKey;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

pub async fn agent(c: &impl GenericClient, id: &str) -> anyhow::Result<Option<EnrolledAgent>> {
    let row = c
        .query_opt(
            "SELECT agent_id, opd, public_key, enrolled_at FROM agents
             WHERE agent_id = $1 AND revoked_at IS NULL",
            &[&id],
        )
        .await?;
    row.map(|r| {
        let (agent_id, opd, key, at): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
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

fn summary(r: &Row) -> HostSummary {
    HostSummary {
        agent_id: r.get(0),
        hostname: r.get(1),
        opd: r.get(2),
        online: r.get::<_, i64>(3) != 0,
        last_seen: ts(r.get(4)),
        os: r.get(5),
        ip: r.get(6),
        cpu_pct: r.get(7),
        mem_pct: r.get(8),
        disk_pct: r.get(9),
    }
}

pub async fn hosts(c: &impl GenericClient) -> anyhow::Result<Vec<HostSummary>> {
    let sql = format!("{SUMMARY} ORDER BY a.opd, h.hostname NULLS FIRST, h.agent_id");
    Ok(c.query(&sql, &[]).await?.iter().map(summary).collect())
}

pub async fn host(c: &impl GenericClient, id: &str) -> anyhow::Result<Option<HostDetail>> {
    let Some(summary) = c
        .query_opt(&format!("{SUMMARY} AND h.agent_id = $1"), &[&id])
        .await?
        .map(|r| summary(&r))
    else {
        return Ok(None);
    };
    let r = c
        .query_one(
            "SELECT a.enrolled_at, h.status_since, h.agent_version, h.inventory_seq, h.inventory_at,
                    h.spool_dropped_total
             FROM hosts h JOIN agents a USING (agent_id) WHERE h.agent_id = $1",
            &[&id],
        )
        .await?;
    let (enrolled_at, status_since, agent_version, inventory_seq, inventory_at, dropped): (
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<String>,
        i64,
    ) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5));
    let r = c
        .query_one(
            "SELECT count(*), min(seq), max(seq) FROM messages WHERE agent_id = $1",
            &[&id],
        )
        .await?;
    let (messages, first, last): (i64, Option<i64>, Option<i64>) = (r.get(0), r.get(1), r.get(2));
    let missing = match (first, last) {
        (Some(f), Some(l)) => (l - f + 1 - messages).max(0) as u64,
        _ => 0,
    };
    // Times are RFC 3339 text here: the clock offset is computed in Rust, the same median of
    // (received_at - ts) over the last 20 messages as the SQLite store's.
    let mut offsets: Vec<f64> = c
        .query(
            "SELECT received_at, ts FROM messages WHERE agent_id = $1 ORDER BY seq DESC LIMIT 20",
            &[&id],
        )
        .await?
        .iter()
        .filter_map(|r| {
            let at = ts(r.get::<_, Option<String>>(0))?;
            let sent = ts(r.get::<_, Option<String>>(1))?;
            Some((at - sent).num_milliseconds() as f64 / 1000.0)
        })
        .collect();
    offsets.sort_by(f64::total_cmp);
    let clock_offset_s =
        (!offsets.is_empty()).then(|| (offsets[offsets.len() / 2] * 10.0).round() / 10.0);
    let inventory = match inventory_seq {
        Some(seq) => c
            .query_opt(
                "SELECT body FROM inventories WHERE agent_id = $1 AND seq = $2",
                &[&id, &seq],
            )
            .await?
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)))
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

/// Bucket starts are `(ts / step) * step`: integer division truncates in both databases.
pub async fn series(
    c: &impl GenericClient,
    id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: i64,
    names: &[String],
) -> anyhow::Result<(Resolution, Vec<Series>)> {
    let step = step.max(1);
    let res = Resolution::for_step(step);
    let (from, to) = (from.timestamp(), to.timestamp());
    let names = names.to_vec();
    let res_s = res.seconds();
    // Values are bound as parameters, never spliced into the SQL; no names means all.
    let args: [&(dyn ToSql + Sync); 6] = [&step, &id, &from, &to, &names, &res_s];
    let sql = match res {
        Resolution::Raw => {
            "SELECT name, (ts / $1) * $1 AS b, avg(value), min(value), max(value) FROM points
             WHERE agent_id = $2 AND ts >= $3 AND ts < $4
               AND (cardinality($5::text[]) = 0 OR name = ANY($5)) AND $6::bigint > 0
             GROUP BY name, b ORDER BY name, b"
        }
        _ => {
            "SELECT name, (bucket / $1) * $1 AS b, sum(sum) / sum(n), min(min), max(max)
             FROM rollups
             WHERE agent_id = $2 AND bucket >= $3 AND bucket < $4
               AND (cardinality($5::text[]) = 0 OR name = ANY($5)) AND res = $6
             GROUP BY name, b ORDER BY name, b"
        }
    };
    let rows = c.query(sql, &args).await?;
    Ok((res, collect_series(&rows)))
}

/// Rows of `(name, ts, avg, min, max)` ordered by name, then time, as one [`Series`] per name.
pub(super) fn collect_series(rows: &[Row]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for r in rows {
        let name: String = r.get(0);
        let point = (r.get(1), r.get(2), r.get(3), r.get(4));
        match out.last_mut() {
            Some(s) if s.name == name => s.points.push(point),
            _ => out.push(Series {
                name,
                points: vec![point],
            }),
        }
    }
    out
}

/// The OPD an agent was enrolled in: reports are filed under it, never under what they say.
pub(super) async fn agent_opd(c: &impl GenericClient, agent: &str) -> anyhow::Result<String> {
    Ok(
        c.query_one("SELECT opd FROM agents WHERE agent_id = $1", &[&agent])
            .await?
            .get(0),
    )
}

pub async fn hosts_by_opd(c: &impl GenericClient) -> anyhow::Result<Vec<OpdHosts>> {
    let rows = c
        .query(
            "SELECT a.opd, sum(h.online)::bigint, sum(1 - h.online)::bigint
             FROM hosts h JOIN agents a USING (agent_id)
             WHERE a.revoked_at IS NULL GROUP BY a.opd ORDER BY a.opd",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| OpdHosts {
            opd: r.get(0),
            online: r.get::<_, i64>(1) as u64,
            offline: r.get::<_, i64>(2) as u64,
        })
        .collect())
}
