//! Store side of the network (issue 4): what ingest keeps of net and discovery reports, the
//! IP plan, what the network job reads, and its flag sync.

use super::facts::Observed;
use super::flags;
use crate::network::{
    self, GatewaySample, HostNet, LanDevice, LatestNet, NetworkConfig, NicAddress, PlanEntry,
};
use crate::reconcile::{Finding, FlagKind};
use crate::store::{points, NetworkRun};
use chrono::{DateTime, Duration, Utc};
use pantau_proto::body::{DiscoveryReport, Inventory, NetReport};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;

fn time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The addresses of the up NICs of an inventory, with their MACs.
pub fn addresses_of(inv: &Inventory) -> Vec<NicAddress> {
    inv.nics
        .iter()
        .filter(|n| n.up)
        .flat_map(|n| {
            n.addresses.iter().map(|a| NicAddress {
                mac: n.mac.clone(),
                ip: a.split('/').next().unwrap_or(a).to_string(),
            })
        })
        .collect()
}

/// A net report: points for the series, and the host's current state if it is the newest.
pub fn net(
    tx: &Transaction,
    agent: &str,
    sent: DateTime<Utc>,
    r: &NetReport,
) -> anyhow::Result<()> {
    let ts = r.ts.unwrap_or(sent);
    let mut stmt = tx
        .prepare_cached("INSERT INTO points (agent_id, name, ts, value) VALUES (?1, ?2, ?3, ?4)")?;
    let mut err = None;
    points::of_net(r, |name, value| {
        if err.is_none() && value.is_finite() {
            if let Err(e) = stmt.execute(params![agent, name, ts.timestamp(), value]) {
                err = Some(e);
            }
        }
    });
    if let Some(e) = err {
        return Err(e.into());
    }
    tx.execute(
        "UPDATE hosts SET net = ?2, net_ts = ?3
         WHERE agent_id = ?1 AND (net_ts IS NULL OR net_ts <= ?3)",
        params![agent, serde_json::to_string(r)?, ts.to_rfc3339()],
    )?;
    Ok(())
}

/// A discovery report: upsert one `lan_devices` row per (OPD, MAC, IP). The OPD is the
/// scout's from enrollment, never what the report says.
pub fn discovery(
    tx: &Transaction,
    agent: &str,
    sent: DateTime<Utc>,
    d: &DiscoveryReport,
) -> anyhow::Result<()> {
    let opd = super::query::agent_opd(tx, agent)?;
    let ts = d.ts.unwrap_or(sent);
    for dev in &d.devices {
        // A malformed entry is skipped, not stored: the rest of the report is still good.
        let Some(mac) = network::normalize_mac(&dev.mac) else {
            continue;
        };
        if dev.ip.parse::<std::net::IpAddr>().is_err() {
            continue;
        }
        let first = dev.first_seen.unwrap_or(ts);
        let last = dev.last_seen.unwrap_or(ts);
        let old: Option<(String, String, String)> = tx
            .query_row(
                "SELECT first_seen, last_seen, seen_by FROM lan_devices
                 WHERE opd = ?1 AND mac = ?2 AND ip = ?3",
                params![opd, mac, dev.ip],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (first, last, mut seen_by) = match old {
            None => (first, last, Vec::new()),
            Some((f, l, by)) => (
                time(&f).map_or(first, |f| f.min(first)),
                time(&l).map_or(last, |l| l.max(last)),
                serde_json::from_str::<Vec<String>>(&by).unwrap_or_default(),
            ),
        };
        if !seen_by.iter().any(|a| a == agent) {
            seen_by.push(agent.to_string());
            seen_by.sort();
        }
        tx.execute(
            "INSERT OR REPLACE INTO lan_devices (opd, mac, ip, first_seen, last_seen, seen_by, vendor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                opd,
                mac,
                dev.ip,
                first.to_rfc3339(),
                last.to_rfc3339(),
                serde_json::to_string(&seen_by)?,
                network::vendor(&mac)
            ],
        )?;
    }
    Ok(())
}

pub fn plan(c: &Connection) -> anyhow::Result<Vec<PlanEntry>> {
    let mut stmt = c.prepare("SELECT opd, cidr, note FROM ip_plan ORDER BY opd, cidr")?;
    let rows = stmt.query_map([], |r| {
        Ok(PlanEntry {
            opd: r.get(0)?,
            cidr: r.get(1)?,
            note: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replace the whole plan; the entries were validated by the caller (`network::plan`), and
/// are checked again here so no path can store a bad one.
pub fn replace_plan(c: &mut Connection, entries: &[PlanEntry]) -> anyhow::Result<usize> {
    let entries = match network::plan::validate(entries, |i| format!("range[{i}]")) {
        Ok(v) => v,
        Err(errors) => crate::refuse!("{}", errors.join("; ")),
    };
    let tx = c.transaction()?;
    tx.execute("DELETE FROM ip_plan", [])?;
    for e in &entries {
        tx.execute(
            "INSERT INTO ip_plan (opd, cidr, note) VALUES (?1, ?2, ?3)",
            params![e.opd, e.cidr, e.note],
        )?;
    }
    tx.commit()?;
    Ok(entries.len())
}

pub fn devices(
    c: &Connection,
    opd: Option<&str>,
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<LanDevice>> {
    let mut stmt = c.prepare(
        "SELECT opd, mac, ip, first_seen, last_seen, seen_by, vendor FROM lan_devices
         WHERE (?1 IS NULL OR opd = ?1) ORDER BY opd, ip, mac",
    )?;
    let rows = stmt.query_map(params![opd], |r| {
        Ok(LanDevice {
            opd: r.get(0)?,
            mac: r.get(1)?,
            ip: r.get(2)?,
            first_seen: time(&r.get::<_, String>(3)?).unwrap_or_default(),
            last_seen: time(&r.get::<_, String>(4)?).unwrap_or_default(),
            seen_by: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
            vendor: r.get(6)?,
        })
    })?;
    let mut out: Vec<LanDevice> = rows.collect::<Result<_, _>>()?;
    if let Some(since) = since {
        out.retain(|d| d.last_seen >= since);
    }
    Ok(out)
}

pub fn latest(c: &Connection) -> anyhow::Result<Vec<LatestNet>> {
    let mut stmt = c.prepare(
        "SELECT h.agent_id, a.opd, h.net_ts, h.net FROM hosts h JOIN agents a USING (agent_id)
         WHERE h.net IS NOT NULL AND a.revoked_at IS NULL ORDER BY a.opd, h.agent_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (agent_id, opd, ts, body) = row?;
        let (Some(ts), Ok(report)) = (time(&ts), serde_json::from_str(&body)) else {
            continue;
        };
        out.push(LatestNet {
            agent_id,
            opd,
            ts,
            report,
        });
    }
    Ok(out)
}

/// Everything the network judge reads, as one snapshot (the caller holds a transaction).
pub fn inputs(
    c: &Connection,
    now: DateTime<Utc>,
    config: &NetworkConfig,
) -> anyhow::Result<network::Inputs> {
    let mut hosts = Vec::new();
    {
        let mut stmt = c.prepare(
            "SELECT h.agent_id, a.opd, h.ip, h.addresses, h.facts, h.last_seen
             FROM hosts h JOIN agents a USING (agent_id) WHERE a.revoked_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        for row in rows {
            let (agent_id, opd, ip, addresses, facts, last_seen) = row?;
            hosts.push(HostNet {
                agent_id,
                opd,
                ip,
                addresses: addresses
                    .and_then(|a| serde_json::from_str(&a).ok())
                    .unwrap_or_default(),
                macs: facts
                    .and_then(|f| serde_json::from_str::<Observed>(&f).ok())
                    .map(|o| o.macs)
                    .unwrap_or_default(),
                last_seen: last_seen.as_deref().and_then(time),
            });
        }
    }
    let device_since = now
        - Duration::hours(config.device_window_h as i64)
            .max(Duration::seconds(config.conflict_window_s as i64));
    let register_macs = {
        let mut stmt = c.prepare(
            "SELECT nomor_pabrik FROM assets WHERE removed_at IS NULL AND nomor_pabrik IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut v = Vec::new();
        for r in rows {
            v.extend(network::normalize_mac(&r?));
        }
        v
    };
    // Enough rounds to find where a bad streak began, not the whole history.
    let lookback = config.round_s.max(1) as i64 * (config.rounds.max(1) as i64 * 10);
    let mut gateway: HashMap<(String, i64), GatewaySample> = HashMap::new();
    {
        let mut stmt = c.prepare(
            "SELECT p.agent_id, a.opd, p.name, p.ts, p.value
             FROM points p JOIN agents a USING (agent_id)
             WHERE p.ts >= ?1 AND p.name IN ('net_loss:gateway', 'net_rtt:gateway')",
        )?;
        let rows = stmt.query_map([now.timestamp() - lookback], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, f64>(4)?,
            ))
        })?;
        for row in rows {
            let (agent_id, opd, name, ts, value) = row?;
            let s = gateway
                .entry((agent_id.clone(), ts))
                .or_insert_with(|| GatewaySample {
                    opd,
                    agent_id,
                    ts: DateTime::from_timestamp(ts, 0).unwrap_or_default(),
                    loss_pct: 100.0,
                    rtt_ms: None,
                });
            if name == "net_loss:gateway" {
                s.loss_pct = value;
            } else {
                s.rtt_ms = Some(value);
            }
        }
    }
    let degraded = {
        let mut stmt = c.prepare("SELECT opd, degraded_since FROM network_state")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut m = network::DegradedState::new();
        for r in rows {
            let (opd, since) = r?;
            m.extend(time(&since).map(|t| (opd, t)));
        }
        m
    };
    Ok(network::Inputs {
        now,
        config: config.clone(),
        plan: plan(c)?,
        hosts,
        devices: devices(c, None, Some(device_since))?,
        register_macs,
        gateway: gateway.into_values().collect(),
        latest: latest(c)?,
        degraded,
    })
}

pub const CLEARED_NETWORK: &str = "masalah tidak lagi ditemukan oleh pemeriksaan jaringan";

/// Store the job's result: network flags in line with `findings` (network kinds only) and
/// the hysteresis state, in one transaction.
pub fn save(
    c: &mut Connection,
    findings: &[Finding],
    degraded: &network::DegradedState,
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let tx = c.transaction()?;
    let synced = flags::sync(&tx, &FlagKind::NETWORK, findings, now, CLEARED_NETWORK)?;
    tx.execute("DELETE FROM network_state", [])?;
    for (opd, since) in degraded {
        tx.execute(
            "INSERT INTO network_state (opd, degraded_since) VALUES (?1, ?2)",
            params![opd, since.to_rfc3339()],
        )?;
    }
    tx.commit()?;
    Ok(NetworkRun {
        at: now,
        findings: findings.len(),
        opened: synced.opened,
        reopened: synced.reopened,
        resolved: synced.resolved,
    })
}
