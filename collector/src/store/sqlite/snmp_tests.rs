//! Store side of SNMP: what ingest keeps of `snmp` reports, and the flags and matches of the
//! real job (`snmpwatch::run_once`).

use super::*;
use crate::snmp::SnmpJudgeConfig;
use crate::store::testing::TestStore;
use pantau_proto::body::snmp::{SnmpDevice, SnmpInterface, SnmpReport, UpsStatus};
use pantau_proto::body::Body;
use pantau_proto::{AgentKey, Envelope, Kind};

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
    key
}

async fn send(s: &dyn Store, key: &AgentKey, seq: u64, r: SnmpReport) {
    let json = serde_json::to_value(&r).unwrap();
    let env = Envelope::sign(key, "poller", seq, Utc::now(), Kind::Snmp, &json);
    let out = s
        .commit(&[Accepted {
            envelope: env,
            body: Body::Snmp(Box::new(r)),
            received_at: Utc::now(),
        }])
        .await
        .unwrap();
    assert_eq!(out, vec![Outcome::Stored]);
}

fn ups(reachable: bool, ifs: usize) -> SnmpDevice {
    SnmpDevice {
        target: "ups-1".into(),
        address: "10.0.0.9:161".into(),
        reachable,
        interfaces: (1..=ifs as u32)
            .map(|index| SnmpInterface {
                index,
                name: format!("eth{index}"),
                oper_status: "up".into(),
                ..Default::default()
            })
            .collect(),
        ups: reachable.then(|| UpsStatus {
            on_battery: true,
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn newest_report_wins_and_a_down_device_keeps_its_interfaces(s: TestStore) {
    let key = setup(&*s).await;
    let t0 = Utc::now() - chrono::Duration::minutes(10);
    let report = |ts, dev| SnmpReport {
        ts: Some(ts),
        devices: vec![dev],
        ..Default::default()
    };
    send(&*s, &key, 1, report(t0, ups(true, 2))).await;
    let run = crate::snmpwatch::run_once(&*s, &SnmpJudgeConfig::default(), Utc::now())
        .await
        .unwrap();
    assert_eq!((run.findings, run.opened), (1, 1), "ups_on_battery");

    // Down now: the interfaces stay, last_reachable is the earlier round.
    send(
        &*s,
        &key,
        2,
        report(t0 + chrono::Duration::minutes(5), ups(false, 0)),
    )
    .await;
    // A report older than the kept one, delivered late, changes nothing.
    send(
        &*s,
        &key,
        3,
        report(t0 - chrono::Duration::minutes(5), ups(true, 7)),
    )
    .await;
    let devs = s.snmp_devices(Some("1.02")).await.unwrap();
    assert_eq!(devs.len(), 1);
    let d = &devs[0];
    assert_eq!(
        (d.reachable, d.interfaces, d.opd.as_str()),
        (false, 2, "1.02")
    );
    assert_eq!(
        d.last_reachable.map(|t| t.timestamp()),
        Some(t0.timestamp())
    );
    assert_eq!(s.snmp_interfaces(d.id).await.unwrap().unwrap().len(), 2);
    assert!(s.snmp_interfaces(d.id + 1).await.unwrap().is_none());
    assert!(s.snmp_devices(Some("9.99")).await.unwrap().is_empty());

    let run = crate::snmpwatch::run_once(&*s, &SnmpJudgeConfig::default(), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (run.findings, run.opened, run.resolved),
        (1, 1, 1),
        "unreachable replaces on battery"
    );
    let flags = s.flags(FlagFilter::default()).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].kind, "snmp_unreachable");
    assert_eq!(flags[0].subject, "poller/ups-1");
    assert_eq!(flags[0].opd, "1.02");
}

crate::both!(newest_report_wins_and_a_down_device_keeps_its_interfaces,);
