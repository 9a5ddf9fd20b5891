//! The README's first command: `pantau-collector demo` brings up the embedded broker, SQLite,
//! an agent for this host and simulated agents in several OPDs, and serves them.

use pantau_tests::process::Proc;
use pantau_tests::{bin, free_port, get_text, kernel_hostname, try_get_json, wait_until, PATIENCE};
use serde_json::Value;
use std::process::Command;

#[test]
fn demo_shows_this_host_and_a_simulated_fleet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (http, mqtt) = (free_port(), free_port());
    let mut demo = Proc::new("pantau-collector demo", dir.path().join("demo.log"));
    let mut cmd = Command::new(bin("pantau-collector"));
    cmd.args(["demo", "--sim", "6"])
        .arg("--http")
        .arg(format!("127.0.0.1:{http}"))
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{mqtt}"))
        .arg("--data")
        .arg(dir.path().join("data"));
    demo.spawn(cmd);

    let url = format!("http://127.0.0.1:{http}/api/v1/hosts");
    let mut hosts: Vec<Value> = Vec::new();
    let all_there = wait_until(PATIENCE, || {
        demo.assert_running();
        hosts = try_get_json(&url)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        hosts.len() == 7
            && hosts
                .iter()
                .all(|h| h["online"] == true && h["hostname"].is_string())
    });
    assert!(
        all_there,
        "7 hosts online expected; got {hosts:#?}\n{}",
        demo.log_text()
    );

    let me = kernel_hostname();
    assert!(
        hosts.iter().any(|h| h["hostname"] == me.as_str()
            && h["agent_id"].as_str().unwrap().starts_with("local-")),
        "this host ({me}) is not among {hosts:#?}"
    );
    let opds: std::collections::BTreeSet<&str> =
        hosts.iter().filter_map(|h| h["opd"].as_str()).collect();
    assert!(
        opds.len() >= 4,
        "hosts should spread over several OPDs: {opds:?}"
    );

    // The page lists them too, in Bahasa Indonesia.
    let page = get_text(&format!("http://127.0.0.1:{http}/"));
    assert!(page.contains("host daring") && page.contains(&me), "{page}");
    demo.terminate(std::time::Duration::from_secs(10));
}
