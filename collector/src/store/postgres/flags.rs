//! Flags: one row per (kind, subject), one lifecycle; the twin of `sqlite/flags.rs`, whose
//! header has the rules.

use super::{ts, Tx};
use crate::reconcile::{Finding, FlagKind};
use crate::store::{Flag, FlagAction, FlagFilter};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use std::collections::{HashMap, HashSet};
use tokio_postgres::Row;

use crate::store::SYSTEM_ACTOR as SYSTEM;

pub use crate::store::sqlite::flags::Synced;

struct Existing {
    id: i64,
    state: String,
    resolved_by: Option<String>,
    resolved_fingerprint: Option<String>,
    opd: String,
    summary: String,
    evidence: String,
    fingerprint: String,
}

async fn event(
    tx: &Tx<'_>,
    id: i64,
    at: &str,
    ev: &str,
    by: &str,
    note: Option<&str>,
) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO flag_events (flag_id, at, event, by, note) VALUES ($1, $2, $3, $4, $5)",
        &[&id, &at, &ev, &by, &note],
    )
    .await?;
    Ok(())
}

pub async fn history(
    c: &impl GenericClient,
    id: i64,
) -> anyhow::Result<Vec<crate::store::FlagEvent>> {
    let rows = c
        .query(
            "SELECT at, event, by, note FROM flag_events WHERE flag_id = $1 ORDER BY id",
            &[&id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| crate::store::FlagEvent {
            at: ts(r.get(0)).unwrap_or_default(),
            event: r.get(1),
            by: r.get(2),
            note: r.get(3),
        })
        .collect())
}

/// Bring the flags of `owned` kinds in line with `findings` (see `sqlite::flags::sync`).
pub async fn sync(
    tx: &Tx<'_>,
    owned: &[FlagKind],
    findings: &[Finding],
    now: DateTime<Utc>,
    cleared: &str,
) -> anyhow::Result<Synced> {
    let at = now.to_rfc3339();
    let kinds: Vec<String> = owned.iter().map(|k| k.name().to_owned()).collect();
    debug_assert!(findings.iter().all(|f| owned.contains(&f.kind)));
    let mut existing: HashMap<(String, String), Existing> = HashMap::new();
    let rows = tx
        .query(
            "SELECT id, kind, subject, state, resolved_by, resolved_fingerprint, opd, summary,
                    evidence, fingerprint
             FROM flags WHERE kind = ANY($1)",
            &[&kinds],
        )
        .await?;
    for r in &rows {
        existing.insert(
            (r.get(1), r.get(2)),
            Existing {
                id: r.get(0),
                state: r.get(3),
                resolved_by: r.get(4),
                resolved_fingerprint: r.get(5),
                opd: r.get(6),
                summary: r.get(7),
                evidence: r.get(8),
                fingerprint: r.get(9),
            },
        );
    }
    let mut out = Synced::default();
    let mut found: HashSet<(String, String)> = HashSet::new();
    // Flags found again unchanged: only their `last_found_at` moves, in one statement.
    let mut still: Vec<i64> = Vec::new();
    for f in findings {
        let key = (f.kind.name().to_string(), f.subject.clone());
        let evidence = serde_json::to_string(&f.evidence)?;
        match existing.get(&key) {
            None => {
                let id: i64 = tx
                    .query_one(
                        "INSERT INTO flags (kind, subject_kind, subject, opd, state, summary,
                                            evidence, article, fingerprint, opened_at, updated_at,
                                            last_found_at)
                         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $9, $9)
                         RETURNING id",
                        &[
                            &key.0,
                            &subject_kind(f),
                            &f.subject,
                            &f.opd,
                            &f.summary,
                            &evidence,
                            &f.kind.article(),
                            &f.fingerprint,
                            &at,
                        ],
                    )
                    .await?
                    .get(0);
                event(tx, id, &at, "opened", SYSTEM, None).await?;
                out.opened += 1;
            }
            Some(e) => {
                let reopen = e.state == "resolved"
                    && (e.resolved_by.as_deref() == Some(SYSTEM)
                        || e.resolved_fingerprint.as_deref() != Some(f.fingerprint.as_str()));
                if !reopen
                    && e.opd == f.opd
                    && e.summary == f.summary
                    && e.evidence == evidence
                    && e.fingerprint == f.fingerprint
                {
                    still.push(e.id);
                    found.insert(key);
                    continue;
                }
                tx.execute(
                    "UPDATE flags SET opd = $2, summary = $3, evidence = $4, fingerprint = $5,
                            last_found_at = $6,
                            updated_at = CASE WHEN $7 OR evidence != $4 THEN $6 ELSE updated_at END,
                            state = CASE WHEN $7 THEN 'open' ELSE state END,
                            reopen_count = reopen_count + CASE WHEN $7 THEN 1 ELSE 0 END
                     WHERE id = $1",
                    &[
                        &e.id,
                        &f.opd,
                        &f.summary,
                        &evidence,
                        &f.fingerprint,
                        &at,
                        &reopen,
                    ],
                )
                .await?;
                if reopen {
                    event(tx, e.id, &at, "reopened", SYSTEM, None).await?;
                    out.reopened += 1;
                }
            }
        }
        found.insert(key);
    }
    tx.execute(
        "UPDATE flags SET last_found_at = $1 WHERE id = ANY($2)",
        &[&at, &still],
    )
    .await?;
    for (key, e) in &existing {
        if e.state != "resolved" && !found.contains(key) {
            tx.execute(
                "UPDATE flags SET state = 'resolved', resolved_by = $2, resolved_at = $3,
                        resolved_note = $4, resolved_fingerprint = NULL, updated_at = $3
                 WHERE id = $1",
                &[&e.id, &SYSTEM, &at, &cleared],
            )
            .await?;
            event(tx, e.id, &at, "resolved", SYSTEM, Some(cleared)).await?;
            out.resolved += 1;
        }
    }
    Ok(out)
}

fn subject_kind(f: &Finding) -> String {
    serde_json::to_value(f.subject_kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

const COLUMNS: &str = "id, kind, subject_kind, subject, opd, state, summary, evidence, article,
     opened_at, updated_at, last_found_at, ack_by, ack_at, ack_note, resolved_by, resolved_at,
     resolved_note, reopen_count";

fn flag_of(r: &Row) -> Flag {
    Flag {
        id: r.get(0),
        kind: r.get(1),
        subject_kind: r.get(2),
        subject: r.get(3),
        opd: r.get(4),
        state: r.get(5),
        summary: r.get(6),
        evidence: serde_json::from_str(r.get::<_, &str>(7)).unwrap_or_default(),
        article: r.get(8),
        opened_at: ts(r.get(9)).unwrap_or_default(),
        updated_at: ts(r.get(10)).unwrap_or_default(),
        last_found_at: ts(r.get(11)).unwrap_or_default(),
        ack_by: r.get(12),
        ack_at: ts(r.get(13)),
        ack_note: r.get(14),
        resolved_by: r.get(15),
        resolved_at: ts(r.get(16)),
        resolved_note: r.get(17),
        reopen_count: r.get(18),
    }
}

pub async fn list(c: &impl GenericClient, f: &FlagFilter) -> anyhow::Result<Vec<Flag>> {
    let states = crate::store::sqlite::flags::checked_states(f)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM flags
         WHERE state = ANY($1)
           AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR opd = $3)
           AND ($4::text IS NULL OR subject = $4)
         ORDER BY opd, kind, subject LIMIT $5"
    );
    let rows = c
        .query(
            &sql,
            &[
                &states,
                &f.kind,
                &f.opd,
                &f.subject,
                &(f.limit.unwrap_or(10_000) as i64),
            ],
        )
        .await?;
    Ok(rows.iter().map(flag_of).collect())
}

pub async fn get(c: &impl GenericClient, id: i64) -> anyhow::Result<Option<Flag>> {
    let sql = format!("SELECT {COLUMNS} FROM flags WHERE id = $1");
    Ok(c.query_opt(&sql, &[&id]).await?.map(|r| flag_of(&r)))
}

pub async fn action(
    c: &mut Client,
    id: i64,
    action: FlagAction,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Flag>> {
    let tx = c.transaction().await?;
    let state: Option<String> = tx
        .query_opt("SELECT state FROM flags WHERE id = $1 FOR UPDATE", &[&id])
        .await?
        .map(|r| r.get(0));
    let Some(state) = state else {
        return Ok(None);
    };
    let at = now.to_rfc3339();
    match action {
        FlagAction::Ack => {
            if state == "resolved" {
                crate::refuse!("flag {id} is resolved; only an open flag can be acknowledged");
            }
            tx.execute(
                "UPDATE flags SET state = 'acknowledged', ack_by = $2, ack_at = $3, ack_note = $4,
                        updated_at = $3 WHERE id = $1",
                &[&id, &by, &at, &note],
            )
            .await?;
            event(&tx, id, &at, "acknowledged", by, note).await?;
        }
        FlagAction::Resolve => {
            if state == "resolved" {
                crate::refuse!("flag {id} is already resolved");
            }
            tx.execute(
                "UPDATE flags SET state = 'resolved', resolved_by = $2, resolved_at = $3,
                        resolved_note = $4, resolved_fingerprint = fingerprint, updated_at = $3
                 WHERE id = $1",
                &[&id, &by, &at, &note],
            )
            .await?;
            event(&tx, id, &at, "resolved", by, note).await?;
        }
    }
    tx.commit().await?;
    get(&*c, id).await
}
