//! The whole SNMP path: the collector pushes targets and credentials to one poller (agent
//! layer only), the poller polls the recorded switch, printer and UPS (and a dead address),
//! the collector stores them, serves them on the API and raises the SNMP flags.

use pantau_tests::snmp::{free_udp_port, Snmpsim};
use pantau_tests::{
    get_json, put_json, wait_for, Agent, AgentOptions, Collector, Mosquitto, PATIENCE,
};
use serde_json::{json, Value};

const SECRET: &str = "komunitas-rahasia-7x";

#[test]
fn polled_devices_reach_the_api_and_raise_flags() {
    let sim = Snmpsim::start();
    let port = sim.port();
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    // The SNMP job every second instead of every minute.
    let mut text = std::fs::read_to_string(collector.config_path()).unwrap();
    text.push_str("\n[snmp]\ninterval_s = 1\n");
    std::fs::write(collector.config_path(), text).unwrap();
    collector.restart();

    let mut agent = Agent::enroll(&collector, &broker, "e2e-poller", &AgentOptions::default());
    let text = std::fs::read_to_string(agent.config_path()).unwrap();
    let mut cfg: toml::Table = text.parse().unwrap();
    cfg.insert(
        "snmp".into(),
        toml::toml! { enabled = true interval_s = 10 timeout_ms = 300 retries = 0 }.into(),
    );
    std::fs::write(agent.config_path(), toml::to_string(&cfg).unwrap()).unwrap();

    let target = |name: &str, community: &str, port: u16| {
        json!({"name": name, "host": "127.0.0.1", "port": port,
               "credentials": {"version": "v2c", "community": community}})
    };
    let layer = json!({"snmp": {"targets": [
        target("sw-bappeda", "switch", port),
        target("printer-sekretariat", "printer", port),
        target("ups-server", "ups", port),
        target("ap-lantai3", SECRET, free_udp_port()),
    ]}});
    // Every agent receives a global layer: credentials are refused there.
    let (code, body) = put_json(&collector.url("/api/v1/agent-config/global"), &layer);
    assert!(code >= 400, "{code} {body}");
    let (code, body) = put_json(
        &collector.url("/api/v1/agent-config/agent/e2e-poller"),
        &layer,
    );
    assert_eq!(code, 204, "{body}");

    agent.start();
    let devices = wait_for(PATIENCE, || {
        let d = get_json(&collector.url("/api/v1/snmp/devices"));
        (d.as_array()?.len() == 4).then_some(d)
    })
    .unwrap_or_else(|| {
        panic!(
            "the four devices never showed\n{}\n{}",
            agent.log(),
            collector.log()
        )
    });
    let by = |name: &str| -> Value {
        devices
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == name)
            .cloned()
            .unwrap()
    };
    let sw = by("sw-bappeda");
    assert_eq!(
        (&sw["reachable"], &sw["opd"]),
        (&json!(true), &json!("0101"))
    );
    assert_eq!(sw["interfaces"], 50);
    assert_eq!(sw["device"]["entities"][0]["serial"], "FOC2231X0AB");
    assert_eq!(by("ap-lantai3")["reachable"], false);
    let ifs = get_json(&collector.url(&format!("/api/v1/snmp/devices/{}/interfaces", sw["id"])));
    assert_eq!(ifs.as_array().unwrap().len(), 50);
    assert_eq!(ifs[49]["name"], "Te1/0/2");

    for (kind, subject) in [
        ("uplink_down", "e2e-poller/sw-bappeda#Te1/0/2"),
        ("printer_supply_low", "e2e-poller/printer-sekretariat"),
        ("ups_on_battery", "e2e-poller/ups-server"),
        ("ups_battery_replace", "e2e-poller/ups-server"),
        ("snmp_unreachable", "e2e-poller/ap-lantai3"),
    ] {
        let flag = wait_for(PATIENCE, || {
            let f = get_json(&collector.url(&format!("/api/v1/flags?kind={kind}")));
            f.as_array()?
                .iter()
                .find(|f| f["subject"] == subject)
                .cloned()
        })
        .unwrap_or_else(|| panic!("no {kind} flag on {subject}"));
        assert!(
            flag["article"].as_str().unwrap().contains("Pasal"),
            "{flag}"
        );
        assert_eq!(flag["opd"], "0101");
    }
    let unknown = collector.url("/api/v1/snmp/devices/99999/interfaces");
    assert_eq!(pantau_tests::http::status(&unknown), Some(404));

    // An operator of another OPD sees none of them.
    collector.user_add("op-lain", "operator", &["0202"], "operator-lain-password");
    let other = |p: &str| collector.url_as("op-lain", "operator-lain-password", p);
    assert_eq!(get_json(&other("/api/v1/snmp/devices")), json!([]));
    let theirs = other(&format!("/api/v1/snmp/devices/{}/interfaces", sw["id"]));
    assert_eq!(pantau_tests::http::status(&theirs), Some(404));

    // Readers of the configuration see `***`, not the credentials.
    for path in ["/api/v1/agent-config", "/api/v1/hosts/e2e-poller/config"] {
        let shown = get_json(&collector.url(path)).to_string();
        assert!(
            !shown.contains(SECRET) && shown.contains("***"),
            "{path}: {shown}"
        );
    }
    // The community of the dead target is in neither log.
    assert!(!agent.log().contains(SECRET), "secret in the agent log");
    assert!(
        !collector.log().contains(SECRET),
        "secret in the collector log"
    );
}
