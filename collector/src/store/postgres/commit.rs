//! The ingest commit on PostgreSQL: a whole batch in a handful of statements.
//!
//! Every statement is a round trip to the server, so the per-message way of the SQLite twin
//! (`sqlite/write.rs`: about eleven statements per metrics message) would spend the batch
//! waiting on the network. Here the common path is set-based: one query reads the agents'
//! replay floors, one `INSERT … SELECT FROM unnest(…) … RETURNING` claims every
//! `(agent_id, seq)` and says which were new, and one statement each writes the samples, the
//! points, `last_seen` and the hosts' "now" figures. Only the rare kinds (status, inventory,
//! network, discovery, SNMP, usage) keep their per-message statements.
//!
//! Outcomes are the same as the SQLite store's, message for message (the `both!` tests): a
//! seq at or below the floor is a replay; the second copy of a `(agent_id, seq)`, in the
//! store already or earlier in the same batch, is a duplicate.

use super::{write, Tx};
use crate::store::{points, Accepted, Outcome};
use deadpool_postgres::Client;
use pantau_proto::body::{Body, MetricsBatch};
use std::collections::{HashMap, HashSet};

pub async fn commit(c: &mut Client, batch: &[Accepted]) -> anyhow::Result<Vec<Outcome>> {
    let tx = c.transaction().await?;
    let out = commit_in(&tx, batch).await?;
    tx.commit().await?;
    Ok(out)
}

async fn commit_in(tx: &Tx<'_>, batch: &[Accepted]) -> anyhow::Result<Vec<Outcome>> {
    let mut out = vec![Outcome::Stored; batch.len()];
    // Status messages update liveness and are not deduplicated.
    let data: Vec<usize> = (0..batch.len())
        .filter(|&i| !matches!(batch[i].body, Body::Status(_)))
        .collect();
    for (i, m) in batch.iter().enumerate() {
        if let Body::Status(s) = &m.body {
            write::status(tx, &m.envelope.agent_id, s).await?;
            out[i] = Outcome::Stored;
        }
    }
    if data.is_empty() {
        return Ok(out);
    }

    let floors = floors(tx, batch, &data).await?;
    let mut seen = HashSet::new();
    let mut claim = Vec::with_capacity(data.len());
    for &i in &data {
        let env = &batch[i].envelope;
        let floor = floors.get(env.agent_id.as_str()).copied().unwrap_or(0);
        if env.seq as i64 <= floor {
            out[i] = Outcome::Replay;
        } else if !seen.insert((env.agent_id.as_str(), env.seq)) {
            out[i] = Outcome::Duplicate;
        } else {
            claim.push(i);
        }
    }
    let new = claim_messages(tx, batch, &claim).await?;
    let stored: Vec<usize> = claim
        .into_iter()
        .filter(|&i| {
            let env = &batch[i].envelope;
            let is_new = new.contains(&(env.agent_id.clone(), env.seq as i64));
            if !is_new {
                out[i] = Outcome::Duplicate;
            }
            is_new
        })
        .collect();
    if stored.is_empty() {
        return Ok(out);
    }

    last_seen(tx, batch, &stored).await?;
    let metrics: Vec<(&str, u64, &MetricsBatch)> = stored
        .iter()
        .filter_map(|&i| match &batch[i].body {
            Body::Metrics(b) => Some((
                batch[i].envelope.agent_id.as_str(),
                batch[i].envelope.seq,
                b,
            )),
            _ => None,
        })
        .collect();
    metrics_batch(tx, &metrics).await?;
    for &i in &stored {
        let (env, body) = (&batch[i].envelope, &batch[i].body);
        match body {
            Body::Inventory(inv) => write::inventory(tx, &env.agent_id, env.seq, inv).await?,
            Body::Net(r) => super::network::net(tx, &env.agent_id, env.ts, r).await?,
            Body::Discovery(d) => super::network::discovery(tx, &env.agent_id, env.ts, d).await?,
            Body::Snmp(r) => super::snmp::report(tx, &env.agent_id, env.ts, r).await?,
            Body::Usage(r) => super::usage::report(tx, &env.agent_id, env.ts, r).await?,
            // Metrics went in above; kinds without a model yet are indexed (so delivery
            // figures stay right) but not kept.
            _ => {}
        }
    }
    Ok(out)
}

/// Each agent's replay floor (`hosts.seq_floor`), in one query. Every enrolled agent has a
/// hosts row; one without (not enrolled) cannot have been verified, so 0 is never wrong.
async fn floors<'b>(
    tx: &Tx<'_>,
    batch: &'b [Accepted],
    data: &[usize],
) -> anyhow::Result<HashMap<&'b str, i64>> {
    let distinct: HashSet<&'b str> = data
        .iter()
        .map(|&i| batch[i].envelope.agent_id.as_str())
        .collect();
    let agents: Vec<&str> = distinct.iter().copied().collect();
    let st = tx
        .prepare_cached("SELECT agent_id, seq_floor FROM hosts WHERE agent_id = ANY($1)")
        .await?;
    let rows = tx.query(&st, &[&agents]).await?;
    let mut floors = HashMap::with_capacity(rows.len());
    for r in rows {
        let id: String = r.get(0);
        if let Some(&a) = distinct.get(id.as_str()) {
            floors.insert(a, r.get::<_, i64>(1));
        }
    }
    Ok(floors)
}

/// Insert the message index rows of `claim`; the `(agent_id, seq)` that were not there yet.
async fn claim_messages(
    tx: &Tx<'_>,
    batch: &[Accepted],
    claim: &[usize],
) -> anyhow::Result<HashSet<(String, i64)>> {
    if claim.is_empty() {
        return Ok(HashSet::new());
    }
    let mut agents = Vec::with_capacity(claim.len());
    let mut seqs = Vec::with_capacity(claim.len());
    let mut kinds = Vec::with_capacity(claim.len());
    let mut ts = Vec::with_capacity(claim.len());
    let mut received = Vec::with_capacity(claim.len());
    for &i in claim {
        let (env, m) = (&batch[i].envelope, &batch[i]);
        agents.push(env.agent_id.as_str());
        seqs.push(env.seq as i64);
        kinds.push(env.kind.as_str());
        ts.push(env.ts.to_rfc3339());
        received.push(m.received_at.to_rfc3339());
    }
    let st = tx
        .prepare_cached(
            "INSERT INTO messages (agent_id, seq, kind, ts, received_at)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[])
             ON CONFLICT DO NOTHING
             RETURNING agent_id, seq",
        )
        .await?;
    let rows = tx
        .query(&st, &[&agents, &seqs, &kinds, &ts, &received])
        .await?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// `hosts.last_seen` of every agent with a stored message: its latest `received_at`.
async fn last_seen(tx: &Tx<'_>, batch: &[Accepted], stored: &[usize]) -> anyhow::Result<()> {
    let mut latest: HashMap<&str, String> = HashMap::new();
    for &i in stored {
        let r = batch[i].received_at.to_rfc3339();
        let e = latest
            .entry(batch[i].envelope.agent_id.as_str())
            .or_default();
        if r > *e {
            *e = r;
        }
    }
    let (agents, seen): (Vec<&str>, Vec<String>) = latest.into_iter().unzip();
    let st = tx
        .prepare_cached(
            "UPDATE hosts h SET last_seen = greatest(coalesce(h.last_seen, ''), v.seen COLLATE \"C\")
             FROM unnest($1::text[], $2::text[]) AS v(agent_id, seen)
             WHERE h.agent_id = v.agent_id",
        )
        .await?;
    tx.execute(&st, &[&agents, &seen]).await?;
    Ok(())
}

/// Every sample (raw JSON) and point of the batch's metrics messages, and each host's "now"
/// figures from its newest sample, whatever order the batches arrive in.
async fn metrics_batch(tx: &Tx<'_>, msgs: &[(&str, u64, &MetricsBatch)]) -> anyhow::Result<()> {
    if msgs.is_empty() {
        return Ok(());
    }
    let (mut s_agent, mut s_ts, mut s_seq, mut s_body) = (vec![], vec![], vec![], vec![]);
    let (mut p_agent, mut p_name, mut p_ts, mut p_value) = (vec![], vec![], vec![], vec![]);
    // agent -> (newest sample, largest spool drop count)
    let mut now: HashMap<&str, (&pantau_proto::body::Sample, i64)> = HashMap::new();
    for &(agent, seq, b) in msgs {
        for s in &b.samples {
            let ts = s.ts.timestamp();
            s_agent.push(agent);
            s_ts.push(ts);
            s_seq.push(seq as i64);
            s_body.push(serde_json::to_string(s)?);
            points::of_sample(s, |name, value| {
                if value.is_finite() {
                    p_agent.push(agent);
                    p_name.push(name);
                    p_ts.push(ts);
                    p_value.push(value);
                }
            });
        }
        if let Some(last) = b.samples.iter().max_by_key(|s| s.ts) {
            let dropped = b.spool.dropped_total as i64;
            let e = now.entry(agent).or_insert((last, dropped));
            if last.ts >= e.0.ts {
                e.0 = last;
            }
            e.1 = e.1.max(dropped);
        }
    }
    let st = tx
        .prepare_cached(
            "INSERT INTO samples (agent_id, ts, seq, body)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])",
        )
        .await?;
    tx.execute(&st, &[&s_agent, &s_ts, &s_seq, &s_body]).await?;
    if !p_agent.is_empty() {
        let st = tx
            .prepare_cached(
                "INSERT INTO points (agent_id, name, ts, value)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[])",
            )
            .await?;
        tx.execute(&st, &[&p_agent, &p_name, &p_ts, &p_value])
            .await?;
    }
    let (mut agent, mut cpu, mut mem, mut disk, mut ts, mut dropped) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (a, (s, d)) in now {
        agent.push(a);
        cpu.push(s.cpu.as_ref().map(|c| c.usage_pct));
        mem.push(
            s.memory
                .as_ref()
                .filter(|m| m.total_bytes > 0)
                .map(|m| m.used_pct()),
        );
        disk.push(points::disk_pct(s));
        ts.push(s.ts.timestamp());
        dropped.push(d);
    }
    let st = tx
        .prepare_cached(
            "UPDATE hosts h SET cpu_pct = v.cpu, mem_pct = v.mem, disk_pct = v.disk,
                    metrics_ts = v.ts,
                    spool_dropped_total = greatest(h.spool_dropped_total, v.dropped)
             FROM unnest($1::text[], $2::float8[], $3::float8[], $4::float8[], $5::bigint[],
                         $6::bigint[]) AS v(agent_id, cpu, mem, disk, ts, dropped)
             WHERE h.agent_id = v.agent_id AND (h.metrics_ts IS NULL OR h.metrics_ts <= v.ts)",
        )
        .await?;
    tx.execute(&st, &[&agent, &cpu, &mem, &disk, &ts, &dropped])
        .await?;
    Ok(())
}
