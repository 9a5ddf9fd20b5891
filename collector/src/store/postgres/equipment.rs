//! Store side of the SNMP equipment mapping; the twin of `sqlite/equipment.rs`.

use super::Tx;
use crate::snmp::equipment::{Equipment, EquipmentRow, RowError};
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use std::collections::BTreeSet;

pub async fn list(c: &impl GenericClient) -> anyhow::Result<Vec<EquipmentRow>> {
    let rows = c
        .query(
            "SELECT e.asset_key, e.ip, e.port, e.profile, e.agent_id, e.uplinks,
                    COALESCE(a.kode_lokasi, ''), e.updated_at, e.updated_by
             FROM snmp_equipment e LEFT JOIN assets a ON a.key = e.asset_key
             ORDER BY e.asset_key",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| EquipmentRow {
            equipment: Equipment {
                asset_key: r.get(0),
                ip: r.get(1),
                port: r.get::<_, Option<i64>>(2).map(|p| p as u16),
                profile: r.get(3),
                agent_id: r.get(4),
                uplinks: serde_json::from_str(r.get(5)).unwrap_or_default(),
            },
            opd: r.get(6),
            updated_at: r.get(7),
            updated_by: r.get(8),
        })
        .collect())
}

/// The rows polled by `agent_id`.
pub async fn of_agent(c: &impl GenericClient, agent_id: &str) -> anyhow::Result<Vec<Equipment>> {
    Ok(list(c)
        .await?
        .into_iter()
        .map(|r| r.equipment)
        .filter(|e| e.agent_id == agent_id)
        .collect())
}

/// Every error of a batch, checked against the database; empty when all rows are good.
async fn check(
    c: &Tx<'_>,
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
            .query_opt(
                "SELECT removed_at FROM assets WHERE key = $1",
                &[&e.asset_key],
            )
            .await?
            .map(|r| r.get(0));
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
            .query_opt(
                "SELECT revoked_at FROM agents WHERE agent_id = $1",
                &[&e.agent_id],
            )
            .await?
            .map(|r| r.get(0));
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
pub async fn put(
    c: &mut Client,
    rows: &[Equipment],
    profiles: &BTreeSet<String>,
    by: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<usize, Vec<RowError>>> {
    let tx = c.transaction().await?;
    let errors = check(&tx, rows, profiles).await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    for e in rows {
        tx.execute(
            "INSERT INTO snmp_equipment
                 (asset_key, ip, port, profile, agent_id, uplinks, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (asset_key) DO UPDATE SET ip = excluded.ip, port = excluded.port,
                 profile = excluded.profile, agent_id = excluded.agent_id,
                 uplinks = excluded.uplinks, updated_at = excluded.updated_at,
                 updated_by = excluded.updated_by",
            &[
                &e.asset_key.trim(),
                &e.ip.trim(),
                &e.port.map(i64::from),
                &e.profile.trim(),
                &e.agent_id.trim(),
                &serde_json::to_string(&e.uplinks)?,
                &now.to_rfc3339(),
                &by,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Ok(rows.len()))
}

/// Remove one row; false when there was none.
pub async fn remove(c: &impl GenericClient, asset_key: &str) -> anyhow::Result<bool> {
    Ok(c.execute(
        "DELETE FROM snmp_equipment WHERE asset_key = $1",
        &[&asset_key],
    )
    .await?
        > 0)
}
