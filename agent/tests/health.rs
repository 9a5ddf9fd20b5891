//! `inventory.health` against the recorded `desktop-hp` tree: SMART from a cache directory,
//! sysfs error counters, thermal limits and throttling, and the boot ledger.
#![cfg(target_os = "linux")]

use pantau_agent::health::HealthOptions;
use pantau_agent::source::{HostSource, Source};
use pantau_proto::body::health::HealthSource;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn source(cache: &std::path::Path, state: Option<&std::path::Path>) -> HostSource {
    HostSource::new(fixtures().join("desktop-hp"), None, 0).with_health(
        HealthOptions {
            smart_cache_dir: cache.to_path_buf(),
            run_smartctl: true, // never runs on a recorded tree
        },
        state,
    )
}

#[test]
fn desktop_hp_health() {
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // What pantau-smart-scan.sh leaves for this machine's NVMe (same serial as the tree).
    std::fs::copy(
        fixtures().join("smart/nvme-worn.json"),
        cache.path().join("nvme0.json"),
    )
    .unwrap();
    let inv = source(cache.path(), Some(state.path())).inventory();
    let h = &inv.health;

    let names: Vec<&str> = h.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["nvme0n1", "sda"],
        "the USB stick sdb is not the PC's"
    );
    let (nvme, sda) = (&h.disks[0], &h.disks[1]);
    assert_eq!(nvme.source, HealthSource::Smartctl);
    assert_eq!(nvme.serial.as_deref(), Some("S4DXNX0M123456"));
    assert_eq!(nvme.percent_used, Some(93));
    assert_eq!(nvme.io_errors, None, "NVMe has no ioerr_cnt");
    assert_eq!(sda.source, HealthSource::Sysfs);
    assert_eq!(sda.io_errors, Some(0x1a));
    assert_eq!(
        sda.serial.as_deref(),
        Some("ZN1ABCDE"),
        "from the inventory"
    );
    assert_eq!(sda.smart_passed, None);

    assert_eq!(h.thermal.max_temp_c, Some(100.0));
    assert_eq!(
        h.thermal.sensors_over_critical, 1,
        "Package at its crit of 100 °C"
    );
    assert_eq!(h.thermal.throttle_events, Some(1270 + 1304));

    assert_eq!(h.shutdowns.boots_seen, 1);
    assert_eq!(h.shutdowns.unclean_total, 0);
    assert!(state.path().join("boots.json").is_file());
}

#[test]
fn stale_or_foreign_cache_and_no_state_dir() {
    let cache = tempfile::tempdir().unwrap();
    // A report for a disk that is no longer behind sda (serial differs): ignored.
    std::fs::copy(
        fixtures().join("smart/ata-hdd-failing.json"),
        cache.path().join("sda.json"),
    )
    .unwrap();
    let inv = source(cache.path(), None).inventory();
    let sda = inv.health.disks.iter().find(|d| d.name == "sda").unwrap();
    assert_eq!(sda.source, HealthSource::Sysfs);
    assert_eq!(sda.smart_passed, None);
    assert_eq!(
        inv.health.shutdowns.boots_seen, 0,
        "no state dir, no ledger"
    );
}

#[test]
fn clean_stop_is_recorded() {
    let cache = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let mut src = source(cache.path(), Some(state.path()));
    let ledger = || std::fs::read_to_string(state.path().join("boots.json")).unwrap();
    assert!(ledger().contains("\"clean_stop\":false"), "{}", ledger());
    src.stop();
    assert!(ledger().contains("\"clean_stop\":true"), "{}", ledger());
}
