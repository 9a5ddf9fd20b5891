//! A dead target does not delay the others (issue 4), on a namespaced LAN.
//!
//! Three live hosts, and three addresses of a subnet routed through host 3 with IP forwarding
//! off: packets to them cross the LAN and are dropped without a word (the kernel sends no
//! ICMP error when it does not forward), as a host that is down behind a router looks. One
//! `pantau-agent probe` round probes all six. The live targets must answer every echo, the
//! dead ones must show 100 % loss with "no reply" (not a local routing error), and the
//! round's `duration_ms` must lie between one target's full budget and twice that.
//!
//! Why the duration bound is a correctness property, not a speed target: a target's probes
//! end at `(pings - 1) × 200 ms + 1 s` (the last echo's timeout), so a round must last at
//! least that when any target is dead, and if the round waited for targets one after the
//! other, the three dead ones alone would take three budgets. Twice the budget fails for any
//! serialisation of even two dead targets, and leaves a full budget of slack for a loaded
//! machine.

use pantau_tests::bin;
use pantau_tests::netns::Lan;
use serde_json::Value;

const PINGS: u32 = 5;
/// The agent's echo spacing and reply timeout (agent/src/net/ping.rs, docs/agent-collectors.md).
const SPACING_MS: f64 = 200.0;
const TIMEOUT_MS: f64 = 1000.0;
const DEAD_NET: &str = "10.79.0";

fn ok(out: std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_dead_target_does_not_delay_the_others() {
    let Some(lan) = Lan::build(3) else {
        return;
    };
    let router = &lan.hosts[2];
    // New namespaces may inherit forwarding from the host; this one must drop.
    ok(lan
        .exec(&router.ns, "sysctl")
        .args(["-qw", "net.ipv4.ip_forward=0"])
        .output()
        .unwrap());
    ok(std::process::Command::new("ip")
        .args(["-n", &lan.scout_ns, "route", "add"])
        .arg(format!("{DEAD_NET}.0/24"))
        .args(["via", &router.ip.to_string()])
        .output()
        .unwrap());

    let mut cmd = lan.exec(&lan.scout_ns, bin("pantau-agent").to_str().unwrap());
    cmd.args(["probe", "--no-gateway", "--pings", &PINGS.to_string()]);
    for (i, h) in lan.hosts.iter().enumerate() {
        cmd.arg(format!("--target=live{}={}", i + 1, h.ip));
    }
    for i in 1..=3 {
        cmd.arg(format!("--target=dead{i}={DEAD_NET}.{i}"));
    }
    let out = cmd.output().expect("run pantau-agent probe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe failed: {}{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let probes = report["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 6, "{report:#}");

    for p in probes {
        assert_eq!(p["sent"], PINGS, "{p:#}");
        assert!(
            p["method"].as_str().unwrap().starts_with("icmp"),
            "root in a namespace can use ICMP: {p:#}"
        );
        if p["name"].as_str().unwrap().starts_with("live") {
            assert_eq!(p["received"], PINGS, "{p:#}");
            assert_eq!(p["loss_pct"].as_f64(), Some(0.0), "{p:#}");
            assert!(p["error"].is_null(), "{p:#}");
            let median = p["rtt_median_ms"].as_f64().unwrap();
            assert!(median > 0.0 && median < TIMEOUT_MS, "{p:#}");
        } else {
            assert_eq!(p["received"], 0, "{p:#}");
            assert_eq!(p["loss_pct"].as_f64(), Some(100.0), "{p:#}");
            assert!(p["rtt_median_ms"].is_null(), "{p:#}");
            assert_eq!(p["error"], "no reply", "dropped silently: {p:#}");
        }
    }

    let budget = f64::from(PINGS - 1) * SPACING_MS + TIMEOUT_MS;
    let took = report["duration_ms"].as_f64().expect("duration_ms");
    eprintln!("round with 3 dead targets: {took:.0} ms (one target's budget {budget} ms)");
    assert!(
        took >= budget,
        "a dead target is waited for until its last echo times out: {took} ms"
    );
    assert!(
        took < 2.0 * budget,
        "targets are probed concurrently: {took} ms for a {budget} ms budget"
    );
}
