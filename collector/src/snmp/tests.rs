use super::*;
use pantau_proto::body::snmp::{
    PrinterStatus, PrinterSupply, SnmpEntity, SnmpInterface, UpsStatus,
};

fn state(id: i64, target: &str, dev: SnmpDevice) -> DeviceState {
    DeviceState {
        id,
        agent_id: "poller-1".into(),
        opd: "1.01".into(),
        ts: Utc::now(),
        last_reachable: None,
        device: SnmpDevice {
            target: target.into(),
            ..dev
        },
    }
}

fn kinds(j: &Judged) -> Vec<(&'static str, String)> {
    let mut k: Vec<_> = j
        .findings
        .iter()
        .map(|f| (f.kind.name(), f.subject.clone()))
        .collect();
    k.sort();
    k
}

#[test]
fn each_problem_is_one_flag_on_its_subject() {
    let switch = SnmpDevice {
        reachable: true,
        interfaces: vec![
            SnmpInterface {
                name: "Gi1/0/7".into(),
                errors_per_s: Some(3.0),
                admin_up: true,
                oper_status: "up".into(),
                ..Default::default()
            },
            SnmpInterface {
                name: "Te1/0/2".into(),
                uplink: true,
                admin_up: true,
                oper_status: "down".into(),
                ..Default::default()
            },
            // Shut down on purpose: not a failure.
            SnmpInterface {
                name: "Te1/0/3".into(),
                uplink: true,
                admin_up: false,
                oper_status: "down".into(),
                ..Default::default()
            },
            SnmpInterface {
                name: "Gi1/0/8".into(),
                errors_per_s: Some(0.5),
                oper_status: "up".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let printer = SnmpDevice {
        reachable: true,
        printer: Some(PrinterStatus {
            supplies: vec![
                PrinterSupply {
                    index: 1,
                    description: "Toner".into(),
                    level_pct: Some(5.0),
                    ..Default::default()
                },
                PrinterSupply {
                    index: 2,
                    description: "Drum".into(),
                    level_pct: None,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }),
        ..Default::default()
    };
    let ups = SnmpDevice {
        reachable: true,
        ups: Some(UpsStatus {
            on_battery: true,
            battery_bad: true,
            battery_status: "low".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let dead = SnmpDevice {
        reachable: false,
        error: Some("no answer".into()),
        ..Default::default()
    };
    let mut old = state(5, "old", dead.clone());
    old.ts = Utc::now() - chrono::Duration::hours(5);
    let devices = vec![
        state(1, "sw", switch),
        state(2, "pr", printer),
        state(3, "ups", ups),
        state(4, "ap", dead),
        old,
    ];
    let j = find(&devices, &[], &SnmpJudgeConfig::default(), Utc::now());
    assert_eq!(
        kinds(&j),
        vec![
            ("interface_errors", "poller-1/sw#Gi1/0/7".to_string()),
            ("printer_supply_low", "poller-1/pr".to_string()),
            ("snmp_unreachable", "poller-1/ap".to_string()),
            ("uplink_down", "poller-1/sw#Te1/0/2".to_string()),
            ("ups_battery_replace", "poller-1/ups".to_string()),
            ("ups_on_battery", "poller-1/ups".to_string()),
        ]
    );
    for f in &j.findings {
        assert!(FlagKind::SNMP.contains(&f.kind));
        assert!(f.kind.article().contains("Pasal"));
    }
}

#[test]
fn devices_match_the_register_by_target_then_serial() {
    let sw = SnmpDevice {
        reachable: true,
        entities: vec![
            SnmpEntity {
                index: 3,
                class: "module".into(),
                serial: "FOC-MODULE".into(),
                ..Default::default()
            },
            SnmpEntity {
                index: 1,
                class: "chassis".into(),
                serial: "foc2231x0ab".into(),
                ..Default::default()
            },
        ],
        ..Default::default()
    };
    let reg = vec![
        RegisterEntry {
            key: "A-1".into(),
            opd: "1.01".into(),
            nomor_pabrik: Some("FOC2231X0AB".into()),
            ..Default::default()
        },
        RegisterEntry {
            key: "A-2".into(),
            opd: "1.01".into(),
            nomor_pabrik: Some("FOC-MODULE".into()),
            ..Default::default()
        },
        RegisterEntry {
            key: "UPS-7".into(),
            opd: "1.01".into(),
            nomor_pabrik: None,
            ..Default::default()
        },
    ];
    let devices = vec![
        state(1, "sw", sw),
        state(2, "UPS-7", SnmpDevice::default()),
        state(3, "x", SnmpDevice::default()),
    ];
    let j = find(&devices, &reg, &SnmpJudgeConfig::default(), Utc::now());
    assert_eq!(
        j.matches,
        vec![
            AssetMatch {
                device_id: 1,
                asset_key: "A-1".into(),
                rule: "serial".into(),
                value: "FOC2231X0AB".into(),
            },
            AssetMatch {
                device_id: 2,
                asset_key: "UPS-7".into(),
                rule: "target".into(),
                value: "UPS-7".into(),
            },
        ]
    );
}
