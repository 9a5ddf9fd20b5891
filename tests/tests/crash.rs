//! The collector is SIGKILLed while the agent keeps sending and comes back a few seconds later:
//! the broker held the collector's unacknowledged messages, so no seq is missing.

use pantau_tests::{Agent, AgentOptions, Collector, Mosquitto};
use std::time::Duration;

#[test]
fn collector_sigkill_loses_nothing() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let opts = AgentOptions {
        interval_s: 1,
        batch: 1,
        ..AgentOptions::default()
    };
    let mut agent = Agent::spawn(&collector, &broker, "e2e-crash", &opts);
    let id = agent.id().to_owned();

    let before = collector.wait_ingest(&id, "had 3 complete messages", |i| {
        i.complete() && i.messages >= 3
    });

    collector.kill_9();
    std::thread::sleep(Duration::from_secs(4)); // the downtime itself, not an assertion
    agent.assert_running();
    collector.restart();

    // What the agent sent while the collector was dead was queued by the broker.
    let last_before = before.last_seq.unwrap();
    let after = collector.wait_ingest(
        &id,
        "received what was sent while it was down, without a gap",
        |i| i.complete() && i.last_seq.unwrap() >= last_before + 4,
    );
    assert_eq!(
        after.first_seq, before.first_seq,
        "first_seq moved: {after:?}"
    );
    assert!(
        after.messages >= before.messages + 4,
        "before {before:?}, after {after:?}"
    );

    // Once more, with no pause at all between the kill and the restart.
    collector.kill_9();
    collector.restart();
    let again = collector.wait_ingest(&id, "kept receiving after a second SIGKILL", |i| {
        i.complete() && i.messages >= after.messages + 3
    });
    assert_eq!(again.missing, 0, "{again:?}");
    collector.wait_online(&id, true, "at the end");
    agent.stop();
}

#[test]
fn status_changes_while_the_collector_is_dead_are_seen() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let mut agent = Agent::spawn(
        &collector,
        &broker,
        "e2e-crash-status",
        &AgentOptions::default(),
    );
    let id = agent.id().to_owned();
    collector.wait_online(&id, true, "after the agent started");

    collector.kill_9();
    agent.stop();
    collector.restart();
    collector.wait_online(
        &id,
        false,
        "after the agent stopped while the collector was dead",
    );

    collector.kill_9();
    agent.start();
    // The agent's `online` is on the broker before the collector is back.
    assert!(
        pantau_tests::wait_until(Duration::from_secs(30), || agent
            .log()
            .contains("connected")),
        "agent never connected"
    );
    collector.restart();
    collector.wait_online(
        &id,
        true,
        "after the agent started while the collector was dead",
    );
}

#[test]
fn collector_sigterm_restart_loses_nothing() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let opts = AgentOptions {
        interval_s: 1,
        batch: 1,
        ..AgentOptions::default()
    };
    let mut agent = Agent::spawn(&collector, &broker, "e2e-graceful", &opts);
    let id = agent.id().to_owned();
    let before = collector.wait_ingest(&id, "had 3 complete messages", |i| {
        i.complete() && i.messages >= 3
    });

    // SIGTERM (must exit by itself within 20 s), then start again.
    collector.stop();
    std::thread::sleep(Duration::from_secs(2)); // the downtime itself, not an assertion
    collector.restart();
    let last_before = before.last_seq.unwrap();
    let after = collector.wait_ingest(&id, "caught up after a clean restart", |i| {
        i.complete() && i.last_seq.unwrap() >= last_before + 3
    });
    assert_eq!(
        after.first_seq, before.first_seq,
        "first_seq moved: {after:?}"
    );
    agent.stop();
}
