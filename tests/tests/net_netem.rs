//! Network health measured through a real, impaired link (issue 4: "loss and delay injected
//! ... are measured within a stated tolerance").
//!
//! `pantau-agent probe` runs in a namespace with two targets: `slow`, across an
//! [`ImpairedLink`] adding 50 ms each way and dropping 20 % of the replies, and `clean`, a
//! host on a plain veth LAN as the control. The impairment is the kernel's netem where the
//! kernel has it, else the userspace relay of `pantau_tests::impair` (the run says which on
//! stderr). Tolerances, for 100 pings:
//!
//! * round trip: every reply takes at least the injected 100 ms (a faster figure would be a
//!   mismeasurement); the median at most 25 ms over it and the mean at most 50 ms over it
//!   (scheduling on a loaded machine only adds, and a few late replies pull the mean, not
//!   the median);
//! * loss: within ±14 points of 20 %, i.e. 3.5 standard deviations of a binomial count
//!   (σ = √(100 × 0.2 × 0.8) = 4 replies); with the relay, exactly the replies it dropped;
//! * the clean control: nothing lost and a median under the injected delay, so the
//!   impairment is the link's, not the prober's.

use pantau_tests::bin;
use pantau_tests::impair::{ImpairedLink, Impairment, Mode};
use pantau_tests::netns::Lan;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::Duration;

const PINGS: u32 = 100;
const ONE_WAY_MS: f64 = 50.0;
const LOSS: f64 = 0.2;
/// Any fixed seed: the relay's drops are then the same from run to run.
const SEED: u64 = 4;

fn probe_named(report: &Value, name: &str) -> Value {
    report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no probe {name}: {report:#}"))
}

#[test]
fn loss_and_delay_injected_on_the_link_are_measured() {
    let Some(lan) = Lan::build(1) else {
        return;
    };
    let clean = &lan.hosts[0];
    let delay = Duration::from_millis(ONE_WAY_MS as u64);
    let link = ImpairedLink::build(
        &lan.scout_ns,
        Impairment { delay, loss: 0.0 },
        Impairment { delay, loss: LOSS },
        SEED,
    );
    eprintln!(
        "impairment injected by {}",
        match link.mode {
            Mode::Netem => "the kernel's netem qdisc",
            Mode::Relay => "the userspace relay (tests/src/impair.rs)",
        }
    );

    let out = lan
        .exec(&lan.scout_ns, bin("pantau-agent").to_str().unwrap())
        .args(["probe", "--no-gateway", "--pings", &PINGS.to_string()])
        .arg(format!("--target=slow={}", link.far_ip))
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
    let (s, c) = (probe_named(&report, "slow"), probe_named(&report, "clean"));
    for p in [&s, &c] {
        assert_eq!(p["sent"], PINGS, "{p:#}");
        assert!(
            p["method"].as_str().unwrap().starts_with("icmp"),
            "root in a namespace can use ICMP: {p:#}"
        );
    }

    let rtt = 2.0 * ONE_WAY_MS;
    let f = |p: &Value, k: &str| p[k].as_f64().unwrap_or_else(|| panic!("{k}: {p:#}"));
    // The minimum may fall a few ms short of the injected delay on a loaded machine: the
    // sending thread can be descheduled between taking its timestamp and the packet leaving
    // (seen once in CI: 96.2 ms for 100 ms, with a 100.7 ms median). The median below keeps
    // the measurement honest.
    assert!(f(&s, "rtt_min_ms") >= rtt - 5.0, "{rtt} ms injected: {s:#}");
    let median = f(&s, "rtt_median_ms");
    assert!(
        (rtt..=rtt + 25.0).contains(&median),
        "{rtt} ms injected, median {median} ms: {s:#}"
    );
    let avg = f(&s, "rtt_avg_ms");
    assert!(
        (rtt..=rtt + 50.0).contains(&avg),
        "{rtt} ms injected, mean {avg} ms: {s:#}"
    );
    let loss = f(&s, "loss_pct");
    eprintln!(
        "slow: min {} ms, median {median} ms, mean {avg} ms, loss {loss} %",
        f(&s, "rtt_min_ms")
    );
    assert!(
        (LOSS * 100.0 - 14.0..=LOSS * 100.0 + 14.0).contains(&loss),
        "{} % injected, measured {loss} %: {s:#}",
        LOSS * 100.0
    );
    if link.mode == Mode::Relay {
        // The relay knows the truth: every request crossed, and the agent counted exactly the
        // replies that were let through.
        let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(n(&link.forward.icmp_delivered), u64::from(PINGS));
        assert_eq!(n(&link.forward.icmp_dropped), 0);
        let (through, dropped) = (n(&link.back.icmp_delivered), n(&link.back.icmp_dropped));
        assert_eq!(through + dropped, u64::from(PINGS));
        assert_eq!(s["received"].as_u64(), Some(through), "{s:#}");
        assert!(dropped > 0, "the relay dropped nothing; seed {SEED}");
    }

    assert_eq!(c["received"], PINGS, "{c:#}");
    assert_eq!(c["loss_pct"].as_f64(), Some(0.0), "{c:#}");
    let clean_median = f(&c, "rtt_median_ms");
    assert!(
        clean_median < rtt,
        "the clean link is not impaired: median {clean_median} ms: {c:#}"
    );
}
