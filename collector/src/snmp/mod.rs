//! SNMP (issue 5): what the pollers saw, judged into flags, and matched with the register.
//! A pure function over the latest state of every polled device ([`find`]); the job
//! (`crate::snmpwatch`) loads it from the store and syncs the SNMP flag kinds only.

pub mod equipment;
pub mod matching;
pub mod profiles;
#[cfg(test)]
mod tests;

use crate::reconcile::rules::norm_serial;
use crate::reconcile::{Finding, FlagKind, SubjectKind};
use chrono::{DateTime, Utc};
use pantau_proto::body::snmp::SnmpDevice;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `[snmp]` in collector.toml: thresholds of the SNMP flags (docs/snmp.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SnmpJudgeConfig {
    /// Seconds between runs of the SNMP job.
    pub interval_s: u64,
    /// Errors + discards per second on one interface (in and out together) that raise
    /// `interface_errors`.
    pub errors_per_s: f64,
    /// A printer supply at or below this percentage raises `printer_supply_low`.
    pub supply_low_pct: f64,
    /// Devices whose newest report is older than this are not judged (the poller itself is
    /// silent, which reconciliation reports).
    pub stale_after_s: u64,
    /// Credential profiles targets refer to by name (`[snmp.profiles.NAME]`, see
    /// [`profiles`]); resolved once at load into [`crate::config::CollectorConfig::snmp_profiles`].
    pub profiles: std::collections::BTreeMap<String, profiles::ProfileConfig>,
}

impl Default for SnmpJudgeConfig {
    fn default() -> Self {
        SnmpJudgeConfig {
            interval_s: 60,
            errors_per_s: 1.0,
            supply_low_pct: 10.0,
            stale_after_s: 3600,
            profiles: Default::default(),
        }
    }
}

/// The latest state of one polled device, as stored.
#[derive(Debug, Clone)]
pub struct DeviceState {
    pub id: i64,
    pub agent_id: String,
    pub opd: String,
    pub ts: DateTime<Utc>,
    pub last_reachable: Option<DateTime<Utc>>,
    pub device: SnmpDevice,
}

/// A register entry a device can match.
#[derive(Debug, Clone, Default)]
pub struct RegisterEntry {
    pub key: String,
    pub opd: String,
    pub nomor_pabrik: Option<String>,
    /// MACs learned for the asset: the NICs of the host reconciliation matched to it.
    pub macs: Vec<String>,
    /// Its address in the SNMP equipment mapping.
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetMatch {
    pub device_id: i64,
    pub asset_key: String,
    /// `target`, `serial`, `mac` or `ip` ([`matching`]).
    pub rule: String,
    /// What matched: the target name, the serial, the MAC or the IP.
    pub value: String,
}

#[derive(Debug, Clone, Default)]
pub struct Judged {
    pub findings: Vec<Finding>,
    pub matches: Vec<AssetMatch>,
}

/// SNMP credentials in a config layer or merged config shown on the API become `***`: they
/// are for the poller, not for whoever reads the configuration.
pub fn redact_secrets(v: &mut serde_json::Value) {
    if let Some(serde_json::Value::Array(targets)) = v.pointer_mut("/snmp/targets") {
        for t in targets {
            if let Some(serde_json::Value::Object(c)) = t.get_mut("credentials") {
                for k in ["community", "auth_password", "priv_password"] {
                    if let Some(x) = c.get_mut(k) {
                        *x = "***".into();
                    }
                }
            }
        }
    }
}

/// The serial numbers a device reports: chassis first, then other entities, then the
/// printer's.
pub fn serials(d: &SnmpDevice) -> Vec<String> {
    let mut ents: Vec<_> = d.entities.iter().collect();
    ents.sort_by_key(|e| (e.class != "chassis", e.index));
    ents.iter()
        .map(|e| e.serial.as_str())
        .chain(d.printer.iter().map(|p| p.serial.as_str()))
        .filter_map(norm_serial)
        .collect()
}

fn subject(s: &DeviceState) -> String {
    format!("{}/{}", s.agent_id, s.device.target)
}

fn finding(
    s: &DeviceState,
    kind: FlagKind,
    subj: String,
    summary: String,
    evidence: serde_json::Value,
    fp: String,
) -> Finding {
    Finding {
        kind,
        subject_kind: SubjectKind::SnmpDevice,
        subject: subj,
        opd: s.opd.clone(),
        summary,
        evidence,
        fingerprint: fp,
    }
}

pub fn find(
    devices: &[DeviceState],
    register: &[RegisterEntry],
    cfg: &SnmpJudgeConfig,
    now: DateTime<Utc>,
) -> Judged {
    let mut out = Judged::default();
    let index = matching::Index::new(register);
    for s in devices {
        let d = &s.device;
        out.matches.extend(index.find(s));

        if (now - s.ts).num_seconds() > cfg.stale_after_s as i64 {
            continue;
        }
        let subj = subject(s);
        let name = if d.system.name.is_empty() {
            d.target.clone()
        } else {
            d.system.name.clone()
        };
        if !d.reachable {
            out.findings.push(finding(
                s,
                FlagKind::SnmpUnreachable,
                subj.clone(),
                format!(
                    "{name} ({}) tidak menjawab SNMP: {}",
                    d.address,
                    d.error.clone().unwrap_or_default()
                ),
                json!({"address": d.address, "error_kind": d.error_kind, "error": d.error,
                       "last_reachable": s.last_reachable, "polled_at": s.ts}),
                // One flag per outage: a new one after the device came back.
                format!(
                    "since:{}",
                    s.last_reachable.map(|t| t.to_rfc3339()).unwrap_or_default()
                ),
            ));
            continue;
        }
        for i in &d.interfaces {
            let isubj = format!("{subj}#{}", i.name);
            let bad = i.errors_per_s.unwrap_or(0.0) + i.discards_per_s.unwrap_or(0.0);
            if bad > cfg.errors_per_s {
                out.findings.push(finding(
                    s,
                    FlagKind::InterfaceErrors,
                    isubj.clone(),
                    format!(
                        "{name} {}: {bad:.1} error/discard per detik (ambang {})",
                        i.name, cfg.errors_per_s
                    ),
                    json!({"interface": i.name, "alias": i.alias, "errors_per_s": i.errors_per_s,
                           "discards_per_s": i.discards_per_s, "in_errors": i.in_errors,
                           "out_errors": i.out_errors, "in_discards": i.in_discards,
                           "out_discards": i.out_discards, "threshold_per_s": cfg.errors_per_s}),
                    "errors".into(),
                ));
            }
            if i.uplink && i.admin_up && i.oper_status != "up" {
                out.findings.push(finding(
                    s,
                    FlagKind::UplinkDown,
                    isubj,
                    format!(
                        "{name}: uplink {} ({}) berstatus {}",
                        i.name, i.alias, i.oper_status
                    ),
                    json!({"interface": i.name, "alias": i.alias, "oper_status": i.oper_status,
                           "admin_up": i.admin_up, "uptime_ticks": d.system.uptime_ticks}),
                    "down".into(),
                ));
            }
        }
        if let Some(p) = &d.printer {
            let low: Vec<_> = p
                .supplies
                .iter()
                .filter(|x| x.level_pct.is_some_and(|l| l <= cfg.supply_low_pct))
                .collect();
            if !low.is_empty() {
                let names: Vec<_> = low
                    .iter()
                    .map(|x| format!("{} {:.0}%", x.description, x.level_pct.unwrap_or(0.0)))
                    .collect();
                out.findings.push(finding(
                    s,
                    FlagKind::PrinterSupplyLow,
                    subj.clone(),
                    format!("{name}: persediaan hampir habis: {}", names.join(", ")),
                    json!({"supplies": low, "threshold_pct": cfg.supply_low_pct, "page_count": p.page_count}),
                    low.iter().map(|x| x.index.to_string()).collect::<Vec<_>>().join(","),
                ));
            }
        }
        if let Some(u) = &d.ups {
            if u.on_battery {
                out.findings.push(finding(
                    s,
                    FlagKind::UpsOnBattery,
                    subj.clone(),
                    format!("{name}: UPS berjalan dengan baterai, sisa {} menit", u.minutes_remaining.map_or("?".into(), |m| m.to_string())),
                    json!({"output_source": u.output_source, "seconds_on_battery": u.seconds_on_battery,
                           "minutes_remaining": u.minutes_remaining, "charge_pct": u.charge_pct,
                           "battery_status": u.battery_status}),
                    "battery".into(),
                ));
            }
            // Also condition evidence: a UPS that needs a battery is Rusak Ringan at best.
            if u.battery_bad || u.battery_status == "depleted" {
                out.findings.push(finding(
                    s,
                    FlagKind::UpsBatteryReplace,
                    subj.clone(),
                    format!("{name}: baterai UPS perlu diganti (status {})", u.battery_status),
                    json!({"battery_status": u.battery_status, "battery_bad_alarm": u.battery_bad,
                           "charge_pct": u.charge_pct, "battery_temperature_c": u.battery_temperature_c,
                           "suggested_kondisi": "Rusak Ringan"}),
                    "replace".into(),
                ));
            }
        }
    }
    out
}
