//! `pantau-agent usage --json` against real processes started here: a CPU burner named like
//! a miner, a TCP listener, a program named like a forbidden one, and secrets in argv and the
//! environment that must appear nowhere in the report.

use pantau_tests::process::port_open;
use pantau_tests::{bin, free_port, wait_until};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Children killed when the test ends, pass or fail.
struct Kids(Vec<Child>);

impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn usage_json() -> Value {
    let out = Command::new(bin("pantau-agent"))
        .args(["usage", "--json"])
        .output()
        .expect("run pantau-agent usage");
    assert!(
        out.status.success(),
        "pantau-agent usage: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("usage --json prints JSON")
}

fn process(report: &Value, pid: u32) -> &Value {
    report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} not in the report"))
}

fn sha256sum(path: &std::path::Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Seconds `pid` has run on a CPU, from `/proc/<pid>/schedstat` (nanoseconds).
fn run_time_s(pid: u32) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).unwrap();
    let ns: f64 = text.split_whitespace().next().unwrap().parse().unwrap();
    ns / 1e9
}

#[test]
fn usage_reports_real_processes_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let miner = dir.path().join("xmrig");
    std::fs::copy("/usr/bin/yes", &miner).unwrap();
    let p2p = dir.path().join("utorrent");
    std::fs::copy("/usr/bin/sleep", &p2p).unwrap();
    let argv_secret = format!("RAHASIA-ARGV-{}", std::process::id());
    let env_secret = format!("RAHASIA-ENV-{}", std::process::id());
    let port = free_port();

    let mut kids = Kids(Vec::new());
    let started = Instant::now();
    kids.0.push(
        Command::new(&miner)
            .arg(&argv_secret)
            .env("WALLET_PASSWORD", &env_secret)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    kids.0.push(
        Command::new(&p2p)
            .arg("120")
            .env("WALLET_PASSWORD", &env_secret)
            .spawn()
            .unwrap(),
    );
    let script = format!(
        "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',{port}))\ns.listen()\ntime.sleep(120)"
    );
    kids.0.push(
        Command::new("python3")
            .args(["-c", &script, &argv_secret])
            .env("WALLET_PASSWORD", &env_secret)
            .spawn()
            .unwrap(),
    );
    let (miner_pid, p2p_pid, listener_pid) = (kids.0[0].id(), kids.0[1].id(), kids.0[2].id());
    assert!(
        wait_until(Duration::from_secs(10), || port_open(port)),
        "listener never listened"
    );
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));

    let sched_before = run_time_s(miner_pid);
    let report = usage_json();
    let sched_after = run_time_s(miner_pid);
    let wall = started.elapsed().as_secs_f64();
    let text = report.to_string();

    // Secrets in argv and the environment are nowhere in the report.
    assert!(
        !text.contains(&argv_secret),
        "argv leaked into the usage report"
    );
    assert!(
        !text.contains(&env_secret),
        "environment leaked into the usage report"
    );
    assert!(!text.contains("WALLET_PASSWORD"));

    // The miner: name, path, sha256 as sha256sum computes it, CPU close to its wall time.
    let m = process(&report, miner_pid);
    assert_eq!(m["name"], "xmrig");
    assert_eq!(m["exe"], miner.to_str().unwrap());
    assert_eq!(m["sha256"], sha256sum(&miner));
    assert_eq!(m["user"], "root");
    let cpu = m["cpu_s"].as_f64().unwrap();
    // What the kernel's scheduler says the burner ran, read just before and after the
    // agent's reading (tick-sampled utime + stime are scaled to this run time).
    assert!(
        cpu >= sched_before - 0.05 && cpu <= sched_after + 0.05,
        "cpu_s {cpu} outside the scheduler's {sched_before:.2}..{sched_after:.2}"
    );
    // Close to its wall time, less what a shared, busy machine (two cores, several test
    // runs) took from it; never above it.
    assert!(
        cpu <= wall + 0.05,
        "cpu_s {cpu} above its wall time {wall:.2}"
    );
    assert!(
        cpu >= 0.1 * wall,
        "cpu_s {cpu} is not a burner's ({wall:.2} s wall)"
    );
    assert!(m["rss_bytes"].as_u64().unwrap() > 0);
    let t0 = chrono::Utc::now() - chrono::Duration::seconds(wall as i64 + 5);
    let st: chrono::DateTime<chrono::Utc> = m["started_at"].as_str().unwrap().parse().unwrap();
    assert!(st >= t0, "started_at {st} before the test started");

    // The forbidden-named program, and its idle CPU.
    let p = process(&report, p2p_pid);
    assert_eq!(p["name"], "utorrent");
    assert_eq!(p["sha256"], sha256sum(&p2p));
    assert!(p["cpu_s"].as_f64().unwrap() < 0.5);

    // The listener, mapped to its process.
    let l = report["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["port"] == port && l["proto"] == "tcp")
        .unwrap_or_else(|| panic!("no listener on port {port}: {}", report["listeners"]));
    assert_eq!(l["addr"], "127.0.0.1");
    assert_eq!(l["pid"], listener_pid);
    assert_eq!(l["process"], process(&report, listener_pid)["name"]);
    let exe = std::fs::read_link(format!("/proc/{listener_pid}/exe")).unwrap();
    assert_eq!(l["exe"], exe.to_str().unwrap());

    // Every installed dpkg package, as dpkg-query counts them.
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${db:Status-Status}\\n"])
        .output()
        .unwrap();
    let installed = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| *l == "installed")
        .count();
    let dpkg = report["software"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source"] == "dpkg")
        .count();
    assert!(installed > 0);
    assert_eq!(
        dpkg, installed,
        "dpkg packages in the report vs dpkg-query -W"
    );
    assert_eq!(report["software_digest"].as_str().map(str::len), Some(64));
    assert_eq!(report["full"], true);
    assert!(report["cpus"].as_u64().unwrap() >= 1);

    // No kernel threads: kthreadd (pid 2 on the host) has no executable.
    assert!(report["processes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["name"] != "kthreadd"));
}

/// Unprivileged, as the packaged service runs: other users' programs are still listed, by
/// name, but without `exe`/`sha256`, and their listeners without an owner. The agent's own
/// user's programs keep everything.
#[test]
fn unprivileged_agent_sees_names_not_paths() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let script = format!(
        "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',{port}))\ns.listen()\ntime.sleep(120)"
    );
    let mut kids = Kids(vec![Command::new("python3")
        .args(["-c", &script])
        .spawn()
        .unwrap()]);
    let root_pid = kids.0[0].id();
    assert!(wait_until(Duration::from_secs(10), || port_open(port)));
    // A program of the agent's own (unprivileged) user.
    let own = dir.path().join("utorrent");
    std::fs::copy("/usr/bin/sleep", &own).unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    kids.0.push(
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&own)
            .arg("120")
            .spawn()
            .unwrap(),
    );
    let own_pid = kids.0[1].id();
    assert!(wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(format!("/proc/{own_pid}/comm"))
            .is_ok_and(|c| c.trim() == "utorrent")
    }));

    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin("pantau-agent"))
        .args(["usage", "--json", "--no-software"])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    let theirs = process(&report, root_pid);
    assert_eq!(theirs["user"], "root");
    assert!(theirs["name"].as_str().unwrap().starts_with("python"));
    assert_eq!(theirs["exe"], Value::Null);
    assert_eq!(theirs["sha256"], Value::Null);
    let l = report["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["port"] == port)
        .expect("another user's listener is still listed");
    assert_eq!(l["pid"], Value::Null);

    let mine = process(&report, own_pid);
    assert_eq!(mine["user"], "nobody");
    assert_eq!(mine["exe"], own.to_str().unwrap());
    assert_eq!(mine["sha256"], sha256sum(&own));
}
