//! Store side of SNMP (issue 5); the twin of `sqlite/snmp.rs`.

use super::{flags, ts, Tx};
use crate::reconcile::{Finding, FlagKind};
use crate::snmp::{AssetMatch, DeviceState, RegisterEntry};
use crate::store::sqlite::snmp::{DeviceRow, CLEARED_SNMP};
use crate::store::NetworkRun;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Client, GenericClient};
use pantau_proto::body::snmp::{SnmpDevice, SnmpReport};

fn time(s: &str) -> Option<DateTime<Utc>> {
    ts(Some(s.to_owned()))
}

/// An `snmp` report: upsert each device if the report is not older than what is kept. The
/// OPD is the poller's from enrollment.
pub async fn report(
    tx: &Tx<'_>,
    agent: &str,
    sent: DateTime<Utc>,
    r: &SnmpReport,
) -> anyhow::Result<()> {
    let opd = super::query::agent_opd(tx, agent).await?;
    let ts = r.ts.unwrap_or(sent);
    for d in &r.devices {
        if d.target.is_empty() {
            continue;
        }
        let old: Option<(i64, String, Option<String>)> = tx
            .query_opt(
                "SELECT id, ts, last_reachable FROM snmp_devices WHERE agent_id = $1 AND target = $2",
                &[&agent, &d.target],
            )
            .await?
            .map(|r| (r.get(0), r.get(1), r.get(2)));
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
        let id: i64 = tx
            .query_one(
                "INSERT INTO snmp_devices (agent_id, opd, target, address, ts, reachable,
                                           last_reachable, device)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (agent_id, target) DO UPDATE SET opd = $2, address = $4, ts = $5,
                     reachable = $6, last_reachable = $7, device = $8
                 RETURNING id",
                &[
                    &agent,
                    &opd,
                    &d.target,
                    &d.address,
                    &ts.to_rfc3339(),
                    &(d.reachable as i64),
                    &last_reachable,
                    &serde_json::to_string(&head)?,
                ],
            )
            .await?
            .get(0);
        // An unreachable device keeps its last known interfaces.
        if d.reachable {
            tx.execute("DELETE FROM snmp_interfaces WHERE device_id = $1", &[&id])
                .await?;
            for i in &d.interfaces {
                tx.execute(
                    "INSERT INTO snmp_interfaces (device_id, if_index, data) VALUES ($1, $2, $3)
                     ON CONFLICT (device_id, if_index) DO UPDATE SET data = excluded.data",
                    &[&id, &(i.index as i64), &serde_json::to_string(i)?],
                )
                .await?;
            }
            super::snmp_history::record(tx, id, ts, &d.interfaces).await?;
        }
    }
    Ok(())
}

pub async fn devices(c: &impl GenericClient, opd: Option<&str>) -> anyhow::Result<Vec<DeviceRow>> {
    let rows = c
        .query(
            "SELECT id, agent_id, opd, target, address, ts, reachable, last_reachable, asset_key,
                    match_rule, device, match_value
             FROM snmp_devices WHERE $1::text IS NULL OR opd = $1 ORDER BY opd, target, agent_id",
            &[&opd],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut d = DeviceRow {
            id: r.get(0),
            agent_id: r.get(1),
            opd: r.get(2),
            target: r.get(3),
            address: r.get(4),
            polled_at: time(r.get(5)),
            reachable: r.get::<_, i64>(6) != 0,
            last_reachable: r.get::<_, Option<&str>>(7).and_then(time),
            asset_key: r.get(8),
            match_rule: r.get(9),
            match_value: r.get(11),
            interfaces: 0,
            interfaces_up: 0,
            max_utilization_pct: None,
            errors_per_s: 0.0,
            device: serde_json::from_str(r.get(10)).unwrap_or_default(),
        };
        for i in interfaces(c, d.id).await?.unwrap_or_default() {
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
pub async fn interfaces(
    c: &impl GenericClient,
    id: i64,
) -> anyhow::Result<Option<Vec<pantau_proto::body::snmp::SnmpInterface>>> {
    if c.query_opt("SELECT id FROM snmp_devices WHERE id = $1", &[&id])
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let rows = c
        .query(
            "SELECT data FROM snmp_interfaces WHERE device_id = $1 ORDER BY if_index",
            &[&id],
        )
        .await?;
    Ok(Some(
        rows.iter()
            .filter_map(|r| serde_json::from_str(r.get::<_, &str>(0)).ok())
            .collect(),
    ))
}

/// Everything the SNMP job judges: every device with its interfaces, and the register.
pub async fn inputs(
    c: &impl GenericClient,
) -> anyhow::Result<(Vec<DeviceState>, Vec<RegisterEntry>)> {
    let heads = c
        .query(
            "SELECT id, agent_id, opd, ts, last_reachable, device FROM snmp_devices ORDER BY id",
            &[],
        )
        .await?;
    let mut devices = Vec::with_capacity(heads.len());
    for r in &heads {
        let id: i64 = r.get(0);
        let mut device: SnmpDevice = serde_json::from_str(r.get(5))?;
        device.interfaces = interfaces(c, id).await?.unwrap_or_default();
        devices.push(DeviceState {
            id,
            agent_id: r.get(1),
            opd: r.get(2),
            ts: time(r.get(3)).unwrap_or_default(),
            last_reachable: r.get::<_, Option<&str>>(4).and_then(time),
            device,
        });
    }
    let register = c
        .query(
            "SELECT a.key, a.kode_lokasi, a.nomor_pabrik, h.facts, e.ip
             FROM assets a
             LEFT JOIN reconcile_assets r ON r.key = a.key
             LEFT JOIN hosts h ON h.agent_id = r.agent_id
             LEFT JOIN snmp_equipment e ON e.asset_key = a.key
             WHERE a.removed_at IS NULL",
            &[],
        )
        .await?
        .iter()
        .map(|r| RegisterEntry {
            key: r.get(0),
            opd: r.get(1),
            nomor_pabrik: r.get(2),
            macs: r
                .get::<_, Option<&str>>(3)
                .and_then(|f| serde_json::from_str::<crate::store::sqlite::facts::Observed>(f).ok())
                .map(|o| o.macs)
                .unwrap_or_default(),
            ip: r.get(4),
        })
        .collect();
    Ok((devices, register))
}

/// The SNMP job's result: matches replace the previous ones, flags of the SNMP kinds sync.
pub async fn save(
    c: &mut Client,
    findings: &[Finding],
    matches: &[AssetMatch],
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let tx = c.transaction().await?;
    tx.execute(
        "UPDATE snmp_devices SET asset_key = NULL, match_rule = NULL, match_value = NULL",
        &[],
    )
    .await?;
    for m in matches {
        tx.execute(
            "UPDATE snmp_devices SET asset_key = $2, match_rule = $3, match_value = $4 WHERE id = $1",
            &[&m.device_id, &m.asset_key, &m.rule, &m.value],
        )
        .await?;
    }
    let synced = flags::sync(&tx, &FlagKind::SNMP, findings, now, CLEARED_SNMP).await?;
    tx.commit().await?;
    Ok(NetworkRun {
        at: now,
        findings: findings.len(),
        opened: synced.opened,
        reopened: synced.reopened,
        resolved: synced.resolved,
    })
}
