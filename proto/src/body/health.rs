//! `inventory.health`: evidence about the machine's physical condition, from which the
//! collector suggests a BMD condition (Baik / Kurang Baik / Rusak Ringan / Rusak Berat).
//!
//! The agent reports facts only (counters and the drive's own verdict); thresholds and the
//! suggestion live in the collector (`collector/src/reconcile/condition.rs`), so a city can
//! tune them without touching agents. Battery wear is `inventory.battery`.
//!
//! Sent inside the inventory: it changes slowly, and the inventory is already sent at start,
//! daily and on change. Counters that creep (power-on hours, temperatures) are left out of
//! the agent's change detection; a changed verdict or a new error count is a change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Health {
    /// One entry per physical disk the agent could inspect.
    pub disks: Vec<DiskHealth>,
    pub thermal: ThermalHealth,
    pub shutdowns: ShutdownHealth,
}

/// Where a disk's health figures came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthSource {
    /// `smartctl --json` (smartmontools), run by the agent or by the root-owned timer.
    Smartctl,
    /// Only what /sys exposes (SCSI error counters); no SMART verdict.
    Sysfs,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiskHealth {
    /// Kernel name (`sda`, `nvme0n1`), matching `inventory.disks[].name`.
    pub name: String,
    pub serial: Option<String>,
    pub source: HealthSource,
    /// The drive's own overall verdict (SMART overall-health self-assessment). `Some(false)`
    /// means the drive itself predicts failure.
    pub smart_passed: Option<bool>,
    /// ATA attribute 5: sectors remapped after errors.
    pub reallocated_sectors: Option<u64>,
    /// ATA attribute 197: sectors waiting to be remapped (unreadable now).
    pub pending_sectors: Option<u64>,
    /// ATA attribute 198: sectors that could not be read or corrected offline.
    pub offline_uncorrectable: Option<u64>,
    /// NVMe `percentage_used`: share of rated endurance consumed, may exceed 100.
    pub percent_used: Option<u32>,
    /// NVMe `critical_warning` bit field; non-zero is a controller-raised alarm.
    pub critical_warning: Option<u32>,
    /// NVMe media and data integrity errors.
    pub media_errors: Option<u64>,
    pub power_on_hours: Option<u64>,
    pub temperature_c: Option<f64>,
    /// SCSI layer I/O errors since boot (`/sys/block/*/device/ioerr_cnt`).
    pub io_errors: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThermalHealth {
    /// Highest temperature any sensor showed at collection time.
    pub max_temp_c: Option<f64>,
    /// Sensors at or above their own critical threshold at collection time.
    pub sensors_over_critical: u32,
    /// CPU thermal throttling events since boot, summed over cores
    /// (`/sys/devices/system/cpu/cpu*/thermal_throttle/core_throttle_count`).
    pub throttle_events: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShutdownHealth {
    /// Boots the agent has seen (boot ids), since its state directory was created.
    pub boots_seen: u32,
    /// Boots that followed a boot in which the agent was never stopped cleanly: power cuts,
    /// hard resets, kernel panics, freezes.
    pub unclean_total: u32,
    /// When the most recent unclean shutdowns were detected (at the next boot), newest last,
    /// at most 20.
    pub unclean_recent: Vec<DateTime<Utc>>,
}

impl ShutdownHealth {
    /// Unclean shutdowns detected within `days` before `now`.
    pub fn unclean_within(&self, now: DateTime<Utc>, days: i64) -> usize {
        let since = now - chrono::Duration::days(days);
        self.unclean_recent.iter().filter(|t| **t >= since).count()
    }
}
