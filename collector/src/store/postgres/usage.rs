//! Store side of usage and the policy (issue 6); the twin of `sqlite/usage.rs`.

use super::{flags, ts, Tx};
use crate::policy::eval::{CpuWindow, HostInput, ProcCpu, UsageFacts};
use crate::policy::job::PolicyVersion;
use crate::reconcile::{Finding, FlagKind};
use crate::store::sqlite::usage::{BUSY_CORE_SHARE, BUSY_MAX, CLEARED_POLICY, KEEP_S};
use crate::store::NetworkRun;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use pantau_proto::body::usage::UsageReport;
use std::collections::HashMap;
use tokio_postgres::Row;

fn time(s: &str) -> Option<DateTime<Utc>> {
    ts(Some(s.to_owned()))
}

/// A `usage` report, inside the message's transaction.
pub async fn report(
    tx: &Tx<'_>,
    agent: &str,
    sent: DateTime<Utc>,
    r: &UsageReport,
) -> anyhow::Result<()> {
    let at = r.collected_at.unwrap_or(sent);
    let old: Option<String> = tx
        .query_opt(
            "SELECT collected_at FROM usage_latest WHERE agent_id = $1",
            &[&agent],
        )
        .await?
        .map(|r| r.get(0));
    // Facts: only a newer report replaces them (a late, older one still adds its CPU).
    let newer = old
        .as_deref()
        .is_none_or(|t| time(t).is_none_or(|t| t <= at));
    if newer {
        let software = r.software.as_ref().map(serde_json::to_string).transpose()?;
        tx.execute(
            "INSERT INTO usage_latest AS u (agent_id, collected_at, cpus, processes, listeners,
                                       sessions, errors, software, software_digest, software_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                     CASE WHEN $8::text IS NULL THEN NULL ELSE $2 END)
             ON CONFLICT (agent_id) DO UPDATE SET collected_at = $2, cpus = $3, processes = $4,
                 listeners = $5, sessions = $6, errors = $7,
                 software = coalesce($8, u.software),
                 software_digest = coalesce($9, u.software_digest),
                 software_at = CASE WHEN $8::text IS NULL THEN u.software_at ELSE $2 END",
            &[
                &agent,
                &at.to_rfc3339(),
                &(r.cpus as i64),
                &serde_json::to_string(&r.processes)?,
                &serde_json::to_string(&r.listeners)?,
                &serde_json::to_string(&r.sessions)?,
                &serde_json::to_string(&r.errors)?,
                &software,
                &r.software_digest,
            ],
        )
        .await?;
    }
    if let Some(since) = r.since.filter(|s| *s < at) {
        let len = (at - since).num_milliseconds() as f64 / 1000.0;
        let mut busy: Vec<ProcCpu> = r
            .processes
            .iter()
            .filter(|p| p.cpu_s.is_finite() && p.cpu_s >= len * BUSY_CORE_SHARE)
            .map(|p| ProcCpu {
                name: p.name.clone(),
                exe: p.exe.clone(),
                sha256: p.sha256.clone(),
                cpu_s: p.cpu_s,
            })
            .collect();
        busy.sort_by(|a, b| b.cpu_s.total_cmp(&a.cpu_s));
        busy.truncate(BUSY_MAX);
        let total: f64 = r
            .processes
            .iter()
            .map(|p| p.cpu_s)
            .filter(|c| c.is_finite() && *c > 0.0)
            .sum();
        tx.execute(
            "INSERT INTO usage_cpu (agent_id, since, until, cpus, cpu_s, procs)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (agent_id, until, since) DO UPDATE SET cpus = excluded.cpus,
                 cpu_s = excluded.cpu_s, procs = excluded.procs",
            &[
                &agent,
                &since.timestamp(),
                &at.timestamp(),
                &(r.cpus.max(1) as i64),
                &total,
                &serde_json::to_string(&busy)?,
            ],
        )
        .await?;
        tx.execute(
            "DELETE FROM usage_cpu WHERE agent_id = $1 AND until < $2",
            &[&agent, &(at.timestamp() - KEEP_S)],
        )
        .await?;
    }
    Ok(())
}

fn facts_of(r: &Row) -> UsageFacts {
    fn parse<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
        serde_json::from_str(s).unwrap_or_default()
    }
    UsageFacts {
        collected_at: time(r.get(0)).unwrap_or_default(),
        cpus: r.get::<_, i64>(1) as u32,
        processes: parse(r.get(2)),
        listeners: parse(r.get(3)),
        sessions: parse(r.get(4)),
        errors: parse(r.get(5)),
        software: r.get::<_, Option<&str>>(6).map(parse).unwrap_or_default(),
        software_at: r.get::<_, Option<&str>>(7).and_then(time),
    }
}

const FACTS: &str =
    "collected_at, cpus, processes, listeners, sessions, errors, software, software_at";

pub async fn latest(c: &impl GenericClient, agent: &str) -> anyhow::Result<Option<UsageFacts>> {
    let sql = format!("SELECT {FACTS} FROM usage_latest WHERE agent_id = $1");
    Ok(c.query_opt(&sql, &[&agent]).await?.map(|r| facts_of(&r)))
}

/// Up to `limit` enrolled, unrevoked agents that sent usage, in agent id order after
/// `after`, with what classifying them needs and their CPU windows since `from`.
pub async fn inputs(
    c: &impl GenericClient,
    from: DateTime<Utc>,
    after: &str,
    limit: usize,
) -> anyhow::Result<Vec<HostInput>> {
    let sql = "SELECT u.agent_id, a.opd, h.hostname, rh.asset_key, s.kode_barang,
                (SELECT i.body::jsonb #>> '{system,chassis_type}' FROM inventories i
                 WHERE i.agent_id = h.agent_id AND i.seq = h.inventory_seq)
         FROM usage_latest u JOIN agents a USING (agent_id) JOIN hosts h USING (agent_id)
         LEFT JOIN reconcile_hosts rh ON rh.agent_id = u.agent_id AND rh.state = 'matched'
         LEFT JOIN assets s ON s.key = rh.asset_key
         WHERE a.revoked_at IS NULL AND u.agent_id > $1
         ORDER BY u.agent_id LIMIT $2";
    let mut hosts: Vec<HostInput> = c
        .query(sql, &[&after, &(limit as i64)])
        .await?
        .iter()
        .map(|r| HostInput {
            agent_id: r.get(0),
            opd: r.get(1),
            hostname: r.get(2),
            asset_key: r.get(3),
            kode_barang: r.get(4),
            chassis: r.get(5),
            facts: None,
            windows: Vec::new(),
        })
        .collect();
    let Some(last) = hosts.last().map(|h| h.agent_id.clone()) else {
        return Ok(hosts);
    };
    let mut by_agent: HashMap<String, UsageFacts> = HashMap::new();
    for r in &c
        .query(
            &format!(
                "SELECT {FACTS}, agent_id FROM usage_latest WHERE agent_id > $1 AND agent_id <= $2"
            ),
            &[&after, &last],
        )
        .await?
    {
        by_agent.insert(r.get(8), facts_of(r));
    }
    let mut windows: HashMap<String, Vec<CpuWindow>> = HashMap::new();
    for r in &c
        .query(
            "SELECT agent_id, since, until, cpus, cpu_s, procs FROM usage_cpu
             WHERE agent_id > $2 AND agent_id <= $3 AND until > $1 ORDER BY agent_id, until",
            &[&from.timestamp(), &after, &last],
        )
        .await?
    {
        let ts = |i: usize| DateTime::from_timestamp(r.get(i), 0).unwrap_or_default();
        windows.entry(r.get(0)).or_default().push(CpuWindow {
            since: ts(1),
            until: ts(2),
            cpus: r.get::<_, i64>(3) as u32,
            cpu_s: r.get(4),
            procs: serde_json::from_str(r.get(5)).unwrap_or_default(),
        });
    }
    for h in &mut hosts {
        h.facts = by_agent.remove(&h.agent_id);
        h.windows = windows.remove(&h.agent_id).unwrap_or_default();
    }
    Ok(hosts)
}

pub async fn save(
    c: &mut Client,
    findings: &[Finding],
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let tx = c.transaction().await?;
    let synced = flags::sync(&tx, &FlagKind::POLICY, findings, now, CLEARED_POLICY).await?;
    tx.commit().await?;
    Ok(NetworkRun {
        at: now,
        findings: findings.len(),
        opened: synced.opened,
        reopened: synced.reopened,
        resolved: synced.resolved,
    })
}

pub async fn versions(c: &impl GenericClient) -> anyhow::Result<Vec<PolicyVersion>> {
    let rows = c
        .query(
            "SELECT version, sha256, text, applied_by, applied_at, note FROM policy_versions
             ORDER BY version",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| PolicyVersion {
            version: r.get(0),
            sha256: r.get(1),
            text: r.get(2),
            applied_by: r.get(3),
            applied_at: time(r.get(4)).unwrap_or_default(),
            note: r.get(5),
        })
        .collect())
}

pub async fn apply(
    c: &mut Client,
    text: &str,
    sha256: &str,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<PolicyVersion> {
    let tx = c.transaction().await?;
    let version: i64 = tx
        .query_one(
            "INSERT INTO policy_versions (sha256, text, applied_by, applied_at, note)
             VALUES ($1, $2, $3, $4, $5) RETURNING version",
            &[&sha256, &text, &by, &now.to_rfc3339(), &note],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(PolicyVersion {
        version,
        sha256: sha256.to_owned(),
        text: text.to_owned(),
        applied_by: by.to_owned(),
        applied_at: now,
        note: note.map(str::to_owned),
    })
}
