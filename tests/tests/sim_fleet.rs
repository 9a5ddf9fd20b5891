//! `pantau-sim` with a small misbehaving fleet against a real Mosquitto and collector: the
//! fleet's register and enrollment are imported as an operator would, and afterwards the
//! collector shows each misbehaviour for what it is: silent agents silent, flapping agents
//! going offline and back without losing a message, unregistered PCs flagged, skewed clocks
//! visible as the host's clock offset. Every envelope the simulator made is stored once.

use pantau_tests::fleet::run_ok;
use pantau_tests::process::Proc;
use pantau_tests::{bin, get_json, post_json, wait_until, Collector, Mosquitto, PATIENCE};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn a_misbehaving_fleet_shows_as_such() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let dir = collector.dir().join("sim");
    let sim = |extra: &[&str]| {
        let mut cmd = Command::new(bin("pantau-sim"));
        // 12 agents, a sixth each: 2 silent, 2 flapping, 2 unregistered, 2 skewed, 4 normal.
        cmd.args([
            "--agents",
            "12",
            "--opds",
            "3",
            "--interval",
            "2s",
            "--zone",
            "WITA",
        ])
        .args(["--silent", "17", "--flapping", "17", "--unregistered", "17"])
        .args(["--skew", "17"])
        .arg("--broker")
        .arg(broker.url())
        .arg("--data")
        .arg(&dir)
        .args(extra);
        cmd
    };
    run_ok(&mut sim(&["--enroll-only"]));
    let enrollment: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("enrollment.json")).unwrap()).unwrap();
    let who = |b: &str| -> Vec<String> {
        enrollment
            .iter()
            .filter(|e| e["behaviour"] == b)
            .map(|e| e["agent_id"].as_str().unwrap().to_owned())
            .collect()
    };
    for b in ["silent", "flapping", "unregistered", "skewed"] {
        assert_eq!(who(b).len(), 2, "{b}: {enrollment:#?}");
    }
    collector.cli(
        &[
            "enroll",
            "import",
            dir.join("enrollment.json").to_str().unwrap(),
        ],
        None,
    );
    collector.cli(
        &[
            "register",
            "import",
            dir.join("register.csv").to_str().unwrap(),
        ],
        None,
    );

    let mut fleet = Proc::new("pantau-sim", collector.dir().join("sim.log"));
    fleet.spawn(sim(&["--duration", "45s"]));

    // While it runs: every flapping agent is seen online and, later, offline and back.
    let mut seen: HashMap<String, Vec<bool>> = HashMap::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(40) {
        for id in who("flapping") {
            if let Some(on) = collector.online(&id) {
                let states = seen.entry(id).or_default();
                if states.last() != Some(&on) {
                    states.push(on);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    for id in who("flapping") {
        let states = &seen[&id];
        assert!(
            states.windows(3).any(|w| w == [true, false, true]),
            "{id} should go offline and come back: {states:?}"
        );
    }
    assert!(
        wait_until(Duration::from_secs(30), || !fleet.is_running()),
        "pantau-sim should stop by itself after --duration"
    );
    let out = fleet.log_text();
    assert!(
        out.contains("behaviour") && out.contains("total"),
        "no summary printed:\n{out}"
    );

    // Everything the simulator made is stored, once, with no gap.
    let summary: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    for a in &summary {
        let id = a["agent_id"].as_str().unwrap();
        let ingest = collector.ingest(id).expect("enrolled host");
        if a["behaviour"] == "silent" {
            assert!(a["first_seq"].is_null(), "{a}");
            assert_eq!(ingest.messages, 0, "{id} is silent but stored {ingest:?}");
            assert_ne!(collector.online(id), Some(true), "{id}");
            continue;
        }
        // What is still spooled at the end (the newest, if any) waits for the next run.
        let spooled = a["spooled"].as_u64().unwrap();
        let (first, last) = (
            a["first_seq"].as_u64().unwrap(),
            a["last_seq"].as_u64().unwrap(),
        );
        let want_last = last - spooled;
        let stored = wait_until(PATIENCE, || {
            collector
                .ingest(id)
                .is_some_and(|i| i.last_seq == Some(want_last))
        });
        assert!(
            stored,
            "{id}: the sim made seq {first}..={last}, {spooled} spooled; stored {:?}",
            collector.ingest(id)
        );
        let i = collector.ingest(id).unwrap();
        assert_eq!(
            (i.first_seq, i.messages, i.missing),
            (Some(first), want_last - first + 1, 0),
            "{id}: not exactly what the simulator made"
        );
        assert!(spooled <= 1, "{id}: {spooled} left unsent at the end");
    }

    // Skewed clocks show as the host's clock offset (receipt minus the agent's time).
    for e in enrollment.iter().filter(|e| e["behaviour"] == "skewed") {
        let id = e["agent_id"].as_str().unwrap();
        let skew = e["clock_skew_s"].as_f64().unwrap();
        let host = get_json(&collector.url(&format!("/api/v1/hosts/{id}")));
        let offset = host["ingest"]["clock_offset_s"].as_f64().unwrap();
        assert!(
            (offset + skew).abs() < 30.0,
            "{id}: skew {skew} s, offset {offset} s"
        );
    }
    for id in who("normal") {
        let host = get_json(&collector.url(&format!("/api/v1/hosts/{id}")));
        let offset = host["ingest"]["clock_offset_s"].as_f64().unwrap();
        assert!(
            offset.abs() < 30.0,
            "{id}: a right clock, offset {offset} s"
        );
    }

    // Reconciliation: the unregistered PCs are flagged; the others are in the register.
    let (status, report) = post_json(&collector.url("/api/v1/reconciliation/run"), &json!({}));
    assert_eq!(status, 200, "{report}");
    let flags = get_json(&collector.url("/api/v1/flags"));
    let flagged = |kind: &str, id: &str| {
        flags
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == kind && f["subject"] == id)
    };
    for id in who("unregistered") {
        assert!(flagged("unregistered", &id), "{id} not flagged: {flags:#}");
    }
    for id in who("normal").iter().chain(&who("skewed")) {
        assert!(
            !flagged("unregistered", id),
            "{id} is registered: {flags:#}"
        );
    }
    // The silent agents' register rows are the silent assets. Their hosts, enrolled but
    // never reporting, have no inventory to match and are counted unregistered too.
    assert_eq!(report["silent"], 2, "{report}");
    assert_eq!(report["matched"], 8, "{report}");
    assert_eq!(report["unregistered"], 4, "{report}");
}
