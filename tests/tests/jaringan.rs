//! The network health page end to end: two agents of two OPDs send signed `net` reports
//! through the broker; `GET /jaringan` draws loss and RTT charts per OPD and availability
//! per e-Gov service as inline SVG, `?lang=en` switches the labels, an operator of one
//! OPD sees only theirs, and the history JSON refuses another OPD.

use pantau_proto::{AgentKey, Envelope};
use pantau_tests::fleet::net_report;
use pantau_tests::http::{get, get_json, request};
use pantau_tests::{Agent, AgentOptions, Collector, Mosquitto, Publisher};

const OPD_A: &str = "0101";
const OPD_B: &str = "0202";

fn net(key: &AgentKey, id: &str, loss: f64, rtt: f64, checks: &[(&str, bool)]) -> Envelope {
    net_report(key, id, loss, rtt, checks, None)
}

fn svgs(page: &str) -> usize {
    page.matches("<svg ").count()
}

#[test]
fn network_page_charts_each_opd_and_service_in_both_languages_and_scopes_operators() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let opts = |opd: &str| AgentOptions {
        opd: opd.into(),
        ..AgentOptions::default()
    };
    // Enrolled, never started: the test speaks for the agents with their real keys.
    let a = Agent::enroll(&collector, &broker, "e2e-jar-a", &opts(OPD_A));
    let b = Agent::enroll(&collector, &broker, "e2e-jar-b", &opts(OPD_B));
    let mut mqtt = Publisher::connect(&broker, "e2e-jaringan");
    let env_a = net(&a.key(), a.id(), 0.0, 2.5, &[("sipd", true)]);
    let env_b = net(
        &b.key(),
        b.id(),
        40.0,
        9.0,
        &[("sipd", false), ("lpse", true)],
    );
    mqtt.publish(&env_a.topic(), env_a.to_bytes());
    mqtt.publish(&env_b.topic(), env_b.to_bytes());
    for id in [a.id(), b.id()] {
        collector.wait_ingest(id, "net report stored", |i| i.messages == 1);
    }

    let (status, page) = get(&collector.url("/jaringan")).unwrap();
    assert_eq!(status, 200, "{page}");
    for want in [
        r#"data-opd="0101""#,
        r#"data-opd="0202""#,
        r#"data-service="sipd""#,
        r#"data-service="lpse""#,
        "Kehilangan paket ke gateway",
        r#"data-name="rata-rata""#,
        r#"<html lang="id""#,
    ] {
        assert!(page.contains(want), "{want} missing: {page}");
    }
    // Loss and RTT per OPD, one chart per service.
    assert_eq!(svgs(&page), 2 * 2 + 2, "{page}");
    // sipd's chart has a line per OPD; each OPD has one bucket, drawn as a dot.
    let sipd = page.split(r#"data-service="sipd""#).nth(1).unwrap();
    let sipd = &sipd[..sipd.find("</svg>").unwrap()];
    assert!(sipd.contains(r#"data-name="0101""#) && sipd.contains(r#"data-name="0202""#));
    assert_eq!(sipd.matches("<circle").count(), 2, "{sipd}");
    assert!(
        !page.contains("Belum ada data"),
        "every chart has data: {page}"
    );

    let (status, en) = get(&collector.url("/jaringan?lang=en")).unwrap();
    assert_eq!(status, 200, "{en}");
    assert!(en.contains("Packet loss to the gateway") && en.contains(r#"data-name="average""#));
    assert!(
        !en.contains("Kehilangan paket") && !en.contains("rata-rata"),
        "{en}"
    );
    // A week reads hourly rollups, which maintenance has not folded yet: empty charts,
    // said in English.
    let (status, week) = get(&collector.url("/jaringan?lang=en&window=7d")).unwrap();
    assert_eq!(status, 200, "{week}");
    assert!(
        week.contains("No data yet") && week.contains(r#"<html lang="en""#),
        "{week}"
    );
    let (status, bad) = get(&collector.url("/jaringan?window=1y")).unwrap();
    assert_eq!(status, 400, "{bad}");
    assert!(bad.contains("window"), "{bad}");

    // An operator of A: A's charts only, and B's history is not found.
    collector.user_add("op-a", "operator", &[OPD_A], "operator-a-password");
    let op = |path: &str| collector.url_as("op-a", "operator-a-password", path);
    let (status, mine) = get(&op("/jaringan")).unwrap();
    assert_eq!(status, 200, "{mine}");
    assert!(mine.contains(r#"data-opd="0101""#), "{mine}");
    assert!(!mine.contains(OPD_B) && !mine.contains("lpse"), "{mine}");
    assert_eq!(svgs(&mine), 2 + 1, "{mine}");
    let (status, body) = request(
        "GET",
        &op(&format!("/api/v1/network/opd/{OPD_B}/history")),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(status, 404, "{body}");

    let h = get_json(&op(&format!(
        "/api/v1/network/opd/{OPD_A}/history?window=24h"
    )));
    assert_eq!(h["step"], 900, "{h}");
    let names: Vec<&str> = h["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["http_up:sipd", "net_loss:gateway", "net_rtt:gateway"],
        "{h}"
    );
    assert_eq!(h["series"][2]["points"][0][1], 2.5, "{h}");
}
