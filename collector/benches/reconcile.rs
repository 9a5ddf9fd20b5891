//! Reconciliation engine on a city-and-a-half: 50,000 register assets × 50,000 hosts.
//!
//! `cargo bench -p pantau-collector --bench reconcile`. Times `reconcile()` only (matching
//! and findings, in memory); generating the inputs is done once beforehand and not timed,
//! and loading from / storing to the database is the store's benchmark. No criterion: seven
//! runs, min and median, is what docs/benchmarks.md reports.

use chrono::{Duration, TimeZone, Utc};
use pantau_collector::reconcile::condition::{Evidence, Suggestion};
use pantau_collector::reconcile::hardware::HardwareChange;
use pantau_collector::reconcile::{
    findings, matching, reconcile, AssetFacts, Decision, DecisionKind, FlagKind, HostFacts,
    HostOutcome, Inputs, LearnedIds, RuleConfig,
};
use pantau_collector::register::Condition;
use std::time::Instant;

const N: usize = 50_000;
const RUNS: usize = 7;

fn main() {
    let inputs = generate();
    // Warm-up, and the shape of the result so the figures can be read against it.
    let r = reconcile(&inputs);
    let count = |f: &dyn Fn(&HostOutcome) -> bool| r.hosts.iter().filter(|h| f(&h.outcome)).count();
    println!(
        "inputs: {} assets, {} hosts, {} decisions",
        inputs.assets.len(),
        inputs.hosts.len(),
        inputs.decisions.len()
    );
    println!(
        "hosts: {} matched ({} manual), {} in review, {} unregistered",
        count(&|o| matches!(o, HostOutcome::Matched { .. })),
        count(&|o| matches!(o, HostOutcome::Matched { manual: true, .. })),
        count(&|o| matches!(o, HostOutcome::Review { .. })),
        count(&|o| matches!(o, HostOutcome::Unregistered)),
    );
    println!(
        "assets: {} silent, {} in review",
        r.assets.iter().filter(|a| a.silent).count(),
        r.assets.iter().filter(|a| a.in_review).count()
    );
    for kind in FlagKind::RECONCILE {
        let n = r.findings.iter().filter(|f| f.kind == kind).count();
        println!("findings {:<26} {n}", kind.name());
    }

    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let r = reconcile(&inputs);
            let secs = t.elapsed().as_secs_f64();
            std::hint::black_box(r);
            secs
        })
        .collect();
    times.sort_by(f64::total_cmp);
    // The two steps apart, to see which one to optimise.
    let mut matching: Vec<f64> = Vec::new();
    let mut finding: Vec<f64> = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let m = matching::match_hosts(&inputs);
        matching.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(findings::find(&inputs, &m));
        finding.push(t.elapsed().as_secs_f64());
    }
    matching.sort_by(f64::total_cmp);
    finding.sort_by(f64::total_cmp);
    println!(
        "  of which match_hosts() median {:.0} ms, find() median {:.0} ms",
        matching[RUNS / 2] * 1e3,
        finding[RUNS / 2] * 1e3
    );
    println!(
        "reconcile() {N} assets x {N} hosts, {RUNS} runs: min {:.0} ms, median {:.0} ms, max {:.0} ms",
        times[0] * 1e3,
        times[RUNS / 2] * 1e3,
        times[RUNS - 1] * 1e3
    );
}

/// A deterministic fleet with the mix a city sees. Host `i` is the machine of asset `i`:
/// - 80 % match by serial (as the firmware writes it: another case, no dashes);
/// - 5 % reinstalled boards with a placeholder serial, found by the learned SMBIOS UUID;
/// - 5 % unregistered (a serial the register does not have);
/// - 2 % whose nomor pabrik the register holds twice (review, duplicate entry);
/// - 3 % found by hostname only (review); 5 % by asset tag;
/// - 1 % enrolled in another OPD than the register's (location mismatch);
/// - 15 % of hosts last seen 20 days ago, which with the assets of unregistered hosts and
///   those in review makes roughly 10,000 silent assets;
/// - 1 % with a hardware change, 10 % with a condition suggestion, 500 manual decisions.
fn generate() -> Inputs {
    let now = Utc.with_ymd_and_hms(2025, 6, 2, 8, 0, 0).unwrap();
    let opd = |i: usize| format!("82.71.{:02}.{:02}.01", i % 40 / 10 + 1, i % 10 + 1);
    let serial = |i: usize| format!("SN-{i:07}-X");
    let uuid = |i: usize| format!("4c4c4544-{:04x}-3510-8052-{:012x}", i % 0xffff, i);
    let mut assets = Vec::with_capacity(N);
    let mut hosts = Vec::with_capacity(N);
    for i in 0..N {
        let pct = i % 100;
        let kode_barang = if i % 9 == 0 {
            "1.3.2.10.02.03.003" // printers: no agent expected
        } else {
            "1.3.2.10.01.02.001"
        };
        let mut a = AssetFacts {
            key: format!("{}|{kode_barang}|{:06}", opd(i), i),
            kode_lokasi: opd(i),
            kode_barang: kode_barang.into(),
            nomor_register: format!("{i:06}"),
            nama_barang: "P.C Unit".into(),
            merk: "Dell".into(),
            tipe: "OptiPlex 3080".into(),
            // 2 %: the clerk copied the previous row's nomor pabrik.
            nomor_pabrik: Some(if (80..82).contains(&pct) {
                serial(i - 1)
            } else {
                serial(i)
            }),
            kondisi: Some(Condition::Baik),
            learned: LearnedIds::default(),
            ..AssetFacts::default()
        };
        let mut h = HostFacts {
            agent_id: format!("agent-{i:06}"),
            opd: opd(i),
            serial: Some(serial(i).replace('-', "").to_lowercase()),
            vendor: Some("Dell Inc.".into()),
            model: Some("OptiPlex 3080".into()),
            macs: vec![format!(
                "3c:52:82:{:02x}:{:02x}:{:02x}",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            )],
            last_seen: Some(now - Duration::hours(2)),
            ..HostFacts::default()
        };
        match pct {
            0..=79 => {}
            80..=81 => h.serial = Some(serial(i - 1)),
            82..=86 => {
                a.learned.uuid = Some(uuid(i));
                h.uuid = Some(uuid(i).to_uppercase());
                h.serial = Some("To be filled by O.E.M.".into());
            }
            87..=91 => h.serial = Some(format!("UNREG{i:07}")),
            92..=94 => {
                a.learned.hostname = Some(format!("PC-{i:06}"));
                h.hostname = Some(format!("pc-{i:06}.pemkot.local"));
                h.serial = None;
            }
            _ => {
                h.asset_tag = Some(format!("{kode_barang}.{i:06}"));
                h.serial = None;
            }
        }
        if i % 100 == 7 {
            h.opd = opd(i + 1);
        }
        if i % 7 == 3 {
            h.last_seen = Some(now - Duration::days(20));
        }
        if i % 100 == 11 {
            h.hardware_change = Some(HardwareChange {
                at: now - Duration::days(1),
                changes: vec!["RAM: 8 GiB → 4 GiB".into()],
            });
        }
        if i % 10 == 5 {
            h.suggestion = Some(Suggestion {
                condition: Condition::KurangBaik,
                evidence: vec![Evidence {
                    what: "disk sda: sektor realokasi".into(),
                    value: serde_json::json!(8),
                    threshold: "> 0".into(),
                    suggests: Condition::KurangBaik,
                }],
            });
        }
        assets.push(a);
        hosts.push(h);
    }
    let decisions = (0..500)
        .map(|k| {
            let i = k * 97 % N;
            Decision {
                agent_id: format!("agent-{i:06}"),
                asset_key: assets[(i + 1) % N].key.clone(),
                kind: if k % 2 == 0 {
                    DecisionKind::Link
                } else {
                    DecisionKind::Unlink
                },
                by: "operator".into(),
                at: now - Duration::days(3),
                note: None,
            }
        })
        .collect();
    Inputs {
        assets,
        hosts,
        decisions,
        config: RuleConfig::default(),
        now,
    }
}
