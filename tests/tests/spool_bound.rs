//! A long outage fills the agent's spool: the oldest metrics are dropped, the agent says how
//! many, and the collector's figures account for every missing seq with a reported drop.

use pantau_tests::{Agent, AgentOptions, Collector, Mosquitto};
use std::time::Duration;

#[test]
fn a_full_spool_drops_oldest_metrics_and_reports_the_count() {
    let mut broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let opts = AgentOptions {
        interval_s: 1,
        batch: 1,
        // The smallest bound allowed: about 20-30 metrics messages of this host.
        spool_max_bytes: Some(64 * 1024),
        ..AgentOptions::default()
    };
    let mut agent = Agent::spawn(&collector, &broker, "e2e-spool", &opts);
    let before = collector.wait_ingest("e2e-spool", "had 3 complete messages", |i| {
        i.complete() && i.messages >= 3
    });

    broker.stop();
    std::thread::sleep(Duration::from_secs(45)); // the outage itself, not an assertion
    agent.assert_running();
    broker.restart();

    let last_before = before.last_seq.unwrap();
    let after = collector.wait_ingest(
        "e2e-spool",
        "received the newest data and a drop count that explains every gap",
        |i| {
            i.last_seq.unwrap_or(0) >= last_before + 40
                && i.spool_dropped_total > 0
                && i.missing == i.spool_dropped_total
        },
    );
    // Drops happened: a 64 KiB spool cannot hold 45 s of 1 s samples.
    assert!(after.spool_dropped_total >= 5, "{after:?}");
    // The agent came back online after the outage.
    let h = collector.host("e2e-spool").expect("host");
    assert!(h["online"].as_bool().unwrap_or(false), "{h}");
    assert!(
        agent.log().contains("spool full"),
        "the agent should log the drops:\n{}",
        agent.log()
    );
}
