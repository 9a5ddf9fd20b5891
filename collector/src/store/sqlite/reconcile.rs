//! Reconciliation's reads and writes: the inputs snapshot, the stored result, the summary,
//! the review queue and operators' decisions.

use super::facts::{HealthRecord, Observed};
use super::flags;
use crate::reconcile::condition::Suggestion;
use crate::reconcile::hardware::HardwareChange;
use crate::reconcile::{
    AssetFacts, Decision, DecisionKind, FlagKind, HostFacts, HostOutcome, LearnedIds,
    Reconciliation,
};
use crate::register::Condition;
use crate::store::{ReconcileInputs, RunReport};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

pub(crate) fn json<T: serde::de::DeserializeOwned>(s: Option<String>) -> Option<T> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

pub fn inputs(c: &Connection) -> anyhow::Result<ReconcileInputs> {
    let decisions = current_decisions(c)?;
    // Identifiers learned at the newest link or confirm in force for each asset.
    let mut learned: HashMap<String, LearnedIds> = HashMap::new();
    {
        let mut stmt = c.prepare(
            "SELECT d.asset_key, d.learned FROM decisions d
             WHERE d.kind IN ('link', 'confirm') AND d.learned IS NOT NULL
               AND d.id = (SELECT max(id) FROM decisions e
                           WHERE e.agent_id = d.agent_id AND e.asset_key = d.asset_key)
             ORDER BY d.id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        for row in rows {
            let (key, ids) = row?;
            if let Some(ids) = json::<LearnedIds>(ids) {
                learned.insert(key, ids);
            }
        }
    }
    let mut stmt = c.prepare(
        "SELECT key, kode_lokasi, kode_barang, nomor_register, nibar, nama_barang, merk, tipe,
                nomor_pabrik, kondisi
         FROM assets WHERE removed_at IS NULL ORDER BY key",
    )?;
    let assets = stmt
        .query_map([], |r| {
            let key: String = r.get(0)?;
            Ok(AssetFacts {
                learned: learned.remove(&key).unwrap_or_default(),
                key,
                kode_lokasi: r.get(1)?,
                kode_barang: r.get(2)?,
                nomor_register: r.get(3)?,
                nibar: r.get(4)?,
                nama_barang: r.get(5)?,
                merk: r.get(6)?,
                tipe: r.get(7)?,
                nomor_pabrik: r.get(8)?,
                kondisi: r
                    .get::<_, Option<String>>(9)?
                    .as_deref()
                    .and_then(Condition::from_code),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = c.prepare(
        "SELECT a.agent_id, a.opd, h.hostname, h.facts, h.last_seen, h.hardware_change, h.health
         FROM agents a JOIN hosts h USING (agent_id)
         WHERE a.revoked_at IS NULL ORDER BY a.agent_id",
    )?;
    let mut hosts = Vec::new();
    let mut health = Vec::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    for row in rows {
        let (agent_id, opd, hostname, facts, last_seen, change, h) = row?;
        let o: Observed = json(facts).unwrap_or_default();
        hosts.push(HostFacts {
            agent_id,
            opd,
            hostname,
            serial: o.serial,
            uuid: o.uuid,
            macs: o.macs,
            asset_tag: o.asset_tag,
            vendor: o.vendor,
            model: o.model,
            virtual_machine: o.virtual_machine,
            last_seen: time(last_seen),
            hardware_change: json::<HardwareChange>(change),
            suggestion: None,
        });
        health.push(json::<HealthRecord>(h));
    }
    Ok(ReconcileInputs {
        assets,
        hosts,
        health,
        decisions,
    })
}

/// The decision in force for each pair: the latest one recorded.
fn current_decisions(c: &Connection) -> anyhow::Result<Vec<Decision>> {
    let mut stmt = c.prepare(
        "SELECT agent_id, asset_key, kind, by, at, note FROM decisions d
         WHERE id = (SELECT max(id) FROM decisions e
                     WHERE e.agent_id = d.agent_id AND e.asset_key = d.asset_key)
         ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let kind: String = r.get(2)?;
        Ok(Decision {
            agent_id: r.get(0)?,
            asset_key: r.get(1)?,
            kind: match kind.as_str() {
                "link" => DecisionKind::Link,
                "confirm" => DecisionKind::Confirm,
                _ => DecisionKind::Unlink,
            },
            by: r.get(3)?,
            at: time(r.get(4)?).unwrap_or_default(),
            note: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One stored row of `reconcile_hosts` without its key, to compare with the new result.
pub(crate) type HostRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
);
/// One stored row of `reconcile_assets` without its key.
type AssetRow = (
    String,
    Option<String>,
    bool,
    bool,
    bool,
    Option<String>,
    Option<String>,
);

pub(crate) fn host_row(h: &crate::reconcile::HostResult) -> anyhow::Result<HostRow> {
    Ok(match &h.outcome {
        HostOutcome::Matched {
            asset_key,
            evidence,
            manual,
        } => (
            h.opd.clone(),
            "matched".into(),
            Some(asset_key.clone()),
            match (evidence, manual) {
                (_, true) => Some("manual".to_string()),
                (Some(e), false) => Some(rule_name(e.rule)),
                (None, false) => None,
            },
            *manual,
            Some(serde_json::to_string(evidence)?),
        ),
        HostOutcome::Review { .. } => (
            h.opd.clone(),
            "review".into(),
            None,
            None,
            false,
            Some(serde_json::to_string(&h.outcome)?),
        ),
        HostOutcome::Unregistered => (
            h.opd.clone(),
            "unregistered".into(),
            None,
            None,
            false,
            None,
        ),
    })
}

/// The rows of a result table by their key (column 0), to compare with a new result.
fn stored<V>(
    tx: &rusqlite::Transaction,
    sql: &str,
    value: impl Fn(&rusqlite::Row) -> rusqlite::Result<V>,
) -> anyhow::Result<HashMap<String, V>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, value(r)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Store the run's result. Only rows that differ from the stored ones are written: at
/// 50,000 hosts a run mostly confirms what the previous one found, and rewriting every row
/// would cost more than the matching itself.
pub fn save(
    c: &mut Connection,
    result: &Reconciliation,
    suggested: &HashMap<String, Suggestion>,
    mut report: RunReport,
) -> anyhow::Result<RunReport> {
    let started = std::time::Instant::now();
    let tx = c.transaction()?;
    {
        let mut old: HashMap<String, HostRow> = stored(
            &tx,
            "SELECT agent_id, opd, state, asset_key, rule, manual, detail FROM reconcile_hosts",
            |r| {
                Ok((
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
        let mut put = tx.prepare(
            "INSERT OR REPLACE INTO reconcile_hosts
                 (agent_id, opd, state, asset_key, rule, manual, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for h in &result.hosts {
            let row = host_row(h)?;
            if old.remove(&h.agent_id).as_ref() != Some(&row) {
                let (opd, state, key, rule, manual, detail) = row;
                put.execute(params![h.agent_id, opd, state, key, rule, manual, detail])?;
            }
        }
        let mut gone = tx.prepare("DELETE FROM reconcile_hosts WHERE agent_id = ?1")?;
        for k in old.keys() {
            gone.execute([k])?;
        }

        let mut old: HashMap<String, AssetRow> = stored(
            &tx,
            "SELECT key, kode_lokasi, agent_id, in_review, expects_agent, silent, suggested,
                    evidence
             FROM reconcile_assets",
            |r| {
                let v = (
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                );
                Ok((v.0, v.1, v.2, v.3, v.4, v.5, r.get(7)?))
            },
        )?;
        // `last_seen` is not stored here: it moves with every message, and readers take it
        // from `hosts`.
        let mut put = tx.prepare(
            "INSERT OR REPLACE INTO reconcile_assets
                 (key, kode_lokasi, agent_id, in_review, expects_agent, silent, suggested,
                  evidence)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for a in &result.assets {
            let s = suggested.get(&a.key);
            let row: AssetRow = (
                a.kode_lokasi.clone(),
                a.agent_id.clone(),
                a.in_review,
                a.expects_agent,
                a.silent,
                s.map(|s| s.condition.code().to_string()),
                s.map(|s| serde_json::to_string(&s.evidence)).transpose()?,
            );
            if old.remove(&a.key).as_ref() != Some(&row) {
                let (kode, agent, review, expects, silent, sug, ev) = row;
                put.execute(params![
                    a.key, kode, agent, review, expects, silent, sug, ev
                ])?;
            }
        }
        let mut gone = tx.prepare("DELETE FROM reconcile_assets WHERE key = ?1")?;
        for k in old.keys() {
            gone.execute([k])?;
        }
    }
    let synced = flags::sync(
        &tx,
        &FlagKind::RECONCILE,
        &result.findings,
        report.at,
        flags::CLEARED_RECONCILE,
    )?;
    report.opened = synced.opened;
    report.reopened = synced.reopened;
    report.resolved = synced.resolved;
    report.findings = result.findings.len();
    report.duration_ms += started.elapsed().as_millis() as u64;
    tx.execute(
        "INSERT INTO reconcile_runs (at, duration_ms, hosts, assets, findings, opened, reopened,
                                     resolved)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            report.at.to_rfc3339(),
            report.duration_ms as i64,
            report.hosts as i64,
            report.assets as i64,
            report.findings as i64,
            report.opened as i64,
            report.reopened as i64,
            report.resolved as i64
        ],
    )?;
    tx.commit()?;
    Ok(report)
}

pub fn rule_name(rule: crate::reconcile::Rule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn decide(c: &mut Connection, d: &Decision) -> anyhow::Result<()> {
    let tx = c.transaction()?;
    let host: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT hostname, facts FROM hosts WHERE agent_id = ?1",
            [&d.agent_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((hostname, facts)) = host else {
        crate::refuse!("no host with agent_id {:?}", d.agent_id);
    };
    let asset: Option<Option<String>> = tx
        .query_row(
            "SELECT removed_at FROM assets WHERE key = ?1",
            [&d.asset_key],
            |r| r.get(0),
        )
        .optional()?;
    match asset {
        None => crate::refuse!("no register asset with key {:?}", d.asset_key),
        Some(Some(_)) if d.kind != DecisionKind::Unlink => {
            crate::refuse!(
                "register asset {:?} was removed by a later import; it cannot be linked",
                d.asset_key
            )
        }
        _ => {}
    }
    if d.kind == DecisionKind::Confirm {
        // Confirmable: a candidate of the host's review, or the asset the rules matched it
        // to (confirming that teaches the asset the host's UUID, MACs and hostname).
        let proposed: Option<(String, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT state, asset_key, detail FROM reconcile_hosts WHERE agent_id = ?1",
                [&d.agent_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let proposed = match proposed {
            Some((state, key, _)) if state == "matched" => key.as_deref() == Some(&d.asset_key),
            Some((_, _, detail)) => match json::<HostOutcome>(detail) {
                Some(HostOutcome::Review { candidates, .. }) => {
                    candidates.iter().any(|c| c.asset_key == d.asset_key)
                }
                _ => false,
            },
            None => false,
        };
        if !proposed {
            crate::refuse!(
                "the rules did not propose asset {:?} for host {:?}; use link to link it by hand",
                d.asset_key,
                d.agent_id
            );
        }
    }
    let learned = match d.kind {
        DecisionKind::Unlink => None,
        _ => {
            let o: Observed = json(facts).unwrap_or_default();
            Some(serde_json::to_string(&LearnedIds {
                serial: o.serial,
                uuid: o.uuid,
                macs: o.macs,
                hostname,
            })?)
        }
    };
    let kind = match d.kind {
        DecisionKind::Link => "link",
        DecisionKind::Confirm => "confirm",
        DecisionKind::Unlink => "unlink",
    };
    tx.execute(
        "INSERT INTO decisions (agent_id, asset_key, kind, by, at, note, learned)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            d.agent_id,
            d.asset_key,
            kind,
            d.by,
            d.at.to_rfc3339(),
            d.note,
            learned
        ],
    )?;
    tx.commit()?;
    Ok(())
}
