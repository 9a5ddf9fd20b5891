//! Per-disk health: SMART (see `smart.rs`) merged with what sysfs shows. Emitted into
//! `inventory.health.disks[]`, one entry per disk of `inventory.disks` that is built into the
//! machine and for which anything was found, sorted by name:
//!
//! * disks: the inventory's own list (same skipped devices), minus `kind` `usb` (sticks and
//!   external drives move between PCs; they say nothing about this one) and `virtual`
//!   (a guest cannot see the host's disks);
//! * `io_errors`: `/sys/block/<disk>/device/ioerr_cnt`, the SCSI layer's count of commands
//!   that ended in error since boot, printed by the kernel in hex (`0x1a`). SATA, SAS and
//!   USB disks have it; NVMe does not;
//! * `source`: `smartctl` when SMART data was found, else `sysfs` when `ioerr_cnt` was;
//!   a disk with neither is left out;
//! * `serial`: smartctl's `serial_number`, else the inventory's.
//!
//! A SMART cache file whose serial differs from the disk's is ignored: the disk behind
//! `sda` was replaced since the timer last ran.

use super::smart::SmartReport;
use crate::inventory::read_str;
use pantau_proto::body::health::{DiskHealth, HealthSource};
use pantau_proto::body::inventory::{DiskInfo, DiskKind};
use std::path::Path;

/// Disks worth inspecting: built in, not virtual.
pub(crate) fn physical(disks: &[DiskInfo]) -> impl Iterator<Item = &DiskInfo> {
    disks
        .iter()
        .filter(|d| !matches!(d.kind, DiskKind::Usb | DiskKind::Virtual))
}

/// Health of each physical disk; `smart` looks up a SMART report by kernel name.
pub(crate) fn read_disks(
    root: &Path,
    disks: &[DiskInfo],
    mut smart: impl FnMut(&str) -> Option<SmartReport>,
) -> Vec<DiskHealth> {
    let mut out: Vec<DiskHealth> = physical(disks)
        .filter_map(|d| {
            let report = smart(&d.name).filter(|r| same_disk(r, d));
            let io_errors = read_str(
                &root
                    .join("sys/block")
                    .join(&d.name)
                    .join("device/ioerr_cnt"),
            )
            .and_then(|s| parse_counter(&s));
            let mut h = match report {
                Some(r) => r.to_health(&d.name),
                None if io_errors.is_some() => DiskHealth {
                    name: d.name.clone(),
                    source: HealthSource::Sysfs,
                    ..DiskHealth::default()
                },
                None => return None,
            };
            h.io_errors = io_errors;
            h.serial = h.serial.or_else(|| d.serial.clone());
            Some(h)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn same_disk(r: &SmartReport, d: &DiskInfo) -> bool {
    match (
        r.serial_number.as_deref().map(str::trim),
        d.serial.as_deref(),
    ) {
        (Some(a), Some(b)) if !a.is_empty() => a.eq_ignore_ascii_case(b.trim()),
        _ => true,
    }
}

/// `0x1a` (how the kernel prints `ioerr_cnt`), or plain decimal.
fn parse_counter(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(name: &str, kind: DiskKind, serial: Option<&str>) -> DiskInfo {
        DiskInfo {
            name: name.into(),
            kind,
            serial: serial.map(Into::into),
            ..DiskInfo::default()
        }
    }

    #[test]
    fn counters() {
        assert_eq!(parse_counter("0x1a"), Some(26));
        assert_eq!(parse_counter("0x0"), Some(0));
        assert_eq!(parse_counter("12"), Some(12));
        assert_eq!(parse_counter("0xzz"), None);
    }

    #[test]
    fn merge_and_filter() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("sys/block/sda/device");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("ioerr_cnt"), "0x3\n").unwrap();
        let usb = dir.path().join("sys/block/sdb/device");
        std::fs::create_dir_all(&usb).unwrap();
        std::fs::write(usb.join("ioerr_cnt"), "0x1\n").unwrap();
        let disks = [
            disk("sda", DiskKind::Hdd, Some("ZN1ABCDE")),
            disk("sdb", DiskKind::Usb, None),
            disk("sdc", DiskKind::Ssd, Some("OTHER")),
            disk("vda", DiskKind::Virtual, None),
            disk("nvme0n1", DiskKind::Nvme, None),
        ];
        let report = |serial: &str| {
            SmartReport::parse(
                format!(r#"{{"serial_number":"{serial}","smart_status":{{"passed":true}}}}"#)
                    .as_bytes(),
            )
        };
        let out = read_disks(dir.path(), &disks, |name| match name {
            "sda" => report("ZN1ABCDE"),
            "sdc" => report("REPLACED"),
            _ => None,
        });
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].name, "sda");
        assert_eq!(out[0].source, HealthSource::Smartctl);
        assert_eq!(out[0].io_errors, Some(3));
        assert_eq!(out[0].smart_passed, Some(true));

        let out = read_disks(dir.path(), &disks, |_| None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].source, HealthSource::Sysfs);
        assert_eq!(out[0].serial.as_deref(), Some("ZN1ABCDE"));
    }
}
