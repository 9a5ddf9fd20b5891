//! The hardware that matters for the register, and what changed between two inventories.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A change between two consecutive inventories of one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareChange {
    /// Collection time of the inventory that showed the change.
    pub at: DateTime<Utc>,
    /// One line per difference, e.g. `disk removed: sda Samsung SSD 860 (S3Z9NB0K123456)`.
    pub changes: Vec<String>,
}
