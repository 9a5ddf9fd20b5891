//! `mqtts://`: the agent delivers over TLS to a broker whose certificate chains to the
//! configured CA, and refuses a broker it cannot verify (nothing is sent in the clear).

use pantau_tests::tls::TestPki;
use pantau_tests::{free_port, wait_until, Agent, AgentOptions, Collector, Mosquitto};
use std::path::Path;
use std::time::Duration;

/// Point an enrolled agent at the TLS listener, trusting `ca`.
fn use_tls(config: &Path, port: u16, ca: &Path) {
    let text = std::fs::read_to_string(config).expect("read agent.toml");
    let mut table: toml::Table = text.parse().expect("agent.toml parses");
    let broker = table
        .get_mut("broker")
        .and_then(|b| b.as_table_mut())
        .expect("[broker] table");
    broker.insert("url".into(), format!("mqtts://localhost:{port}").into());
    broker.insert("ca_file".into(), ca.display().to_string().into());
    std::fs::write(config, toml::to_string(&table).expect("serialize")).expect("write agent.toml");
}

#[test]
fn agent_reports_over_tls_and_refuses_an_untrusted_broker() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::create(dir.path(), "city");
    let stranger = TestPki::create(dir.path(), "stranger");
    let tls_port = free_port();
    // The collector uses the plain loopback listener; the agents only the TLS one.
    let broker = Mosquitto::start_with(&pki.listener(tls_port));
    let mut collector = Collector::start(&broker);

    let mut good = Agent::enroll(&collector, &broker, "e2e-tls", &AgentOptions::default());
    use_tls(good.config_path(), tls_port, &pki.ca_cert);
    good.start();
    let got = collector.wait_ingest("e2e-tls", "received 3 messages over TLS", |i| {
        i.messages >= 3 && i.missing == 0
    });
    assert!(got.complete(), "{got:?}");

    let mut bad = Agent::enroll(
        &collector,
        &broker,
        "e2e-tls-untrusted",
        &AgentOptions::default(),
    );
    use_tls(bad.config_path(), tls_port, &stranger.ca_cert);
    bad.start();
    let refused = wait_until(Duration::from_secs(30), || {
        bad.assert_running();
        let log = bad.log().to_lowercase();
        log.contains("cannot connect") && (log.contains("certificate") || log.contains("tls"))
    });
    assert!(
        refused,
        "the agent did not refuse an unverifiable broker:\n{}",
        bad.log()
    );
    // Still running, still trying, nothing delivered.
    std::thread::sleep(Duration::from_secs(2));
    bad.assert_running();
    let none = collector
        .ingest("e2e-tls-untrusted")
        .expect("enrolled host is listed");
    assert_eq!(none.messages, 0, "{none:?}");
}
