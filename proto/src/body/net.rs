//! `net`: network health as one OPD PC sees it, every `interval_s` (60 s by default).
//!
//! One report per round: ICMP (or TCP) probes of the gateway and configured targets, DNS
//! lookups, HTTP(S) checks of e-Gov services, and per-interface link figures. Every field
//! is a measurement; judging (degraded, down) is the collector's job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetReport {
    /// Start of the round.
    pub ts: Option<DateTime<Utc>>,
    /// Wall time the whole round took, milliseconds. Probes run concurrently, so this stays
    /// near the slowest single probe or check, not their sum; older agents leave it out.
    pub duration_ms: Option<f64>,
    /// The default gateway from the routing table, if any.
    pub gateway: Option<String>,
    pub probes: Vec<ProbeResult>,
    pub dns: Vec<DnsResult>,
    pub http: Vec<HttpResult>,
    pub interfaces: Vec<LinkState>,
}

/// How a probe was made: unprivileged ICMP datagram socket, raw ICMP (CAP_NET_RAW), or a
/// TCP connect when neither is allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeMethod {
    #[default]
    IcmpDgram,
    IcmpRaw,
    Tcp,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbeResult {
    /// `gateway`, or the configured target's name.
    pub name: String,
    /// The address probed.
    pub target: String,
    pub method: ProbeMethod,
    /// The TCP port, for `tcp`.
    pub port: Option<u16>,
    pub sent: u32,
    pub received: u32,
    pub loss_pct: f64,
    /// Round-trip times of the replies, milliseconds; `None` when nothing came back.
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_median_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    /// Mean absolute difference between consecutive round-trip times (RFC 3550 style).
    pub jitter_ms: Option<f64>,
    /// Why the probe could not run at all (no route, socket refused).
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DnsResult {
    pub name: String,
    pub ms: Option<f64>,
    /// Addresses returned.
    pub addresses: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpResult {
    /// The configured check's name (e.g. `sipd`).
    pub name: String,
    pub url: String,
    pub status: Option<u16>,
    /// Time to the full response, milliseconds.
    pub ms: Option<f64>,
    /// `Some(true)` when the configured expected text was found in the body.
    pub expected_found: Option<bool>,
    /// Whole days until the server certificate expires (negative when expired), HTTPS only.
    pub cert_days_left: Option<i64>,
    pub cert_not_after: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkState {
    pub name: String,
    pub up: bool,
    pub speed_mbps: Option<u32>,
    /// `full`, `half`, or `None` when unknown.
    pub duplex: Option<String>,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
}
