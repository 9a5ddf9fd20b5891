//! Enrollment and the ingest commit.

use super::facts;
use crate::reconcile::hardware::{self, HardwareSummary};
use crate::store::{points, Accepted, EnrolledAgent, Outcome};
use pantau_proto::body::{AgentState, Body, Inventory, MetricsBatch, Status};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

pub fn enroll(c: &mut Connection, a: &EnrolledAgent) -> anyhow::Result<()> {
    // IMMEDIATE: `enroll add` runs in its own process beside a working collector; a deferred
    // transaction that reads and then writes fails at once (SQLITE_BUSY, no busy wait) when
    // the collector commits in between.
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let exists: bool = tx
        .query_row(
            "SELECT 1 FROM agents WHERE agent_id = ?1",
            [&a.agent_id],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if exists {
        anyhow::bail!("agent {:?} is already enrolled", a.agent_id);
    }
    tx.execute(
        "INSERT INTO agents (agent_id, opd, public_key, enrolled_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            a.agent_id,
            a.opd,
            a.public_key.to_base64(),
            a.enrolled_at.to_rfc3339()
        ],
    )?;
    tx.execute("INSERT INTO hosts (agent_id) VALUES (?1)", [&a.agent_id])?;
    tx.commit()?;
    Ok(())
}

/// Store a batch in one transaction. Status messages update liveness and are not
/// deduplicated; data messages are stored once per `(agent_id, seq)`.
pub fn commit(c: &mut Connection, batch: &[Accepted]) -> anyhow::Result<Vec<Outcome>> {
    // IMMEDIATE: take the write lock first. Two collectors on one file (a shared
    // subscription, docs/scale.md) would otherwise both read, then fail to upgrade to a
    // write with SQLITE_BUSY at once instead of waiting for the busy timeout.
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        out.push(one(&tx, m)?);
    }
    tx.commit()?;
    Ok(out)
}

fn one(tx: &Transaction, m: &Accepted) -> anyhow::Result<Outcome> {
    let env = &m.envelope;
    let received = m.received_at.to_rfc3339();
    if let Body::Status(s) = &m.body {
        status(tx, &env.agent_id, s)?;
        return Ok(Outcome::Stored);
    }
    // Cached statements: these run for every message of every batch.
    let floor: i64 = tx
        .prepare_cached("SELECT seq_floor FROM hosts WHERE agent_id = ?1")?
        .query_row([&env.agent_id], |r| r.get(0))?;
    if env.seq as i64 <= floor {
        return Ok(Outcome::Replay);
    }
    let inserted = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO messages (agent_id, seq, kind, ts, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![env.agent_id, env.seq as i64, env.kind.as_str(), env.ts.to_rfc3339(), received])?;
    if inserted == 0 {
        return Ok(Outcome::Duplicate);
    }
    tx.prepare_cached(
        "UPDATE hosts SET last_seen = max(coalesce(last_seen, ''), ?2) WHERE agent_id = ?1",
    )?
    .execute(params![env.agent_id, received])?;
    match &m.body {
        Body::Inventory(inv) => inventory(tx, &env.agent_id, env.seq, inv)?,
        Body::Metrics(b) => metrics(tx, &env.agent_id, env.seq, b)?,
        Body::Net(r) => super::network::net(tx, &env.agent_id, env.ts, r)?,
        Body::Discovery(d) => super::network::discovery(tx, &env.agent_id, env.ts, d)?,
        Body::Snmp(r) => super::snmp::report(tx, &env.agent_id, env.ts, r)?,
        Body::Usage(r) => super::usage::report(tx, &env.agent_id, env.ts, r)?,
        // Kinds without a model yet are indexed (so delivery figures stay right) but not kept.
        _ => {}
    }
    Ok(Outcome::Stored)
}

fn status(tx: &Transaction, agent: &str, s: &Status) -> anyhow::Result<()> {
    // Apply only if not older than what we have: a retained status redelivered after a
    // collector restart must not undo a newer one.
    tx.execute(
        "UPDATE hosts SET online = ?2, status_since = ?3, agent_version = ?4,
                spool_dropped_total = max(spool_dropped_total, ?5)
         WHERE agent_id = ?1 AND (status_since IS NULL OR status_since <= ?3)",
        params![
            agent,
            matches!(s.state, AgentState::Online),
            s.since.to_rfc3339(),
            s.agent_version,
            s.spool_dropped_total as i64
        ],
    )?;
    Ok(())
}

fn inventory(tx: &Transaction, agent: &str, seq: u64, inv: &Inventory) -> anyhow::Result<()> {
    let ts = inv
        .collected_at
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339();
    tx.execute(
        "INSERT INTO inventories (agent_id, seq, ts, body) VALUES (?1, ?2, ?3, ?4)",
        params![agent, seq as i64, ts, serde_json::to_string(inv)?],
    )?;
    let os = inv
        .os
        .pretty_name
        .clone()
        .or_else(|| inv.os.name.clone())
        .or_else(|| Some(inv.os.family.clone()).filter(|f| !f.is_empty()));
    // Only a newer inventory replaces the host's picture; a replayed old one is history.
    let newer: Option<Option<String>> = tx
        .query_row(
            "SELECT hardware FROM hosts
             WHERE agent_id = ?1 AND (inventory_seq IS NULL OR inventory_seq < ?2)",
            params![agent, seq as i64],
            |r| r.get(0),
        )
        .optional()?;
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
        "UPDATE hosts SET hostname = ?2, os = ?3, ip = ?4, inventory_seq = ?5, inventory_at = ?6,
                facts = ?7, hardware = ?8, health = ?9,
                hardware_change = coalesce(?10, hardware_change), addresses = ?11
         WHERE agent_id = ?1",
        params![
            agent,
            inv.hostname,
            os,
            primary_ip(inv),
            seq as i64,
            ts,
            serde_json::to_string(&facts::Observed::of(inv))?,
            serde_json::to_string(&hardware)?,
            serde_json::to_string(&facts::HealthRecord::of(inv))?,
            change.map(|c| serde_json::to_string(&c)).transpose()?,
            serde_json::to_string(&super::network::addresses_of(inv))?,
        ],
    )?;
    Ok(())
}

/// The address people would use for the host: IPv4 of an up, physical NIC first.
pub(crate) fn primary_ip(inv: &Inventory) -> Option<String> {
    let mut nics: Vec<_> = inv.nics.iter().filter(|n| n.up).collect();
    nics.sort_by_key(|n| !n.physical);
    nics.iter()
        .flat_map(|n| n.addresses.iter())
        .map(|a| a.split('/').next().unwrap_or(a))
        .find(|a| a.parse::<std::net::Ipv4Addr>().is_ok())
        .or_else(|| {
            nics.iter()
                .flat_map(|n| n.addresses.iter())
                .map(|a| a.split('/').next().unwrap_or(a))
                .next()
        })
        .map(str::to_owned)
}

fn metrics(tx: &Transaction, agent: &str, seq: u64, b: &MetricsBatch) -> anyhow::Result<()> {
    let mut sample_stmt =
        tx.prepare_cached("INSERT INTO samples (agent_id, ts, seq, body) VALUES (?1, ?2, ?3, ?4)")?;
    let mut pts: Vec<(String, f64)> = Vec::with_capacity(16);
    for s in &b.samples {
        let ts = s.ts.timestamp();
        sample_stmt.execute(params![agent, ts, seq as i64, serde_json::to_string(s)?])?;
        pts.clear();
        points::of_sample(s, |name, value| {
            if value.is_finite() {
                pts.push((name, value));
            }
        });
        insert_points(tx, agent, ts, &pts)?;
    }
    // The host's "now" figures come from the newest sample, whatever order batches arrive in.
    if let Some(last) = b.samples.iter().max_by_key(|s| s.ts) {
        tx.prepare_cached(
            "UPDATE hosts SET cpu_pct = ?2, mem_pct = ?3, disk_pct = ?4, metrics_ts = ?5,
                    spool_dropped_total = max(spool_dropped_total, ?6)
             WHERE agent_id = ?1 AND (metrics_ts IS NULL OR metrics_ts <= ?5)",
        )?
        .execute(params![
            agent,
            last.cpu.as_ref().map(|c| c.usage_pct),
            last.memory
                .as_ref()
                .filter(|m| m.total_bytes > 0)
                .map(|m| m.used_pct()),
            points::disk_pct(last),
            last.ts.timestamp(),
            b.spool.dropped_total as i64
        ])?;
    }
    Ok(())
}

/// The points of one sample in one statement: a statement per point cost a statement's
/// overhead and an AUTOINCREMENT bookkeeping write each (docs/benchmarks.md, ingest stages).
pub(crate) fn insert_points(
    tx: &Transaction,
    agent: &str,
    ts: i64,
    pts: &[(String, f64)],
) -> rusqlite::Result<()> {
    // SQLite's default limit is 32,766 variables; 2 per point plus 2 leaves room for 10,000.
    for chunk in pts.chunks(10_000) {
        let mut sql = String::from("INSERT INTO points (agent_id, name, ts, value) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("(?1, ?{}, ?2, ?{})", 3 + 2 * i, 4 + 2 * i));
        }
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(2 + 2 * chunk.len());
        args.push(&agent);
        args.push(&ts);
        for (name, value) in chunk {
            args.push(name);
            args.push(value);
        }
        stmt.execute(args.as_slice())?;
    }
    Ok(())
}
