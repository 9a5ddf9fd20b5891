//! Each probe method is used exactly where the OS allows it, and the report says which
//! (issue 4: "unprivileged ICMP sockets where the OS allows, raw sockets with CAP_NET_RAW
//! otherwise, and a TCP-connect fallback, and report which method was used").
//!
//! `pantau-agent probe` runs in one namespace of a bridge LAN and probes a host in another.
//! What decides the method is per namespace (`net.ipv4.ping_group_range`, which a new
//! namespace starts with disabled: `1 0`) and per process (its group, its capabilities), so
//! each case sets the range in the prober's namespace and runs the agent as root or as
//! `nobody` with every capability dropped (`setpriv`), as the agent runs on a real PC under
//! its own system user:
//!
//! | range | user | expected |
//! |---|---|---|
//! | `0 2147483647` | nobody, no capabilities | `icmp_dgram` (Ubuntu, Fedora: every group may) |
//! | `1 0` | root (CAP_NET_RAW) | `icmp_raw` (Debian's default, agent given CAP_NET_RAW) |
//! | `1 0` | nobody, no capabilities | `tcp` to port 443 (neither allowed) |
//!
//! Every case must also really measure: all echoes (or connects) answered.

use pantau_tests::bin;
use pantau_tests::netns::{in_ns, Lan};
use serde_json::Value;

const PINGS: &str = "3";

fn sysctl(lan: &Lan, ns: &str, setting: &str) {
    let out = lan
        .exec(ns, "sysctl")
        .args(["-qw", setting])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One probe round from `ns` to `target`, as root or as an unprivileged user.
fn probe(lan: &Lan, ns: &str, target: &str, unprivileged: bool) -> Value {
    let agent = bin("pantau-agent");
    let agent = agent.to_str().unwrap();
    let args = [
        "probe",
        "--target",
        &format!("peer={target}"),
        "--pings",
        PINGS,
        "--no-gateway",
    ];
    let out = if unprivileged {
        lan.exec(ns, "setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                agent,
            ])
            .args(args)
            .output()
            .unwrap()
    } else {
        lan.exec(ns, agent).args(args).output().unwrap()
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "probe failed: {stderr}");
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    report["probes"][0].clone()
}

#[test]
fn each_probe_method_is_used_where_the_os_allows_it() {
    let Some(lan) = Lan::build(2) else {
        return;
    };
    let (prober, peer) = (&lan.hosts[0], &lan.hosts[1]);
    let target = peer.ip.to_string();
    // The TCP fallback connects to port 443: a listener in the peer's namespace, accepting
    // from a thread of ours (a socket stays in the namespace it was made in).
    let listener = in_ns(&peer.ns, || {
        std::net::TcpListener::bind("0.0.0.0:443").unwrap()
    });
    std::thread::spawn(move || for _ in listener.incoming() {});

    let cases = [
        ("0 2147483647", true, "icmp_dgram"),
        ("1 0", false, "icmp_raw"),
        ("1 0", true, "tcp"),
    ];
    for (range, unprivileged, expected) in cases {
        sysctl(
            &lan,
            &prober.ns,
            &format!("net.ipv4.ping_group_range={range}"),
        );
        let p = probe(&lan, &prober.ns, &target, unprivileged);
        let who = if unprivileged { "nobody" } else { "root" };
        assert_eq!(p["method"], expected, "range {range}, {who}: {p}");
        assert_eq!(p["target"], target.as_str(), "{p}");
        assert_eq!(p["sent"], 3, "{p}");
        assert_eq!(
            p["received"], 3,
            "range {range}, {who}: every echo answered: {p}"
        );
        assert!(p["rtt_avg_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{p}");
        if expected == "tcp" {
            assert_eq!(p["port"], 443, "{p}");
        } else {
            assert!(p["port"].is_null(), "{p}");
        }
    }
}
