use super::*;
use crate::reconcile::condition::{suggest, ConditionConfig};
use pantau_proto::body::health::{DiskHealth, Health};
use pantau_proto::body::inventory::BatteryInfo;

fn disk(name: &str, f: impl FnOnce(&mut DiskHealth)) -> Health {
    let mut d = DiskHealth {
        name: name.into(),
        smart_passed: Some(true),
        reallocated_sectors: Some(0),
        pending_sectors: Some(0),
        offline_uncorrectable: Some(0),
        ..DiskHealth::default()
    };
    f(&mut d);
    Health {
        disks: vec![d],
        ..Health::default()
    }
}

fn run(h: &Health, b: Option<&BatteryInfo>) -> (Condition, Vec<String>) {
    let s = suggest(h, b, now(), &ConditionConfig::default());
    (
        s.condition,
        s.evidence.into_iter().map(|e| e.what).collect(),
    )
}

#[test]
fn healthy_machine_is_baik_without_evidence() {
    assert_eq!(run(&disk("sda", |_| {}), None), (Condition::Baik, vec![]));
    assert_eq!(run(&Health::default(), None), (Condition::Baik, vec![]));
}

#[test]
fn one_reallocated_sector_is_kurang_baik() {
    let (c, ev) = run(&disk("sda", |d| d.reallocated_sectors = Some(1)), None);
    assert_eq!(
        (c, ev),
        (
            Condition::KurangBaik,
            vec!["disk sda: sektor realokasi".to_string()]
        )
    );
}

#[test]
fn worst_evidence_wins_and_all_is_listed() {
    let h = disk("sda", |d| {
        d.smart_passed = Some(false);
        d.reallocated_sectors = Some(120);
    });
    let (c, ev) = run(&h, None);
    assert_eq!(c, Condition::RusakBerat);
    assert_eq!(ev.len(), 2, "{ev:?}");
}

#[test]
fn unreadable_sectors_many_is_rusak_berat_few_is_kurang_baik() {
    let (c, _) = run(&disk("sdb", |d| d.pending_sectors = Some(3)), None);
    assert_eq!(c, Condition::KurangBaik);
    let h = disk("sdb", |d| {
        d.pending_sectors = Some(30);
        d.offline_uncorrectable = Some(20);
    });
    let (c, ev) = run(&h, None);
    assert_eq!(c, Condition::RusakBerat);
    assert!(
        ev.iter().any(|e| e.contains("sektor tak terbaca")),
        "{ev:?}"
    );
}

#[test]
fn nvme_wear_and_warnings() {
    let nvme = |f: fn(&mut DiskHealth)| disk("nvme0n1", f);
    assert_eq!(
        run(&nvme(|d| d.percent_used = Some(100)), None).0,
        Condition::RusakBerat
    );
    assert_eq!(
        run(&nvme(|d| d.percent_used = Some(93)), None).0,
        Condition::KurangBaik
    );
    assert_eq!(
        run(&nvme(|d| d.percent_used = Some(40)), None).0,
        Condition::Baik
    );
    assert_eq!(
        run(&nvme(|d| d.critical_warning = Some(0x04)), None).0,
        Condition::RusakBerat
    );
    // Temperature alone: cooling, not wear.
    assert_eq!(
        run(&nvme(|d| d.critical_warning = Some(0x02)), None).0,
        Condition::KurangBaik
    );
    assert_eq!(
        run(&nvme(|d| d.media_errors = Some(2)), None).0,
        Condition::KurangBaik
    );
    assert_eq!(
        run(&nvme(|d| d.io_errors = Some(1)), None).0,
        Condition::KurangBaik
    );
}

#[test]
fn weak_battery_hot_sensors_and_unclean_shutdowns() {
    let battery = BatteryInfo {
        name: "BAT0".into(),
        design_capacity_wh: Some(45.0),
        full_capacity_wh: Some(22.5),
        ..BatteryInfo::default()
    };
    let (c, ev) = run(&Health::default(), Some(&battery));
    assert_eq!(c, Condition::KurangBaik);
    assert!(ev[0].starts_with("baterai BAT0"), "{ev:?}");
    let good = BatteryInfo {
        full_capacity_wh: Some(40.0),
        ..battery
    };
    assert_eq!(run(&Health::default(), Some(&good)).0, Condition::Baik);

    let mut hot = Health::default();
    hot.thermal.sensors_over_critical = 1;
    assert_eq!(run(&hot, None).0, Condition::KurangBaik);

    let mut h = Health::default();
    let days = |d: i64| now() - chrono::Duration::days(d);
    h.shutdowns.unclean_recent = vec![days(60), days(40), days(20), days(10)];
    assert_eq!(run(&h, None).0, Condition::Baik, "two within 30 days");
    h.shutdowns.unclean_recent.push(days(1));
    assert_eq!(
        run(&h, None),
        (Condition::KurangBaik, vec!["mati tidak normal".to_string()])
    );
}
