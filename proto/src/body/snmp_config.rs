//! The `snmp` section of the pushed config: what a `poller` polls and how. Credentials travel
//! in it (only in the per-agent layer), so every secret is a [`Secret`], which prints as
//! `***` in `Debug`: a config logged by mistake leaks nothing.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpConfig {
    pub enabled: bool,
    /// Seconds between rounds (at least 10).
    pub interval_s: u64,
    /// Time to wait for one answer before a retry.
    pub timeout_ms: u64,
    /// Retries of one request after a timeout.
    pub retries: u32,
    /// Devices polled at once.
    pub concurrency: usize,
    /// GETBULK max-repetitions.
    pub max_repetitions: u32,
    pub targets: Vec<SnmpTarget>,
}

/// The `snmp` section as the collector sends it: only the keys some layer set, so the
/// poller's file `[snmp]` keeps every other value (as [`super::config::NetProbePatch`] does
/// for `net`). `enabled` is file-only on the agent and never sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpPatch {
    #[serde(skip_serializing)]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_repetitions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<SnmpTarget>>,
}

impl Default for SnmpConfig {
    fn default() -> Self {
        SnmpConfig {
            enabled: false,
            interval_s: 300,
            timeout_ms: 2000,
            retries: 2,
            concurrency: 32,
            max_repetitions: 25,
            targets: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnmpTarget {
    /// Shown in reports; the register key when the collector made the target from an asset.
    pub name: String,
    /// IP address or host name.
    pub host: String,
    /// UDP port, 161 when absent.
    pub port: Option<u16>,
    /// A credentials profile of the collector (`[snmp.profiles.NAME]` in collector.toml).
    /// The collector replaces it with the profile's credentials when it publishes the
    /// config, so a poller never receives a target that still names one: it refuses such a
    /// config (an unresolved profile would otherwise be polled with an empty community).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub credentials: SnmpCredentials,
    /// ifName, ifDescr or ifIndex of the interfaces that are uplinks (a link down on one is
    /// flagged). An interface whose ifAlias contains "uplink" counts too.
    pub uplinks: Vec<String>,
    /// Which groups to read beyond system and interfaces; all when empty:
    /// `entity`, `printer`, `ups` (`["interfaces"]` alone: none of them).
    pub groups: Vec<String>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "version", rename_all = "lowercase")]
pub enum SnmpCredentials {
    V2c {
        community: Secret,
    },
    /// USM authPriv only: authNoPriv would send counters and serials in the clear.
    V3 {
        user: String,
        /// `sha` (SHA-1, the net-snmp default), `sha256`, `sha512`.
        #[serde(default = "sha")]
        auth_protocol: String,
        auth_password: Secret,
        /// `aes` (AES-128), `aes192`, `aes256`.
        #[serde(default = "aes")]
        priv_protocol: String,
        priv_password: Secret,
    },
}

fn sha() -> String {
    "sha".into()
}
fn aes() -> String {
    "aes".into()
}

impl Default for SnmpCredentials {
    fn default() -> Self {
        SnmpCredentials::V2c {
            community: Secret(String::new()),
        }
    }
}

impl SnmpCredentials {
    pub fn version(&self) -> &'static str {
        match self {
            SnmpCredentials::V2c { .. } => "v2c",
            SnmpCredentials::V3 { .. } => "v3",
        }
    }
}

impl fmt::Debug for SnmpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnmpCredentials::V2c { .. } => f.write_str("V2c { community: *** }"),
            SnmpCredentials::V3 {
                user,
                auth_protocol,
                priv_protocol,
                ..
            } => write!(
                f,
                "V3 {{ user: {user:?}, auth: {auth_protocol}, priv: {priv_protocol}, passwords: *** }}"
            ),
        }
    }
}

/// A community string or password: serialized as is (it must reach the poller), never shown.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_but_reach_the_wire() {
        let t = SnmpTarget {
            name: "sw1".into(),
            host: "10.0.0.2".into(),
            credentials: SnmpCredentials::V3 {
                user: "pantau".into(),
                auth_protocol: "sha".into(),
                auth_password: Secret("authpass-123".into()),
                priv_protocol: "aes".into(),
                priv_password: Secret("privpass-456".into()),
            },
            ..SnmpTarget::default()
        };
        let shown = format!(
            "{t:?} {:?}",
            SnmpCredentials::V2c {
                community: Secret("c0mmunity".into())
            }
        );
        for secret in ["authpass-123", "privpass-456", "c0mmunity"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let wire = serde_json::to_string(&t).unwrap();
        assert!(wire.contains("\"version\":\"v3\"") && wire.contains("authpass-123"));
        let back: SnmpTarget = serde_json::from_str(&wire).unwrap();
        assert_eq!(back, t);
    }
}
