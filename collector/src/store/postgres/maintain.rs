//! Rollups and retention; the twin of `sqlite/maintain.rs` (same watermark by point id, same
//! chunks, same pruning rules).

use crate::store::{MaintenanceReport, Resolution, Retention};
use chrono::{DateTime, Utc};
use deadpool_postgres::Client;
use std::collections::HashMap;

const CHUNK: i64 = 50_000;

pub async fn run(
    c: &mut Client,
    now: DateTime<Utc>,
    keep: Retention,
) -> anyhow::Result<MaintenanceReport> {
    let mut report = MaintenanceReport::default();
    loop {
        let n = rollup_chunk(c).await?;
        report.points_rolled_up += n;
        if n < CHUNK as u64 {
            break;
        }
    }
    report.rows_pruned = prune(c, now, keep).await?;
    Ok(report)
}

type Key = (i64, String, String, i64);

async fn rollup_chunk(c: &mut Client) -> anyhow::Result<u64> {
    let tx = c.transaction().await?;
    // Two collectors maintaining at once would fold the same points twice: the watermark row
    // is locked for the transaction (the job lease makes this rare; this makes it safe).
    tx.execute(
        "INSERT INTO jobs (name, value) VALUES ('rollup_points', 0) ON CONFLICT DO NOTHING",
        &[],
    )
    .await?;
    let mark: i64 = tx
        .query_one(
            "SELECT value FROM jobs WHERE name = 'rollup_points' FOR UPDATE",
            &[],
        )
        .await?
        .get(0);
    let mut acc: HashMap<Key, (i64, f64, f64, f64)> = HashMap::new();
    let mut last = mark;
    let mut count = 0u64;
    let rows = tx
        .query(
            "SELECT id, agent_id, name, ts, value FROM points WHERE id > $1 ORDER BY id LIMIT $2",
            &[&mark, &CHUNK],
        )
        .await?;
    for r in &rows {
        let (id, agent, name, ts, v): (i64, String, String, i64, f64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
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
    if count == 0 {
        return Ok(0);
    }
    // One statement for the whole chunk: arrays unnested into rows.
    let mut cols: (Vec<i64>, Vec<String>, Vec<String>, Vec<i64>) = Default::default();
    let mut vals: (Vec<i64>, Vec<f64>, Vec<f64>, Vec<f64>) = Default::default();
    for ((res, agent, name, bucket), (n, sum, min, max)) in acc {
        cols.0.push(res);
        cols.1.push(agent);
        cols.2.push(name);
        cols.3.push(bucket);
        vals.0.push(n);
        vals.1.push(sum);
        vals.2.push(min);
        vals.3.push(max);
    }
    tx.execute(
        "INSERT INTO rollups AS r (res, agent_id, name, bucket, n, sum, min, max)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],
                              $5::bigint[], $6::float8[], $7::float8[], $8::float8[])
         ON CONFLICT (res, agent_id, name, bucket) DO UPDATE SET
           n = r.n + excluded.n, sum = r.sum + excluded.sum,
           min = least(r.min, excluded.min), max = greatest(r.max, excluded.max)",
        &[
            &cols.0, &cols.1, &cols.2, &cols.3, &vals.0, &vals.1, &vals.2, &vals.3,
        ],
    )
    .await?;
    tx.execute(
        "UPDATE jobs SET value = $1 WHERE name = 'rollup_points'",
        &[&last],
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

async fn prune(c: &mut Client, now: DateTime<Utc>, keep: Retention) -> anyhow::Result<u64> {
    let day = 86_400i64;
    let t = now.timestamp();
    let tx = c.transaction().await?;
    let mark: i64 = tx
        .query_opt("SELECT value FROM jobs WHERE name = 'rollup_points'", &[])
        .await?
        .map(|r| r.get(0))
        .unwrap_or(0);
    let raw_cut = t - keep.raw_days as i64 * day;
    let mut n = 0u64;
    // Never prune points the rollups have not folded in yet.
    n += tx
        .execute(
            "DELETE FROM points WHERE ts < $1 AND id <= $2",
            &[&raw_cut, &mark],
        )
        .await?;
    n += tx
        .execute("DELETE FROM samples WHERE ts < $1", &[&raw_cut])
        .await?;
    for (res, days) in [
        (Resolution::M5, keep.m5_days),
        (Resolution::H1, keep.h1_days),
        (Resolution::D1, keep.d1_days),
    ] {
        if days > 0 {
            n += tx
                .execute(
                    "DELETE FROM rollups WHERE res = $1 AND bucket < $2",
                    &[&res.seconds(), &(t - days as i64 * day)],
                )
                .await?;
        }
    }
    if keep.d1_days > 0 {
        // Forgetting a message index row must not reopen the door to replaying it.
        let cut = (now - chrono::Duration::days(keep.d1_days as i64)).to_rfc3339();
        tx.execute(
            "UPDATE hosts SET seq_floor = greatest(seq_floor, (SELECT max(seq) FROM messages m
                 WHERE m.agent_id = hosts.agent_id AND m.received_at < $1))
             WHERE EXISTS (SELECT 1 FROM messages m
                           WHERE m.agent_id = hosts.agent_id AND m.received_at < $1)",
            &[&cut],
        )
        .await?;
        n += tx
            .execute("DELETE FROM messages WHERE received_at < $1", &[&cut])
            .await?;
    }
    tx.commit().await?;
    Ok(n)
}
