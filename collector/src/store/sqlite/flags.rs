//! Flags: one row per (kind, subject), one lifecycle. Reconciliation opens, updates,
//! reopens and resolves them; operators acknowledge and resolve them. Every transition is a
//! row in `flag_events`.
//!
//! The rules (docs/reconciliation.md, "Flags"):
//! - a finding with no flag opens one;
//! - a finding whose flag is open or acknowledged refreshes its evidence;
//! - a finding whose flag was resolved because the problem cleared reopens it;
//! - a finding whose flag an operator resolved reopens it only if its fingerprint differs
//!   from the one the operator saw (a new occurrence), so "resolve" is not undone every run;
//! - an open or acknowledged flag whose finding is gone is resolved by `pantau`.

use crate::reconcile::{Finding, FlagKind};
use crate::store::{Flag, FlagAction, FlagFilter};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use std::collections::{HashMap, HashSet};

use crate::store::SYSTEM_ACTOR as SYSTEM;

#[derive(Debug, Default)]
pub struct Synced {
    pub opened: usize,
    pub reopened: usize,
    pub resolved: usize,
}

struct Existing {
    id: i64,
    state: String,
    resolved_by: Option<String>,
    resolved_fingerprint: Option<String>,
    /// What the row says now, to skip writing a finding that did not change.
    opd: String,
    summary: String,
    evidence: String,
    fingerprint: String,
}

fn event(
    tx: &Transaction,
    id: i64,
    at: &str,
    ev: &str,
    by: &str,
    note: Option<&str>,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO flag_events (flag_id, at, event, by, note) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, at, ev, by, note],
    )
}

pub fn history(c: &rusqlite::Connection, id: i64) -> anyhow::Result<Vec<crate::store::FlagEvent>> {
    let mut stmt =
        c.prepare("SELECT at, event, by, note FROM flag_events WHERE flag_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([id], |r| {
        let at: String = r.get(0)?;
        Ok(crate::store::FlagEvent {
            at: chrono::DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_default(),
            event: r.get(1)?,
            by: r.get(2)?,
            note: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Bring the flags of `owned` kinds in line with `findings`. Only flags of those kinds are
/// resolved when their finding is gone: each job (reconciliation, network) owns its kinds,
/// so one job's run never closes another's flags. `cleared` is the note on such a
/// resolution.
pub fn sync(
    tx: &Transaction,
    owned: &[FlagKind],
    findings: &[Finding],
    now: DateTime<Utc>,
    cleared: &str,
) -> anyhow::Result<Synced> {
    let at = now.to_rfc3339();
    let kinds: Vec<&str> = owned.iter().map(|k| k.name()).collect();
    debug_assert!(findings.iter().all(|f| owned.contains(&f.kind)));
    let mut existing: HashMap<(String, String), Existing> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, kind, subject, state, resolved_by, resolved_fingerprint, opd, summary,
                    evidence, fingerprint
             FROM flags",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                Existing {
                    id: r.get(0)?,
                    state: r.get(3)?,
                    resolved_by: r.get(4)?,
                    resolved_fingerprint: r.get(5)?,
                    opd: r.get(6)?,
                    summary: r.get(7)?,
                    evidence: r.get(8)?,
                    fingerprint: r.get(9)?,
                },
            ))
        })?;
        for row in rows {
            let (k, v) = row?;
            if kinds.contains(&k.0.as_str()) {
                existing.insert(k, v);
            }
        }
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
                tx.execute(
                    "INSERT INTO flags (kind, subject_kind, subject, opd, state, summary, evidence,
                                        article, fingerprint, opened_at, updated_at, last_found_at)
                     VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7, ?8, ?9, ?9, ?9)",
                    params![
                        key.0,
                        subject_kind(f),
                        f.subject,
                        f.opd,
                        f.summary,
                        evidence,
                        f.kind.article(),
                        f.fingerprint,
                        at
                    ],
                )?;
                event(tx, tx.last_insert_rowid(), &at, "opened", SYSTEM, None)?;
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
                    "UPDATE flags SET opd = ?2, summary = ?3, evidence = ?4, fingerprint = ?5,
                            last_found_at = ?6,
                            updated_at = CASE WHEN ?7 OR evidence != ?4 THEN ?6 ELSE updated_at END,
                            state = CASE WHEN ?7 THEN 'open' ELSE state END,
                            reopen_count = reopen_count + ?7
                     WHERE id = ?1",
                    params![e.id, f.opd, f.summary, evidence, f.fingerprint, at, reopen],
                )?;
                if reopen {
                    event(tx, e.id, &at, "reopened", SYSTEM, None)?;
                    out.reopened += 1;
                }
            }
        }
        found.insert(key);
    }
    tx.execute(
        "UPDATE flags SET last_found_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))",
        params![at, serde_json::to_string(&still)?],
    )?;
    for (key, e) in &existing {
        if e.state != "resolved" && !found.contains(key) {
            tx.execute(
                "UPDATE flags SET state = 'resolved', resolved_by = ?2, resolved_at = ?3,
                        resolved_note = ?4, resolved_fingerprint = NULL, updated_at = ?3
                 WHERE id = ?1",
                params![e.id, SYSTEM, at, cleared],
            )?;
            event(tx, e.id, &at, "resolved", SYSTEM, Some(cleared))?;
            out.resolved += 1;
        }
    }
    Ok(out)
}

/// The note on a flag reconciliation resolved because its problem cleared.
pub const CLEARED_RECONCILE: &str = "masalah tidak lagi ditemukan oleh rekonsiliasi";

fn subject_kind(f: &Finding) -> String {
    serde_json::to_value(f.subject_kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

const COLUMNS: &str = "id, kind, subject_kind, subject, opd, state, summary, evidence, article,
     opened_at, updated_at, last_found_at, ack_by, ack_at, ack_note, resolved_by, resolved_at,
     resolved_note, reopen_count";

fn flag_of(r: &Row) -> rusqlite::Result<Flag> {
    fn t(s: Option<String>) -> Option<DateTime<Utc>> {
        s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc))
    }
    Ok(Flag {
        id: r.get(0)?,
        kind: r.get(1)?,
        subject_kind: r.get(2)?,
        subject: r.get(3)?,
        opd: r.get(4)?,
        state: r.get(5)?,
        summary: r.get(6)?,
        evidence: serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default(),
        article: r.get(8)?,
        opened_at: t(r.get(9)?).unwrap_or_default(),
        updated_at: t(r.get(10)?).unwrap_or_default(),
        last_found_at: t(r.get(11)?).unwrap_or_default(),
        ack_by: r.get(12)?,
        ack_at: t(r.get(13)?),
        ack_note: r.get(14)?,
        resolved_by: r.get(15)?,
        resolved_at: t(r.get(16)?),
        resolved_note: r.get(17)?,
        reopen_count: r.get(18)?,
    })
}

/// The states a filter asks for, checked with its kind; errors name the field. Shared with
/// the PostgreSQL store, so both refuse the same filters with the same words.
pub(crate) fn checked_states(f: &FlagFilter) -> anyhow::Result<Vec<String>> {
    let states: Vec<String> = match &f.state {
        None => vec!["open".into(), "acknowledged".into()],
        Some(s) if s == "all" => vec!["open".into(), "acknowledged".into(), "resolved".into()],
        Some(s) => s.split(',').map(|x| x.trim().to_string()).collect(),
    };
    for s in &states {
        if !["open", "acknowledged", "resolved"].contains(&s.as_str()) {
            crate::refuse!(
                "state: {s:?} is not a flag state (open, acknowledged, resolved, or all)"
            );
        }
    }
    if let Some(k) = &f.kind {
        if FlagKind::parse(k).is_none() {
            let known: Vec<&str> = FlagKind::ALL.iter().map(|k| k.name()).collect();
            crate::refuse!("kind: {k:?} is not a flag kind ({})", known.join(", "));
        }
    }
    Ok(states)
}

/// Check a filter and turn it into SQL conditions; errors name the field.
pub fn list(c: &Connection, f: &FlagFilter) -> anyhow::Result<Vec<Flag>> {
    let states = checked_states(f)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM flags
         WHERE (SELECT count(*) FROM json_each(?1) WHERE value = flags.state) > 0
           AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR opd = ?3)
           AND (?4 IS NULL OR subject = ?4)
         ORDER BY opd, kind, subject LIMIT ?5"
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(
        params![
            serde_json::to_string(&states)?,
            f.kind,
            f.opd,
            f.subject,
            f.limit.unwrap_or(10_000)
        ],
        flag_of,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(c: &Connection, id: i64) -> anyhow::Result<Option<Flag>> {
    let sql = format!("SELECT {COLUMNS} FROM flags WHERE id = ?1");
    Ok(c.query_row(&sql, [id], flag_of).optional()?)
}

pub fn action(
    c: &mut Connection,
    id: i64,
    action: FlagAction,
    by: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Flag>> {
    let tx = c.transaction()?;
    let state: Option<String> = tx
        .query_row("SELECT state FROM flags WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
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
                "UPDATE flags SET state = 'acknowledged', ack_by = ?2, ack_at = ?3, ack_note = ?4,
                        updated_at = ?3 WHERE id = ?1",
                params![id, by, at, note],
            )?;
            event(&tx, id, &at, "acknowledged", by, note)?;
        }
        FlagAction::Resolve => {
            if state == "resolved" {
                crate::refuse!("flag {id} is already resolved");
            }
            tx.execute(
                "UPDATE flags SET state = 'resolved', resolved_by = ?2, resolved_at = ?3,
                        resolved_note = ?4, resolved_fingerprint = fingerprint, updated_at = ?3
                 WHERE id = ?1",
                params![id, by, at, note],
            )?;
            event(&tx, id, &at, "resolved", by, note)?;
        }
    }
    tx.commit()?;
    get(c, id)
}
