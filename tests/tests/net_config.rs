//! The collector's retained config reaches the agent: its next `net` report probes the pushed
//! target, and a bad document afterwards changes nothing.

use pantau_tests::{Agent, AgentOptions, Collector, Mosquitto, Publisher};
use std::time::Duration;

fn probes_named(payload: &[u8], name: &str) -> bool {
    let v: serde_json::Value = serde_json::from_slice(payload).expect("net envelope is JSON");
    v["body"]["probes"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["name"] == name))
}

#[test]
fn pushed_config_changes_the_next_net_report() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let mut agent = Agent::enroll(&collector, &broker, "e2e-net", &AgentOptions::default());
    let id = agent.id().to_owned();
    let config_topic = format!("pantau/v1/{id}/config");
    let net_topic = format!("pantau/v1/{id}/net");

    // A port with no listener: the probe fails at once whichever method it uses.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let doc = serde_json::json!({
        "version": 3,
        "net": {
            "pings": 1,
            "gateway": false,
            "targets": [{"name": "pushed-dc", "host": "127.0.0.1", "tcp_port": closed.port()}]
        }
    });
    let mut admin = Publisher::connect(&broker, "test-admin");
    admin.publish_retained(&config_topic, doc.to_string());

    let mut watcher = Publisher::connect(&broker, "test-net-watcher");
    agent.start();
    let got = watcher.first_matching(&net_topic, Duration::from_secs(60), |p| {
        probes_named(p, "pushed-dc")
    });
    assert!(
        got.is_some(),
        "no net report with the pushed target\n{}",
        agent.log()
    );
    assert!(
        agent.log().contains("pushed config applied"),
        "{}",
        agent.log()
    );

    // A bad document is ignored: the agent keeps running with the last good config.
    admin.publish_retained(&config_topic, r#"{"net": {"pings": 0}}"#);
    std::thread::sleep(Duration::from_secs(1));
    agent.assert_running();
    assert!(
        agent.log().contains("pushed config ignored"),
        "{}",
        agent.log()
    );
}
