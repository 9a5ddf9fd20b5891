//! Store side of the network (issue 4): what ingest keeps of net and discovery reports, the
//! IP plan, and every network flag through the real job (`netwatch::run_once`).

use super::*;
use crate::network::{NetworkConfig, PlanEntry};
use crate::store::testing::TestStore;
use pantau_proto::body::discovery::{DiscoveryReport, SeenDevice};
use pantau_proto::body::inventory::NicInfo;
use pantau_proto::body::net::{HttpResult, ProbeResult};
use pantau_proto::body::Body;
use pantau_proto::body::{Inventory, NetReport};
use pantau_proto::{AgentKey, Envelope, Kind};
use std::collections::HashMap;

struct Fleet {
    s: TestStore,
    keys: HashMap<String, AgentKey>,
    seq: HashMap<String, u64>,
}

impl Fleet {
    fn new(s: TestStore) -> Fleet {
        Fleet {
            s,
            keys: HashMap::new(),
            seq: HashMap::new(),
        }
    }

    async fn enroll(&mut self, id: &str, opd: &str) {
        let key = AgentKey::generate();
        self.s
            .enroll(&EnrolledAgent {
                agent_id: id.into(),
                opd: opd.into(),
                public_key: key.public(),
                enrolled_at: Utc::now(),
            })
            .await
            .unwrap();
        self.keys.insert(id.into(), key);
    }

    async fn send(&mut self, id: &str, kind: Kind, body: Body) {
        let json = match &body {
            Body::Inventory(i) => serde_json::to_value(i).unwrap(),
            Body::Net(n) => serde_json::to_value(n).unwrap(),
            Body::Discovery(d) => serde_json::to_value(d).unwrap(),
            _ => unreachable!(),
        };
        let seq = self.seq.entry(id.into()).or_insert(0);
        *seq += 1;
        let env = Envelope::sign(&self.keys[id], id, *seq, Utc::now(), kind, &json);
        let out = self
            .s
            .commit(&[Accepted {
                envelope: env,
                body,
                received_at: Utc::now(),
            }])
            .await
            .unwrap();
        assert_eq!(out, vec![Outcome::Stored]);
    }

    async fn nic(&mut self, id: &str, mac: &str, ip: &str) {
        let inv = Inventory {
            hostname: id.into(),
            collected_at: Some(Utc::now()),
            nics: vec![NicInfo {
                name: "eth0".into(),
                mac: Some(mac.into()),
                physical: true,
                addresses: vec![format!("{ip}/24")],
                up: true,
                ..Default::default()
            }],
            ..Default::default()
        };
        self.send(id, Kind::Inventory, Body::Inventory(Box::new(inv)))
            .await;
    }

    async fn net(
        &mut self,
        id: &str,
        ts: DateTime<Utc>,
        loss: f64,
        rtt: f64,
        checks: &[(&str, bool)],
    ) {
        let r = NetReport {
            ts: Some(ts),
            gateway: Some("10.1.0.1".into()),
            probes: vec![ProbeResult {
                name: "gateway".into(),
                target: "10.1.0.1".into(),
                sent: 5,
                received: 5,
                loss_pct: loss,
                rtt_median_ms: Some(rtt),
                ..Default::default()
            }],
            http: checks
                .iter()
                .map(|(n, up)| HttpResult {
                    name: n.to_string(),
                    url: format!("https://{n}.example.go.id/"),
                    status: Some(if *up { 200 } else { 502 }),
                    ms: Some(80.0),
                    cert_days_left: Some(30),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        self.send(id, Kind::Net, Body::Net(Box::new(r))).await;
    }

    async fn seen(&mut self, scout: &str, devices: &[(&str, &str)]) {
        let d = DiscoveryReport {
            ts: Some(Utc::now()),
            devices: devices
                .iter()
                .map(|(mac, ip)| SeenDevice {
                    ip: ip.to_string(),
                    mac: mac.to_string(),
                    last_seen: Some(Utc::now()),
                    active: true,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        self.send(scout, Kind::Discovery, Body::Discovery(d)).await;
    }

    async fn check(&self, now: DateTime<Utc>) -> Vec<(String, String)> {
        crate::netwatch::run_once(&*self.s, &NetworkConfig::default(), now)
            .await
            .unwrap();
        self.open().await
    }

    async fn open(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .s
            .flags(FlagFilter::default())
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.kind, f.subject))
            .collect();
        v.sort();
        v
    }
}

fn minute(base: DateTime<Utc>, m: i64) -> DateTime<Utc> {
    base + chrono::Duration::minutes(m)
}

/// A minute boundary half an hour ago, so rounds are whole and inside the lookback.
fn base() -> DateTime<Utc> {
    let now = Utc::now().timestamp();
    DateTime::from_timestamp(now - now % 60 - 1800, 0).unwrap()
}

fn pair(k: &str, s: &str) -> (String, String) {
    (k.to_string(), s.to_string())
}

async fn net_reports_become_points_and_current_state(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("pc-1", "0101").await;
    let b = base();
    f.net("pc-1", b, 0.0, 3.5, &[("sipd", true)]).await;
    let (_, series) =
        f.s.series("pc-1", minute(b, -1), minute(b, 1), 1, &[])
            .await
            .unwrap();
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    for n in [
        "net_loss:gateway",
        "net_rtt:gateway",
        "http_up:sipd",
        "http_ms:sipd",
        "cert_days:sipd",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let latest = f.s.latest_net().await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].ts, b);
    assert_eq!(latest[0].report.http[0].name, "sipd");
    // An older report arriving late does not replace the current state.
    f.net("pc-1", minute(b, -5), 50.0, 3.5, &[]).await;
    assert_eq!(f.s.latest_net().await.unwrap()[0].ts, b);
}

async fn discovery_upserts_devices_with_vendor_and_scouts(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("scout-a", "0101").await;
    f.enroll("scout-b", "0101").await;
    f.seen(
        "scout-a",
        &[("00-00-00-AA-BB-CC", "10.1.0.50"), ("junk", "10.1.0.51")],
    )
    .await;
    f.seen("scout-b", &[("00:00:00:aa:bb:cc", "10.1.0.50")])
        .await;
    let d = f.s.lan_devices(Some("0101")).await.unwrap();
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].mac, "00:00:00:aa:bb:cc");
    assert_eq!(d[0].seen_by, vec!["scout-a", "scout-b"]);
    assert_eq!(d[0].vendor.as_deref(), Some("XEROX CORPORATION"));
    assert!(f.s.lan_devices(Some("0202")).await.unwrap().is_empty());
}

async fn the_plan_is_replaced_whole_or_not_at_all(s: TestStore) {
    let f = Fleet::new(s);
    let good = vec![PlanEntry {
        opd: "0101".into(),
        cidr: "10.1.0.0/24".into(),
        note: "kantor".into(),
    }];
    assert_eq!(f.s.replace_ip_plan(good.clone()).await.unwrap(), 1);
    let mut bad = good.clone();
    bad.push(PlanEntry {
        opd: "0102".into(),
        cidr: "10.1.0.128/25".into(),
        note: String::new(),
    });
    let e = f.s.replace_ip_plan(bad).await.unwrap_err();
    assert!(e.downcast_ref::<Refusal>().is_some());
    assert!(e.to_string().contains("range[1]: cidr:"), "{e}");
    assert_eq!(f.s.ip_plan().await.unwrap(), good);
}

async fn address_flags_open_and_clear(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("pc-1", "0101").await;
    f.enroll("pc-2", "0101").await;
    f.enroll("scout", "0101").await;
    f.s.replace_ip_plan(vec![PlanEntry {
        opd: "0101".into(),
        cidr: "10.1.0.0/24".into(),
        note: String::new(),
    }])
    .await
    .unwrap();
    f.nic("pc-1", "aa:00:00:00:00:01", "10.1.0.10").await;
    f.nic("pc-2", "aa:00:00:00:00:02", "192.168.1.20").await;
    f.nic("scout", "aa:00:00:00:00:03", "10.1.0.2").await;
    f.seen(
        "scout",
        &[
            ("aa:00:00:00:00:01", "10.1.0.10"),
            ("cc:00:00:00:00:09", "10.1.0.10"),
        ],
    )
    .await;
    let now = Utc::now();
    assert_eq!(
        f.check(now).await,
        vec![
            pair("ip_conflict", "0101/10.1.0.10"),
            pair("ip_outside_plan", "pc-2"),
            pair("rogue_device", "cc:00:00:00:00:09"),
        ]
    );
    let flag =
        &f.s.flags(FlagFilter {
            kind: Some("ip_outside_plan".into()),
            ..Default::default()
        })
        .await
        .unwrap()[0];
    assert_eq!(flag.article, "Perwali Kotamobagu Pasal 26");
    // pc-2 gets a planned address; the plan grows to take the laptop as a known range is
    // not what clears a rogue: an allow-list entry does.
    f.nic("pc-2", "aa:00:00:00:00:02", "10.1.0.20").await;
    let cfg = NetworkConfig {
        allow_macs: vec!["cc:00:00:00:00:09".into()],
        ..Default::default()
    };
    crate::netwatch::run_once(&*f.s, &cfg, now).await.unwrap();
    // The conflict lasts until the hour has passed.
    assert_eq!(f.open().await, vec![pair("ip_conflict", "0101/10.1.0.10")]);
    crate::netwatch::run_once(&*f.s, &cfg, now + chrono::Duration::minutes(61))
        .await
        .unwrap();
    assert!(f.open().await.is_empty());
}

/// Round `m`: both agents report; "bad" is 30 % loss on pc-1 (OPD mean 15 % > 5 %).
async fn round(f: &mut Fleet, b: DateTime<Utc>, m: i64, bad: bool) -> Vec<(String, String)> {
    f.net("pc-1", minute(b, m), if bad { 30.0 } else { 0.0 }, 4.0, &[])
        .await;
    f.net("pc-2", minute(b, m), 0.0, 4.0, &[]).await;
    f.check(minute(b, m + 1)).await
}

async fn network_degraded_is_sustained_and_cleared_with_hysteresis(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("pc-1", "0101").await;
    f.enroll("pc-2", "0101").await;
    let b = base();
    let degraded = vec![pair("network_degraded", "0101")];
    assert!(round(&mut f, b, 0, true).await.is_empty(), "1 bad round");
    assert!(
        round(&mut f, b, 1, true).await.is_empty(),
        "2 bad rounds: no flag"
    );
    assert_eq!(
        round(&mut f, b, 2, true).await,
        degraded,
        "3 bad rounds: flag"
    );
    assert_eq!(
        round(&mut f, b, 3, false).await,
        degraded,
        "1 good round: still flagged"
    );
    assert_eq!(
        round(&mut f, b, 4, false).await,
        degraded,
        "2 good rounds: still flagged"
    );
    assert!(
        round(&mut f, b, 5, false).await.is_empty(),
        "3 good rounds: resolved"
    );
    let all =
        f.s.flags(FlagFilter {
            state: Some("resolved".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all[0].resolved_by.as_deref(), Some(SYSTEM_ACTOR));
    assert!(all[0].article.contains("Kotamobagu Pasal 25"));
}

async fn service_down_needs_two_failing_opds(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("a", "0101").await;
    f.enroll("b", "0102").await;
    f.enroll("c", "0103").await;
    let now = Utc::now();
    f.net("a", now, 0.0, 2.0, &[("sipd", false)]).await;
    f.net("c", now, 0.0, 2.0, &[("sipd", true)]).await;
    assert!(
        f.check(now).await.is_empty(),
        "one failing OPD is its own network"
    );
    f.net("b", now, 0.0, 2.0, &[("sipd", false)]).await;
    assert_eq!(f.check(now).await, vec![pair("service_down", "sipd")]);
    let flag = &f.s.flags(FlagFilter::default()).await.unwrap()[0];
    assert_eq!(flag.opd, "*");
    assert!(flag.article.contains("Ternate 33/2021 Pasal 10 ayat 8"));
    f.net("a", now, 0.0, 2.0, &[("sipd", true)]).await;
    assert!(f.check(now).await.is_empty());
}

async fn reconciliation_and_the_network_job_leave_each_others_flags_alone(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("pc-1", "0101").await;
    f.enroll("scout", "0101").await;
    // pc-1 reports but is in no register: an `unregistered` reconciliation flag.
    f.nic("pc-1", "aa:00:00:00:00:01", "10.1.0.10").await;
    crate::reconciler::run_once(&*f.s, &Default::default())
        .await
        .unwrap();
    f.seen("scout", &[("cc:00:00:00:00:09", "10.1.0.99")]).await;
    let now = Utc::now();
    let both = f.check(now).await;
    assert!(both.contains(&pair("unregistered", "pc-1")), "{both:?}");
    assert!(
        both.contains(&pair("rogue_device", "cc:00:00:00:00:09")),
        "{both:?}"
    );
    // Reconciliation again: it finds no network problem, and must not resolve the rogue.
    crate::reconciler::run_once(&*f.s, &Default::default())
        .await
        .unwrap();
    assert_eq!(f.open().await, both);
    // And the network job again must not resolve `unregistered`.
    assert_eq!(f.check(now).await, both);
}

async fn pushed_config_merges_layers_and_publishes_only_changes(s: TestStore) {
    use crate::network::pushed::Scope;
    use serde_json::json;
    let mut f = Fleet::new(s);
    f.enroll("pc-1", "0101").await;
    f.enroll("pc-2", "0102").await;
    // No layers: nothing to publish, agents stay on their file config.
    assert!(f.s.configs_to_publish(false).await.unwrap().is_empty());
    f.s.set_config_layer(
        Scope::Global,
        "",
        Some(json!({"net": {"interval_s": 60}})),
        "ops",
        &Default::default(),
    )
    .await
    .unwrap();
    f.s.set_config_layer(
        Scope::Opd,
        "0101",
        Some(json!({"net": {"interval_s": 30}})),
        "ops",
        &Default::default(),
    )
    .await
    .unwrap();
    let e =
        f.s.set_config_layer(
            Scope::Agent,
            "pc-9",
            Some(json!({})),
            "ops",
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("key: no enrolled agent"), "{e}");
    let e =
        f.s.set_config_layer(
            Scope::Agent,
            "pc-1",
            Some(json!({"net": {"pings": 0}})),
            "ops",
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("layer: net.pings:"), "{e}");

    let pending = f.s.configs_to_publish(false).await.unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].0, "pc-1");
    assert_eq!(pending[0].1.net.as_ref().unwrap().interval_s, Some(30));
    assert_eq!(pending[1].1.net.as_ref().unwrap().interval_s, Some(60));
    for (id, cfg) in &pending {
        f.s.config_published(id, cfg).await.unwrap();
    }
    assert!(f.s.configs_to_publish(false).await.unwrap().is_empty());
    // Changing the OPD layer republishes only that OPD's agent, with a higher version.
    f.s.set_config_layer(
        Scope::Opd,
        "0101",
        Some(json!({"net": {"interval_s": 20}})),
        "ops",
        &Default::default(),
    )
    .await
    .unwrap();
    let again = f.s.configs_to_publish(false).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, "pc-1");
    assert!(again[0].1.version > pending[1].1.version);
    // After a reconnection everything is sent again.
    assert_eq!(f.s.configs_to_publish(true).await.unwrap().len(), 2);
}

async fn net_history_averages_an_opds_agents_per_bucket_and_keeps_other_opds_out(s: TestStore) {
    let mut f = Fleet::new(s);
    f.enroll("pc-1", "0101").await;
    f.enroll("pc-2", "0101").await;
    f.enroll("pc-3", "0202").await;
    let b = base().timestamp();
    let t1 = b - b % 900;
    let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
    f.net("pc-1", at(t1), 0.0, 2.0, &[("sipd", true)]).await;
    f.net("pc-2", at(t1 + 60), 20.0, 4.0, &[("sipd", false)])
        .await;
    f.net("pc-3", at(t1), 100.0, 50.0, &[("sipd", false)]).await;
    f.net("pc-1", at(t1 + 900), 10.0, 6.0, &[]).await;

    let (res, series) =
        f.s.net_history("0101", at(t1), at(t1 + 1800), 900)
            .await
            .unwrap();
    assert_eq!(res, Resolution::Raw);
    let got: Vec<(&str, Vec<(i64, f64)>)> = series
        .iter()
        .map(|s| {
            let pts = s.points.iter().map(|p| (p.0, p.1)).collect();
            (s.name.as_str(), pts)
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("http_up:sipd", vec![(t1, 0.5)]),
            ("net_loss:gateway", vec![(t1, 10.0), (t1 + 900, 10.0)]),
            ("net_rtt:gateway", vec![(t1, 3.0), (t1 + 900, 6.0)]),
        ],
        "http_ms, cert_days and other OPDs stay out"
    );

    // A week reads the hourly rollups once maintenance has folded the points in.
    f.s.maintain(at(t1 + 4 * 3600), Retention::default())
        .await
        .unwrap();
    let h0 = t1 - t1 % 3600;
    let (res, series) =
        f.s.net_history("0101", at(h0), at(h0 + 7200), 3600)
            .await
            .unwrap();
    assert_eq!(res, Resolution::H1);
    let loss = series
        .iter()
        .find(|s| s.name == "net_loss:gateway")
        .unwrap();
    assert!(
        loss.points.iter().all(|p| p.0 % 3600 == 0 && p.3 <= 20.0),
        "{loss:?}"
    );
    assert!(!loss.points.is_empty());
    let other =
        f.s.net_history("0202", at(h0), at(h0 + 7200), 3600)
            .await
            .unwrap()
            .1;
    let loss3 = other.iter().find(|s| s.name == "net_loss:gateway").unwrap();
    assert!(loss3.points.iter().all(|p| p.1 == 100.0));
}

crate::both!(
    net_reports_become_points_and_current_state,
    discovery_upserts_devices_with_vendor_and_scouts,
    the_plan_is_replaced_whole_or_not_at_all,
    address_flags_open_and_clear,
    network_degraded_is_sustained_and_cleared_with_hysteresis,
    service_down_needs_two_failing_opds,
    reconciliation_and_the_network_job_leave_each_others_flags_alone,
    pushed_config_merges_layers_and_publishes_only_changes,
    net_history_averages_an_opds_agents_per_bucket_and_keeps_other_opds_out,
);
