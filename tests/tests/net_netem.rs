//! Network health measured through a real, impaired link: two hosts on a namespaced LAN,
//! one behind `tc qdisc netem` (50 ms delay, 20 % loss on its replies), one clean as the
//! control. `pantau-agent probe` runs in the scout's namespace and must measure both within
//! stated tolerances: loss within ±15 points (about 3 standard deviations for 60 pings),
//! the median round trip within 45-90 ms behind netem and under 10 ms on the clean link.
//! Skipped, with a message, where the kernel has no netem qdisc.

use pantau_tests::bin;
use pantau_tests::netns::Lan;
use serde_json::Value;

const PINGS: u32 = 60;

#[test]
fn loss_and_delay_injected_with_netem_are_measured() {
    let Some(lan) = Lan::build(2) else {
        eprintln!("skipped: network namespaces are not permitted here");
        return;
    };
    let (slow, clean) = (&lan.hosts[0], &lan.hosts[1]);
    let out = lan
        .exec(&slow.ns, "tc")
        .args([
            "qdisc", "add", "dev", "e0", "root", "netem", "delay", "50ms", "loss", "20%",
        ])
        .output()
        .expect("run tc");
    let err = String::from_utf8_lossy(&out.stderr);
    // Without sch_netem in the kernel (as on the Firecracker VMs this project's CI uses) there
    // is nothing to impair the link with: the probes still run in the namespaces and the clean
    // figures are checked, and the skipped part is said loudly.
    let impaired = !err.contains("qdisc kind is unknown");
    if impaired {
        assert!(out.status.success(), "tc: {err}");
    } else {
        eprintln!("SKIPPED IN PART: this kernel has no netem qdisc; loss/delay not measured");
    }

    let out = lan
        .exec(&lan.scout_ns, bin("pantau-agent").to_str().unwrap())
        .args(["probe", "--no-gateway", "--pings", &PINGS.to_string()])
        .arg(format!("--target=slow={}", slow.ip))
        .arg(format!("--target=clean={}", clean.ip))
        .output()
        .expect("run pantau-agent probe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe failed: {}{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let probe = |name: &str| -> Value {
        report["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no probe {name}: {report:#}"))
    };
    let (s, c) = (probe("slow"), probe("clean"));
    for p in [&s, &c] {
        assert_eq!(p["sent"], PINGS, "{p:#}");
        assert!(
            p["method"].as_str().unwrap().starts_with("icmp"),
            "root in a namespace can use ICMP: {p:#}"
        );
    }
    if impaired {
        let loss = s["loss_pct"].as_f64().unwrap();
        assert!(
            (5.0..=35.0).contains(&loss),
            "20 % injected, measured {loss} %: {s:#}"
        );
        let median = s["rtt_median_ms"].as_f64().unwrap();
        assert!(
            (45.0..=90.0).contains(&median),
            "50 ms injected, median {median} ms: {s:#}"
        );
    } else {
        assert_eq!(s["received"], PINGS, "{s:#}");
    }
    assert_eq!(c["loss_pct"].as_f64(), Some(0.0), "{c:#}");
    let clean_median = c["rtt_median_ms"].as_f64().unwrap();
    assert!(
        clean_median < 10.0,
        "clean link median {clean_median} ms: {c:#}"
    );
}
