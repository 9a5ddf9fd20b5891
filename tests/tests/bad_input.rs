//! Hostile and broken input published straight to the broker: every case is refused, counted
//! under its reason in `/metrics`, and stores nothing; a replayed envelope is counted as a
//! duplicate; the collector stays healthy and keeps accepting good messages.

use chrono::Utc;
use pantau_proto::body::metrics::CpuUsage;
use pantau_proto::body::{MetricsBatch, Sample};
use pantau_proto::{topic, AgentKey, Envelope, Kind};
use pantau_tests::{
    prom_value, wait_until, Agent, AgentOptions, Collector, Mosquitto, Publisher, PATIENCE,
};
use serde_json::{json, Value};

const REJECTED: &str = "pantau_ingest_rejected_total";
const DUPLICATES: &str = "pantau_ingest_duplicates_total";
const AGENT: &str = "e2e-bad";

fn metrics_body() -> MetricsBatch {
    MetricsBatch {
        interval_s: 30,
        samples: vec![Sample {
            ts: Utc::now(),
            cpu: Some(CpuUsage {
                usage_pct: 12.5,
                ..CpuUsage::default()
            }),
            ..Sample::default()
        }],
        spool: Default::default(),
    }
}

fn signed(key: &AgentKey, agent_id: &str, seq: u64) -> Envelope {
    Envelope::sign(
        key,
        agent_id,
        seq,
        Utc::now(),
        Kind::Metrics,
        &metrics_body(),
    )
}

/// The envelope as JSON with one field replaced (the signature is left as it was).
fn with_field(env: &Envelope, field: &str, value: Value) -> Vec<u8> {
    let mut v = serde_json::to_value(env).unwrap();
    v[field] = value;
    serde_json::to_vec(&v).unwrap()
}

struct Case {
    what: &'static str,
    reason: &'static str,
    topic: String,
    payload: Vec<u8>,
}

fn cases(key: &AgentKey) -> Vec<Case> {
    let own = topic::topic(AGENT, Kind::Metrics);
    let good = signed(key, AGENT, 1000);
    let good_bytes = good.to_bytes();
    let case = |what, reason, topic: &str, payload: Vec<u8>| Case {
        what,
        reason,
        topic: topic.to_owned(),
        payload,
    };
    let mut oversized = br#"{"pad":""#.to_vec();
    oversized.extend(std::iter::repeat_n(b'x', 600 * 1024));
    oversized.extend(br#""}"#);
    vec![
        case(
            "unknown kind in the topic",
            "bad_topic",
            &format!("pantau/v1/{AGENT}/bogus"),
            good_bytes.clone(),
        ),
        case(
            "an agent publishing config",
            "bad_topic",
            &topic::topic(AGENT, Kind::Config),
            good_bytes.clone(),
        ),
        case(
            "600 KiB on metrics (limit 512 KiB)",
            "oversized",
            &own,
            oversized,
        ),
        case(
            "truncated JSON",
            "malformed",
            &own,
            good_bytes[..good_bytes.len() / 2].to_vec(),
        ),
        case(
            "\"seq\":\"x\"",
            "schema",
            &own,
            with_field(&good, "seq", json!("x")),
        ),
        case(
            "schema version 2",
            "unknown_version",
            &own,
            with_field(&good, "v", json!(2)),
        ),
        case(
            "envelope of one agent on another agent's topic",
            "topic_mismatch",
            &topic::topic("e2e-other", Kind::Metrics),
            good_bytes.clone(),
        ),
        case(
            "an agent that was never enrolled",
            "unknown_agent",
            &topic::topic("e2e-ghost", Kind::Metrics),
            signed(&AgentKey::generate(), "e2e-ghost", 1).to_bytes(),
        ),
        case(
            "signed by a different key",
            "bad_signature",
            &own,
            signed(&AgentKey::generate(), AGENT, 1001).to_bytes(),
        ),
        case(
            "validly signed body that is not a metrics batch",
            "bad_body",
            &own,
            Envelope::sign(
                key,
                AGENT,
                1002,
                Utc::now(),
                Kind::Metrics,
                &json!({"interval_s": "often", "samples": 3}),
            )
            .to_bytes(),
        ),
    ]
}

#[test]
fn bad_input_is_refused_and_counted() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    // Enrolled, never started: this test speaks for the agent with its real key.
    let agent = Agent::enroll(&collector, &broker, AGENT, &AgentOptions::default());
    let key = agent.key();
    let mut mqtt = Publisher::connect(&broker, "e2e-forger");

    // One good message, so the host exists and has a baseline.
    let first = signed(&key, AGENT, 1);
    mqtt.publish(&first.topic(), first.to_bytes());
    let baseline = collector.wait_ingest(AGENT, "stored seq 1", |i| i.messages == 1);
    assert!(baseline.complete(), "{baseline:?}");

    for case in cases(&key) {
        let before = collector.prometheus();
        let (reason_before, all_before) = (
            prom_value(&before, REJECTED, &[("reason", case.reason)]),
            prom_value(&before, REJECTED, &[]),
        );
        mqtt.publish(&case.topic, case.payload);
        let mut text = String::new();
        let counted = wait_until(PATIENCE, || {
            collector.assert_running();
            text = collector.prometheus();
            prom_value(&text, REJECTED, &[("reason", case.reason)]) >= reason_before + 1.0
        });
        assert!(
            counted,
            "{}: {REJECTED}{{reason=\"{}\"}} stayed at {reason_before}; /metrics:\n{text}",
            case.what, case.reason
        );
        assert_eq!(
            prom_value(&text, REJECTED, &[("reason", case.reason)]),
            reason_before + 1.0,
            "{}: counted more than once",
            case.what
        );
        assert_eq!(
            prom_value(&text, REJECTED, &[]),
            all_before + 1.0,
            "{}: another reason was counted too; /metrics:\n{text}",
            case.what
        );
        let now = collector.ingest(AGENT).expect("host still known");
        assert_eq!(
            now, baseline,
            "{}: the host's ingest figures changed",
            case.what
        );
        assert!(collector.healthy(), "{}: health is not 200", case.what);
    }

    // The same valid envelope again: a duplicate, not a second message.
    let dup_before = prom_value(&collector.prometheus(), DUPLICATES, &[]);
    mqtt.publish(&first.topic(), first.to_bytes());
    let mut text = String::new();
    assert!(
        wait_until(PATIENCE, || {
            text = collector.prometheus();
            prom_value(&text, DUPLICATES, &[]) >= dup_before + 1.0
        }),
        "replayed seq 1: {DUPLICATES} stayed at {dup_before}; /metrics:\n{text}"
    );
    assert_eq!(prom_value(&text, DUPLICATES, &[]), dup_before + 1.0);
    assert_eq!(
        collector.ingest(AGENT).expect("host still known"),
        baseline,
        "the replay changed the host's ingest figures"
    );

    // Still healthy, and still taking good messages.
    assert!(collector.healthy(), "health is not 200 after the bad input");
    let next = signed(&key, AGENT, 2);
    mqtt.publish(&next.topic(), next.to_bytes());
    let after = collector.wait_ingest(AGENT, "stored seq 2 after the bad input", |i| {
        i.messages == 2
    });
    assert!(after.complete(), "{after:?}");
    assert_eq!(after.last_seq, Some(2), "{after:?}");
}
