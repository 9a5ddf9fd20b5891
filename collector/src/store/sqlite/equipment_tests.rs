//! Store side of the SNMP equipment mapping, profiles in agent layers, the merged config a
//! poller is sent, interface history and the value a match was made on.

use super::*;
use crate::network::pushed::Scope;
use crate::snmp::equipment::Equipment;
use crate::snmp::SnmpJudgeConfig;
use crate::store::testing::TestStore;
use pantau_proto::body::snmp::{SnmpDevice, SnmpInterface, SnmpReport};
use pantau_proto::body::Body;
use pantau_proto::{AgentKey, Envelope, Kind};
use serde_json::json;
use std::collections::BTreeSet;

pub(crate) fn asset(
    kode_lokasi: &str,
    nibar: &str,
    nomor_pabrik: Option<&str>,
) -> crate::register::AssetRow {
    crate::register::AssetRow {
        kode_lokasi: kode_lokasi.into(),
        nama_opd: None,
        kode_barang: "1.3.2.10.02.03.001".into(),
        nama_barang: "Switch".into(),
        nomor_register: "000001".into(),
        nibar: Some(nibar.into()),
        merk: "Cisco".into(),
        tipe: "C9200".into(),
        ukuran: String::new(),
        bahan: String::new(),
        tahun_perolehan: Some(2022),
        nomor_pabrik: nomor_pabrik.map(Into::into),
        asal_usul: String::new(),
        harga_rupiah: None,
        kondisi: None,
        ruangan: String::new(),
        pemegang: String::new(),
        keterangan: String::new(),
        jumlah: None,
        source_line: 2,
    }
}

async fn setup(s: &dyn Store) -> AgentKey {
    let key = AgentKey::generate();
    s.enroll(&EnrolledAgent {
        agent_id: "poller".into(),
        opd: "1.02".into(),
        public_key: key.public(),
        enrolled_at: Utc::now(),
    })
    .await
    .unwrap();
    s.import_register(
        &[
            asset("1.02", "SW-INTI", None),
            asset("1.02", "SW-LANTAI2", Some("00:1a:2b:3c:4d:5e")),
        ],
        "kib-b.csv",
        false,
    )
    .await
    .unwrap();
    key
}

fn profiles() -> BTreeSet<String> {
    ["kantor".to_string()].into()
}

fn eq(key: &str, ip: &str, profile: &str, agent: &str) -> Equipment {
    Equipment {
        asset_key: key.into(),
        ip: ip.into(),
        port: Some(1161),
        profile: profile.into(),
        agent_id: agent.into(),
        uplinks: vec!["Te1/0/1".into()],
    }
}

async fn equipment_is_checked_whole_and_reaches_its_poller_first(s: TestStore) {
    let _k = setup(&*s).await;
    // One bad row of three: every error, nothing stored.
    let errs = s
        .put_snmp_equipment(
            vec![
                eq("SW-INTI", "10.0.0.2", "kantor", "poller"),
                eq("TIDAK-ADA", "10.0.0.3", "hilang", "poller-x"),
                eq("SW-LANTAI2", "10.0.0.4", "kantor", "poller"),
            ],
            profiles(),
            "admin",
        )
        .await
        .unwrap()
        .unwrap_err();
    let shown: Vec<_> = errs.iter().map(|e| (e.row, e.field)).collect();
    assert_eq!(shown, [(1, "asset_key"), (1, "agent_id"), (1, "profile")]);
    assert!(
        errs[2].message.contains("no SNMP profile \"hilang\""),
        "{errs:?}"
    );
    assert!(s.snmp_equipment().await.unwrap().is_empty());

    let n = s
        .put_snmp_equipment(
            vec![eq("SW-INTI", "10.0.0.2", "kantor", "poller")],
            profiles(),
            "admin",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 1);
    let rows = s.snmp_equipment().await.unwrap();
    assert_eq!(
        (rows[0].opd.as_str(), rows[0].updated_by.as_str()),
        ("1.02", "admin")
    );

    // The agent layer's extra address comes after the registered equipment.
    s.set_config_layer(
        Scope::Agent,
        "poller",
        Some(json!({"snmp": {"targets": [{"name": "ekstra", "host": "10.9.9.9", "profile": "kantor"}]}})),
        "admin",
        &profiles(),
    )
    .await
    .unwrap();
    let cfg = s.agent_config("poller").await.unwrap().unwrap();
    let t = cfg.snmp.unwrap().targets.unwrap();
    let names: Vec<_> = t.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["SW-INTI", "ekstra"]);
    assert_eq!((t[0].host.as_str(), t[0].port), ("10.0.0.2", Some(1161)));
    assert_eq!(t[0].profile.as_deref(), Some("kantor"));
    assert_eq!(t[0].uplinks, ["Te1/0/1"]);

    // collector.toml lost the profile: both references are named at start-up.
    let lost = crate::snmp::profiles::dangling(&*s, &BTreeSet::new())
        .await
        .unwrap();
    assert_eq!(
        lost,
        [
            "snmp equipment \"SW-INTI\" (poller poller): profile \"kantor\"",
            "agent-config agent/poller snmp.targets[0].profile: profile \"kantor\"",
        ]
    );
    assert!(crate::snmp::profiles::dangling(&*s, &profiles())
        .await
        .unwrap()
        .is_empty());

    assert!(s.remove_snmp_equipment("SW-INTI").await.unwrap());
    assert!(!s.remove_snmp_equipment("SW-INTI").await.unwrap());
}

async fn unknown_profiles_and_profile_with_credentials_are_refused_in_a_layer(s: TestStore) {
    let _k = setup(&*s).await;
    for (layer, want) in [
        (
            json!({"snmp": {"targets": [{"name": "a", "host": "10.0.0.1", "profile": "hilang"}]}}),
            "layer: snmp.targets[0].profile: no SNMP profile \"hilang\" in collector.toml [snmp.profiles] (defined: kantor)",
        ),
        (
            json!({"snmp": {"targets": [{"name": "a", "host": "10.0.0.1", "profile": "kantor",
                   "credentials": {"version": "v2c", "community": "rahasia-9"}}]}}),
            "layer: snmp.targets[0]: give either profile or credentials, not both",
        ),
    ] {
        let e = s
            .set_config_layer(Scope::Agent, "poller", Some(layer), "admin", &profiles())
            .await
            .unwrap_err();
        assert_eq!(e.downcast_ref::<crate::store::Refusal>().unwrap().0, want);
    }
    assert!(s.config_layers().await.unwrap().is_empty());
}

async fn each_round_adds_interface_history_and_matches_keep_their_value(s: TestStore) {
    let key = setup(&*s).await;
    let t0 = Utc::now() - chrono::Duration::minutes(10);
    for (seq, (ts, in_bps)) in [(t0, 100e6), (t0 + chrono::Duration::minutes(5), 500e6)]
        .into_iter()
        .enumerate()
    {
        let r = SnmpReport {
            ts: Some(ts),
            devices: vec![SnmpDevice {
                target: "lantai2".into(),
                address: "10.0.0.4:161".into(),
                reachable: true,
                interfaces: vec![SnmpInterface {
                    index: 3,
                    name: "Gi1/0/3".into(),
                    mac: "00-1A-2B-3C-4D-5E".into(),
                    speed_bps: Some(1_000_000_000),
                    in_bps: Some(in_bps),
                    out_bps: Some(10e6),
                    errors_per_s: Some(0.5),
                    discards_per_s: Some(0.25),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let json = serde_json::to_value(&r).unwrap();
        let env = Envelope::sign(
            &key,
            "poller",
            seq as u64 + 1,
            Utc::now(),
            Kind::Snmp,
            &json,
        );
        s.commit(&[Accepted {
            envelope: env,
            body: Body::Snmp(Box::new(r)),
            received_at: Utc::now(),
        }])
        .await
        .unwrap();
    }
    let dev = &s.snmp_devices(None).await.unwrap()[0];
    let (res, series) = s
        .snmp_history(dev.id, 3, t0 - chrono::Duration::hours(1), Utc::now(), 60)
        .await
        .unwrap();
    assert_eq!(res, Resolution::Raw);
    let get = |n: &str| -> Vec<f64> {
        series
            .iter()
            .find(|x| x.name == n)
            .map(|x| x.points.iter().map(|p| p.1).collect())
            .unwrap_or_default()
    };
    assert_eq!(get("in_pct"), [10.0, 50.0]);
    assert_eq!(get("out_pct"), [1.0, 1.0]);
    assert_eq!(get("err_per_s"), [0.75, 0.75]);
    // Another interface has no history; the poller's own metrics do not list these.
    assert!(s
        .snmp_history(dev.id, 4, t0, Utc::now(), 60)
        .await
        .unwrap()
        .1
        .is_empty());
    let (_, own) = s
        .series(
            "poller",
            t0 - chrono::Duration::hours(1),
            Utc::now(),
            60,
            &[],
        )
        .await
        .unwrap();
    assert!(own.is_empty(), "{own:?}");

    // Matched by the MAC-shaped nomor pabrik; the rule and the MAC are kept.
    crate::snmpwatch::run_once(&*s, &SnmpJudgeConfig::default(), Utc::now())
        .await
        .unwrap();
    let dev = &s.snmp_devices(None).await.unwrap()[0];
    assert_eq!(dev.asset_key.as_deref(), Some("SW-LANTAI2"));
    assert_eq!(dev.match_rule.as_deref(), Some("mac"));
    assert_eq!(dev.match_value.as_deref(), Some("00:1a:2b:3c:4d:5e"));
}

crate::both!(
    equipment_is_checked_whole_and_reaches_its_poller_first,
    unknown_profiles_and_profile_with_credentials_are_refused_in_a_layer,
    each_round_adds_interface_history_and_matches_keep_their_value,
);
