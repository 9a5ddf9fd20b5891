//! Message kinds and their size limits.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a message on `pantau/v1/{agent_id}/{kind}` carries.
///
/// Later kinds (`net`, `discovery`, `snmp`, `usage`) are already named here so that the topic
/// layout is fixed; their bodies are defined when the features that send them land.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Inventory,
    Metrics,
    Net,
    Discovery,
    Snmp,
    Usage,
    Status,
    /// Collector to agent, retained. Never sent by an agent.
    Config,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Inventory,
        Kind::Metrics,
        Kind::Net,
        Kind::Discovery,
        Kind::Snmp,
        Kind::Usage,
        Kind::Status,
        Kind::Config,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Inventory => "inventory",
            Kind::Metrics => "metrics",
            Kind::Net => "net",
            Kind::Discovery => "discovery",
            Kind::Snmp => "snmp",
            Kind::Usage => "usage",
            Kind::Status => "status",
            Kind::Config => "config",
        }
    }

    /// Largest accepted payload (the whole MQTT payload, envelope included).
    ///
    /// Sized from real messages with generous headroom: an inventory with 3,000 installed
    /// packages is about 250 KB; a metrics batch of 10 samples with 40 mounts and 20 NICs is
    /// about 60 KB. A larger message is rejected whole and counted, never truncated.
    pub fn max_bytes(self) -> usize {
        match self {
            Kind::Inventory => 1024 * 1024,
            Kind::Metrics => 512 * 1024,
            Kind::Net => 256 * 1024,
            Kind::Discovery => 1024 * 1024,
            Kind::Snmp => 1024 * 1024,
            Kind::Usage => 1024 * 1024,
            Kind::Status => 8 * 1024,
            Kind::Config => 256 * 1024,
        }
    }

    /// Whether messages of this kind belong to the agent's `seq` stream: spooled, delivered
    /// at least once and stored exactly once. `status` is liveness, not data: it is retained
    /// on the broker, the last will is prepared before it is needed, and only the newest one
    /// matters, so it carries the agent's high-water `seq` for information and is never
    /// deduplicated. `config` flows the other way.
    pub fn is_data(self) -> bool {
        !matches!(self, Kind::Status | Kind::Config)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown message kind {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        for k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert!("metric".parse::<Kind>().is_err());
    }
}
