//! The usage policy end to end: an enrolled agent's signed `usage` reports go through a real
//! Mosquitto into a real collector; applying a policy through the API runs the policy job,
//! which raises the right flags with evidence and articles; an exemption suppresses one until
//! it expires; a malformed policy is refused by the API and the CLI with line:column, and the
//! policy in force stays.

use chrono::{Duration as Span, Utc};
use pantau_proto::body::usage::{Listener, ProcessUsage, Session, Software, UsageReport};
use pantau_proto::{AgentKey, Envelope, Kind};
use pantau_tests::http::put_text;
use pantau_tests::{bin, get_json, wait_for, Agent, AgentOptions, Collector, Mosquitto, Publisher};
use serde_json::Value;
use std::time::Duration;

const DEFAULT: &str = include_str!("../../collector/policy/default.toml");

fn usage(key: &AgentKey, id: &str, seq: u64, minutes_ago: i64) -> Envelope {
    let at = Utc::now() - Span::minutes(minutes_ago);
    let proc = |pid: u32, name: &str, exe: &str, cpu_s: f64| ProcessUsage {
        pid,
        name: name.into(),
        exe: Some(exe.into()),
        user: Some("budi".into()),
        started_at: Some(Utc::now() - Span::hours(1)),
        cpu_s,
        rss_bytes: 50 << 20,
        sha256: None,
    };
    let body = UsageReport {
        collected_at: Some(at),
        since: Some(at - Span::minutes(5)),
        full: true,
        cpus: 4,
        processes: vec![
            proc(1, "systemd", "/usr/lib/systemd/systemd", 0.5),
            proc(700, "xmrig", "/tmp/.x/xmrig", 298.0),
            proc(701, "python3", "/usr/bin/python3.12", 0.2),
        ],
        software: Some(vec![
            Software {
                name: "qbittorrent".into(),
                version: Some("4.6.3".into()),
                source: "dpkg".into(),
                ..Default::default()
            },
            Software {
                name: "libreoffice-writer".into(),
                source: "dpkg".into(),
                ..Default::default()
            },
        ]),
        software_digest: Some("d".repeat(64)),
        listeners: vec![
            Listener {
                proto: "tcp".into(),
                addr: "0.0.0.0".into(),
                port: 8080,
                pid: Some(701),
                process: Some("python3".into()),
                exe: Some("/usr/bin/python3.12".into()),
                user: Some("budi".into()),
            },
            Listener {
                proto: "tcp".into(),
                addr: "127.0.0.1".into(),
                port: 5432,
                process: Some("postgres".into()),
                ..Default::default()
            },
        ],
        sessions: vec![Session {
            user: "budi".into(),
            line: Some(":0".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let json = serde_json::to_value(&body).unwrap();
    Envelope::sign(key, id, seq, at, Kind::Usage, &json)
}

fn flag(c: &Collector, kind: &str, state: &str) -> Option<Value> {
    let v = get_json(&c.url(&format!("/api/v1/flags?kind={kind}&state={state}")));
    v.as_array().and_then(|a| a.first().cloned())
}

fn apply(c: &Collector, text: &str) -> (u16, Value) {
    put_text(&c.url("/api/v1/policy"), "application/toml", text)
}

fn exemption(agent: &str, expires: chrono::NaiveDate) -> String {
    format!(
        "\n[[exemption]]\nagent = {agent:?}\nkinds = [\"crypto_mining\"]\n\
         reason = \"uji beban CPU\"\napproved_by = \"Kabid TIK\"\nexpires = \"{expires}\"\n"
    )
}

#[test]
fn usage_reports_raise_policy_flags_and_bad_policies_change_nothing() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let opts = AgentOptions {
        opd: "82.71.03.02.01".into(),
        ..AgentOptions::default()
    };
    // Enrolled, never started: the test speaks for the agent with its real key.
    let agent = Agent::enroll(&collector, &broker, "e2e-policy", &opts);
    let key = agent.key();
    let mut mqtt = Publisher::connect(&broker, "e2e-policy-pub");
    for (seq, ago) in [(1, 15), (2, 10), (3, 5), (4, 0)] {
        let env = usage(&key, agent.id(), seq, ago);
        mqtt.publish(&env.topic(), env.to_bytes());
    }
    collector.wait_ingest(agent.id(), "usage reports stored", |i| i.messages == 4);
    let facts = get_json(&collector.url("/api/v1/usage/e2e-policy"));
    assert_eq!(facts["processes"][1]["name"], "xmrig", "{facts}");
    assert_eq!(
        facts["software"].as_array().map(Vec::len),
        Some(2),
        "{facts}"
    );

    // Apply the default (a new version): the job runs at once.
    let (status, v) = apply(&collector, DEFAULT);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["version"], 1);
    let mining = wait_for(Duration::from_secs(30), || {
        flag(&collector, "crypto_mining", "open")
    })
    .unwrap_or_else(|| panic!("no crypto_mining flag\n{}", collector.log()));
    assert_eq!(mining["subject"], "e2e-policy");
    assert_eq!(mining["article"], "Perwali Ternate 33/2021 Pasal 12 ayat 6");
    let ev = &mining["evidence"]["processes"][0];
    assert_eq!(ev["name"], "xmrig");
    assert_eq!(ev["exe"], "/tmp/.x/xmrig");
    assert_eq!(ev["observed_s"], 1200.0, "{mining}");
    assert!(ev["avg_core_pct"].as_f64().unwrap() > 95.0, "{mining}");
    assert!(mining["summary"]
        .as_str()
        .unwrap()
        .contains("penambangan kripto"));
    assert!(mining["evidence"]["summary_en"]
        .as_str()
        .unwrap()
        .contains("crypto-mining"));

    let server = flag(&collector, "unauthorized_server", "open").expect("unauthorized_server");
    assert!(server["article"]
        .as_str()
        .unwrap()
        .contains("Kotamobagu Pasal 27 ayat 3"));
    let l = &server["evidence"]["listeners"];
    assert_eq!(
        l.as_array().map(Vec::len),
        Some(1),
        "loopback is not a server: {server}"
    );
    assert_eq!(l[0]["port"], 8080);
    assert_eq!(l[0]["process"], "python3");
    assert_eq!(server["evidence"]["class"], "workstation");

    let process = flag(&collector, "unauthorized_process", "open").expect("unauthorized_process");
    assert_eq!(
        process["evidence"]["processes"][0]["category"],
        "crypto_mining"
    );
    let software = flag(&collector, "unauthorized_software", "open").expect("software");
    assert_eq!(software["evidence"]["software"][0]["name"], "qbittorrent");
    assert_eq!(software["evidence"]["software"][0]["category"], "p2p");

    // A malformed policy through the API: 422 with line:column, the old one stays.
    let bad = DEFAULT.replace("timezone = \"WIT\"", "timezone = \"WITT\"");
    let line = bad.lines().position(|l| l.contains("\"WITT\"")).unwrap() + 1;
    let (status, err) = apply(&collector, &bad);
    assert_eq!(status, 422, "{err}");
    let want = format!("policy:{line}:12:");
    assert!(
        err["error"].as_str().unwrap().contains(&want),
        "{want} in {err}"
    );
    assert_eq!(err["errors"][0]["line"], line);
    let now = get_json(&collector.url("/api/v1/policy"));
    assert_eq!(now["version"], 1);
    assert_eq!(now["sha256"], v["sha256"]);

    // The same through the CLI.
    let file = collector.dir().join("bad-policy.toml");
    std::fs::write(&file, &bad).unwrap();
    let out = std::process::Command::new(bin("pantau-collector"))
        .args(["policy", "apply"])
        .arg(&file)
        .args(["--by", "budi", "--config"])
        .arg(collector.config_path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("bad-policy.toml:{line}:12: unknown time zone")),
        "{said}"
    );
    let history = collector.cli(&["policy", "history", "--json"], None);
    let history: Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");

    // An exemption until tomorrow suppresses the mining flag (resolved by pantau) ...
    let tomorrow = (Utc::now() + Span::days(1)).date_naive();
    let (status, v2) = apply(
        &collector,
        &(DEFAULT.to_owned() + &exemption("e2e-policy", tomorrow)),
    );
    assert_eq!(status, 200, "{v2}");
    let resolved = wait_for(Duration::from_secs(30), || {
        flag(&collector, "crypto_mining", "resolved")
    })
    .unwrap_or_else(|| panic!("exemption did not resolve the flag\n{}", collector.log()));
    assert_eq!(resolved["resolved_by"], "pantau");
    assert!(
        flag(&collector, "unauthorized_process", "open").is_some(),
        "other kinds stay"
    );
    // ... and once it has expired the flag reopens.
    let last_week = (Utc::now() - Span::days(7)).date_naive();
    let (status, _) = apply(
        &collector,
        &(DEFAULT.to_owned() + &exemption("e2e-policy", last_week)),
    );
    assert_eq!(status, 200);
    let reopened = wait_for(Duration::from_secs(30), || {
        flag(&collector, "crypto_mining", "open")
    })
    .unwrap_or_else(|| panic!("expired exemption still suppresses\n{}", collector.log()));
    assert_eq!(reopened["reopen_count"], 1);
    let versions = get_json(&collector.url("/api/v1/policy/versions"));
    assert_eq!(
        versions["versions"].as_array().map(Vec::len),
        Some(3),
        "{versions}"
    );
    // Every attempt through the API is in the audit log, the refused one too.
    let audit = get_json(&collector.url("/api/v1/audit?action=policy.apply"));
    let outcomes: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["ok", "ok", "refused", "ok"], "{audit}");
    collector.assert_running();
}
