//! Enrollment, and the per-message writes of the ingest commit (`commit.rs`) for the rare
//! kinds; the twin of `sqlite/write.rs`.

use super::Tx;
use crate::reconcile::hardware::{self, HardwareSummary};
use crate::store::sqlite::facts;
use crate::store::EnrolledAgent;
use deadpool_postgres::Client;
use pantau_proto::body::{AgentState, Inventory, Status};

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

pub(crate) async fn status(tx: &Tx<'_>, agent: &str, s: &Status) -> anyhow::Result<()> {
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

pub(crate) async fn inventory(
    tx: &Tx<'_>,
    agent: &str,
    seq: u64,
    inv: &Inventory,
) -> anyhow::Result<()> {
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
