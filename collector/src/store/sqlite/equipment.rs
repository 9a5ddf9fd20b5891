//! Store side of the SNMP equipment mapping (`crate::snmp::equipment`): rows are checked
//! against the register, the enrolled agents and the collector's profiles, all of a batch
//! or none, then kept one per asset.

use crate::snmp::equipment::{Equipment, EquipmentRow, RowError};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;

pub fn list(c: &Connection) -> anyhow::Result<Vec<EquipmentRow>> {
    let mut st = c.prepare(
        "SELECT e.asset_key, e.ip, e.port, e.profile, e.agent_id, e.uplinks,
                COALESCE(a.kode_lokasi, ''), e.updated_at, e.updated_by
         FROM snmp_equipment e LEFT JOIN assets a ON a.key = e.asset_key
         ORDER BY e.asset_key",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(EquipmentRow {
                equipment: Equipment {
                    asset_key: r.get(0)?,
                    ip: r.get(1)?,
                    port: r.get(2)?,
                    profile: r.get(3)?,
                    agent_id: r.get(4)?,
                    uplinks: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                },
                opd: r.get(6)?,
                updated_at: r.get(7)?,
                updated_by: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The rows polled by `agent_id`.
pub fn of_agent(c: &Connection, agent_id: &str) -> anyhow::Result<Vec<Equipment>> {
    Ok(list(c)?
        .into_iter()
        .map(|r| r.equipment)
        .filter(|e| e.agent_id == agent_id)
        .collect())
}

/// Every error of a batch, checked against the database; empty when all rows are good.
pub fn check(
    c: &Connection,
    rows: &[Equipment],
    profiles: &BTreeSet<String>,
) -> anyhow::Result<Vec<RowError>> {
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for (row, e) in rows.iter().enumerate() {
        let mut err = |field, message| {
            errors.push(RowError {
                row,
                field,
                message,
            })
        };
        if let Err((field, msg)) = e.check_shape() {
            err(field, msg);
            continue;
        }
        if !seen.insert(e.asset_key.as_str()) {
            err("asset_key", format!("{:?} appears twice", e.asset_key));
            continue;
        }
        let asset: Option<Option<String>> = c
            .query_row(
                "SELECT removed_at FROM assets WHERE key = ?1",
                [&e.asset_key],
                |r| r.get(0),
            )
            .optional()?;
        match asset {
            None => err(
                "asset_key",
                format!("{:?} is not in the register", e.asset_key),
            ),
            Some(Some(_)) => err(
                "asset_key",
                format!("{:?} was removed from the register", e.asset_key),
            ),
            Some(None) => {}
        }
        let agent: Option<Option<String>> = c
            .query_row(
                "SELECT revoked_at FROM agents WHERE agent_id = ?1",
                [&e.agent_id],
                |r| r.get(0),
            )
            .optional()?;
        if !matches!(agent, Some(None)) {
            err(
                "agent_id",
                format!("{:?} is not an enrolled agent", e.agent_id),
            );
        }
        if !profiles.contains(&e.profile) {
            err(
                "profile",
                crate::snmp::profiles::unknown("profile", &e.profile, profiles)
                    .trim_start_matches("profile: ")
                    .to_string(),
            );
        }
    }
    Ok(errors)
}

/// Add or replace `rows` (by asset key), all or none.
pub fn put(
    c: &mut Connection,
    rows: &[Equipment],
    profiles: &BTreeSet<String>,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<usize, Vec<RowError>>> {
    let tx = c.transaction()?;
    let errors = check(&tx, rows, profiles)?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    for e in rows {
        tx.execute(
            "INSERT OR REPLACE INTO snmp_equipment
                 (asset_key, ip, port, profile, agent_id, uplinks, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                e.asset_key.trim(),
                e.ip.trim(),
                e.port,
                e.profile.trim(),
                e.agent_id.trim(),
                serde_json::to_string(&e.uplinks)?,
                now.to_rfc3339(),
                by
            ],
        )?;
    }
    tx.commit()?;
    Ok(Ok(rows.len()))
}

/// Remove one row; false when there was none.
pub fn remove(c: &Connection, asset_key: &str) -> anyhow::Result<bool> {
    Ok(c.execute(
        "DELETE FROM snmp_equipment WHERE asset_key = ?1",
        [asset_key],
    )? > 0)
}
