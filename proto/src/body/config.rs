//! `config`: what the collector tells an agent, retained on `pantau/v1/{agent_id}/config`.
//! The collector merges global, per-OPD and per-agent settings into one document per agent;
//! the agent applies it without a restart and falls back to its file config for anything
//! absent. Unlike agent-sent kinds, this body is signed by nobody: the broker ACL lets only the
//! collector write it (security issue); the agent checks its shape and bounds.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PushedConfig {
    /// Increases with every change, so an agent can log which version it applied.
    pub version: u64,
    pub net: Option<NetProbePatch>,
    pub discovery: Option<DiscoveryConfig>,
    /// SNMP polling (`poller` role): targets with their credentials. Only the per-agent layer
    /// should carry it, so credentials reach only the poller that uses them.
    pub snmp: Option<super::snmp_config::SnmpPatch>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetProbeConfig {
    /// Seconds between rounds (at least 10).
    pub interval_s: u64,
    /// Echo requests per target per round.
    pub pings: u32,
    /// Probe the default gateway too.
    pub gateway: bool,
    pub targets: Vec<ProbeTarget>,
    /// Names to resolve, timed.
    pub dns: Vec<String>,
    pub http: Vec<HttpCheck>,
}

impl Default for NetProbeConfig {
    fn default() -> Self {
        NetProbeConfig {
            interval_s: 60,
            pings: 5,
            gateway: true,
            targets: Vec::new(),
            dns: Vec::new(),
            http: Vec::new(),
        }
    }
}

/// The `net` section as the collector sends it: only the keys some layer set. Every key
/// absent keeps the agent's file `[net]` value (a struct of plain fields would send defaults
/// for them and silently replace the file's targets, names and checks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetProbePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pings: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<ProbeTarget>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<Vec<HttpCheck>>,
}

impl NetProbePatch {
    /// `base` with every key this patch sets replaced.
    pub fn apply(&self, base: &NetProbeConfig) -> NetProbeConfig {
        let mut c = base.clone();
        if let Some(v) = self.interval_s {
            c.interval_s = v;
        }
        if let Some(v) = self.pings {
            c.pings = v;
        }
        if let Some(v) = self.gateway {
            c.gateway = v;
        }
        if let Some(v) = &self.targets {
            c.targets = v.clone();
        }
        if let Some(v) = &self.dns {
            c.dns = v.clone();
        }
        if let Some(v) = &self.http {
            c.http = v.clone();
        }
        c
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProbeTarget {
    pub name: String,
    /// IP address or host name.
    pub host: String,
    /// TCP port for the fallback when ICMP is not allowed (default 443).
    pub tcp_port: Option<u16>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpCheck {
    pub name: String,
    pub url: String,
    /// Text the body must contain for the check to pass.
    pub expect: Option<String>,
    pub timeout_s: Option<u64>,
}

/// The scout's settings. Every field is optional: one left out keeps the agent's own
/// `[scout]` value, so a layer that sets only `rate_per_s` does not also switch the scout off
/// or reset its interval (a struct of plain fields would fill them with defaults).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiscoveryConfig {
    /// Run the scout (needs CAP_NET_RAW on the agent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Minutes between active sweeps (at least 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_interval_min: Option<u64>,
    /// ARP requests per second during a sweep, per subnet (1-1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_s: Option<u32>,
    /// Largest subnet swept (prefix length, 16-30); bigger ones are skipped with a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_prefix: Option<u8>,
}
