//! Reconciliation's reads and writes; the twin of `sqlite/reconcile.rs`.

use super::{flags, ts};
use crate::reconcile::condition::Suggestion;
use crate::reconcile::hardware::HardwareChange;
use crate::reconcile::{
    AssetFacts, Decision, DecisionKind, FlagKind, HostFacts, HostOutcome, LearnedIds,
    Reconciliation,
};
use crate::register::Condition;
use crate::store::sqlite::facts::{HealthRecord, Observed};
use crate::store::sqlite::flags::CLEARED_RECONCILE;
use crate::store::sqlite::reconcile::{host_row, json, HostRow};
use crate::store::{ReconcileInputs, RunReport};
use deadpool_postgres::{Client, GenericClient};
use std::collections::HashMap;

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

pub async fn inputs(c: &impl GenericClient) -> anyhow::Result<ReconcileInputs> {
    let decisions = current_decisions(c).await?;
    // Identifiers learned at the newest link or confirm in force for each asset.
    let mut learned: HashMap<String, LearnedIds> = HashMap::new();
    for r in &c
        .query(
            "SELECT d.asset_key, d.learned FROM decisions d
             WHERE d.kind IN ('link', 'confirm') AND d.learned IS NOT NULL
               AND d.id = (SELECT max(id) FROM decisions e
                           WHERE e.agent_id = d.agent_id AND e.asset_key = d.asset_key)
             ORDER BY d.id",
            &[],
        )
        .await?
    {
        if let Some(ids) = json::<LearnedIds>(owned(r.get(1))) {
            learned.insert(r.get(0), ids);
        }
    }
    let assets = c
        .query(
            "SELECT key, kode_lokasi, kode_barang, nomor_register, nibar, nama_barang, merk, tipe,
                    nomor_pabrik, kondisi
             FROM assets WHERE removed_at IS NULL ORDER BY key",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let key: String = r.get(0);
            AssetFacts {
                learned: learned.remove(&key).unwrap_or_default(),
                key,
                kode_lokasi: r.get(1),
                kode_barang: r.get(2),
                nomor_register: r.get(3),
                nibar: r.get(4),
                nama_barang: r.get(5),
                merk: r.get(6),
                tipe: r.get(7),
                nomor_pabrik: r.get(8),
                kondisi: r.get::<_, Option<&str>>(9).and_then(Condition::from_code),
            }
        })
        .collect();
    let mut hosts = Vec::new();
    let mut health = Vec::new();
    for r in &c
        .query(
            "SELECT a.agent_id, a.opd, h.hostname, h.facts, h.last_seen, h.hardware_change,
                    h.health
             FROM agents a JOIN hosts h USING (agent_id)
             WHERE a.revoked_at IS NULL ORDER BY a.agent_id",
            &[],
        )
        .await?
    {
        let o: Observed = json(owned(r.get(3))).unwrap_or_default();
        hosts.push(HostFacts {
            agent_id: r.get(0),
            opd: r.get(1),
            hostname: r.get(2),
            serial: o.serial,
            uuid: o.uuid,
            macs: o.macs,
            asset_tag: o.asset_tag,
            vendor: o.vendor,
            model: o.model,
            virtual_machine: o.virtual_machine,
            last_seen: ts(r.get(4)),
            hardware_change: json::<HardwareChange>(owned(r.get(5))),
            suggestion: None,
        });
        health.push(json::<HealthRecord>(owned(r.get(6))));
    }
    Ok(ReconcileInputs {
        assets,
        hosts,
        health,
        decisions,
    })
}

/// The decision in force for each pair: the latest one recorded.
async fn current_decisions(c: &impl GenericClient) -> anyhow::Result<Vec<Decision>> {
    let rows = c
        .query(
            "SELECT agent_id, asset_key, kind, by, at, note FROM decisions d
             WHERE id = (SELECT max(id) FROM decisions e
                         WHERE e.agent_id = d.agent_id AND e.asset_key = d.asset_key)
             ORDER BY id",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Decision {
            agent_id: r.get(0),
            asset_key: r.get(1),
            kind: match r.get::<_, &str>(2) {
                "link" => DecisionKind::Link,
                "confirm" => DecisionKind::Confirm,
                _ => DecisionKind::Unlink,
            },
            by: r.get(3),
            at: ts(r.get(4)).unwrap_or_default(),
            note: r.get(5),
        })
        .collect())
}

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

fn flag(r: &tokio_postgres::Row, i: usize) -> bool {
    r.get::<_, i64>(i) != 0
}

/// Store the run's result; only rows that differ from the stored ones are written.
pub async fn save(
    c: &mut Client,
    result: &Reconciliation,
    suggested: &HashMap<String, Suggestion>,
    mut report: RunReport,
) -> anyhow::Result<RunReport> {
    let started = std::time::Instant::now();
    let tx = c.transaction().await?;
    let mut old: HashMap<String, HostRow> = tx
        .query(
            "SELECT agent_id, opd, state, asset_key, rule, manual, detail FROM reconcile_hosts",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            (
                r.get(0),
                (r.get(1), r.get(2), r.get(3), r.get(4), flag(r, 5), r.get(6)),
            )
        })
        .collect();
    for h in &result.hosts {
        let row = host_row(h)?;
        if old.remove(&h.agent_id).as_ref() != Some(&row) {
            let (opd, state, key, rule, manual, detail) = row;
            tx.execute(
                "INSERT INTO reconcile_hosts (agent_id, opd, state, asset_key, rule, manual, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (agent_id) DO UPDATE SET opd = excluded.opd, state = excluded.state,
                     asset_key = excluded.asset_key, rule = excluded.rule,
                     manual = excluded.manual, detail = excluded.detail",
                &[&h.agent_id, &opd, &state, &key, &rule, &(manual as i64), &detail],
            )
            .await?;
        }
    }
    let gone: Vec<String> = old.into_keys().collect();
    tx.execute(
        "DELETE FROM reconcile_hosts WHERE agent_id = ANY($1)",
        &[&gone],
    )
    .await?;

    let mut old: HashMap<String, AssetRow> = tx
        .query(
            "SELECT key, kode_lokasi, agent_id, in_review, expects_agent, silent, suggested,
                    evidence
             FROM reconcile_assets",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            (
                r.get(0),
                (
                    r.get(1),
                    r.get(2),
                    flag(r, 3),
                    flag(r, 4),
                    flag(r, 5),
                    r.get(6),
                    r.get(7),
                ),
            )
        })
        .collect();
    // `last_seen` is not stored here: readers take it from `hosts`.
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
            tx.execute(
                "INSERT INTO reconcile_assets
                     (key, kode_lokasi, agent_id, in_review, expects_agent, silent, suggested,
                      evidence)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (key) DO UPDATE SET kode_lokasi = excluded.kode_lokasi,
                     agent_id = excluded.agent_id, in_review = excluded.in_review,
                     expects_agent = excluded.expects_agent, silent = excluded.silent,
                     suggested = excluded.suggested, evidence = excluded.evidence",
                &[
                    &a.key,
                    &kode,
                    &agent,
                    &(review as i64),
                    &(expects as i64),
                    &(silent as i64),
                    &sug,
                    &ev,
                ],
            )
            .await?;
        }
    }
    let gone: Vec<String> = old.into_keys().collect();
    tx.execute("DELETE FROM reconcile_assets WHERE key = ANY($1)", &[&gone])
        .await?;
    let synced = flags::sync(
        &tx,
        &FlagKind::RECONCILE,
        &result.findings,
        report.at,
        CLEARED_RECONCILE,
    )
    .await?;
    report.opened = synced.opened;
    report.reopened = synced.reopened;
    report.resolved = synced.resolved;
    report.findings = result.findings.len();
    report.duration_ms += started.elapsed().as_millis() as u64;
    tx.execute(
        "INSERT INTO reconcile_runs (at, duration_ms, hosts, assets, findings, opened, reopened,
                                     resolved)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &report.at.to_rfc3339(),
            &(report.duration_ms as i64),
            &(report.hosts as i64),
            &(report.assets as i64),
            &(report.findings as i64),
            &(report.opened as i64),
            &(report.reopened as i64),
            &(report.resolved as i64),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

pub async fn decide(c: &mut Client, d: &Decision) -> anyhow::Result<()> {
    let tx = c.transaction().await?;
    let host: Option<(Option<String>, Option<String>)> = tx
        .query_opt(
            "SELECT hostname, facts FROM hosts WHERE agent_id = $1",
            &[&d.agent_id],
        )
        .await?
        .map(|r| (r.get(0), r.get(1)));
    let Some((hostname, facts)) = host else {
        crate::refuse!("no host with agent_id {:?}", d.agent_id);
    };
    let asset: Option<Option<String>> = tx
        .query_opt(
            "SELECT removed_at FROM assets WHERE key = $1",
            &[&d.asset_key],
        )
        .await?
        .map(|r| r.get(0));
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
        let proposed: Option<(String, Option<String>, Option<String>)> = tx
            .query_opt(
                "SELECT state, asset_key, detail FROM reconcile_hosts WHERE agent_id = $1",
                &[&d.agent_id],
            )
            .await?
            .map(|r| (r.get(0), r.get(1), r.get(2)));
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
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &d.agent_id,
            &d.asset_key,
            &kind,
            &d.by,
            &d.at.to_rfc3339(),
            &d.note,
            &learned,
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
