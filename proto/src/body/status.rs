//! `status`: liveness, retained on the broker. `online` on connect, `offline` as last will.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentState {
    Online,
    Offline,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub state: AgentState,
    /// When the connection this status describes was made.
    pub since: DateTime<Utc>,
    #[serde(default)]
    pub agent_version: String,
    #[serde(default)]
    pub hostname: String,
    /// Roles this agent runs (`host`, `scout`, `poller`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Envelopes waiting in the spool when the status was made.
    #[serde(default)]
    pub spool_queued: u64,
    /// Envelopes the spool has dropped since the agent was installed (bound reached).
    #[serde(default)]
    pub spool_dropped_total: u64,
}
