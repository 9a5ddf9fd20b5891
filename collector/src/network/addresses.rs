//! Addresses: outside the OPD's plan, two MACs on one IP, and devices nobody knows.
//! All three enforce Perwali Kotamobagu Pasal 26 (Diskominfo assigns addresses).

use super::{normalize_mac, plan, Inputs};
use crate::reconcile::{Finding, FlagKind, SubjectKind};
use chrono::Duration;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;

/// An address worth judging: parsed, without prefix, not loopback, link-local or unspecified
/// (those are never assigned by anyone).
fn judged(ip: &str) -> Option<IpAddr> {
    let ip: IpAddr = ip.split('/').next()?.trim().parse().ok()?;
    let local = match ip {
        IpAddr::V4(a) => a.is_loopback() || a.is_link_local() || a.is_unspecified(),
        IpAddr::V6(a) => {
            a.is_loopback() || a.is_unspecified() || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    };
    (!local).then_some(ip)
}

/// The addresses of a host: its NICs', or `hosts.ip` when none were kept.
fn host_ips(h: &super::HostNet) -> Vec<String> {
    let mut v: Vec<String> = h.addresses.iter().map(|a| a.ip.clone()).collect();
    if v.is_empty() {
        v.extend(h.ip.clone());
    }
    v
}

/// The addresses among `ips` that fall outside every range of `opd`, for an OPD with a
/// plan. Only families the plan covers are judged: an IPv4-only plan says nothing about
/// IPv6 addresses.
fn outside(inputs: &Inputs, opd: &str, ips: &[String]) -> Vec<String> {
    let ranges: Vec<_> = plan::ranges_of(&inputs.plan, opd).collect();
    if ranges.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = ips
        .iter()
        .filter_map(|s| judged(s))
        .filter(|ip| ranges.iter().any(|r| r.addr().is_ipv4() == ip.is_ipv4()))
        .filter(|ip| !ranges.iter().any(|r| r.contains(ip)))
        .map(|ip| ip.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn ranges_text(inputs: &Inputs, opd: &str) -> Vec<String> {
    plan::ranges_of(&inputs.plan, opd)
        .map(|n| n.to_string())
        .collect()
}

/// Every MAC that belongs to an enrolled host.
fn agent_macs(inputs: &Inputs) -> HashSet<String> {
    inputs
        .hosts
        .iter()
        .flat_map(|h| {
            h.macs
                .iter()
                .cloned()
                .chain(h.addresses.iter().filter_map(|a| a.mac.clone()))
        })
        .filter_map(|m| normalize_mac(&m))
        .collect()
}

pub fn outside_plan(inputs: &Inputs) -> Vec<Finding> {
    let mut out = Vec::new();
    for h in &inputs.hosts {
        let bad = outside(inputs, &h.opd, &host_ips(h));
        if bad.is_empty() {
            continue;
        }
        out.push(Finding {
            kind: FlagKind::IpOutsidePlan,
            subject_kind: SubjectKind::Host,
            subject: h.agent_id.clone(),
            opd: h.opd.clone(),
            summary: format!("Alamat {} di luar rencana IP OPD {}", bad.join(", "), h.opd),
            evidence: json!({ "addresses": bad, "plan": ranges_text(inputs, &h.opd) }),
            fingerprint: bad.join(","),
        });
    }
    // A LAN device that is an agent's NIC is judged as that host, above.
    let agents = agent_macs(inputs);
    let since = inputs.now - Duration::hours(inputs.config.device_window_h as i64);
    for d in &inputs.devices {
        if d.last_seen < since || agents.contains(&d.mac) {
            continue;
        }
        let bad = outside(inputs, &d.opd, std::slice::from_ref(&d.ip));
        if bad.is_empty() {
            continue;
        }
        out.push(Finding {
            kind: FlagKind::IpOutsidePlan,
            subject_kind: SubjectKind::Mac,
            subject: d.mac.clone(),
            opd: d.opd.clone(),
            summary: format!(
                "Perangkat {} memakai {} di luar rencana IP OPD {}",
                d.mac, d.ip, d.opd
            ),
            evidence: json!({
                "addresses": bad, "plan": ranges_text(inputs, &d.opd),
                "vendor": d.vendor, "seen_by": d.seen_by, "last_seen": d.last_seen,
            }),
            fingerprint: bad.join(","),
        });
    }
    out
}

/// One IP with two or more MACs within the conflict window, per OPD LAN (private ranges
/// repeat across LANs, so the same IP in two OPDs is no conflict).
pub fn conflicts(inputs: &Inputs) -> Vec<Finding> {
    let since = inputs.now - Duration::seconds(inputs.config.conflict_window_s as i64);
    // (opd, ip) -> mac -> who saw it
    let mut seen: BTreeMap<(String, String), BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for d in inputs.devices.iter().filter(|d| d.last_seen >= since) {
        let Some(ip) = judged(&d.ip) else { continue };
        let by = seen
            .entry((d.opd.clone(), ip.to_string()))
            .or_default()
            .entry(d.mac.clone())
            .or_default();
        by.extend(d.seen_by.iter().map(|s| format!("scout:{s}")));
    }
    for h in &inputs.hosts {
        if h.last_seen.is_none_or(|t| t < since) {
            continue;
        }
        for a in &h.addresses {
            let (Some(ip), Some(mac)) = (judged(&a.ip), a.mac.as_deref().and_then(normalize_mac))
            else {
                continue;
            };
            seen.entry((h.opd.clone(), ip.to_string()))
                .or_default()
                .entry(mac)
                .or_default()
                .insert(format!("agent:{}", h.agent_id));
        }
    }
    let mut out = Vec::new();
    for ((opd, ip), macs) in seen {
        if macs.len() < 2 {
            continue;
        }
        let list: Vec<&String> = macs.keys().collect();
        out.push(Finding {
            kind: FlagKind::IpConflict,
            subject_kind: SubjectKind::Address,
            subject: format!("{opd}/{ip}"),
            opd: opd.clone(),
            summary: format!(
                "Alamat {ip} dipakai oleh {} MAC berbeda: {}",
                list.len(),
                list.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            evidence: json!({ "ip": ip, "macs": macs }),
            fingerprint: list
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
        });
    }
    out
}

/// A MAC a scout saw that is no agent's NIC, no register asset's MAC-like nomor pabrik and
/// not allow-listed.
pub fn rogue(inputs: &Inputs) -> Vec<Finding> {
    let mut known = agent_macs(inputs);
    known.extend(inputs.register_macs.iter().filter_map(|m| normalize_mac(m)));
    known.extend(
        inputs
            .config
            .allow_macs
            .iter()
            .filter_map(|m| normalize_mac(m)),
    );
    let since = inputs.now - Duration::hours(inputs.config.device_window_h as i64);
    // One flag per MAC, even when it shows up under several IPs.
    let mut by_mac: BTreeMap<&str, Vec<&super::LanDevice>> = BTreeMap::new();
    for d in inputs.devices.iter().filter(|d| d.last_seen >= since) {
        if !known.contains(&d.mac) {
            by_mac.entry(d.mac.as_str()).or_default().push(d);
        }
    }
    by_mac
        .into_iter()
        .map(|(mac, ds)| {
            let last = ds.iter().max_by_key(|d| d.last_seen).expect("not empty");
            let ips: BTreeSet<&str> = ds.iter().map(|d| d.ip.as_str()).collect();
            let vendor = last.vendor.clone();
            Finding {
                kind: FlagKind::RogueDevice,
                subject_kind: SubjectKind::Mac,
                subject: mac.to_string(),
                opd: last.opd.clone(),
                summary: format!(
                    "Perangkat tak dikenal {mac} ({}) di {}",
                    vendor.as_deref().unwrap_or("vendor tidak diketahui"),
                    ips.iter().copied().collect::<Vec<_>>().join(", ")
                ),
                evidence: json!({
                    "ips": ips, "vendor": vendor, "seen_by": last.seen_by,
                    "first_seen": ds.iter().map(|d| d.first_seen).min(),
                    "last_seen": last.last_seen,
                }),
                // The device itself: once an operator accepts it, it stays accepted.
                fingerprint: mac.to_string(),
            }
        })
        .collect()
}
