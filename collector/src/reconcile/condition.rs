//! Health evidence to a suggested BMD condition. The thresholds are documented in
//! docs/reconciliation.md and configurable in `[condition]`.

use crate::register::Condition;
use serde::{Deserialize, Serialize};

/// One piece of evidence behind a suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// What was measured, e.g. `disk sda reallocated_sectors`.
    pub what: String,
    pub value: serde_json::Value,
    /// The threshold it crossed, in words (`> 0`, `< 60 %`).
    pub threshold: String,
    /// The condition this evidence alone suggests.
    pub suggests: Condition,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub condition: Condition,
    /// Empty for Baik.
    pub evidence: Vec<Evidence>,
}
