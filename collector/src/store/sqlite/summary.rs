//! Reconciliation as people read it: counts per OPD and city-wide, and the review queue.

use crate::reconcile::HostOutcome;
use crate::store::{ReconcileCounts, ReconcileSummary, ReviewItem, RunReport};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// `(opd, label, count)` rows of a GROUP BY query.
fn counts(c: &Connection, sql: &str) -> anyhow::Result<Vec<(String, String, u64)>> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn summary(c: &Connection, ict_prefix: &str) -> anyhow::Result<ReconcileSummary> {
    let last_run = c
        .query_row(
            "SELECT at, duration_ms, hosts, assets, findings, opened, reopened, resolved
             FROM reconcile_runs ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(RunReport {
                    at: DateTime::parse_from_rfc3339(&r.get::<_, String>(0)?)
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or_default(),
                    duration_ms: r.get::<_, i64>(1)? as u64,
                    hosts: r.get::<_, i64>(2)? as usize,
                    assets: r.get::<_, i64>(3)? as usize,
                    findings: r.get::<_, i64>(4)? as usize,
                    opened: r.get::<_, i64>(5)? as usize,
                    reopened: r.get::<_, i64>(6)? as usize,
                    resolved: r.get::<_, i64>(7)? as usize,
                    ..Default::default()
                })
            },
        )
        .optional()?;
    let mut opds: BTreeMap<String, ReconcileCounts> = BTreeMap::new();
    let entry = |opds: &mut BTreeMap<String, ReconcileCounts>, k: &str| {
        if !opds.contains_key(k) {
            opds.insert(
                k.to_string(),
                ReconcileCounts {
                    kode_lokasi: k.to_string(),
                    ..Default::default()
                },
            );
        }
    };
    // ICT assets (the kode barang prefix, at a dot boundary) with their reconciliation.
    let like = format!("{ict_prefix}.%");
    let mut stmt = c.prepare(
        "SELECT a.kode_lokasi, json_extract(a.row, '$.nama_opd'), coalesce(a.kondisi, '-'),
                coalesce(r.expects_agent, 0), r.agent_id IS NOT NULL, coalesce(r.silent, 0),
                r.suggested
         FROM assets a LEFT JOIN reconcile_assets r USING (key)
         WHERE a.removed_at IS NULL AND (a.kode_barang = ?1 OR a.kode_barang LIKE ?2)",
    )?;
    let rows = stmt.query_map(params![ict_prefix, like], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, bool>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    for row in rows {
        let (opd, name, kondisi, expects, matched, silent, suggested) = row?;
        entry(&mut opds, &opd);
        let o = opds.get_mut(&opd).expect("inserted");
        if o.nama_opd.is_none() {
            o.nama_opd = name;
        }
        o.registered_ict += 1;
        o.expected_agents += expects as u64;
        o.matched += matched as u64;
        o.silent += silent as u64;
        *o.register_condition.entry(kondisi).or_default() += 1;
        if let Some(s) = suggested {
            *o.suggested_condition.entry(s).or_default() += 1;
        }
    }
    for (opd, state, n) in counts(
        c,
        "SELECT opd, state, count(*) FROM reconcile_hosts GROUP BY 1, 2",
    )? {
        entry(&mut opds, &opd);
        let o = opds.get_mut(&opd).expect("inserted");
        match state.as_str() {
            "unregistered" => o.unregistered += n,
            "review" => o.in_review += n,
            _ => {}
        }
    }
    for (opd, kind, n) in counts(
        c,
        "SELECT opd, kind, count(*) FROM flags WHERE state != 'resolved' GROUP BY 1, 2",
    )? {
        entry(&mut opds, &opd);
        *opds
            .get_mut(&opd)
            .expect("inserted")
            .open_flags
            .entry(kind)
            .or_default() += n;
    }
    Ok(ReconcileSummary {
        last_run,
        city: city_of(&opds),
        opds: opds.into_values().collect(),
    })
}

/// The city-wide counts: the sum of every OPD's.
pub(crate) fn city_of(opds: &BTreeMap<String, ReconcileCounts>) -> ReconcileCounts {
    let mut city = ReconcileCounts {
        kode_lokasi: "*".into(),
        nama_opd: Some("Seluruh kota".into()),
        ..Default::default()
    };
    for o in opds.values() {
        city.registered_ict += o.registered_ict;
        city.expected_agents += o.expected_agents;
        city.matched += o.matched;
        city.unregistered += o.unregistered;
        city.silent += o.silent;
        city.in_review += o.in_review;
        for (from, to) in [
            (&o.register_condition, &mut city.register_condition),
            (&o.suggested_condition, &mut city.suggested_condition),
            (&o.open_flags, &mut city.open_flags),
        ] {
            for (k, v) in from {
                *to.entry(k.clone()).or_default() += v;
            }
        }
    }
    city
}

pub fn review_queue(c: &Connection, opd: Option<&str>) -> anyhow::Result<Vec<ReviewItem>> {
    let mut stmt = c.prepare(
        "SELECT r.agent_id, r.opd, h.hostname, r.detail
         FROM reconcile_hosts r LEFT JOIN hosts h USING (agent_id)
         WHERE r.state = 'review' AND (?1 IS NULL OR r.opd = ?1)
         ORDER BY r.opd, r.agent_id",
    )?;
    let rows = stmt.query_map(params![opd], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (agent_id, opd, hostname, detail) = row?;
        if let Some(HostOutcome::Review { candidates, reason }) =
            detail.and_then(|d| serde_json::from_str(&d).ok())
        {
            out.push(ReviewItem {
                agent_id,
                opd,
                hostname,
                reason,
                candidates,
            });
        }
    }
    Ok(out)
}
