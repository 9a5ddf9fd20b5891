//! Store side of usage and the policy (issue 6): the newest usage facts per agent, the CPU of
//! recent report windows, what the policy job reads, its flag sync, and policy versions.

use super::flags;
use crate::policy::eval::{CpuWindow, HostInput, ProcCpu, UsageFacts};
use crate::policy::job::PolicyVersion;
use crate::reconcile::{Finding, FlagKind};
use crate::store::NetworkRun;
use chrono::{DateTime, Utc};
use pantau_proto::body::usage::UsageReport;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;

pub const CLEARED_POLICY: &str = "pelanggaran tidak lagi ditemukan oleh pemeriksaan kebijakan";

/// CPU windows older than this are dropped at ingest: "sustained" looks back hours, not days.
pub const KEEP_S: i64 = 48 * 3600;
/// A process is kept in a window when it used at least this share of one core ...
pub(crate) const BUSY_CORE_SHARE: f64 = 0.01;
/// ... and only the busiest this many, so a window row stays small.
pub(crate) const BUSY_MAX: usize = 32;

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A `usage` report, inside the message's transaction.
pub fn report(
    tx: &Transaction,
    agent: &str,
    sent: DateTime<Utc>,
    r: &UsageReport,
) -> anyhow::Result<()> {
    let at = r.collected_at.unwrap_or(sent);
    let old: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT collected_at, software FROM usage_latest WHERE agent_id = ?1",
            [agent],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    // Facts: only a newer report replaces them (a late, older one still adds its CPU).
    let newer = old
        .as_ref()
        .is_none_or(|(t, _)| time(t).is_none_or(|t| t <= at));
    if newer {
        let software = r.software.as_ref().map(serde_json::to_string).transpose()?;
        tx.execute(
            "INSERT INTO usage_latest (agent_id, collected_at, cpus, processes, listeners,
                                       sessions, errors, software, software_digest, software_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ?8 IS NULL THEN NULL ELSE ?2 END)
             ON CONFLICT (agent_id) DO UPDATE SET collected_at = ?2, cpus = ?3, processes = ?4,
                 listeners = ?5, sessions = ?6, errors = ?7,
                 software = coalesce(?8, software),
                 software_digest = coalesce(?9, software_digest),
                 software_at = CASE WHEN ?8 IS NULL THEN software_at ELSE ?2 END",
            params![
                agent,
                at.to_rfc3339(),
                r.cpus,
                serde_json::to_string(&r.processes)?,
                serde_json::to_string(&r.listeners)?,
                serde_json::to_string(&r.sessions)?,
                serde_json::to_string(&r.errors)?,
                software,
                r.software_digest,
            ],
        )?;
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
            "INSERT OR REPLACE INTO usage_cpu (agent_id, since, until, cpus, cpu_s, procs)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                agent,
                since.timestamp(),
                at.timestamp(),
                r.cpus.max(1),
                total,
                serde_json::to_string(&busy)?
            ],
        )?;
        tx.execute(
            "DELETE FROM usage_cpu WHERE agent_id = ?1 AND until < ?2",
            params![agent, at.timestamp() - KEEP_S],
        )?;
    }
    Ok(())
}

fn facts_of(r: &rusqlite::Row) -> rusqlite::Result<UsageFacts> {
    fn parse<T: serde::de::DeserializeOwned + Default>(s: String) -> T {
        serde_json::from_str(&s).unwrap_or_default()
    }
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(UsageFacts {
        collected_at: time(&r.get::<_, String>(0)?).unwrap_or_default(),
        cpus: r.get(1)?,
        processes: parse(json(2)?),
        listeners: parse(json(3)?),
        sessions: parse(json(4)?),
        errors: parse(json(5)?),
        software: r
            .get::<_, Option<String>>(6)?
            .map(parse)
            .unwrap_or_default(),
        software_at: r.get::<_, Option<String>>(7)?.and_then(|s| time(&s)),
    })
}

const FACTS: &str =
    "collected_at, cpus, processes, listeners, sessions, errors, software, software_at";

/// The newest facts of one agent.
pub fn latest(c: &Connection, agent: &str) -> anyhow::Result<Option<UsageFacts>> {
    let sql = format!("SELECT {FACTS} FROM usage_latest WHERE agent_id = ?1");
    Ok(c.query_row(&sql, [agent], facts_of).optional()?)
}

/// Up to `limit` enrolled, unrevoked agents that sent usage, in agent id order after
/// `after`, with what classifying them needs and their CPU windows since `from`.
pub fn inputs(
    c: &Connection,
    from: DateTime<Utc>,
    after: &str,
    limit: usize,
) -> anyhow::Result<Vec<HostInput>> {
    let sql = "SELECT u.agent_id, a.opd, h.hostname, rh.asset_key, s.kode_barang,
                (SELECT json_extract(i.body, '$.system.chassis_type') FROM inventories i
                 WHERE i.agent_id = h.agent_id AND i.seq = h.inventory_seq)
         FROM usage_latest u JOIN agents a USING (agent_id) JOIN hosts h USING (agent_id)
         LEFT JOIN reconcile_hosts rh ON rh.agent_id = u.agent_id AND rh.state = 'matched'
         LEFT JOIN assets s ON s.key = rh.asset_key
         WHERE a.revoked_at IS NULL AND u.agent_id > ?1
         ORDER BY u.agent_id LIMIT ?2";
    let mut st = c.prepare(sql)?;
    let rows = st.query_map(params![after, limit as i64], |r| {
        Ok(HostInput {
            agent_id: r.get(0)?,
            opd: r.get(1)?,
            hostname: r.get(2)?,
            asset_key: r.get(3)?,
            kode_barang: r.get(4)?,
            chassis: r.get(5)?,
            facts: None,
            windows: Vec::new(),
        })
    })?;
    let mut hosts: Vec<HostInput> = rows.collect::<Result<_, _>>()?;
    let Some(last) = hosts.last().map(|h| h.agent_id.clone()) else {
        return Ok(hosts);
    };
    let mut facts = c.prepare(&format!(
        "SELECT {FACTS}, agent_id FROM usage_latest WHERE agent_id > ?1 AND agent_id <= ?2"
    ))?;
    let mut by_agent: HashMap<String, UsageFacts> = HashMap::new();
    let mut rows = facts.query(params![after, last])?;
    while let Some(r) = rows.next()? {
        by_agent.insert(r.get(8)?, facts_of(r)?);
    }
    let mut windows: HashMap<String, Vec<CpuWindow>> = HashMap::new();
    let mut st = c.prepare(
        "SELECT agent_id, since, until, cpus, cpu_s, procs FROM usage_cpu
         WHERE agent_id > ?2 AND agent_id <= ?3 AND until > ?1 ORDER BY agent_id, until",
    )?;
    let mut rows = st.query(params![from.timestamp(), after, last])?;
    while let Some(r) = rows.next()? {
        let ts = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
            Ok(DateTime::from_timestamp(r.get(i)?, 0).unwrap_or_default())
        };
        windows.entry(r.get(0)?).or_default().push(CpuWindow {
            since: ts(1)?,
            until: ts(2)?,
            cpus: r.get(3)?,
            cpu_s: r.get(4)?,
            procs: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
        });
    }
    for h in &mut hosts {
        h.facts = by_agent.remove(&h.agent_id);
        h.windows = windows.remove(&h.agent_id).unwrap_or_default();
    }
    Ok(hosts)
}

/// Sync the policy flag kinds with `findings`.
pub fn save(
    c: &mut Connection,
    findings: &[Finding],
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let tx = c.transaction()?;
    let synced = flags::sync(&tx, &FlagKind::POLICY, findings, now, CLEARED_POLICY)?;
    tx.commit()?;
    Ok(NetworkRun {
        at: now,
        findings: findings.len(),
        opened: synced.opened,
        reopened: synced.reopened,
        resolved: synced.resolved,
    })
}

pub fn versions(c: &Connection) -> anyhow::Result<Vec<PolicyVersion>> {
    let mut st = c.prepare(
        "SELECT version, sha256, text, applied_by, applied_at, note FROM policy_versions
         ORDER BY version",
    )?;
    let rows = st.query_map([], |r| {
        Ok(PolicyVersion {
            version: r.get(0)?,
            sha256: r.get(1)?,
            text: r.get(2)?,
            applied_by: r.get(3)?,
            applied_at: time(&r.get::<_, String>(4)?).unwrap_or_default(),
            note: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Store a new version (already checked by the caller) and return it.
pub fn apply(
    c: &mut Connection,
    text: &str,
    sha256: &str,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<PolicyVersion> {
    let tx = c.transaction()?;
    tx.execute(
        "INSERT INTO policy_versions (sha256, text, applied_by, applied_at, note)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![sha256, text, by, now.to_rfc3339(), note],
    )?;
    let version = tx.last_insert_rowid();
    tx.commit()?;
    Ok(PolicyVersion {
        version,
        sha256: sha256.to_owned(),
        text: text.to_owned(),
        applied_by: by.to_owned(),
        applied_at: now,
        note: note.map(str::to_owned),
    })
}
