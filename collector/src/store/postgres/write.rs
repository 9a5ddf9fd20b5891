//! Enrollment and the ingest commit; the twin of `sqlite/write.rs`.

use super::Tx;
use crate::reconcile::hardware::{self, HardwareSummary};
use crate::store::sqlite::facts;
use crate::store::{points, Accepted, EnrolledAgent, Outcome};
use deadpool_postgres::Client;
use pantau_proto::body::{AgentState, Body, Inventory, MetricsBatch, Status};

pub async fn enroll(c: &mut Client, a: &EnrolledAgent) -> anyhow::Result<()> {
    let tx = c.transaction().await?;
    let exists = tx
        .query_opt("SELECT 1 FROM agents WHERE agent_id = $1", &[&a.agent_id])
        .await?
        .is_some();
    if exists {
        anyhow::bail!("agent {:?} is already enrolled", a.agent_id);
    }
    tx.execute(
        "INSERT INTO agents (agent_id, opd, public_key, enrolled_at) VALUES ($1, $2, $3, $4)",
        &[
            &a.agent_id,
            &a.opd,
            &a.public_key.to_base64(),
            &a.enrolled_at.to_rfc3339(),
        ],
    )
    .await?;
    tx.execute("INSERT INTO hosts (agent_id) VALUES ($1)", &[&a.agent_id])
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Store a batch in one transaction. Status messages update liveness and are not
/// deduplicated; data messages are stored once per `(agent_id, seq)`.
pub async fn commit(c: &mut Client, batch: &[Accepted]) -> anyhow::Result<Vec<Outcome>> {
    let tx = c.transaction().await?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        out.push(one(&tx, m).await?);
    }
    tx.commit().await?;
    Ok(out)
}

async fn one(tx: &Tx<'_>, m: &Accepted) -> anyhow::Result<Outcome> {
    let env = &m.envelope;
    let received = m.received_at.to_rfc3339();
    if let Body::Status(s) = &m.body {
        status(tx, &env.agent_id, s).await?;
        return Ok(Outcome::Stored);
    }
    let floor: i64 = tx
        .query_one(
            "SELECT seq_floor FROM hosts WHERE agent_id = $1",
            &[&env.agent_id],
        )
        .await?
        .get(0);
    if env.seq as i64 <= floor {
        return Ok(Outcome::Replay);
    }
    let inserted = tx
        .execute(
            "INSERT INTO messages (agent_id, seq, kind, ts, received_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            &[
                &env.agent_id,
                &(env.seq as i64),
                &env.kind.as_str(),
                &env.ts.to_rfc3339(),
                &received,
            ],
        )
        .await?;
    if inserted == 0 {
        return Ok(Outcome::Duplicate);
    }
    tx.execute(
        "UPDATE hosts SET last_seen = greatest(coalesce(last_seen, ''), $2) WHERE agent_id = $1",
        &[&env.agent_id, &received],
    )
    .await?;
    match &m.body {
        Body::Inventory(inv) => inventory(tx, &env.agent_id, env.seq, inv).await?,
        Body::Metrics(b) => metrics(tx, &env.agent_id, env.seq, b).await?,
        Body::Net(r) => super::network::net(tx, &env.agent_id, env.ts, r).await?,
        Body::Discovery(d) => super::network::discovery(tx, &env.agent_id, env.ts, d).await?,
        Body::Snmp(r) => super::snmp::report(tx, &env.agent_id, env.ts, r).await?,
        Body::Usage(r) => super::usage::report(tx, &env.agent_id, env.ts, r).await?,
        // Kinds without a model yet are indexed (so delivery figures stay right) but not kept.
        _ => {}
    }
    Ok(Outcome::Stored)
}

async fn status(tx: &Tx<'_>, agent: &str, s: &Status) -> anyhow::Result<()> {
    // Apply only if not older than what we have: a retained status redelivered after a
    // collector restart must not undo a newer one.
    tx.execute(
        "UPDATE hosts SET online = $2, status_since = $3, agent_version = $4,
                spool_dropped_total = greatest(spool_dropped_total, $5)
         WHERE agent_id = $1 AND (status_since IS NULL OR status_since <= $3)",
        &[
            &agent,
            &(matches!(s.state, AgentState::Online) as i64),
            &s.since.to_rfc3339(),
            &s.agent_version,
            &(s.spool_dropped_total as i64),
        ],
    )
    .await?;
    Ok(())
}

async fn inventory(tx: &Tx<'_>, agent: &str, seq: u64, inv: &Inventory) -> anyhow::Result<()> {
    let ts = inv
        .collected_at
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339();
    tx.execute(
        "INSERT INTO inventories (agent_id, seq, ts, body) VALUES ($1, $2, $3, $4)",
        &[&agent, &(seq as i64), &ts, &serde_json::to_string(inv)?],
    )
    .await?;
    let os = inv
        .os
        .pretty_name
        .clone()
        .or_else(|| inv.os.name.clone())
        .or_else(|| Some(inv.os.family.clone()).filter(|f| !f.is_empty()));
    // Only a newer inventory replaces the host's picture; a replayed old one is history.
    let newer: Option<Option<String>> = tx
        .query_opt(
            "SELECT hardware FROM hosts
             WHERE agent_id = $1 AND (inventory_seq IS NULL OR inventory_seq < $2)",
            &[&agent, &(seq as i64)],
        )
        .await?
        .map(|r| r.get(0));
    let Some(prev_hardware) = newer else {
        return Ok(());
    };
    let hardware = HardwareSummary::of(inv);
    let change = prev_hardware
        .and_then(|p| serde_json::from_str::<HardwareSummary>(&p).ok())
        .and_then(|p| {
            hardware::diff(
                &p,
                &hardware,
                inv.collected_at.unwrap_or_else(chrono::Utc::now),
            )
        });
    tx.execute(
        "UPDATE hosts SET hostname = $2, os = $3, ip = $4, inventory_seq = $5, inventory_at = $6,
                facts = $7, hardware = $8, health = $9,
                hardware_change = coalesce($10, hardware_change), addresses = $11
         WHERE agent_id = $1",
        &[
            &agent,
            &inv.hostname,
            &os,
            &crate::store::sqlite::write::primary_ip(inv),
            &(seq as i64),
            &ts,
            &serde_json::to_string(&facts::Observed::of(inv))?,
            &serde_json::to_string(&hardware)?,
            &serde_json::to_string(&facts::HealthRecord::of(inv))?,
            &change.map(|c| serde_json::to_string(&c)).transpose()?,
            &serde_json::to_string(&crate::store::sqlite::network::addresses_of(inv))?,
        ],
    )
    .await?;
    Ok(())
}

async fn metrics(tx: &Tx<'_>, agent: &str, seq: u64, b: &MetricsBatch) -> anyhow::Result<()> {
    let sample_stmt = tx
        .prepare_cached("INSERT INTO samples (agent_id, ts, seq, body) VALUES ($1, $2, $3, $4)")
        .await?;
    let mut pts: Vec<(String, i64, f64)> = Vec::new();
    for s in &b.samples {
        let ts = s.ts.timestamp();
        tx.execute(
            &sample_stmt,
            &[&agent, &ts, &(seq as i64), &serde_json::to_string(s)?],
        )
        .await?;
        points::of_sample(s, |name, value| {
            if value.is_finite() {
                pts.push((name, ts, value));
            }
        });
    }
    super::insert_points(tx, agent, &pts).await?;
    // The host's "now" figures come from the newest sample, whatever order batches arrive in.
    if let Some(last) = b.samples.iter().max_by_key(|s| s.ts) {
        tx.execute(
            "UPDATE hosts SET cpu_pct = $2, mem_pct = $3, disk_pct = $4, metrics_ts = $5,
                    spool_dropped_total = greatest(spool_dropped_total, $6)
             WHERE agent_id = $1 AND (metrics_ts IS NULL OR metrics_ts <= $5)",
            &[
                &agent,
                &last.cpu.as_ref().map(|c| c.usage_pct),
                &last
                    .memory
                    .as_ref()
                    .filter(|m| m.total_bytes > 0)
                    .map(|m| m.used_pct()),
                &points::disk_pct(last),
                &last.ts.timestamp(),
                &(b.spool.dropped_total as i64),
            ],
        )
        .await?;
    }
    Ok(())
}
