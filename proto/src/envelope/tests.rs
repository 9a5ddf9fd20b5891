use super::*;
use crate::body::{MetricsBatch, Sample};
use serde_json::json;

fn batch() -> MetricsBatch {
    MetricsBatch {
        interval_s: 30,
        samples: vec![Sample {
            ts: "2026-11-24T08:00:00Z".parse().unwrap(),
            load: Some([0.1, 0.25, 1.0 / 3.0]),
            ..Default::default()
        }],
        spool: Default::default(),
    }
}

fn signed(key: &AgentKey) -> Envelope {
    Envelope::sign(
        key,
        "pc-1",
        7,
        "2026-11-24T08:00:01Z".parse().unwrap(),
        Kind::Metrics,
        &batch(),
    )
}

fn check(topic: &str, payload: &[u8], key: &AgentKey) -> Result<Verified, DecodeError> {
    let public = key.public();
    decode(topic, payload, |id| (id == "pc-1").then_some(public))
}

#[test]
fn accepts_a_good_envelope_and_types_its_body() {
    let key = AgentKey::generate();
    let env = signed(&key);
    let ok = check("pantau/v1/pc-1/metrics", &env.to_bytes(), &key).unwrap();
    assert_eq!(ok.envelope, env);
    match ok.body {
        Body::Metrics(b) => assert_eq!(b, batch()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_fields_are_ignored_but_covered_by_the_signature() {
    let key = AgentKey::generate();
    // A newer agent adds a field to the envelope and signs it.
    let mut value = serde_json::to_value(signed(&key)).unwrap();
    value
        .as_object_mut()
        .unwrap()
        .insert("trace".into(), json!("abc"));
    let sig = key.sign(&signed_bytes(&value));
    value["sig"] = json!(sig);
    let payload = serde_json::to_vec(&value).unwrap();
    assert!(check("pantau/v1/pc-1/metrics", &payload, &key).is_ok());
    // Someone changes it in transit.
    value["trace"] = json!("xyz");
    let payload = serde_json::to_vec(&value).unwrap();
    let err = check("pantau/v1/pc-1/metrics", &payload, &key).unwrap_err();
    assert_eq!(err.reason, RejectReason::BadSignature);
}

#[test]
fn key_order_and_whitespace_do_not_matter() {
    let key = AgentKey::generate();
    let env = signed(&key);
    let pretty = serde_json::to_vec_pretty(&env).unwrap();
    assert!(check("pantau/v1/pc-1/metrics", &pretty, &key).is_ok());
}

#[test]
fn every_kind_of_bad_input_has_its_reason() {
    let key = AgentKey::generate();
    let good = signed(&key).to_bytes();
    let topic = "pantau/v1/pc-1/metrics";
    let reason = |t: &str, p: &[u8]| check(t, p, &key).unwrap_err().reason;

    assert_eq!(
        reason("pantau/v1/pc-1/bogus", &good),
        RejectReason::BadTopic
    );
    assert_eq!(
        reason("pantau/v1/pc-1/config", &good),
        RejectReason::BadTopic
    );
    assert_eq!(
        reason(topic, &good[..good.len() / 2]),
        RejectReason::Malformed
    );
    assert_eq!(
        reason(topic, &vec![b' '; 600 * 1024]),
        RejectReason::Oversized
    );

    let mut v: Value = serde_json::from_slice(&good).unwrap();
    v["seq"] = json!("seven");
    let err = check(topic, &serde_json::to_vec(&v).unwrap(), &key).unwrap_err();
    assert_eq!(err.reason, RejectReason::Schema);
    assert!(err.detail.contains("field `seq`"), "{}", err.detail);

    let mut v: Value = serde_json::from_slice(&good).unwrap();
    v["v"] = json!(2);
    assert_eq!(
        reason(topic, &serde_json::to_vec(&v).unwrap()),
        RejectReason::UnknownVersion
    );

    assert_eq!(
        reason("pantau/v1/pc-2/metrics", &good),
        RejectReason::TopicMismatch
    );
    assert_eq!(
        reason("pantau/v1/pc-1/inventory", &good),
        RejectReason::TopicMismatch
    );

    let other = AgentKey::generate();
    let forged = signed(&other).to_bytes();
    assert_eq!(reason(topic, &forged), RejectReason::BadSignature);

    let mut v: Value = serde_json::from_slice(&good).unwrap();
    v["seq"] = json!(8);
    assert_eq!(
        reason(topic, &serde_json::to_vec(&v).unwrap()),
        RejectReason::BadSignature
    );

    let unknown = Envelope::sign(&key, "pc-9", 1, Utc::now(), Kind::Metrics, &batch());
    assert_eq!(
        reason("pantau/v1/pc-9/metrics", &unknown.to_bytes()),
        RejectReason::UnknownAgent
    );

    let bad_body = Envelope::sign(
        &key,
        "pc-1",
        1,
        Utc::now(),
        Kind::Metrics,
        &json!({"samples": 3}),
    );
    let err = check(topic, &bad_body.to_bytes(), &key).unwrap_err();
    assert_eq!(err.reason, RejectReason::BadBody);
    assert!(
        err.detail.contains("interval_s") || err.detail.contains("samples"),
        "{}",
        err.detail
    );
}

#[test]
fn nesting_deeper_than_the_limit_is_malformed_and_strings_do_not_count() {
    let key = AgentKey::generate();
    let topic = "pantau/v1/pc-1/metrics";
    let deep = format!(
        "{{\"v\":1,\"x\":{}{}}}",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    let err = check(topic, deep.as_bytes(), &key).unwrap_err();
    assert_eq!(err.reason, RejectReason::Malformed);
    assert!(err.detail.contains("nested deeper"), "{}", err.detail);
    // Brackets inside a string (with an escaped quote before them) are text, not nesting.
    let mut v: Value = serde_json::from_slice(&signed(&key).to_bytes()).unwrap();
    v["note"] = json!(format!("\"{}", "[{".repeat(100)));
    let ok = serde_json::to_vec(&v).unwrap();
    assert!(too_deep(&ok).is_none());
}
