//! One agent floods (its real key, thousands of valid messages back to back on a real
//! Mosquitto) while another reports normally: the normal agent's messages are all stored,
//! on time, and the flood beyond the per-agent limit is dropped and counted per agent.

use pantau_proto::{Envelope, Kind};
use pantau_tests::{prom_value, wait_until, Agent, AgentOptions, Collector, Mosquitto, Publisher};
use std::time::{Duration, Instant};

const FLOOD: &str = "flood-pc";
const CALM: &str = "calm-pc";
const FLOOD_MSGS: u64 = 3000;
const DROPPED: &str = "pantau_ingest_dropped_total";
const REJECTED: &str = "pantau_ingest_rejected_total";

fn body() -> serde_json::Value {
    serde_json::json!({"interval_s": 1, "samples": []})
}

#[test]
fn a_flooding_agent_is_limited_and_counted_while_another_arrives_on_time() {
    // Mosquitto queues at most 1000 messages per session by default and drops the rest of a
    // flood itself; here it keeps them all, so the collector's limit is what is tested.
    let broker = Mosquitto::start_with("max_queued_messages 100000\n");
    let mut collector = Collector::start_with(
        &broker,
        "\n[ingest]\nagent_msgs_per_s = 20\nagent_burst = 100\n",
    );
    let flood = Agent::enroll(&collector, &broker, FLOOD, &AgentOptions::default());
    let calm = Agent::enroll(&collector, &broker, CALM, &AgentOptions::default());

    let flood_key = flood.key();
    let t0 = Instant::now();
    let mut flood_mqtt = Publisher::connect(&broker, "flood-publisher");
    let flooder = std::thread::spawn(move || {
        let started = Instant::now();
        for seq in 1..=FLOOD_MSGS {
            let env = Envelope::sign(
                &flood_key,
                FLOOD,
                seq,
                chrono::Utc::now(),
                Kind::Metrics,
                &body(),
            );
            flood_mqtt.publish(&env.topic(), env.to_bytes());
        }
        started.elapsed()
    });

    // The calm agent: one message every 200 ms while the flood runs.
    let calm_key = calm.key();
    let mut calm_mqtt = Publisher::connect(&broker, "calm-publisher");
    let mut calm_sent = 0u64;
    while !flooder.is_finished() || calm_sent < 10 {
        calm_sent += 1;
        let env = Envelope::sign(
            &calm_key,
            CALM,
            calm_sent,
            chrono::Utc::now(),
            Kind::Metrics,
            &body(),
        );
        calm_mqtt.publish(&env.topic(), env.to_bytes());
        std::thread::sleep(Duration::from_millis(200));
    }
    let flood_time = flooder.join().expect("flood thread");
    eprintln!("flood of {FLOOD_MSGS} messages published in {flood_time:?}; calm sent {calm_sent}");

    // Every calm message is stored, none lost.
    let calm_in = collector.wait_ingest(CALM, "stored every calm message", |i| {
        i.messages == calm_sent
    });
    assert!(calm_in.complete(), "{calm_in:?}");

    // Every flood message is accounted for: stored, or dropped and counted for the flooder.
    let mut text = String::new();
    let mut stored_flood = 0;
    let accounted = wait_until(pantau_tests::PATIENCE, || {
        text = collector.prometheus();
        stored_flood = collector.ingest(FLOOD).map(|i| i.messages).unwrap_or(0);
        let dropped = prom_value(
            &text,
            DROPPED,
            &[("agent", FLOOD), ("reason", "rate_limited")],
        );
        stored_flood + dropped as u64 == FLOOD_MSGS
    });
    let dropped = prom_value(
        &text,
        DROPPED,
        &[("agent", FLOOD), ("reason", "rate_limited")],
    );
    assert!(
        accounted,
        "{FLOOD}: {stored_flood} stored + {dropped} dropped != {FLOOD_MSGS}; /metrics:\n{text}"
    );
    assert!(
        dropped > 0.0,
        "the flood must be limited; /metrics:\n{text}"
    );
    // At most the burst (100) plus 20 a second from the flood's start until all of it was
    // accounted for (the bucket refills while the collector works through the queue).
    let allowed = 100 + 20 * (t0.elapsed().as_secs() + 1);
    assert!(
        stored_flood <= allowed,
        "{stored_flood} flood messages stored, over the limit's {allowed}"
    );
    assert_eq!(
        prom_value(&text, DROPPED, &[("agent", CALM)]),
        0.0,
        "the calm agent lost nothing to the limit"
    );
    assert_eq!(
        prom_value(&text, REJECTED, &[("reason", "rate_limited")]),
        dropped,
        "drops are among the rejects too"
    );

    // On time: each calm message stored within a few seconds of being signed, flood or not.
    let db = collector.data_dir().join("pantau.db");
    let c = rusqlite::Connection::open(&db).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    let worst: f64 = c
        .query_row(
            "SELECT max((julianday(received_at) - julianday(ts)) * 86400.0) FROM messages WHERE agent_id = ?1",
            [CALM],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        worst < 5.0,
        "a calm message waited {worst:.1} s behind the flood"
    );
    eprintln!(
        "calm agent: worst lag {worst:.3} s; flood: {stored_flood} stored, {dropped} dropped"
    );
    collector.assert_running();
}
