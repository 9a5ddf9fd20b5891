//! `metrics`: a batch of utilization samples.
//!
//! Rates (`_ps`, `_bps`) are per second over the interval before `ts`; counters named `_total`
//! are since boot. A sample that could not read a source leaves that list empty or the field
//! absent rather than inventing zeros.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsBatch {
    /// Seconds between samples.
    pub interval_s: u32,
    pub samples: Vec<Sample>,
    /// State of the agent's store-and-forward spool when the batch was made.
    #[serde(default)]
    pub spool: SpoolStats,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpoolStats {
    #[serde(default)]
    pub queued: u64,
    #[serde(default)]
    pub queued_bytes: u64,
    /// Envelopes dropped because the spool bound was reached, since install.
    #[serde(default)]
    pub dropped_total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub ts: DateTime<Utc>,
    #[serde(default)]
    pub cpu: Option<CpuUsage>,
    /// 1, 5 and 15 minute load averages.
    #[serde(default)]
    pub load: Option<[f64; 3]>,
    #[serde(default)]
    pub memory: Option<MemoryUsage>,
    #[serde(default)]
    pub mounts: Vec<MountUsage>,
    #[serde(default)]
    pub disk_io: Vec<DiskIo>,
    #[serde(default)]
    pub net: Vec<NetIo>,
    #[serde(default)]
    pub temps: Vec<Temperature>,
    #[serde(default)]
    pub top: Vec<ProcessUsage>,
    #[serde(default)]
    pub processes: Option<u32>,
    #[serde(default)]
    pub uptime_s: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// Busy share of all CPUs, 0-100.
    pub usage_pct: f64,
    #[serde(default)]
    pub user_pct: f64,
    #[serde(default)]
    pub system_pct: f64,
    #[serde(default)]
    pub iowait_pct: f64,
    #[serde(default)]
    pub steal_pct: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryUsage {
    pub total_bytes: u64,
    /// total - available: what applications really hold.
    pub used_bytes: u64,
    pub available_bytes: u64,
    #[serde(default)]
    pub swap_total_bytes: u64,
    #[serde(default)]
    pub swap_used_bytes: u64,
}

impl MemoryUsage {
    pub fn used_pct(&self) -> f64 {
        pct(self.used_bytes, self.total_bytes)
    }
    pub fn swap_used_pct(&self) -> f64 {
        pct(self.swap_used_bytes, self.swap_total_bytes)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MountUsage {
    pub mount: String,
    #[serde(default)]
    pub device: String,
    #[serde(default)]
    pub fs_type: String,
    pub total_bytes: u64,
    pub used_bytes: u64,
    /// Available to unprivileged users (what `df` shows as Avail).
    pub avail_bytes: u64,
    #[serde(default)]
    pub inodes_used_pct: Option<f64>,
}

impl MountUsage {
    /// Used share as `df` computes it: used / (used + avail).
    pub fn used_pct(&self) -> f64 {
        pct(self.used_bytes, self.used_bytes + self.avail_bytes)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskIo {
    pub device: String,
    pub read_bytes_ps: f64,
    pub write_bytes_ps: f64,
    #[serde(default)]
    pub read_ops_ps: f64,
    #[serde(default)]
    pub write_ops_ps: f64,
    /// Share of the interval the device was busy, 0-100.
    #[serde(default)]
    pub busy_pct: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetIo {
    pub iface: String,
    pub rx_bytes_ps: f64,
    pub tx_bytes_ps: f64,
    #[serde(default)]
    pub rx_packets_ps: f64,
    #[serde(default)]
    pub tx_packets_ps: f64,
    #[serde(default)]
    pub rx_errors_total: u64,
    #[serde(default)]
    pub tx_errors_total: u64,
    #[serde(default)]
    pub rx_drops_total: u64,
    #[serde(default)]
    pub tx_drops_total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Temperature {
    pub sensor: String,
    #[serde(default)]
    pub label: String,
    pub celsius: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    pub pid: u32,
    pub name: String,
    /// Share of one CPU over the interval (can exceed 100 on several cores).
    pub cpu_pct: f64,
    pub rss_bytes: u64,
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}
