//! Store side of the network (issue 4); the twin of `sqlite/network.rs`.

use super::{flags, ts, Tx};
use crate::network::{
    self, GatewaySample, HostNet, LanDevice, LatestNet, NetworkConfig, PlanEntry,
};
use crate::reconcile::{Finding, FlagKind};
use crate::store::sqlite::facts::Observed;
use crate::store::sqlite::network::CLEARED_NETWORK;
use crate::store::{points, NetworkRun};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::{Client, GenericClient};
use pantau_proto::body::{DiscoveryReport, NetReport};
use std::collections::HashMap;

fn time(s: &str) -> Option<DateTime<Utc>> {
    ts(Some(s.to_owned()))
}

/// A net report: points for the series, and the host's current state if it is the newest.
pub async fn net(
    tx: &Tx<'_>,
    agent: &str,
    sent: DateTime<Utc>,
    r: &NetReport,
) -> anyhow::Result<()> {
    let ts = r.ts.unwrap_or(sent);
    let mut pts = Vec::new();
    points::of_net(r, |name, value| {
        if value.is_finite() {
            pts.push((name, ts.timestamp(), value));
        }
    });
    super::insert_points(tx, agent, &pts).await?;
    tx.execute(
        "UPDATE hosts SET net = $2, net_ts = $3
         WHERE agent_id = $1 AND (net_ts IS NULL OR net_ts <= $3)",
        &[&agent, &serde_json::to_string(r)?, &ts.to_rfc3339()],
    )
    .await?;
    Ok(())
}

/// A discovery report: upsert one `lan_devices` row per (OPD, MAC, IP). The OPD is the
/// scout's from enrollment, never what the report says.
pub async fn discovery(
    tx: &Tx<'_>,
    agent: &str,
    sent: DateTime<Utc>,
    d: &DiscoveryReport,
) -> anyhow::Result<()> {
    let opd = super::query::agent_opd(tx, agent).await?;
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
            .query_opt(
                "SELECT first_seen, last_seen, seen_by FROM lan_devices
                 WHERE opd = $1 AND mac = $2 AND ip = $3",
                &[&opd, &mac, &dev.ip],
            )
            .await?
            .map(|r| (r.get(0), r.get(1), r.get(2)));
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
            "INSERT INTO lan_devices (opd, mac, ip, first_seen, last_seen, seen_by, vendor)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (opd, mac, ip) DO UPDATE SET first_seen = excluded.first_seen,
                 last_seen = excluded.last_seen, seen_by = excluded.seen_by,
                 vendor = excluded.vendor",
            &[
                &opd,
                &mac,
                &dev.ip,
                &first.to_rfc3339(),
                &last.to_rfc3339(),
                &serde_json::to_string(&seen_by)?,
                &network::vendor(&mac),
            ],
        )
        .await?;
    }
    Ok(())
}

pub async fn plan(c: &impl GenericClient) -> anyhow::Result<Vec<PlanEntry>> {
    let rows = c
        .query(
            "SELECT opd, cidr, note FROM ip_plan ORDER BY opd, cidr",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| PlanEntry {
            opd: r.get(0),
            cidr: r.get(1),
            note: r.get(2),
        })
        .collect())
}

/// Replace the whole plan, checked again here so no path can store a bad one.
pub async fn replace_plan(c: &mut Client, entries: &[PlanEntry]) -> anyhow::Result<usize> {
    let entries = match network::plan::validate(entries, |i| format!("range[{i}]")) {
        Ok(v) => v,
        Err(errors) => crate::refuse!("{}", errors.join("; ")),
    };
    let tx = c.transaction().await?;
    tx.execute("DELETE FROM ip_plan", &[]).await?;
    for e in &entries {
        tx.execute(
            "INSERT INTO ip_plan (opd, cidr, note) VALUES ($1, $2, $3)",
            &[&e.opd, &e.cidr, &e.note],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(entries.len())
}

pub async fn devices(
    c: &impl GenericClient,
    opd: Option<&str>,
    since: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<LanDevice>> {
    let rows = c
        .query(
            "SELECT opd, mac, ip, first_seen, last_seen, seen_by, vendor FROM lan_devices
             WHERE ($1::text IS NULL OR opd = $1) ORDER BY opd, ip, mac",
            &[&opd],
        )
        .await?;
    let mut out: Vec<LanDevice> = rows
        .iter()
        .map(|r| LanDevice {
            opd: r.get(0),
            mac: r.get(1),
            ip: r.get(2),
            first_seen: time(r.get(3)).unwrap_or_default(),
            last_seen: time(r.get(4)).unwrap_or_default(),
            seen_by: serde_json::from_str(r.get(5)).unwrap_or_default(),
            vendor: r.get(6),
        })
        .collect();
    if let Some(since) = since {
        out.retain(|d| d.last_seen >= since);
    }
    Ok(out)
}

pub async fn latest(c: &impl GenericClient) -> anyhow::Result<Vec<LatestNet>> {
    let rows = c
        .query(
            "SELECT h.agent_id, a.opd, h.net_ts, h.net FROM hosts h JOIN agents a USING (agent_id)
             WHERE h.net IS NOT NULL AND a.revoked_at IS NULL ORDER BY a.opd, h.agent_id",
            &[],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let (agent_id, opd, ts, body): (String, String, String, &str) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let (Some(ts), Ok(report)) = (time(&ts), serde_json::from_str(body)) else {
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
pub async fn inputs(
    c: &impl GenericClient,
    now: DateTime<Utc>,
    config: &NetworkConfig,
) -> anyhow::Result<network::Inputs> {
    let mut hosts = Vec::new();
    for r in &c
        .query(
            "SELECT h.agent_id, a.opd, h.ip, h.addresses, h.facts, h.last_seen
             FROM hosts h JOIN agents a USING (agent_id) WHERE a.revoked_at IS NULL",
            &[],
        )
        .await?
    {
        let (addresses, facts, last_seen): (Option<&str>, Option<&str>, Option<&str>) =
            (r.get(3), r.get(4), r.get(5));
        hosts.push(HostNet {
            agent_id: r.get(0),
            opd: r.get(1),
            ip: r.get(2),
            addresses: addresses
                .and_then(|a| serde_json::from_str(a).ok())
                .unwrap_or_default(),
            macs: facts
                .and_then(|f| serde_json::from_str::<Observed>(f).ok())
                .map(|o| o.macs)
                .unwrap_or_default(),
            last_seen: last_seen.and_then(time),
        });
    }
    let device_since = now
        - Duration::hours(config.device_window_h as i64)
            .max(Duration::seconds(config.conflict_window_s as i64));
    let mut register_macs = Vec::new();
    for r in &c
        .query(
            "SELECT nomor_pabrik FROM assets WHERE removed_at IS NULL AND nomor_pabrik IS NOT NULL",
            &[],
        )
        .await?
    {
        register_macs.extend(network::normalize_mac(r.get(0)));
    }
    // Enough rounds to find where a bad streak began, not the whole history.
    let lookback = config.round_s.max(1) as i64 * (config.rounds.max(1) as i64 * 10);
    let mut gateway: HashMap<(String, i64), GatewaySample> = HashMap::new();
    for r in &c
        .query(
            "SELECT p.agent_id, a.opd, p.name, p.ts, p.value
             FROM points p JOIN agents a USING (agent_id)
             WHERE p.ts >= $1 AND p.name IN ('net_loss:gateway', 'net_rtt:gateway')",
            &[&(now.timestamp() - lookback)],
        )
        .await?
    {
        let (agent_id, opd, name, ts, value): (String, String, &str, i64, f64) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
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
    let mut degraded = network::DegradedState::new();
    for r in &c
        .query("SELECT opd, degraded_since FROM network_state", &[])
        .await?
    {
        degraded.extend(time(r.get(1)).map(|t| (r.get(0), t)));
    }
    Ok(network::Inputs {
        now,
        config: config.clone(),
        plan: plan(c).await?,
        hosts,
        devices: devices(c, None, Some(device_since)).await?,
        register_macs,
        gateway: gateway.into_values().collect(),
        latest: latest(c).await?,
        degraded,
    })
}

/// Store the job's result: network flags and the hysteresis state, in one transaction.
pub async fn save(
    c: &mut Client,
    findings: &[Finding],
    degraded: &network::DegradedState,
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let tx = c.transaction().await?;
    let synced = flags::sync(&tx, &FlagKind::NETWORK, findings, now, CLEARED_NETWORK).await?;
    tx.execute("DELETE FROM network_state", &[]).await?;
    for (opd, since) in degraded {
        tx.execute(
            "INSERT INTO network_state (opd, degraded_since) VALUES ($1, $2)",
            &[opd, &since.to_rfc3339()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(NetworkRun {
        at: now,
        findings: findings.len(),
        opened: synced.opened,
        reopened: synced.reopened,
        resolved: synced.resolved,
    })
}
