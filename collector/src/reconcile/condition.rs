//! Health evidence to a suggested BMD condition. The thresholds are documented in
//! docs/reconciliation.md and configurable in `[condition]`.
//!
//! | evidence | suggests | why |
//! |---|---|---|
//! | the disk's own SMART verdict is FAILED (`smart_passed == false`) | Rusak Berat | the drive itself predicts failure within a day |
//! | NVMe `critical_warning` has any bit but temperature (spare exhausted, reliability degraded, read-only, backup failed) | Rusak Berat | the controller says the media can no longer be trusted |
//! | NVMe `critical_warning` has only the temperature bit | Kurang Baik | the drive is too hot (cooling, dust), not worn |
//! | NVMe `percentage_used` ≥ 100 | Rusak Berat | rated endurance exhausted: the vendor no longer promises the data |
//! | pending + offline-uncorrectable sectors ≥ `unreadable_sectors_severe` (50) | Rusak Berat | dozens of sectors unreadable *now*: data is being lost, not only at risk |
//! | any reallocated, pending or offline-uncorrectable sector (> 0) | Kurang Baik | Backblaze's drive statistics: a drive with any of SMART 5/197/198 non-zero fails several times more often than one with none; the first bad sector is the time to plan a replacement |
//! | NVMe media errors > 0, or SCSI I/O errors since boot > 0 | Kurang Baik | the drive returned unreadable data; a cable or port can cause I/O errors too, hence not worse |
//! | NVMe `percentage_used` ≥ `nvme_used_pct` (90) | Kurang Baik | near the end of rated endurance |
//! | battery full capacity < `battery_weak_pct` (60 %) of design | Kurang Baik | a laptop that lasts under ~60 % of its rated time no longer works away from a socket; vendors replace batteries under warranty below 60-80 % |
//! | any sensor at or above its own critical temperature | Kurang Baik | cooling has failed (fan, dust, dried paste) and the machine throttles or shuts down |
//! | unclean shutdowns within `unclean_window_days` (30) ≥ `unclean_shutdowns` (3) | Kurang Baik | freezes and resets; power cuts cause them too, which is why this is never worse than Kurang Baik |
//!
//! The worst evidence decides the suggestion; all of it is listed. The step between Baik and
//! Rusak Berat is suggested as Kurang Baik, the Permendagri 19/2016 word (SIMDA's Rusak
//! Ringan has the same severity, [`Condition::severity`]).

use crate::register::Condition;
use serde::{Deserialize, Serialize};

/// One piece of evidence behind a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was measured, e.g. `disk sda reallocated_sectors`.
    pub what: String,
    pub value: serde_json::Value,
    /// The threshold it crossed, in words (`> 0`, `< 60 %`).
    pub threshold: String,
    /// The condition this evidence alone suggests.
    pub suggests: Condition,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub condition: Condition,
    /// Empty for Baik.
    pub evidence: Vec<Evidence>,
}

/// `[condition]` in collector.toml: the thresholds behind a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConditionConfig {
    /// Battery full capacity below this share of design capacity suggests Kurang Baik.
    pub battery_weak_pct: f64,
    /// Unclean shutdowns within `unclean_window_days` at or above this suggest Kurang Baik.
    pub unclean_shutdowns: u32,
    pub unclean_window_days: u32,
    /// NVMe endurance used at or above this suggests Kurang Baik.
    pub nvme_used_pct: u32,
    /// Pending plus offline-uncorrectable sectors at or above this suggest Rusak Berat.
    pub unreadable_sectors_severe: u64,
}

impl Default for ConditionConfig {
    fn default() -> Self {
        ConditionConfig {
            battery_weak_pct: 60.0,
            unclean_shutdowns: 3,
            unclean_window_days: 30,
            nvme_used_pct: 90,
            unreadable_sectors_severe: 50,
        }
    }
}

/// NVMe critical warning bit 1: a temperature threshold was crossed.
const NVME_WARN_TEMPERATURE: u32 = 0x02;

/// Suggest a condition from the latest inventory's health evidence and battery.
pub fn suggest(
    health: &pantau_proto::body::Health,
    battery: Option<&pantau_proto::body::inventory::BatteryInfo>,
    now: chrono::DateTime<chrono::Utc>,
    cfg: &ConditionConfig,
) -> Suggestion {
    use serde_json::json;
    use Condition::{KurangBaik, RusakBerat};
    let mut ev: Vec<Evidence> = Vec::new();
    let mut push = |what: String, value: serde_json::Value, threshold: &str, suggests| {
        ev.push(Evidence {
            what,
            value,
            threshold: threshold.to_string(),
            suggests,
        })
    };
    for d in &health.disks {
        let disk = |what: &str| format!("disk {}: {what}", d.name);
        if d.smart_passed == Some(false) {
            push(
                disk("status SMART GAGAL"),
                json!(false),
                "= gagal",
                RusakBerat,
            );
        }
        if let Some(w) = d.critical_warning.filter(|w| *w != 0) {
            let severe = w & !NVME_WARN_TEMPERATURE != 0;
            let (what, cond) = if severe {
                ("peringatan kritis NVMe", RusakBerat)
            } else {
                ("peringatan suhu NVMe", KurangBaik)
            };
            push(disk(what), json!(w), "≠ 0", cond);
        }
        if let Some(p) = d.percent_used {
            if p >= 100 {
                push(
                    disk("umur pakai NVMe habis"),
                    json!(p),
                    "≥ 100 %",
                    RusakBerat,
                );
            } else if p >= cfg.nvme_used_pct {
                let t = format!("≥ {} %", cfg.nvme_used_pct);
                push(
                    disk("umur pakai NVMe hampir habis"),
                    json!(p),
                    &t,
                    KurangBaik,
                );
            }
        }
        let unreadable = d.pending_sectors.unwrap_or(0) + d.offline_uncorrectable.unwrap_or(0);
        if unreadable >= cfg.unreadable_sectors_severe.max(1) {
            let t = format!("≥ {}", cfg.unreadable_sectors_severe);
            push(
                disk("sektor tak terbaca (pending + uncorrectable)"),
                json!(unreadable),
                &t,
                RusakBerat,
            );
        }
        let counters = [
            (d.reallocated_sectors, "sektor realokasi"),
            (d.pending_sectors, "sektor pending"),
            (d.offline_uncorrectable, "sektor tak terkoreksi"),
            (d.media_errors, "galat media NVMe"),
            (d.io_errors, "galat I/O sejak boot"),
        ];
        for (value, what) in counters {
            if let Some(v) = value.filter(|v| *v > 0) {
                push(disk(what), json!(v), "> 0", KurangBaik);
            }
        }
    }
    if let Some(pct) = battery.and_then(|b| b.health_pct()) {
        if pct < cfg.battery_weak_pct {
            let name = battery.map(|b| b.name.as_str()).unwrap_or_default();
            let t = format!("< {} %", cfg.battery_weak_pct);
            let pct = (pct * 10.0).round() / 10.0;
            push(
                format!("baterai {name}: kapasitas penuh dibanding desain"),
                json!(pct),
                &t,
                KurangBaik,
            );
        }
    }
    let hot = health.thermal.sensors_over_critical;
    if hot > 0 {
        push(
            "sensor suhu di atas batas kritis".into(),
            json!(hot),
            "> 0",
            KurangBaik,
        );
    }
    let unclean = health
        .shutdowns
        .unclean_within(now, i64::from(cfg.unclean_window_days));
    if cfg.unclean_shutdowns > 0 && unclean >= cfg.unclean_shutdowns as usize {
        let t = format!(
            "≥ {} dalam {} hari",
            cfg.unclean_shutdowns, cfg.unclean_window_days
        );
        push("mati tidak normal".into(), json!(unclean), &t, KurangBaik);
    }
    let condition = ev
        .iter()
        .map(|e| e.suggests)
        .max_by_key(|c| c.severity())
        .unwrap_or(Condition::Baik);
    Suggestion {
        condition,
        evidence: ev,
    }
}
