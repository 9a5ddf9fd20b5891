//! The Pantau host agent as a library.
//!
//! The `pantau-agent` binary, the fleet simulator `pantau-sim` and the collector's `demo` all
//! run agents through this crate, so simulated agents sign, spool and publish with exactly the
//! code real ones use. A [`source::Source`] says what a machine is and how loaded it is; the
//! [`runtime`] turns that into signed envelopes in the [`spool`]; the [`link`] delivers them.

pub mod config;
pub mod enroll;
pub mod footprint;
pub mod health;
pub mod inventory;
pub mod link;
pub mod metrics;
pub mod net;
pub mod pushed;
pub mod runtime;
pub mod scout;
pub mod service;
pub mod sim;
pub mod snmp;
pub mod source;
pub mod spool;
pub mod tls;
pub mod usage;

use pantau_proto::{AgentKey, Envelope, Kind};
use serde::Serialize;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Who this agent is: its enrolled id and the key that signs for it.
#[derive(Clone, Debug)]
pub struct Identity {
    pub agent_id: String,
    pub key: AgentKey,
    /// Seconds added to the clock in every envelope's `ts`: zero for a real agent, the
    /// simulator's `--skew` for a machine whose clock is off.
    clock_skew_s: i64,
}

impl Identity {
    pub fn load(agent_id: &str, key_file: &std::path::Path) -> anyhow::Result<Identity> {
        let text = std::fs::read_to_string(key_file)
            .map_err(|e| anyhow::anyhow!("cannot read key file {}: {e}", key_file.display()))?;
        let key = AgentKey::from_base64(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", key_file.display()))?;
        Ok(Identity {
            agent_id: agent_id.to_owned(),
            key,
            clock_skew_s: 0,
        })
    }

    /// The same identity on a machine whose clock is `secs` off (simulation only).
    pub fn with_clock_skew(mut self, secs: i64) -> Identity {
        self.clock_skew_s = secs;
        self
    }

    pub fn envelope<B: Serialize>(&self, seq: u64, kind: Kind, body: &B) -> Envelope {
        Envelope::sign(
            &self.key,
            &self.agent_id,
            seq,
            chrono::Utc::now() + chrono::Duration::seconds(self.clock_skew_s),
            kind,
            body,
        )
    }
}
