//! Rollups and retention.
//!
//! Rollups advance by point id, not by time: points are append-only with increasing ids, so a
//! batch that arrives a day late (an agent's spool after an outage) is still folded into the
//! right buckets, exactly once, because its ids are newer than the watermark.

use crate::store::{MaintenanceReport, Resolution, Retention};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

const CHUNK: i64 = 50_000;

pub fn run(
    c: &mut Connection,
    now: DateTime<Utc>,
    keep: Retention,
) -> anyhow::Result<MaintenanceReport> {
    let mut report = MaintenanceReport::default();
    loop {
        let n = rollup_chunk(c)?;
        report.points_rolled_up += n;
        if n < CHUNK as u64 {
            break;
        }
    }
    report.rows_pruned = prune(c, now, keep)?;
    Ok(report)
}

type Key = (i64, String, String, i64);

fn rollup_chunk(c: &mut Connection) -> anyhow::Result<u64> {
    let tx = c.transaction()?;
    let mark: i64 = tx
        .query_row(
            "SELECT value FROM jobs WHERE name = 'rollup_points'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let mut acc: HashMap<Key, (i64, f64, f64, f64)> = HashMap::new();
    let mut last = mark;
    let mut count = 0u64;
    {
        let mut st = tx.prepare_cached(
            "SELECT id, agent_id, name, ts, value FROM points WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let mut rows = st.query(params![mark, CHUNK])?;
        while let Some(r) = rows.next()? {
            let (id, agent, name, ts, v): (i64, String, String, i64, f64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            last = id;
            count += 1;
            for res in Resolution::ROLLUPS {
                let s = res.seconds();
                let key = (s, agent.clone(), name.clone(), ts.div_euclid(s) * s);
                let e = acc
                    .entry(key)
                    .or_insert((0, 0.0, f64::INFINITY, f64::NEG_INFINITY));
                e.0 += 1;
                e.1 += v;
                e.2 = e.2.min(v);
                e.3 = e.3.max(v);
            }
        }
    }
    if count == 0 {
        return Ok(0);
    }
    {
        let mut up = tx.prepare_cached(
            "INSERT INTO rollups (res, agent_id, name, bucket, n, sum, min, max)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (res, agent_id, name, bucket) DO UPDATE SET
               n = n + excluded.n, sum = sum + excluded.sum,
               min = min(min, excluded.min), max = max(max, excluded.max)",
        )?;
        for ((res, agent, name, bucket), (n, sum, min, max)) in acc {
            up.execute(params![res, agent, name, bucket, n, sum, min, max])?;
        }
    }
    tx.execute(
        "INSERT INTO jobs (name, value) VALUES ('rollup_points', ?1)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [last],
    )?;
    tx.commit()?;
    Ok(count)
}

fn prune(c: &mut Connection, now: DateTime<Utc>, keep: Retention) -> anyhow::Result<u64> {
    let day = 86_400i64;
    let t = now.timestamp();
    let tx = c.transaction()?;
    let mark: i64 = tx
        .query_row(
            "SELECT value FROM jobs WHERE name = 'rollup_points'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let raw_cut = t - keep.raw_days as i64 * day;
    let mut n = 0usize;
    // Never prune points the rollups have not folded in yet.
    n += tx.execute(
        "DELETE FROM points WHERE ts < ?1 AND id <= ?2",
        params![raw_cut, mark],
    )?;
    n += tx.execute("DELETE FROM samples WHERE ts < ?1", [raw_cut])?;
    for (res, days) in [
        (Resolution::M5, keep.m5_days),
        (Resolution::H1, keep.h1_days),
        (Resolution::D1, keep.d1_days),
    ] {
        if days > 0 {
            n += tx.execute(
                "DELETE FROM rollups WHERE res = ?1 AND bucket < ?2",
                params![res.seconds(), t - days as i64 * day],
            )?;
        }
    }
    if keep.d1_days > 0 {
        // Forgetting a message index row must not reopen the door to replaying it.
        let cut = (now - chrono::Duration::days(keep.d1_days as i64)).to_rfc3339();
        tx.execute(
            "UPDATE hosts SET seq_floor = max(seq_floor, (SELECT max(seq) FROM messages m
                 WHERE m.agent_id = hosts.agent_id AND m.received_at < ?1))
             WHERE EXISTS (SELECT 1 FROM messages m WHERE m.agent_id = hosts.agent_id AND m.received_at < ?1)",
            [&cut],
        )?;
        n += tx.execute("DELETE FROM messages WHERE received_at < ?1", [&cut])?;
    }
    tx.commit()?;
    Ok(n as u64)
}
