//! The broker goes away for several agent cycles and comes back: the agent's spool and the
//! broker's persistent session together lose nothing, even across an agent restart during
//! the outage.

use pantau_tests::{Agent, AgentOptions, Collector, Mosquitto};
use std::time::Duration;

/// Agent cycles (of 1 s) the broker stays away.
const OUTAGE: Duration = Duration::from_secs(6);

fn fast() -> AgentOptions {
    AgentOptions {
        interval_s: 1,
        batch: 1,
        ..AgentOptions::default()
    }
}

#[test]
fn broker_outage_loses_nothing() {
    let mut broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let mut agent = Agent::spawn(&collector, &broker, "e2e-outage", &fast());
    let id = agent.id().to_owned();

    let before = collector.wait_ingest(&id, "had 3 complete messages", |i| {
        i.complete() && i.messages >= 3
    });

    broker.stop();
    std::thread::sleep(OUTAGE); // the outage itself, not an assertion
    agent.assert_running();
    collector.assert_running();
    broker.restart();

    // What was sampled during the outage arrives, with no gap.
    let last_before = before.last_seq.unwrap();
    let after = collector.wait_ingest(&id, "caught up with the outage without a gap", |i| {
        i.complete() && i.last_seq.unwrap() >= last_before + 5
    });
    assert_eq!(
        after.first_seq, before.first_seq,
        "first_seq moved: {after:?}"
    );

    // And it keeps going after the replay.
    let later = collector.wait_ingest(&id, "kept receiving after the outage", |i| {
        i.complete() && i.messages >= after.messages + 3
    });
    assert_eq!(later.missing, 0, "{later:?}");
    collector.wait_online(&id, true, "at the end");
    agent.stop();
}

#[test]
fn agent_restart_during_outage_loses_nothing() {
    let mut broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let mut agent = Agent::spawn(&collector, &broker, "e2e-outage-restart", &fast());
    let id = agent.id().to_owned();

    let before = collector.wait_ingest(&id, "had 3 complete messages", |i| {
        i.complete() && i.messages >= 3
    });

    broker.stop();
    std::thread::sleep(OUTAGE / 2);
    // Stopped with data in the spool and no broker to say goodbye to; it must still exit.
    agent.stop();
    agent.start();
    std::thread::sleep(OUTAGE / 2);
    agent.assert_running();
    broker.restart();

    let last_before = before.last_seq.unwrap();
    let after = collector.wait_ingest(
        &id,
        "caught up with the outage and the restart without a gap",
        |i| i.complete() && i.last_seq.unwrap() >= last_before + 4,
    );
    assert_eq!(
        after.first_seq, before.first_seq,
        "first_seq moved: {after:?}"
    );

    let later = collector.wait_ingest(&id, "kept receiving after the restart", |i| {
        i.complete() && i.messages >= after.messages + 3
    });
    assert_eq!(later.missing, 0, "{later:?}");
    collector.wait_online(&id, true, "at the end");
    agent.stop();
}
