//! Typed message bodies, one module per kind.
//!
//! Every struct ignores unknown fields and defaults what it can, so agents and collectors of
//! different minor versions read each other. Units are in field names (`_bytes`, `_pct`, `_s`).

pub mod config;
pub mod discovery;
pub mod health;
pub mod inventory;
pub mod metrics;
pub mod net;
pub mod snmp;
pub mod snmp_config;
pub mod status;
pub mod usage;

pub use config::PushedConfig;
pub use discovery::DiscoveryReport;
pub use health::Health;
pub use inventory::Inventory;
pub use metrics::{MetricsBatch, Sample};
pub use net::NetReport;
pub use snmp::SnmpReport;
pub use status::{AgentState, Status};
pub use usage::UsageReport;

use crate::Kind;
use serde_json::Value;

/// A decoded body.
#[derive(Debug, Clone)]
pub enum Body {
    Inventory(Box<Inventory>),
    Metrics(MetricsBatch),
    Status(Status),
    Net(Box<NetReport>),
    Discovery(DiscoveryReport),
    Snmp(Box<SnmpReport>),
    Usage(Box<UsageReport>),
    /// A kind whose body this build does not model yet; kept as JSON.
    Other(Value),
}

impl Body {
    /// Decode `value` as the body of `kind`; the error names the offending field.
    pub fn decode(kind: Kind, value: &Value) -> Result<Body, String> {
        fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, String> {
            serde_path_to_error::deserialize(value)
                .map_err(|e| format!("field `{}`: {}", e.path(), e.inner()))
        }
        if !value.is_object() {
            return Err("must be a JSON object".into());
        }
        Ok(match kind {
            Kind::Inventory => Body::Inventory(Box::new(typed(value)?)),
            Kind::Metrics => Body::Metrics(typed(value)?),
            Kind::Status => Body::Status(typed(value)?),
            Kind::Net => Body::Net(Box::new(typed(value)?)),
            Kind::Discovery => Body::Discovery(typed(value)?),
            Kind::Snmp => Body::Snmp(Box::new(typed(value)?)),
            Kind::Usage => Body::Usage(Box::new(typed(value)?)),
            _ => Body::Other(value.clone()),
        })
    }
}
