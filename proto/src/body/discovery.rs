//! `discovery`: devices a `scout` agent sees on its LAN, from passive ARP listening and a
//! periodic, rate-limited active ARP sweep of each attached IPv4 subnet. Sent after each
//! sweep with every device seen since the previous report. Vendor names are looked up by the
//! collector from the MAC's OUI; the agent ships no vendor table.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiscoveryReport {
    pub ts: Option<DateTime<Utc>>,
    /// The subnets swept, CIDR, with the interface used.
    pub subnets: Vec<SweptSubnet>,
    pub devices: Vec<SeenDevice>,
    /// Minutes between sweeps in force when the report was made (file or pushed config);
    /// absent from a one-off `pantau-agent scan` and from agents before it was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_interval_min: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweptSubnet {
    pub interface: String,
    pub cidr: String,
    /// Addresses asked in the last sweep.
    pub probed: u32,
    pub duration_ms: u64,
    /// The pace of this sweep, ARP requests per second (0 from agents before it was added).
    pub rate_per_s: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeenDevice {
    pub ip: String,
    /// Lower-case, colon separated.
    pub mac: String,
    pub interface: String,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Seen answering the sweep (`active`) or only in traffic (`passive`), or both.
    pub active: bool,
    pub passive: bool,
}
