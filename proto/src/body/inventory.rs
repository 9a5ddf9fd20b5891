//! `inventory`: what the machine is. Sent at start, daily, and when it changes.
//!
//! Identifiers are reported exactly as the firmware gives them (trimmed), placeholders
//! included: deciding that "To be filled by O.E.M." is junk is the collector's job, in one
//! documented place, so that every agent version agrees.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Inventory {
    pub collected_at: Option<DateTime<Utc>>,
    /// Stable host identity: survives reboots, hostname changes and reinstalls of the agent
    /// on the same hardware (see docs/agent-collectors.md for how it is derived).
    pub host_id: String,
    pub hostname: String,
    pub domain: Option<String>,
    /// Asset tag given at agent install (the BMD register number sticker), if any.
    pub asset_tag: Option<String>,
    pub system: SystemInfo,
    pub cpu: CpuInfo,
    pub memory: MemoryInfo,
    pub disks: Vec<DiskInfo>,
    pub nics: Vec<NicInfo>,
    pub os: OsInfo,
    pub uptime_s: u64,
    pub boot_time: Option<DateTime<Utc>>,
    pub boot_id: Option<String>,
    pub users: Vec<LoggedInUser>,
    pub battery: Option<BatteryInfo>,
    /// Physical condition evidence (disk SMART, thermal, unclean shutdowns).
    pub health: super::Health,
    pub agent_version: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemInfo {
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// SMBIOS system UUID, lower case.
    pub uuid: Option<String>,
    pub chassis_type: Option<String>,
    pub chassis_asset_tag: Option<String>,
    pub board_vendor: Option<String>,
    pub board_model: Option<String>,
    pub board_serial: Option<String>,
    pub bios_vendor: Option<String>,
    pub bios_version: Option<String>,
    pub bios_date: Option<String>,
    /// True when the machine looks virtual (hypervisor flag or a known virtual vendor).
    pub virtual_machine: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuInfo {
    pub model: Option<String>,
    pub vendor: Option<String>,
    pub sockets: u32,
    pub cores: u32,
    pub threads: u32,
    pub max_mhz: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryInfo {
    /// MemTotal from the kernel: installed RAM minus what firmware and kernel reserve.
    pub total_bytes: u64,
    pub swap_total_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskKind {
    Hdd,
    Ssd,
    Nvme,
    Usb,
    Virtual,
    #[default]
    Unknown,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiskInfo {
    pub name: String,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub size_bytes: u64,
    pub rotational: Option<bool>,
    pub removable: bool,
    pub kind: DiskKind,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NicInfo {
    pub name: String,
    /// Lower-case, colon separated.
    pub mac: Option<String>,
    /// The permanent hardware address when the kernel knows it and it differs from `mac`.
    pub perm_mac: Option<String>,
    /// Backed by a device (PCI, USB, SDIO), not a bridge, tunnel, veth or other software NIC.
    pub physical: bool,
    pub wireless: bool,
    /// Addresses in CIDR form, IPv4 and IPv6.
    pub addresses: Vec<String>,
    pub speed_mbps: Option<u32>,
    pub up: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OsInfo {
    /// `os-release` NAME, or the product name on Windows.
    pub name: Option<String>,
    pub version: Option<String>,
    pub id: Option<String>,
    pub pretty_name: Option<String>,
    pub kernel: Option<String>,
    pub arch: String,
    pub family: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoggedInUser {
    pub name: String,
    pub line: Option<String>,
    pub host: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BatteryInfo {
    pub name: String,
    pub design_capacity_wh: Option<f64>,
    pub full_capacity_wh: Option<f64>,
    pub cycle_count: Option<u32>,
    pub status: Option<String>,
}

impl BatteryInfo {
    /// Remaining capacity as a share of design capacity, 0-100.
    pub fn health_pct(&self) -> Option<f64> {
        match (self.design_capacity_wh, self.full_capacity_wh) {
            (Some(d), Some(f)) if d > 0.0 => Some(f * 100.0 / d),
            _ => None,
        }
    }
}
