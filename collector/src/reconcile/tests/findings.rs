use super::*;
use crate::reconcile::condition::{Evidence, Suggestion};
use crate::reconcile::findings::compare::{models_differ, same_vendor, vendor};
use crate::reconcile::hardware::HardwareChange;

fn suggestion(c: Condition) -> Suggestion {
    Suggestion {
        condition: c,
        evidence: vec![Evidence {
            what: "disk sda: sektor realokasi".into(),
            value: serde_json::json!(8),
            threshold: "> 0".into(),
            suggests: c,
        }],
    }
}

#[test]
fn unregistered_host_is_flagged_in_its_opd() {
    let mut h = with_serial(host("stray", DINKES), "ZZZ9999");
    h.hostname = Some("LAPTOP-PRIBADI".into());
    let r = reconcile(&inputs(sample_assets(), vec![h]));
    let f = findings_of(&r, FlagKind::Unregistered);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].subject.as_str(), f[0].opd.as_str()),
        ("stray", DINKES)
    );
    assert_eq!(f[0].fingerprint, "unregistered");
    assert_eq!(f[0].evidence["serial"], "ZZZ9999");
    assert!(f[0].summary.contains("LAPTOP-PRIBADI"), "{}", f[0].summary);
}

#[test]
fn location_mismatch_names_both_places() {
    let r = reconcile(&inputs(
        sample_assets(),
        vec![with_serial(host("moved", DINKES), "4CE1234ABC")],
    ));
    let f = findings_of(&r, FlagKind::LocationMismatch);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].subject.as_str(), f[0].opd.as_str()),
        ("moved", DINKES)
    );
    assert_eq!(f[0].fingerprint, format!("{DINKES}→{DISKOMINFO}"));
    assert_eq!(f[0].evidence["register_kode_lokasi"], DISKOMINFO);
}

#[test]
fn silent_asset_that_never_reported() {
    let r = reconcile(&inputs(sample_assets(), vec![]));
    let f = findings_of(&r, FlagKind::Silent);
    let pc = f.iter().find(|f| f.subject == HP_PRODESK).expect("silent");
    assert_eq!(pc.evidence["last_seen"], "never");
    assert_eq!(pc.opd, DISKOMINFO);
    assert_eq!(pc.fingerprint, "silent");
    assert!(
        pc.summary.contains("belum pernah melapor"),
        "{}",
        pc.summary
    );
}

#[test]
fn hardware_mismatch_when_matched_by_another_rule() {
    let mut assets = sample_assets();
    // An operator linked this PC earlier; the register's nomor pabrik is another machine's.
    asset(&mut assets, LENOVO_M70S).learned.serial = Some("PF3NEW01".into());
    let mut h = with_serial(host("swapped", DISDIK), "PF3NEW01");
    h.vendor = Some("LENOVO".into());
    h.model = Some("11DBS0Q200".into());
    let r = reconcile(&inputs(assets, vec![h]));
    let f = findings_of(&r, FlagKind::HardwareMismatch);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].evidence["serial"]["register"], "MJ0G4XYZ");
    assert_eq!(f[0].evidence["asset_key"], LENOVO_M70S);
    assert!(f[0].evidence.get("vendor").is_none() && f[0].evidence.get("model").is_none());
    assert_eq!(f[0].fingerprint, "serial PF3NEW01 ≠ MJ0G4XYZ");
}

#[test]
fn same_hardware_in_other_words_is_no_mismatch() {
    let mut h = with_serial(host("hp", DISKOMINFO), "4CE1234ABC");
    h.vendor = Some("Hewlett-Packard".into());
    h.model = Some("HP ProDesk 400 G7 Microtower PC".into());
    let r = reconcile(&inputs(sample_assets(), vec![h.clone()]));
    assert!(findings_of(&r, FlagKind::HardwareMismatch).is_empty());

    h.vendor = Some("HPE".into());
    h.model = Some("ProLiant DL380 Gen10".into());
    let r = reconcile(&inputs(sample_assets(), vec![h]));
    let f = findings_of(&r, FlagKind::HardwareMismatch);
    assert!(f[0].evidence.get("vendor").is_some() && f[0].evidence.get("model").is_some());
}

#[test]
fn vendor_aliases() {
    let same = |a: &str, b: &str| same_vendor(&vendor(a).unwrap(), &vendor(b).unwrap());
    assert!(same("HP", "Hewlett-Packard"));
    assert!(same("HP Inc.", "HP"));
    assert!(!same("HP", "HPE"));
    assert!(!same("Hewlett Packard Enterprise", "HP"));
    assert!(same("Dell Inc.", "DELL"));
    assert!(same("ASUSTeK COMPUTER INC.", "Asus"));
    assert!(same("Seiko Epson Corporation", "Epson"));
    assert!(same("Routerboard.com", "MikroTik"));
    assert!(same("Ubiquiti Networks Inc.", "Ubiquiti"));
    assert!(same("LG Electronics Inc.", "LG"));
    assert!(same("FUJITSU CLIENT COMPUTING LIMITED", "Fujitsu"));
    assert!(!same("Acer", "Lenovo"));
    assert_eq!(vendor("To be filled by O.E.M."), None);
    assert_eq!(vendor("System manufacturer"), None);
    assert_eq!(vendor("-"), None);
}

#[test]
fn model_numbers_decide_a_model_mismatch() {
    assert!(!models_differ(
        "HP ProDesk 400 G7 Microtower PC",
        "ProDesk 400 G7 MT",
        false
    ));
    assert!(models_differ("OptiPlex 7090", "OptiPlex 3080", false));
    assert!(!models_differ(
        "WS-C2960X-48TS-L",
        "Catalyst 2960X-48TS-L",
        false
    ));
    assert!(!models_differ(
        "VivoBook_ASUSLaptop X415JA_A416JA",
        "VivoBook 14 A416",
        false
    ));
    assert!(!models_differ(
        "ThinkPad E14 Gen 2",
        "ThinkPad E14 Gen 2",
        false
    ));
    assert!(models_differ("ThinkPad T480", "ThinkPad E14 Gen 2", false));
    // Lenovo's DMI name is a machine type, never the marketing name.
    assert!(!models_differ("11DBS0Q200", "ThinkCentre M70s", true));
    // Nothing to compare: no mismatch.
    assert!(!models_differ("OptiPlex", "OptiPlex 3080", false));
    assert!(!models_differ("OptiPlex 3080", "-", false));
    assert!(!models_differ(
        "System Product Name",
        "Veriton M4690G",
        false
    ));
}

#[test]
fn virtual_machines_match_but_are_not_compared_with_the_hardware() {
    let mut h = with_serial(host("vm", DISKOMINFO), "4CE1234ABC");
    h.virtual_machine = true;
    h.vendor = Some("QEMU".into());
    h.model = Some("Standard PC (Q35 + ICH9, 2009)".into());
    let r = reconcile(&inputs(sample_assets(), vec![h]));
    assert_eq!(matched_key(outcome(&r, "vm")), Some(HP_PRODESK));
    assert!(findings_of(&r, FlagKind::HardwareMismatch).is_empty());
}

#[test]
fn hardware_change_fingerprint_is_its_time_and_lines() {
    let mut h = with_serial(host("a1", DISKOMINFO), "4CE1234ABC");
    h.hardware_change = Some(HardwareChange {
        at: now() - chrono::Duration::days(1),
        changes: vec!["RAM: 8 GiB → 4 GiB".into()],
    });
    let r = reconcile(&inputs(sample_assets(), vec![h]));
    let f = findings_of(&r, FlagKind::HardwareChanged);
    assert_eq!(f[0].fingerprint, "2025-06-01T08:00:00Z RAM: 8 GiB → 4 GiB");
    assert_eq!(f[0].evidence["asset_key"], HP_PRODESK);
}

#[test]
fn condition_discrepancy_only_in_the_worse_direction() {
    let run = |serial: &str, opd: &str, s: Option<Condition>| {
        let mut h = with_serial(host("h", opd), serial);
        h.suggestion = s.map(suggestion);
        reconcile(&inputs(sample_assets(), vec![h]))
    };
    // Registered Baik, telemetry Kurang Baik.
    let r = run("4CE1234ABC", DISKOMINFO, Some(Condition::KurangBaik));
    let f = findings_of(&r, FlagKind::ConditionDiscrepancy);
    assert_eq!(
        (f[0].subject.as_str(), f[0].fingerprint.as_str()),
        (HP_PRODESK, "B→KB")
    );
    assert_eq!(
        f[0].evidence["suggestion_evidence"][0]["what"],
        "disk sda: sektor realokasi"
    );
    // Registered Kurang Baik (Lenovo laptop, weak battery), telemetry says Rusak Ringan:
    // the same severity, nothing to flag; Baik is better, nothing either.
    for c in [Condition::RusakRingan, Condition::Baik] {
        let r = run("PF2K7QXM", DISKOMINFO, Some(c));
        assert!(
            findings_of(&r, FlagKind::ConditionDiscrepancy).is_empty(),
            "{c:?}"
        );
    }
}

#[test]
fn rusak_berat_in_daily_use_is_a_discrepancy() {
    // BKAD's Acer 000014 is registered Rusak Berat ("SSD rusak") yet reported an hour ago.
    let r = reconcile(&inputs(
        sample_assets(),
        vec![with_serial(host("acer", BKAD), "DTVR7SN0017230ABC")],
    ));
    let f = findings_of(&r, FlagKind::ConditionDiscrepancy);
    assert_eq!(
        (f[0].subject.as_str(), f[0].fingerprint.as_str()),
        (ACER_RB, "RB→aktif")
    );
    assert_eq!(f[0].opd, BKAD);
}

#[test]
fn no_register_condition_no_discrepancy() {
    let mut assets = sample_assets();
    asset(&mut assets, HP_PRODESK).kondisi = None;
    let mut h = with_serial(host("h", DISKOMINFO), "4CE1234ABC");
    h.suggestion = Some(suggestion(Condition::RusakBerat));
    let r = reconcile(&inputs(assets, vec![h]));
    assert!(findings_of(&r, FlagKind::ConditionDiscrepancy).is_empty());
}

#[test]
fn findings_are_sorted_and_unique_per_kind_and_subject() {
    let hosts = vec![
        with_serial(host("z", DINKES), "4CE1234ABC"),
        with_serial(host("b", DINKES), "NOPE0001"),
        with_serial(host("a", DINKES), "NOPE0002"),
    ];
    let r = reconcile(&inputs(sample_assets(), hosts));
    let keys: Vec<(FlagKind, &str)> = r
        .findings
        .iter()
        .map(|f| (f.kind, f.subject.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted);
    for f in &r.findings {
        assert!(!f.summary.is_empty() && !f.fingerprint.is_empty(), "{f:?}");
    }
}
