//! The usage policy against a real agent and real processes: in the agent's own PID and
//! network namespaces the test starts a CPU burner named like a miner (a copy of
//! `sha256sum` reading /dev/zero, saved as `xmrig`), a program of a forbidden category (a
//! copy of `sleep` named `utorrent`) and a web server listening on all addresses; the agent
//! reports them over a real Mosquitto, and the collector's policy raises `crypto_mining`,
//! `unauthorized_process` and `unauthorized_server` with the evidence and article each needs.
//! The policy is the shipped default with a 15-second mining threshold, so the test need not
//! wait ten minutes.

use pantau_tests::fleet::usage_rig;
use pantau_tests::http::put_text;
use pantau_tests::{get_json, wait_for, Collector};
use serde_json::Value;
use std::time::Duration;

const DEFAULT: &str = include_str!("../../collector/policy/default.toml");

fn open_flag(c: &Collector, kind: &str, agent: &str) -> Option<Value> {
    get_json(&c.url(&format!("/api/v1/flags?kind={kind}&subject={agent}")))
        .as_array()?
        .first()
        .cloned()
}

fn sha256(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn real_processes_on_a_real_agent_raise_policy_flags_with_evidence() {
    let Some(rig) = usage_rig("e2e-policy-agent") else {
        return;
    };
    let (collector, mut agent) = (&rig.collector, rig.agent);
    agent.start_isolated(&rig.lan.scout_ns);

    let dir = tempfile::tempdir().unwrap();
    let miner = dir.path().join("xmrig");
    std::fs::copy("/usr/bin/sha256sum", &miner).unwrap();
    let p2p = dir.path().join("utorrent");
    std::fs::copy("/usr/bin/sleep", &p2p).unwrap();
    let mut kids = vec![
        agent.spawn_beside(&miner, &["/dev/zero"]),
        agent.spawn_beside(&p2p, &["300"]),
        agent.spawn_beside(
            std::path::Path::new("/usr/bin/python3"),
            &["-m", "http.server", "8088", "--bind", "0.0.0.0"],
        ),
    ];

    // Let the agent report the burner over a few intervals, then put the policy in force
    // (applying runs the job at once); apply again until the windows add up to 15 s.
    let policy = DEFAULT.replace("mining_min_s = 600", "mining_min_s = 15");
    assert_ne!(
        policy, DEFAULT,
        "the default policy's mining threshold moved"
    );
    let mining = wait_for(Duration::from_secs(90), || {
        std::thread::sleep(Duration::from_secs(5));
        let (status, v) = put_text(
            &collector.url("/api/v1/policy"),
            "application/toml",
            &policy,
        );
        assert_eq!(status, 200, "{v}");
        open_flag(collector, "crypto_mining", agent.id())
    })
    .unwrap_or_else(|| {
        panic!(
            "no crypto_mining flag; usage: {}\nagent log:\n{}",
            get_json(&collector.url(&format!("/api/v1/usage/{}", agent.id()))),
            agent.log()
        )
    });
    assert_eq!(mining["article"], "Perwali Ternate 33/2021 Pasal 12 ayat 6");
    let ev = &mining["evidence"]["processes"][0];
    assert_eq!(ev["name"], "xmrig", "{mining:#}");
    assert_eq!(ev["exe"], miner.display().to_string(), "{mining:#}");
    assert!(ev["avg_core_pct"].as_f64().unwrap() > 50.0, "{mining:#}");
    assert!(ev["observed_s"].as_f64().unwrap() >= 15.0, "{mining:#}");

    // The same facts, as the agent reported them: the executable's hash is the file's.
    let facts = get_json(&collector.url(&format!("/api/v1/usage/{}", agent.id())));
    let reported = facts["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "xmrig")
        .cloned()
        .unwrap_or_else(|| panic!("{facts:#}"));
    assert_eq!(reported["sha256"], sha256(&miner), "{reported:#}");

    let p2p_flag = wait_for(Duration::from_secs(10), || {
        get_json(&collector.url(&format!(
            "/api/v1/flags?kind=unauthorized_process&subject={}",
            agent.id()
        )))
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.to_string().contains("utorrent"))
        .cloned()
    })
    .unwrap_or_else(|| panic!("no unauthorized_process flag for utorrent"));
    assert!(p2p_flag["evidence"]
        .to_string()
        .contains(&p2p.display().to_string()));

    let server = open_flag(collector, "unauthorized_server", agent.id())
        .unwrap_or_else(|| panic!("no unauthorized_server flag; usage: {facts:#}"));
    assert!(
        server["article"]
            .as_str()
            .is_some_and(|a| a.contains("Perwali Kotamobagu Pasal 27 ayat 3")),
        "{server:#}"
    );
    assert!(
        server["evidence"].to_string().contains("8088"),
        "{server:#}"
    );

    for k in &mut kids {
        let _ = k.kill();
        let _ = k.wait();
    }
    agent.assert_running();
}
