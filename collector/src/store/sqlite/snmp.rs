//! Store side of SNMP (issue 5): the newest state of each polled device and its interfaces,
//! what the SNMP job reads, its matches and its flag sync.

use super::flags;
use crate::reconcile::{Finding, FlagKind};
use crate::snmp::{AssetMatch, DeviceState, RegisterEntry};
use crate::store::NetworkRun;
use chrono::{DateTime, Utc};
use pantau_proto::body::snmp::{SnmpDevice, SnmpReport};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;

pub const CLEARED_SNMP: &str = "masalah tidak lagi ditemukan oleh pemantauan SNMP";

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An `snmp` report: upsert each device if the report is not older than what is kept. The
/// OPD is the poller's from enrollment.
pub fn report(
    tx: &Transaction,
    agent: &str,
    sent: DateTime<Utc>,
    r: &SnmpReport,
) -> anyhow::Result<()> {
    let opd = super::query::agent_opd(tx, agent)?;
    let ts = r.ts.unwrap_or(sent);
    for d in &r.devices {
        if d.target.is_empty() {
            continue;
        }
        let old: Option<(i64, String, Option<String>)> = tx
            .query_row(
                "SELECT id, ts, last_reachable FROM snmp_devices WHERE agent_id = ?1 AND target = ?2",
                params![agent, d.target],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if old
            .as_ref()
            .is_some_and(|(_, t, _)| time(t).is_some_and(|t| t > ts))
        {
            continue; // an older report delivered late
        }
        let last_reachable = if d.reachable {
            Some(ts.to_rfc3339())
        } else {
            old.as_ref().and_then(|(_, _, l)| l.clone())
        };
        let mut head = d.clone();
        head.interfaces.clear();
        let id: i64 = tx.query_row(
            "INSERT INTO snmp_devices (agent_id, opd, target, address, ts, reachable, last_reachable, device)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (agent_id, target) DO UPDATE SET opd = ?2, address = ?4, ts = ?5,
                 reachable = ?6, last_reachable = ?7, device = ?8
             RETURNING id",
            params![agent, opd, d.target, d.address, ts.to_rfc3339(), d.reachable, last_reachable,
                    serde_json::to_string(&head)?],
            |r| r.get(0),
        )?;
        // An unreachable device keeps its last known interfaces: they are still the best
        // picture of it, and its flag says it is down.
        if d.reachable {
            tx.execute("DELETE FROM snmp_interfaces WHERE device_id = ?1", [id])?;
            let mut ins = tx.prepare_cached(
                "INSERT OR REPLACE INTO snmp_interfaces (device_id, if_index, data) VALUES (?1, ?2, ?3)",
            )?;
            for i in &d.interfaces {
                ins.execute(params![id, i.index, serde_json::to_string(i)?])?;
            }
            super::snmp_history::record(tx, id, ts, &d.interfaces)?;
        }
    }
    Ok(())
}

/// One device as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceRow {
    pub id: i64,
    pub agent_id: String,
    pub opd: String,
    pub target: String,
    pub address: String,
    pub polled_at: Option<DateTime<Utc>>,
    pub reachable: bool,
    pub last_reachable: Option<DateTime<Utc>>,
    pub asset_key: Option<String>,
    pub match_rule: Option<String>,
    /// What matched: the target name, serial, MAC or IP.
    pub match_value: Option<String>,
    pub interfaces: u64,
    pub interfaces_up: u64,
    /// The busiest interface's utilization, percent.
    pub max_utilization_pct: Option<f64>,
    pub errors_per_s: f64,
    pub device: serde_json::Value,
}

pub fn devices(c: &Connection, opd: Option<&str>) -> anyhow::Result<Vec<DeviceRow>> {
    let mut stmt = c.prepare(
        "SELECT id, agent_id, opd, target, address, ts, reachable, last_reachable, asset_key,
                match_rule, device, match_value
         FROM snmp_devices WHERE ?1 IS NULL OR opd = ?1 ORDER BY opd, target, agent_id",
    )?;
    let rows = stmt
        .query_map([opd], |r| {
            Ok(DeviceRow {
                id: r.get(0)?,
                agent_id: r.get(1)?,
                opd: r.get(2)?,
                target: r.get(3)?,
                address: r.get(4)?,
                polled_at: time(&r.get::<_, String>(5)?),
                reachable: r.get(6)?,
                last_reachable: r.get::<_, Option<String>>(7)?.as_deref().and_then(time),
                asset_key: r.get(8)?,
                match_rule: r.get(9)?,
                match_value: r.get(11)?,
                interfaces: 0,
                interfaces_up: 0,
                max_utilization_pct: None,
                errors_per_s: 0.0,
                device: serde_json::from_str(&r.get::<_, String>(10)?).unwrap_or_default(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for mut d in rows {
        for i in interfaces(c, d.id)?.unwrap_or_default() {
            d.interfaces += 1;
            d.interfaces_up += u64::from(i.oper_status == "up");
            if let Some(u) = i.utilization_pct {
                d.max_utilization_pct = Some(d.max_utilization_pct.map_or(u, |m: f64| m.max(u)));
            }
            d.errors_per_s += i.errors_per_s.unwrap_or(0.0);
        }
        out.push(d);
    }
    Ok(out)
}

/// The interfaces of device `id`; `None` when there is no such device.
pub fn interfaces(
    c: &Connection,
    id: i64,
) -> anyhow::Result<Option<Vec<pantau_proto::body::snmp::SnmpInterface>>> {
    let exists: Option<i64> = c
        .query_row("SELECT id FROM snmp_devices WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    let mut stmt = c.prepare_cached(
        "SELECT data FROM snmp_interfaces WHERE device_id = ?1 ORDER BY if_index",
    )?;
    let rows = stmt
        .query_map([id], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|t| serde_json::from_str(&t).ok())
        .collect();
    Ok(Some(rows))
}

/// Everything the SNMP job judges: every device with its interfaces, and the register.
pub fn inputs(c: &Connection) -> anyhow::Result<(Vec<DeviceState>, Vec<RegisterEntry>)> {
    let mut stmt = c.prepare(
        "SELECT id, agent_id, opd, ts, last_reachable, device FROM snmp_devices ORDER BY id",
    )?;
    let heads = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut devices = Vec::with_capacity(heads.len());
    for (id, agent_id, opd, ts, last, dev) in heads {
        let mut device: SnmpDevice = serde_json::from_str(&dev)?;
        device.interfaces = interfaces(c, id)?.unwrap_or_default();
        devices.push(DeviceState {
            id,
            agent_id,
            opd,
            ts: time(&ts).unwrap_or_default(),
            last_reachable: last.as_deref().and_then(time),
            device,
        });
    }
    // MACs learned for an asset are those of the host reconciliation matched to it; its IP
    // is the equipment mapping's.
    let mut stmt = c.prepare(
        "SELECT a.key, a.kode_lokasi, a.nomor_pabrik, h.facts, e.ip
         FROM assets a
         LEFT JOIN reconcile_assets r ON r.key = a.key
         LEFT JOIN hosts h ON h.agent_id = r.agent_id
         LEFT JOIN snmp_equipment e ON e.asset_key = a.key
         WHERE a.removed_at IS NULL",
    )?;
    let register = stmt
        .query_map([], |r| {
            Ok(RegisterEntry {
                key: r.get(0)?,
                opd: r.get(1)?,
                nomor_pabrik: r.get(2)?,
                macs: r
                    .get::<_, Option<String>>(3)?
                    .and_then(|f| serde_json::from_str::<super::facts::Observed>(&f).ok())
                    .map(|o| o.macs)
                    .unwrap_or_default(),
                ip: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((devices, register))
}

/// The SNMP job's result: matches replace the previous ones, flags of the SNMP kinds sync.
pub fn save(
    c: &mut Connection,
    findings: &[Finding],
    matches: &[AssetMatch],
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let tx = c.transaction()?;
    tx.execute(
        "UPDATE snmp_devices SET asset_key = NULL, match_rule = NULL, match_value = NULL",
        [],
    )?;
    for m in matches {
        tx.execute(
            "UPDATE snmp_devices SET asset_key = ?2, match_rule = ?3, match_value = ?4 WHERE id = ?1",
            params![m.device_id, m.asset_key, m.rule, m.value],
        )?;
    }
    let synced = flags::sync(&tx, &FlagKind::SNMP, findings, now, CLEARED_SNMP)?;
    tx.commit()?;
    Ok(NetworkRun {
        at: now,
        findings: findings.len(),
        opened: synced.opened,
        reopened: synced.reopened,
        resolved: synced.resolved,
    })
}
