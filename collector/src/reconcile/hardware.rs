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

/// The parts of an inventory whose change matters to the register: kept per host at ingest
/// (`hosts.hardware`) so reconciliation never re-reads whole inventories.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HardwareSummary {
    pub cpu_model: Option<String>,
    /// Installed RAM, MemTotal rounded to whole GiB (firmware reservations move MemTotal by
    /// a few MiB between boots; that is not a change).
    pub memory_gib: u64,
    /// Non-removable disks as `model (serial)` or `name size`.
    pub disks: Vec<String>,
    /// MACs of physical NICs.
    pub nics: Vec<String>,
}

impl HardwareSummary {
    pub fn of(_inv: &pantau_proto::body::Inventory) -> HardwareSummary {
        todo!("hardware summary")
    }
}

/// What changed from `prev` to `next`; `None` when nothing that matters did.
pub fn diff(
    _prev: &HardwareSummary,
    _next: &HardwareSummary,
    _at: DateTime<Utc>,
) -> Option<HardwareChange> {
    todo!("hardware diff")
}
