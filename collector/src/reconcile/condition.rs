//! Health evidence to a suggested BMD condition. The thresholds are documented in
//! docs/reconciliation.md and configurable in `[condition]`.

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
}

impl Default for ConditionConfig {
    fn default() -> Self {
        ConditionConfig {
            battery_weak_pct: 60.0,
            unclean_shutdowns: 3,
            unclean_window_days: 30,
            nvme_used_pct: 90,
        }
    }
}

/// Suggest a condition from the latest inventory's health evidence and battery.
pub fn suggest(
    _health: &pantau_proto::body::Health,
    _battery: Option<&pantau_proto::body::inventory::BatteryInfo>,
    _now: chrono::DateTime<chrono::Utc>,
    _cfg: &ConditionConfig,
) -> Suggestion {
    todo!("condition suggestion")
}
