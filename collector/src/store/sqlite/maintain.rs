//! Rollups and retention.
//!
//! Rollups advance by point id, not by time: points are append-only with increasing ids, so a
//! batch that arrives a day late (an agent's spool after an outage) is still folded into the
//! right buckets, exactly once, because its ids are newer than the watermark.

use crate::store::{Resolution, Retention};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Points folded, or raw rows deleted, per transaction. SQLite has one writer: while a
/// transaction of this job runs, ingest waits, so the job works in steps the writer is
/// released between (`SqliteStore::maintain`). 10,000 points take ~0.1 s here; a city of
/// 10,000 hosts adds ~160,000 a minute (docs/benchmarks.md, 10,000 agents: p99 lag).
pub(crate) const CHUNK: i64 = 10_000;

/// What one step did: rows handled, and whether more remain.
pub(crate) struct Step {
    pub rows: u64,
    pub more: bool,
}

/// Fold the next [`CHUNK`] points into the rollups.
pub(crate) fn rollup_step(c: &mut Connection) -> anyhow::Result<Step> {
    let n = rollup_chunk(c)?;
    Ok(Step {
        rows: n,
        more: n >= CHUNK as u64,
    })
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

/// Delete up to [`CHUNK`] raw points and raw samples past the raw window; once none are
/// left, the rollups and the message index past theirs (small: one transaction).
pub(crate) fn prune_step(
    c: &mut Connection,
    now: DateTime<Utc>,
    keep: Retention,
) -> anyhow::Result<Step> {
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
    // Never prune points the rollups have not folded in yet.
    let raw = tx.execute(
        "DELETE FROM points WHERE id IN
           (SELECT id FROM points WHERE ts < ?1 AND id <= ?2 LIMIT ?3)",
        params![raw_cut, mark, CHUNK],
    )? + tx.execute(
        "DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples WHERE ts < ?1 LIMIT ?2)",
        params![raw_cut, CHUNK],
    )?;
    if raw > 0 {
        tx.commit()?;
        return Ok(Step {
            rows: raw as u64,
            more: true,
        });
    }
    let mut n = 0usize;
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
    Ok(Step {
        rows: n as u64,
        more: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More old points than two steps hold: folded in three steps, then pruned in steps, and
    /// nothing lost from the rollups on the way.
    #[test]
    fn a_backlog_larger_than_a_step_is_folded_then_pruned_step_by_step() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::store::sqlite::migrate_for_tests(&mut c);
        let now = Utc::now();
        let old = now.timestamp() - 30 * 86_400;
        let total = 2 * CHUNK + 5;
        let tx = c.transaction().unwrap();
        {
            let mut st = tx
                .prepare("INSERT INTO points (agent_id, name, ts, value) VALUES ('pc-1', 'cpu', ?1, 1.0)")
                .unwrap();
            for i in 0..total {
                st.execute([old + i]).unwrap();
            }
        }
        tx.commit().unwrap();

        let (mut rolled, mut steps) = (0, 0);
        loop {
            let s = rollup_step(&mut c).unwrap();
            rolled += s.rows;
            steps += 1;
            if !s.more {
                break;
            }
        }
        assert_eq!((rolled, steps), (total as u64, 3));

        let keep = Retention {
            raw_days: 14,
            m5_days: 90,
            h1_days: 730,
            d1_days: 3650,
        };
        let (mut pruned, mut steps) = (0, 0);
        loop {
            let s = prune_step(&mut c, now, keep).unwrap();
            pruned += s.rows;
            steps += 1;
            if !s.more {
                break;
            }
        }
        assert_eq!((pruned, steps), (total as u64, 4));
        let left: i64 = c
            .query_row("SELECT count(*) FROM points", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
        let daily: i64 = c
            .query_row("SELECT sum(n) FROM rollups WHERE res = 86400", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(daily, total, "every point is in the daily rollups");
    }
}
