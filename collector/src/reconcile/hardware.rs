//! The hardware that matters for the register, and what changed between two inventories.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A change between two consecutive inventories of one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareChange {
    /// Collection time of the inventory that showed the change.
    pub at: DateTime<Utc>,
    /// One line per difference in Bahasa Indonesia, e.g.
    /// `disk dilepas: Samsung SSD 860 (S3Z9NB0K123456)`, `RAM: 8 GiB → 4 GiB`.
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

const GIB: u64 = 1 << 30;

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl HardwareSummary {
    pub fn of(inv: &pantau_proto::body::Inventory) -> HardwareSummary {
        use pantau_proto::body::inventory::DiskKind;
        let mut disks: Vec<String> = inv
            .disks
            .iter()
            // USB disks come and go with their owner; virtual disks are not hardware.
            .filter(|d| !d.removable && !matches!(d.kind, DiskKind::Usb | DiskKind::Virtual))
            .map(|d| match (text(&d.model), text(&d.serial)) {
                (Some(m), Some(s)) => format!("{m} ({s})"),
                (None, Some(s)) => format!("{} ({s})", d.name),
                // Decimal GB, as the vendor prints it on the label.
                _ => format!(
                    "{} {} GB",
                    d.name,
                    (d.size_bytes + 500_000_000) / 1_000_000_000
                ),
            })
            .collect();
        disks.sort();
        let mut nics: Vec<String> = inv
            .nics
            .iter()
            .filter(|n| n.physical)
            // The permanent address is the hardware's; `mac` can be changed or randomised.
            .filter_map(|n| n.perm_mac.as_deref().or(n.mac.as_deref()))
            .filter_map(super::rules::norm_mac)
            .collect();
        nics.sort();
        nics.dedup();
        HardwareSummary {
            cpu_model: text(&inv.cpu.model).map(str::to_string),
            memory_gib: (inv.memory.total_bytes + GIB / 2) / GIB,
            disks,
            nics,
        }
    }
}

/// What changed from `prev` to `next`; `None` when nothing that matters did.
///
/// A side that reported nothing for a part (no CPU model, no RAM figure, no disks at all) is
/// read as "unknown", not as a removal: an inventory collected without root or by an older
/// agent must not raise a hardware-changed flag. A machine cannot run without a disk, so an
/// empty disk list is always a collection gap. NICs have no such guard: a USB or PCIe NIC
/// taken out is a real change.
pub fn diff(
    prev: &HardwareSummary,
    next: &HardwareSummary,
    at: DateTime<Utc>,
) -> Option<HardwareChange> {
    let mut changes = Vec::new();
    if let (Some(a), Some(b)) = (&prev.cpu_model, &next.cpu_model) {
        if a != b {
            changes.push(format!("CPU: {a} → {b}"));
        }
    }
    if prev.memory_gib != 0 && next.memory_gib != 0 && prev.memory_gib != next.memory_gib {
        changes.push(format!(
            "RAM: {} GiB → {} GiB",
            prev.memory_gib, next.memory_gib
        ));
    }
    if !prev.disks.is_empty() && !next.disks.is_empty() {
        list_diff(&prev.disks, &next.disks, "disk", &mut changes);
    }
    list_diff(&prev.nics, &next.nics, "NIC", &mut changes);
    (!changes.is_empty()).then_some(HardwareChange { at, changes })
}

/// Removed, then added, items of two lists as multisets (two identical disks are two).
fn list_diff(prev: &[String], next: &[String], what: &str, out: &mut Vec<String>) {
    let minus = |a: &[String], b: &[String]| {
        let mut rest: Vec<&String> = b.iter().collect();
        let mut gone = Vec::new();
        for x in a {
            match rest.iter().position(|y| *y == x) {
                Some(i) => {
                    rest.swap_remove(i);
                }
                None => gone.push(x.clone()),
            }
        }
        gone.sort();
        gone
    };
    for x in minus(prev, next) {
        out.push(format!("{what} dilepas: {x}"));
    }
    for x in minus(next, prev) {
        out.push(format!("{what} ditambah: {x}"));
    }
}
