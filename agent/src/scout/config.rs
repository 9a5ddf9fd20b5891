//! `[scout]` in `agent.toml`: LAN discovery by ARP. Off unless asked for; one agent per OPD
//! LAN needs it, and it needs CAP_NET_RAW (docs/agent-collectors.md, "discovery (scout)").

use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoutConfig {
    /// Run the scout: listen for ARP and sweep the local subnets. Adds `scout` to the roles.
    #[serde(default)]
    pub enabled: bool,
    /// Minutes between active sweeps (at least 1). A report follows each sweep with every
    /// device seen since the previous one, by the sweep or passively in between.
    #[serde(default = "default_sweep_interval")]
    pub sweep_interval_min: u64,
    /// ARP requests per second during a sweep, per subnet (1-1000). 50 sweeps a /24 in about
    /// 5 s and is far below what any switch or PC notices.
    #[serde(default = "default_rate")]
    pub rate_per_s: u32,
    /// Largest subnet swept, as a prefix length (16-30): with 22, a /22 (1022 addresses) is
    /// swept and a /21 is skipped with a warning.
    #[serde(default = "default_max_prefix")]
    pub max_prefix: u8,
    /// Scout only these interfaces (names as in `ip link`). Empty: every interface that is up,
    /// not loopback, Ethernet-like and has an IPv4 address.
    #[serde(default)]
    pub interfaces: Vec<String>,
}

/// How long a sweep keeps listening after its last request.
pub const REPLY_WAIT: Duration = Duration::from_millis(1500);

fn default_sweep_interval() -> u64 {
    15
}
fn default_rate() -> u32 {
    50
}
fn default_max_prefix() -> u8 {
    22
}

impl Default for ScoutConfig {
    fn default() -> Self {
        ScoutConfig {
            enabled: false,
            sweep_interval_min: default_sweep_interval(),
            rate_per_s: default_rate(),
            max_prefix: default_max_prefix(),
            interfaces: Vec::new(),
        }
    }
}

impl ScoutConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.sweep_interval_min == 0 {
            return Err("scout.sweep_interval_min must be at least 1".into());
        }
        if !(1..=1000).contains(&self.rate_per_s) {
            return Err("scout.rate_per_s must be between 1 and 1000".into());
        }
        if !(16..=30).contains(&self.max_prefix) {
            return Err("scout.max_prefix must be between 16 and 30".into());
        }
        Ok(())
    }

    pub fn options(&self) -> super::ScoutOptions {
        super::ScoutOptions {
            interfaces: self.interfaces.clone(),
            rate_per_s: self.rate_per_s,
            max_prefix: self.max_prefix,
            reply_wait: REPLY_WAIT,
        }
    }

    pub fn sweep_interval(&self) -> Duration {
        Duration::from_secs(self.sweep_interval_min * 60)
    }
}
