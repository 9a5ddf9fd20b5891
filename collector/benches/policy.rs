//! Policy evaluation for a city: 10,000 hosts, each with ~300 processes, ~1,500 packages,
//! a few listeners and sessions, and 24 CPU windows (two hours of five-minute reports).
//!
//! `cargo bench -p pantau-collector --bench policy`. Times evaluation only (the engine the
//! job runs), with the shipped default policy; inputs are generated beforehand in pages of
//! 500 hosts (the job's page size) and not timed. No criterion: seven runs, min and median,
//! and the peak resident set of the process, as docs/benchmarks.md reports.

use chrono::{Duration, TimeZone, Utc};
use pantau_collector::policy::eval::{CpuWindow, Evaluator, HostInput, ProcCpu, UsageFacts};
use pantau_collector::policy::Policy;
use pantau_proto::body::usage::{Listener, ProcessUsage, Session, Software};
use std::time::Instant;

const HOSTS: usize = 10_000;
const PROCS: usize = 300;
const PACKAGES: usize = 1_500;
const RUNS: usize = 7;

/// A deterministic pseudo-random stream (xorshift), so runs compare.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn generate() -> Vec<HostInput> {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap(); // 22:00 WIT
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // A city's machines share most names: a pool of 3,000 package names and 600 process
    // names, plus a few per host that nobody else has.
    let packages: Vec<String> = (0..3000).map(|i| format!("lib-package-{i}")).collect();
    let procs: Vec<String> = (0..600).map(|i| format!("proc{i}")).collect();
    let bad_procs = ["steam", "xmrig", "anydesk", "qbittorrent", "tor"];
    let bad_sw = [
        "Steam",
        "AnyDesk",
        "qBittorrent",
        "NiceHash Miner",
        "KMSpico",
    ];
    (0..HOSTS)
        .map(|i| {
            let mut processes: Vec<ProcessUsage> = (0..PROCS)
                .map(|j| {
                    let name = if j < 5 {
                        format!("uniq{i}-{j}")
                    } else {
                        procs[rng.below(procs.len())].clone()
                    };
                    ProcessUsage {
                        pid: j as u32 + 100,
                        exe: Some(format!("/usr/bin/{name}")),
                        name,
                        user: Some("budi".into()),
                        started_at: Some(now - Duration::hours(3)),
                        cpu_s: 0.5,
                        rss_bytes: 20 << 20,
                        sha256: Some(format!("{:064x}", rng.next())),
                    }
                })
                .collect();
            let mut software: Vec<Software> = (0..PACKAGES)
                .map(|j| Software {
                    name: if j < 10 {
                        format!("local-tool-{i}-{j}")
                    } else {
                        packages[rng.below(packages.len())].clone()
                    },
                    version: Some("1.2.3-1".into()),
                    publisher: Some("Debian Maintainers <debian@example.org>".into()),
                    source: "dpkg".into(),
                    installed_at: None,
                })
                .collect();
            // One host in 20 breaks the policy.
            if i % 20 == 0 {
                let b = i / 20 % bad_procs.len();
                processes[10].name = bad_procs[b].into();
                software[10].name = bad_sw[b].into();
            }
            let windows = (0..24)
                .map(|w| {
                    let until = now - Duration::minutes(5 * w);
                    CpuWindow {
                        since: until - Duration::minutes(5),
                        until,
                        cpus: 4,
                        cpu_s: 400.0,
                        procs: (0..8)
                            .map(|k| ProcCpu {
                                name: processes[10 + k].name.clone(),
                                exe: processes[10 + k].exe.clone(),
                                sha256: processes[10 + k].sha256.clone(),
                                cpu_s: 50.0,
                            })
                            .collect(),
                    }
                })
                .collect();
            HostInput {
                agent_id: format!("pc{i:05}"),
                opd: format!("82.71.{:02}.01.01", i % 40),
                hostname: Some(format!("pc{i:05}")),
                asset_key: None,
                kode_barang: Some("1.3.2.10.01.02.001".into()),
                chassis: None,
                facts: Some(UsageFacts {
                    collected_at: now,
                    cpus: 4,
                    processes,
                    software,
                    software_at: Some(now),
                    listeners: vec![
                        Listener {
                            proto: "tcp".into(),
                            addr: "0.0.0.0".into(),
                            port: 445,
                            process: Some("System".into()),
                            ..Default::default()
                        },
                        Listener {
                            proto: "udp".into(),
                            addr: "0.0.0.0".into(),
                            port: 5353,
                            process: Some("avahi-daemon".into()),
                            ..Default::default()
                        },
                        Listener {
                            proto: "tcp".into(),
                            addr: "127.0.0.1".into(),
                            port: 631,
                            process: Some("cupsd".into()),
                            ..Default::default()
                        },
                        Listener {
                            proto: "tcp".into(),
                            addr: "0.0.0.0".into(),
                            port: if i % 50 == 0 { 8080 } else { 22 },
                            process: Some("sshd".into()),
                            ..Default::default()
                        },
                    ],
                    sessions: vec![Session {
                        user: "budi".into(),
                        line: Some(":0".into()),
                        host: None,
                        started_at: Some(now - Duration::hours(4)),
                    }],
                    errors: vec![],
                }),
                windows,
            }
        })
        .collect()
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let policy = Policy::default_policy();
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap();
    let t = Instant::now();
    let hosts = generate();
    println!(
        "inputs: {} hosts × {PROCS} processes × {PACKAGES} packages, 24 windows each (generated in {:.1} s, peak RSS {:.0} MB)",
        hosts.len(),
        t.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let mut e = Evaluator::new(&policy, now);
        let mut out = Vec::new();
        for page in hosts.chunks(pantau_collector::policy::job::PAGE) {
            e.page(page, &mut out);
        }
        times.push(t.elapsed().as_secs_f64());
        found = out.len();
        let mut kinds = std::collections::BTreeMap::new();
        for f in &out {
            *kinds.entry(f.kind.name()).or_insert(0) += 1;
        }
        if times.len() == 1 {
            println!("findings: {found} {kinds:?}");
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "evaluate {} hosts: min {:.3} s, median {:.3} s over {RUNS} runs; {found} findings; peak RSS {:.0} MB",
        hosts.len(),
        times[0],
        times[RUNS / 2],
        peak_rss_mb()
    );
}
