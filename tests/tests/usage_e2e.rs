//! A real agent publishes `usage` reports to a real Mosquitto: a full snapshot at start,
//! nothing while the host is unchanged, a change report (without the unchanged software list)
//! when a program starts.
//!
//! The agent runs in its own network and PID namespaces (`Agent::start_isolated`): this
//! machine is shared with other tests whose processes and listeners come and go, and an
//! unchanged host is what the test must be able to promise.

use pantau_tests::fleet::usage_rig;
use pantau_tests::Publisher;
use serde_json::Value;
use std::time::Duration;

fn body(payload: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(payload).expect("usage envelope is JSON");
    v["body"].clone()
}

fn names(b: &Value) -> Vec<String> {
    b["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn usage_is_sent_on_change_and_not_when_unchanged() {
    let Some(rig) = usage_rig("e2e-usage") else {
        return;
    };
    let (broker, mut agent) = (&rig.broker, rig.agent);
    let topic = format!("pantau/v1/{}/usage", agent.id());
    let mut watcher = Publisher::connect(broker, "test-usage-watcher");
    agent.start_isolated(&rig.lan.scout_ns);

    // At start: a full snapshot with the software list.
    let first = watcher
        .first_matching(&topic, Duration::from_secs(60), |_| true)
        .map(|p| body(&p))
        .unwrap_or_else(|| panic!("no usage report\n{}", agent.log()));
    assert_eq!(first["full"], true);
    assert!(
        names(&first).contains(&"pantau-agent".to_owned()),
        "{first}"
    );
    let digest = first["software_digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    assert!(!first["software"]
        .as_array()
        .expect("software list")
        .is_empty());
    assert_eq!(
        first["listeners"],
        serde_json::json!([]),
        "a fresh namespace listens nowhere"
    );

    // Unchanged: nothing for more than two intervals.
    let quiet = watcher.first_matching(&topic, Duration::from_secs(13), |_| true);
    assert!(
        quiet.is_none(),
        "an unchanged host sent {}",
        body(&quiet.unwrap())
    );

    // A program starts: a change report, without the unchanged software list.
    let dir = tempfile::tempdir().unwrap();
    let p2p = dir.path().join("utorrent");
    std::fs::copy("/usr/bin/sleep", &p2p).unwrap();
    let mut child = agent.spawn_beside(&p2p, &["300"]);
    let change = watcher
        .first_matching(&topic, Duration::from_secs(30), |_| true)
        .map(|p| body(&p))
        .unwrap_or_else(|| panic!("no report after a program started\n{}", agent.log()));
    assert!(names(&change).contains(&"utorrent".to_owned()), "{change}");
    assert_eq!(change["full"], false);
    assert_eq!(change["software"], Value::Null);
    assert_eq!(change["software_digest"], digest.as_str());
    assert_eq!(
        change["since"], first["collected_at"],
        "CPU counts from the last sent report"
    );

    // And quiet again.
    let quiet = watcher.first_matching(&topic, Duration::from_secs(11), |_| true);
    assert!(
        quiet.is_none(),
        "sent again without a change: {}",
        body(&quiet.unwrap())
    );
    let _ = child.kill();
    let _ = child.wait();
    agent.assert_running();
}
