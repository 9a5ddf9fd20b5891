//! The README's first command: `pantau-collector demo` brings up the embedded broker, SQLite,
//! an agent for this host and simulated agents in several OPDs, and serves them.

use pantau_tests::process::Proc;
use pantau_tests::{
    bin, free_port, get_json, get_text, kernel_hostname, try_get_json, wait_until, PATIENCE,
};
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
    // The demo's admin password, so the API can be asked (HTTP Basic from the URL).
    cmd.env("PANTAU_ADMIN_PASSWORD", "demo-test-password");
    demo.spawn(cmd);

    let url = format!("http://admin:demo-test-password@127.0.0.1:{http}/api/v1/hosts");
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

    assert!(
        demo.log_text().contains("admin / demo-test-password"),
        "the demo prints how to sign in\n{}",
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

    // The overview lists them too, in Bahasa Indonesia: every host online, this one by name.
    let page = get_text(&format!(
        "http://admin:demo-test-password@127.0.0.1:{http}/"
    ));
    let card = page
        .split("<b id=\"online\">")
        .nth(1)
        .and_then(|r| r.split("</b>").next())
        .unwrap_or_else(|| panic!("no online card: {page}"));
    let (up, all) = card.split_once(" / ").expect("online / total");
    let (up, all): (usize, usize) = (up.parse().unwrap(), all.parse().unwrap());
    assert!(
        up >= hosts.len() && all >= up,
        "{card} for {} hosts",
        hosts.len()
    );
    assert!(page.contains("Host daring") && page.contains(&me), "{page}");

    // The demo's own register makes every reconciliation outcome show (see
    // collector/src/demo/register.rs): with 6 sims, sim 3 (index 2) is unregistered, sim 5
    // is registered under another OPD, sim 6 with another model; each OPD has two silent PCs
    // sharing a nomor pabrik. This host is unregistered too.
    let base = format!("http://admin:demo-test-password@127.0.0.1:{http}");
    let mut flags: Vec<Value> = Vec::new();
    let kinds_of = |flags: &[Value]| -> std::collections::BTreeSet<String> {
        flags
            .iter()
            .filter_map(|f| f["kind"].as_str().map(str::to_owned))
            .collect()
    };
    let want = [
        "unregistered",
        "silent",
        "location_mismatch",
        "hardware_mismatch",
        "duplicate_register_entry",
    ];
    let all_kinds = wait_until(PATIENCE, || {
        demo.assert_running();
        flags = try_get_json(&format!("{base}/api/v1/flags"))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        let kinds = kinds_of(&flags);
        want.iter().all(|k| kinds.contains(*k))
    });
    assert!(
        all_kinds,
        "flags of kinds {want:?} expected; got {:?}\n{}",
        kinds_of(&flags),
        demo.log_text()
    );
    let unregistered: Vec<&str> = flags
        .iter()
        .filter(|f| f["kind"] == "unregistered")
        .filter_map(|f| f["subject"].as_str())
        .collect();
    assert!(
        unregistered.contains(&"sim-0003") && unregistered.iter().any(|s| s.starts_with("local-")),
        "{unregistered:?}"
    );
    let summary = get_json(&format!("{base}/api/v1/reconciliation"));
    let city = &summary["city"];
    assert!(city["matched"].as_u64().unwrap() >= 4, "{summary:#}");
    assert_eq!(city["silent"], 8, "{summary:#}");
    demo.terminate(std::time::Duration::from_secs(10));
}
