//! Every query of every Grafana dashboard in `dashboards/`, run by a real Prometheus that
//! scrapes a running collector: a fleet of simulated hosts in two OPDs with a register and a
//! reconciliation, network reports with a failing e-Gov service, SNMP devices (one down),
//! and one forged message so the reject counter exists. Each query must be valid PromQL,
//! return data, and the figures this test knows must come out exactly.

use chrono::Utc;
use pantau_proto::body::snmp::{SnmpDevice, SnmpInterface, SnmpReport};
use pantau_proto::{AgentKey, Envelope, Kind};
use pantau_tests::fleet::{net_report, two_opds, OPD_A, OPD_B};
use pantau_tests::prometheus::Prometheus;
use pantau_tests::{wait_until, Agent, AgentOptions, Collector, Mosquitto, Publisher};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

fn net(key: &AgentKey, id: &str, loss: f64, rtt: f64, sipd_up: bool) -> Envelope {
    net_report(key, id, loss, rtt, &[("sipd", sipd_up)], Some(40))
}

fn snmp(key: &AgentKey, id: &str) -> Envelope {
    let now = Utc::now();
    let device = |target: &str, reachable: bool, util: f64| SnmpDevice {
        target: target.into(),
        address: "10.1.0.2:161".into(),
        reachable,
        interfaces: vec![SnmpInterface {
            index: 1,
            name: "Gi1/0/1".into(),
            oper_status: "up".into(),
            admin_up: true,
            utilization_pct: Some(util),
            ..Default::default()
        }],
        ..Default::default()
    };
    let r = SnmpReport {
        ts: Some(now),
        devices: vec![
            device("sw-core", true, 37.5),
            device("sw-lantai2", false, 0.0),
        ],
        ..Default::default()
    };
    Envelope::sign(
        key,
        id,
        2,
        now,
        Kind::Snmp,
        &serde_json::to_value(&r).unwrap(),
    )
}

/// Every target expression of a dashboard, with the panel title, and the template variable
/// queries (`label_values(...)`).
fn queries(file: &Path) -> (Vec<(String, String)>, Vec<String>) {
    let d: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut exprs = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            let e = t["expr"].as_str().unwrap();
            exprs.push((p["title"].as_str().unwrap().to_owned(), e.to_owned()));
        }
    }
    let vars = d["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["definition"].as_str().map(String::from))
        .collect();
    (exprs, vars)
}

/// The single value of a query that returns one series.
fn one(prom: &Prometheus, expr: &str) -> f64 {
    let r = prom.query(expr);
    assert_eq!(r.len(), 1, "{expr}: {r:?}");
    r[0]["value"][1].as_str().unwrap().parse().unwrap()
}

/// Values of a query by one label.
fn by(prom: &Prometheus, expr: &str, label: &str) -> BTreeMap<String, f64> {
    prom.query(expr)
        .iter()
        .map(|r| {
            (
                r["metric"][label].as_str().unwrap_or("").to_owned(),
                r["value"][1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_dashboard_query_returns_the_fleets_figures_from_a_real_prometheus() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let _fleet = two_opds(&broker, &collector);
    let opts = |opd: &str| AgentOptions {
        opd: opd.into(),
        ..AgentOptions::default()
    };
    let a = Agent::enroll(&collector, &broker, "grafana-net-a", &opts(OPD_A));
    let b = Agent::enroll(&collector, &broker, "grafana-net-b", &opts(OPD_B));
    let mut mqtt = Publisher::connect(&broker, "grafana-test");
    for env in [
        net(&a.key(), a.id(), 0.0, 2.5, true),
        net(&b.key(), b.id(), 40.0, 9.0, false),
        snmp(&a.key(), a.id()),
    ] {
        mqtt.publish(&env.topic(), env.to_bytes());
    }
    // Signed by the wrong key: rejected and counted (bad signature).
    let forged = net(&a.key(), b.id(), 0.0, 1.0, true);
    mqtt.publish(&forged.topic(), forged.to_bytes());
    collector.wait_ingest(a.id(), "net and snmp stored", |i| i.messages == 2);
    collector.wait_ingest(b.id(), "net stored", |i| i.messages == 1);

    let url = collector.plain_url("");
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let prom = Prometheus::start(port);
    // rate() needs two scrapes with the counters moving between them: the simulated hosts
    // send every 5 s, so 12 scrapes (1 s apart) span at least two of their batches.
    let scraped = wait_until(Duration::from_secs(40), || prom.scrapes() >= 12);
    assert!(scraped, "prometheus did not scrape the collector");
    assert_eq!(one(&prom, "up{job=\"pantau\"}"), 1.0);

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboards");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "dashboards: {files:?}");
    let mut checked = 0;
    for file in &files {
        let (exprs, vars) = queries(file);
        for v in vars {
            // label_values(METRIC, LABEL): the OPD picker lists both OPDs.
            let inner = v.trim_start_matches("label_values(").trim_end_matches(')');
            let (metric, label) = inner.split_once(',').unwrap();
            let answer = prom.api(
                &format!("label/{}/values", label.trim()),
                &[("match[]", metric.trim())],
            );
            let values = answer["data"].to_string();
            assert!(
                values.contains(OPD_A) && values.contains(OPD_B),
                "{}: {v}: {answer}",
                file.display()
            );
        }
        for (title, expr) in exprs {
            // OPD A has everything: hosts, assets, flags, network and the SNMP devices.
            let expr = expr.replace("$opd", OPD_A);
            let result = prom.query(&expr);
            assert!(
                !result.is_empty(),
                "{}: panel {title:?}: `{expr}` returned nothing",
                file.display()
            );
            for r in &result {
                let v: f64 = r["value"][1].as_str().unwrap().parse().unwrap();
                assert!(v.is_finite(), "{}: `{expr}` gave {v}", file.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} queries");

    // The figures behind the panels are the fleet's, not just present.
    assert_eq!(one(&prom, "sum(pantau_hosts{state=\"online\"})"), 2.0);
    let coverage = by(
        &prom,
        "sum by (opd) (pantau_reconcile_assets{state=\"registered\"})",
        "opd",
    );
    assert_eq!(coverage.get(OPD_A), Some(&1.0), "{coverage:?}");
    let loss = by(&prom, "pantau_net_gateway_loss_pct", "opd");
    assert_eq!((loss[OPD_A], loss[OPD_B]), (0.0, 40.0));
    let rtt = by(&prom, "pantau_net_gateway_rtt_ms", "opd");
    assert_eq!((rtt[OPD_A], rtt[OPD_B]), (2.5, 9.0));
    let failing = by(&prom, "pantau_service_opds{state=\"failing\"}", "service");
    assert_eq!(failing["sipd"], 1.0);
    assert_eq!(one(&prom, "pantau_service_cert_days_left"), 40.0);
    let devices = by(&prom, "sum by (state) (pantau_snmp_devices)", "state");
    assert_eq!((devices["reachable"], devices["unreachable"]), (1.0, 1.0));
    assert_eq!(one(&prom, "pantau_snmp_max_utilization_pct"), 37.5);
    let rejected = by(&prom, "pantau_ingest_rejected_total", "reason");
    assert_eq!(rejected.values().sum::<f64>(), 1.0, "{rejected:?}");
    collector.assert_running();
}
