use super::*;
use crate::reconcile::hardware::{diff, HardwareSummary};
use pantau_proto::body::inventory::{DiskInfo, DiskKind, NicInfo};
use pantau_proto::body::Inventory;

fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    inv.cpu.model = Some("Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz".into());
    // 8 GiB installed, MemTotal a few hundred MiB short.
    inv.memory.total_bytes = 8 * (1 << 30) - 300 * (1 << 20);
    let d = |name: &str, model: Option<&str>, serial: Option<&str>, kind, removable| DiskInfo {
        name: name.into(),
        model: model.map(Into::into),
        serial: serial.map(Into::into),
        size_bytes: 256_060_514_304,
        kind,
        removable,
        ..DiskInfo::default()
    };
    inv.disks = vec![
        d(
            "sda",
            Some("Samsung SSD 860"),
            Some("S3Z9NB0K123456"),
            DiskKind::Ssd,
            false,
        ),
        d("sdb", None, None, DiskKind::Hdd, false),
        d("sdc", Some("Flash"), Some("USB1"), DiskKind::Usb, true),
        d("vda", None, None, DiskKind::Virtual, false),
    ];
    let n = |name: &str, mac: &str, perm: Option<&str>, physical| NicInfo {
        name: name.into(),
        mac: Some(mac.into()),
        perm_mac: perm.map(Into::into),
        physical,
        ..NicInfo::default()
    };
    inv.nics = vec![
        n("enp1s0", "3c:52:82:0a:1b:2c", None, true),
        // Randomised Wi-Fi address; the permanent one counts.
        n(
            "wlp2s0",
            "da:11:22:33:44:55",
            Some("a4:c3:f0:12:34:56"),
            true,
        ),
        n("docker0", "02:42:ac:11:00:02", None, false),
    ];
    inv
}

#[test]
fn summary_keeps_what_belongs_to_the_machine() {
    let s = HardwareSummary::of(&inventory());
    assert_eq!(s.memory_gib, 8);
    assert_eq!(s.disks, ["Samsung SSD 860 (S3Z9NB0K123456)", "sdb 256 GB"]);
    assert_eq!(s.nics, ["3c:52:82:0a:1b:2c", "a4:c3:f0:12:34:56"]);
    assert_eq!(
        s.cpu_model.as_deref(),
        Some("Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz")
    );
}

#[test]
fn diff_lists_each_change_in_bahasa_indonesia() {
    let prev = HardwareSummary::of(&inventory());
    assert_eq!(diff(&prev, &prev.clone(), now()), None);
    let mut inv = inventory();
    inv.memory.total_bytes = 4 * (1 << 30) - 200 * (1 << 20);
    inv.disks[0].serial = Some("S3Z9NB0K999999".into());
    inv.nics.remove(0);
    inv.cpu.model = Some("Intel(R) Core(TM) i3-10100".into());
    let next = HardwareSummary::of(&inv);
    let c = diff(&prev, &next, now()).expect("changed");
    assert_eq!(c.at, now());
    assert_eq!(
        c.changes,
        [
            "CPU: Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz → Intel(R) Core(TM) i3-10100",
            "RAM: 8 GiB → 4 GiB",
            "disk dilepas: Samsung SSD 860 (S3Z9NB0K123456)",
            "disk ditambah: Samsung SSD 860 (S3Z9NB0K999999)",
            "NIC dilepas: 3c:52:82:0a:1b:2c",
        ]
    );
}

#[test]
fn what_a_side_did_not_report_is_no_change() {
    let prev = HardwareSummary::of(&inventory());
    let mut partial = prev.clone();
    partial.cpu_model = None;
    partial.memory_gib = 0;
    partial.disks.clear();
    assert_eq!(diff(&prev, &partial, now()), None);
    assert_eq!(diff(&partial, &prev, now()), None);
}
