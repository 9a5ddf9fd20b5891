//! Network health, discovery and the IP plan (issue 4), judged on the collector.
//!
//! Like reconciliation, the judging is pure: [`find`] takes [`Inputs`] (the IP plan, each
//! host's addresses, the LAN devices scouts saw, gateway figures per round, the latest HTTP
//! checks, the hysteresis state) and returns [`Finding`]s plus the next hysteresis state.
//! Loading and storing is the store's job (`store/sqlite/network.rs`), the periodic run is
//! `crate::netwatch`. Agents only measure; every "degraded" or "down" is decided here, so a
//! threshold change needs no agent update.
//!
//! - `plan.rs`: the IP plan (CIDR ranges per OPD), its file formats and validation.
//! - `health.rs`: rounds, hysteresis and the per-OPD and per-service views.
//! - `addresses.rs`: addresses outside the plan, conflicts and rogue devices.

pub mod addresses;
pub mod health;
pub mod plan;
pub mod pushed;

#[cfg(test)]
mod tests;

use crate::reconcile::Finding;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use plan::PlanEntry;

/// `[network]` in collector.toml: thresholds of the network flags (docs/network.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Seconds between runs of the network job.
    pub interval_s: u64,
    /// Length of one round: agents' reports are grouped per OPD in buckets this long
    /// (the agents' own default interval is 60 s).
    pub round_s: u64,
    /// A round is bad when the OPD's mean gateway loss is above this (percent)...
    pub loss_pct: f64,
    /// ...or the median of its agents' gateway RTT medians is above this (ms).
    pub rtt_ms: f64,
    /// Consecutive bad rounds that raise `network_degraded`, and good rounds that clear it.
    pub rounds: usize,
    /// Only HTTP results this recent count for `service_down` and the service view.
    pub service_window_s: u64,
    /// OPDs that must see a check failing before it is `service_down`: one failing OPD is
    /// that OPD's own network, not the service.
    pub service_min_opds: usize,
    /// Two MACs on one IP within this many seconds is an `ip_conflict`.
    pub conflict_window_s: u64,
    /// LAN devices not seen for this many hours raise no flag.
    pub device_window_h: u64,
    /// MACs that may be on any LAN without an agent or a register entry (routers,
    /// printers, access points), any separator.
    pub allow_macs: Vec<String>,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            interval_s: 60,
            round_s: 60,
            loss_pct: 5.0,
            rtt_ms: 100.0,
            rounds: 3,
            service_window_s: 300,
            service_min_opds: 2,
            conflict_window_s: 3600,
            device_window_h: 24,
            allow_macs: Vec::new(),
        }
    }
}

/// One address of a host's NIC, from its newest inventory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NicAddress {
    pub mac: Option<String>,
    /// Without prefix length.
    pub ip: String,
}

/// An enrolled host, as the network judge needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostNet {
    pub agent_id: String,
    pub opd: String,
    /// `hosts.ip`, used when no NIC addresses were kept (inventories before issue 4).
    pub ip: Option<String>,
    pub addresses: Vec<NicAddress>,
    /// Physical NIC MACs from the inventory facts.
    pub macs: Vec<String>,
    pub last_seen: Option<DateTime<Utc>>,
}

/// A device a scout saw on its LAN (`lan_devices`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LanDevice {
    pub ip: String,
    pub mac: String,
    /// The OPD of the scout(s) that saw it, from their enrollment.
    pub opd: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub seen_by: Vec<String>,
    pub vendor: Option<String>,
}

/// The gateway figures of one agent's report.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewaySample {
    pub opd: String,
    pub agent_id: String,
    pub ts: DateTime<Utc>,
    pub loss_pct: f64,
    pub rtt_ms: Option<f64>,
}

/// The newest net report of one host.
#[derive(Debug, Clone, PartialEq)]
pub struct LatestNet {
    pub agent_id: String,
    pub opd: String,
    pub ts: DateTime<Utc>,
    pub report: pantau_proto::body::NetReport,
}

/// Hysteresis state per OPD: degraded since when (the episode's first bad round). Kept
/// between runs, because "cleared only after N good rounds" needs memory.
pub type DegradedState = BTreeMap<String, DateTime<Utc>>;

/// Everything the judge reads.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub now: DateTime<Utc>,
    pub config: NetworkConfig,
    pub plan: Vec<PlanEntry>,
    pub hosts: Vec<HostNet>,
    pub devices: Vec<LanDevice>,
    /// MAC-like nomor pabrik of current register assets, normalized.
    pub register_macs: Vec<String>,
    /// Gateway samples of the lookback window, any order.
    pub gateway: Vec<GatewaySample>,
    pub latest: Vec<LatestNet>,
    pub degraded: DegradedState,
}

#[derive(Debug, Clone, Default)]
pub struct Judged {
    pub findings: Vec<Finding>,
    pub degraded: DegradedState,
}

/// Every network finding, and the hysteresis state to keep.
pub fn find(inputs: &Inputs) -> Judged {
    let mut findings = addresses::outside_plan(inputs);
    findings.extend(addresses::conflicts(inputs));
    findings.extend(addresses::rogue(inputs));
    let (degraded, found) = health::degraded(inputs);
    findings.extend(found);
    findings.extend(health::service_down(inputs));
    Judged { findings, degraded }
}

/// `aa:bb:cc:dd:ee:ff` from any common spelling (colons, dashes, dots, none); `None` if it
/// is not 12 hex digits.
pub fn normalize_mac(s: &str) -> Option<String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    let parts: Vec<&str> = (0..6).map(|i| &hex[i * 2..i * 2 + 2]).collect();
    Some(parts.join(":"))
}

/// The organization the IEEE registered the MAC's prefix to (MA-L, MA-M, MA-S, CID, IAB),
/// from the table compiled into the binary. A locally administered MAC (randomized by a
/// phone, or set on a VM) has no vendor.
pub fn vendor(mac: &str) -> Option<String> {
    let mac = normalize_mac(mac)?;
    let first = u8::from_str_radix(&mac[..2], 16).ok()?;
    if first & 0x02 != 0 {
        return None;
    }
    oui_data::lookup(&mac).map(|d| d.organization().trim().to_string())
}
