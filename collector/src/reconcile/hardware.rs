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
    pub fn of(inv: &pantau_proto::body::Inventory) -> HardwareSummary {
        use pantau_proto::body::inventory::DiskKind;
        let gib = 1024.0 * 1024.0 * 1024.0;
        let mut disks: Vec<String> = inv
            .disks
            .iter()
            .filter(|d| !d.removable && !matches!(d.kind, DiskKind::Usb | DiskKind::Virtual))
            .map(|d| match (&d.model, &d.serial) {
                (Some(m), Some(s)) => format!("{m} ({s})"),
                _ => format!("{} {} GB", d.name, d.size_bytes / 1_000_000_000),
            })
            .collect();
        disks.sort();
        let mut nics: Vec<String> = inv
            .nics
            .iter()
            .filter(|n| n.physical)
            .filter_map(|n| n.perm_mac.clone().or_else(|| n.mac.clone()))
            .filter(|m| !pantau_proto::identifiers::is_unusable_mac(m))
            .collect();
        nics.sort();
        nics.dedup();
        HardwareSummary {
            cpu_model: inv.cpu.model.clone(),
            memory_gib: (inv.memory.total_bytes as f64 / gib).round() as u64,
            disks,
            nics,
        }
    }
}

/// What changed from `prev` to `next`; `None` when nothing that matters did.
pub fn diff(
    prev: &HardwareSummary,
    next: &HardwareSummary,
    at: DateTime<Utc>,
) -> Option<HardwareChange> {
    let mut changes = Vec::new();
    if prev.cpu_model != next.cpu_model {
        changes.push(format!(
            "CPU: {} → {}",
            prev.cpu_model.as_deref().unwrap_or("-"),
            next.cpu_model.as_deref().unwrap_or("-")
        ));
    }
    if prev.memory_gib != next.memory_gib {
        changes.push(format!(
            "RAM: {} GiB → {} GiB",
            prev.memory_gib, next.memory_gib
        ));
    }
    for (what, a, b) in [
        ("disk", &prev.disks, &next.disks),
        ("NIC", &prev.nics, &next.nics),
    ] {
        for gone in a.iter().filter(|x| !b.contains(x)) {
            changes.push(format!("{what} dilepas: {gone}"));
        }
        for new in b.iter().filter(|x| !a.contains(x)) {
            changes.push(format!("{what} ditambah: {new}"));
        }
    }
    (!changes.is_empty()).then_some(HardwareChange { at, changes })
}
