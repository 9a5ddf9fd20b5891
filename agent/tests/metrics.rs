//! Metrics collector against snapshots written between samples, fixtures and the live host.
#![cfg(target_os = "linux")]

use pantau_agent::metrics::{MetricsCollector, MetricsOptions};
use std::fs;
use std::path::{Path, PathBuf};

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// `/proc/<pid>/stat` with the fields the collector reads; the rest are plausible filler.
fn proc_stat(pid: u32, comm: &str, ticks: (u64, u64), start: u64, rss: u64) -> String {
    format!(
        "{pid} ({comm}) S 1 {pid} {pid} 0 -1 4194560 1000 0 0 0 {} {} 0 0 20 0 1 0 {start} 123456789 {rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
        ticks.0, ticks.1
    )
}

struct Snapshot {
    uptime: &'static str,
    stat: &'static str,
    diskstats: &'static str,
    net_dev: &'static str,
    procs: Vec<(u32, String)>,
}

fn apply(root: &Path, s: &Snapshot) {
    write(root, "proc/uptime", s.uptime);
    write(root, "proc/stat", s.stat);
    write(root, "proc/diskstats", s.diskstats);
    write(root, "proc/net/dev", format!("{NET_HEADER}{}", s.net_dev));
    if let Ok(rd) = fs::read_dir(root.join("proc")) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().parse::<u32>().is_ok() {
                fs::remove_dir_all(e.path()).unwrap();
            }
        }
    }
    for (pid, line) in &s.procs {
        write(root, &format!("proc/{pid}/stat"), line);
    }
}

const NET_HEADER: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
";

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    for d in ["sda", "nvme0n1", "loop0"] {
        fs::create_dir_all(root.join("sys/block").join(d)).unwrap();
    }
    write(&root, "proc/loadavg", "0.52 0.58 0.59 2/467 12345\n");
    write(
        &root,
        "proc/meminfo",
        "MemTotal:        8052588 kB\nMemFree:  1000000 kB\nMemAvailable:    5512340 kB\n\
         SwapTotal:       2097148 kB\nSwapFree:        1048576 kB\n",
    );
    (dir, root)
}

#[test]
fn rates_between_snapshots() {
    let (_dir, root) = setup();
    let first = Snapshot {
        uptime: "1000.00 1800.00\n",
        stat: "cpu  10000 500 3000 80000 1000 100 200 50 0 0\ncpu0 1 1 1 1\nbtime 1\n",
        diskstats: "\
   7       0 loop0 500 0 4000 10 0 0 0 0 0 20 20 0 0 0 0
   8       0 sda 1000 10 80000 300 500 7 40000 900 0 1200 1500 0 0 0 0
   8       1 sda1 900 10 70000 300 500 7 40000 900 0 1100 1400 0 0 0 0
 259       0 nvme0n1 5000 0 400000 100 4000 0 300000 200 0 5000 300 0 0 0 0
 253       0 dm-0 100 0 800 1 100 0 800 1 0 2 2 0 0 0 0
",
        net_dev: "    lo: 5000 50 0 0 0 0 0 0 5000 50 0 0 0 0 0 0
  eth0: 1000000 1000 2 3 0 0 0 0 500000 800 4 5 0 0 0 0
",
        procs: vec![
            (1, proc_stat(1, "systemd", (100, 50), 1, 2000)),
            (
                200,
                proc_stat(200, "Web Content (x))", (3000, 1000), 50_000, 100_000),
            ),
            (250, proc_stat(250, "vanishes", (10, 10), 60_000, 10)),
            (300, proc_stat(300, "old", (1000, 0), 5000, 10)),
        ],
    };
    apply(&root, &first);
    let mut c = MetricsCollector::new(
        root.clone(),
        MetricsOptions {
            top_processes: 3,
            ..MetricsOptions::default()
        },
    );
    // 10 s later by the kernel's clock.
    let second = Snapshot {
        uptime: "1010.00 1819.00\n",
        // deltas: user 300 nice 100 system 120 idle 400 iowait 50 irq 10 softirq 20 steal 0
        stat: "cpu  10300 600 3120 80400 1050 110 220 50 0 0\ncpu0 1 1 1 1\nbtime 1\n",
        diskstats: "\
   7       0 loop0 900 0 8000 10 0 0 0 0 0 20 20 0 0 0 0
   8       0 sda 1100 10 100480 300 520 7 42048 900 0 3700 1500 0 0 0 0
   8       1 sda1 1000 10 90480 300 520 7 42048 900 0 3600 1400 0 0 0 0
 259       0 nvme0n1 5000 0 400000 100 4000 0 300000 200 0 25000 300 0 0 0 0
 253       0 dm-0 200 0 1600 1 100 0 800 1 0 2 2 0 0 0 0
",
        net_dev: "    lo: 9000 90 0 0 0 0 0 0 9000 90 0 0 0 0 0 0
  eth0:2250000 2000 2 3 0 0 0 0 750000 1300 4 6 0 0 0 0
",
        procs: vec![
            (1, proc_stat(1, "systemd", (120, 80), 1, 2000)),
            (
                200,
                proc_stat(200, "Web Content (x))", (3250, 1050), 50_000, 100_000),
            ),
            (300, proc_stat(300, "reused", (15, 5), 100_500, 10)),
            (400, proc_stat(400, "new", (60, 40), 100_700, 20)),
        ],
    };
    apply(&root, &second);
    let s = c.sample();

    assert_eq!(s.uptime_s, Some(1010));
    let cpu = s.cpu.expect("cpu");
    // total delta 1000 ticks
    assert!(close(cpu.usage_pct, 55.0), "{cpu:?}");
    assert!(close(cpu.user_pct, 40.0));
    assert!(close(cpu.system_pct, 15.0));
    assert!(close(cpu.iowait_pct, 5.0));
    assert!(close(cpu.steal_pct, 0.0));
    assert_eq!(s.load, Some([0.52, 0.58, 0.59]));
    let mem = s.memory.expect("memory");
    assert_eq!(mem.total_bytes, 8_052_588 * 1024);
    assert_eq!(mem.available_bytes, 5_512_340 * 1024);
    assert_eq!(mem.used_bytes, (8_052_588 - 5_512_340) * 1024);
    assert_eq!(mem.swap_used_bytes, (2_097_148 - 1_048_576) * 1024);
    assert!(s.mounts.is_empty(), "no statvfs on a recorded root");

    let devs: Vec<&str> = s.disk_io.iter().map(|d| d.device.as_str()).collect();
    assert_eq!(devs, ["sda", "nvme0n1"], "partitions, loop and dm skipped");
    let sda = &s.disk_io[0];
    assert_eq!(sda.read_bytes_ps, 20480.0 * 512.0 / 10.0);
    assert_eq!(sda.write_bytes_ps, 2048.0 * 512.0 / 10.0);
    assert_eq!(sda.read_ops_ps, 10.0);
    assert_eq!(sda.write_ops_ps, 2.0);
    assert_eq!(sda.busy_pct, 25.0);
    assert_eq!(s.disk_io[1].busy_pct, 100.0, "clamped");
    assert_eq!(s.disk_io[1].read_bytes_ps, 0.0);

    assert_eq!(s.net.len(), 1, "lo skipped");
    let eth0 = &s.net[0];
    assert_eq!(eth0.iface, "eth0");
    assert_eq!(eth0.rx_bytes_ps, 125_000.0);
    assert_eq!(eth0.tx_bytes_ps, 25_000.0);
    assert_eq!(eth0.rx_packets_ps, 100.0);
    assert_eq!(eth0.tx_packets_ps, 50.0);
    assert_eq!((eth0.rx_errors_total, eth0.tx_errors_total), (2, 4));
    assert_eq!((eth0.rx_drops_total, eth0.tx_drops_total), (3, 6));

    // SAFETY: sysconf only reads configuration.
    let (tck, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK) as f64,
            libc::sysconf(libc::_SC_PAGESIZE) as u64,
        )
    };
    let pct = |ticks: f64| ticks / tck / 10.0 * 100.0;
    assert_eq!(s.processes, Some(4));
    let top: Vec<(u32, &str)> = s.top.iter().map(|p| (p.pid, p.name.as_str())).collect();
    // 200: +300 ticks; 400: new, 100 ticks; 1: +50; 300: pid reused, 20 ticks.
    assert_eq!(
        top,
        [(200, "Web Content (x))"), (400, "new"), (1, "systemd")]
    );
    assert!(close(s.top[0].cpu_pct, pct(300.0)));
    assert!(close(s.top[1].cpu_pct, pct(100.0)));
    assert!(close(s.top[2].cpu_pct, pct(50.0)));
    assert_eq!(s.top[0].rss_bytes, 100_000 * page);

    // Third sample: an interface and a disk appear, one disappears; new ones have no
    // baseline yet, so they are left out rather than reported as zero.
    let third = Snapshot {
        uptime: "1020.00 1838.00\n",
        stat: "cpu  10300 600 3120 80400 1050 110 220 50 0 0\n",
        diskstats: "\
   8       0 sda 1100 10 100480 300 520 7 42048 900 0 3700 1500 0 0 0 0
   8      16 sdb 1 0 8 0 0 0 0 0 0 1 1 0 0 0 0
",
        net_dev: "  eth0:2250000 2000 2 3 0 0 0 0 750000 1300 4 6 0 0 0 0
  eth1: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0
",
        procs: vec![(1, proc_stat(1, "systemd", (120, 80), 1, 2000))],
    };
    fs::create_dir_all(root.join("sys/block/sdb")).unwrap();
    apply(&root, &third);
    let s = c.sample();
    assert_eq!(s.cpu, None, "no CPU time passed");
    let devs: Vec<&str> = s.disk_io.iter().map(|d| d.device.as_str()).collect();
    assert_eq!(devs, ["sda"]);
    assert_eq!(s.disk_io[0].read_bytes_ps, 0.0);
    let ifaces: Vec<&str> = s.net.iter().map(|n| n.iface.as_str()).collect();
    assert_eq!(ifaces, ["eth0"]);
    assert_eq!(s.processes, Some(1));
    assert_eq!(s.top.len(), 1);
    assert_eq!(s.top[0].cpu_pct, 0.0);
}

#[test]
fn temperatures_from_fixture() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/laptop-battery");
    let mut c = MetricsCollector::new(root, MetricsOptions::default());
    let s = c.sample();
    let temps: Vec<(&str, &str, f64)> = s
        .temps
        .iter()
        .map(|t| (t.sensor.as_str(), t.label.as_str(), t.celsius))
        .collect();
    assert_eq!(
        temps,
        [
            ("acpitz", "temp1", 45.0),
            ("nvme", "Composite", 38.85),
            ("coretemp", "Package id 0", 52.0),
            ("coretemp", "Core 0", 50.0),
            ("coretemp", "Core 3", 49.0),
        ]
    );
    assert_eq!(s.uptime_s, Some(12000));
    assert_eq!(s.cpu, None, "the recorded counters do not move");
    assert_eq!(s.memory.unwrap().total_bytes, 16_108_764 * 1024);
    assert_eq!(s.processes, Some(0));
}

#[test]
fn missing_and_garbage_sources() {
    let empty = tempfile::tempdir().unwrap();
    let s = MetricsCollector::new(empty.path().into(), MetricsOptions::default()).sample();
    assert_eq!(
        (s.cpu, s.load, s.memory, s.uptime_s, s.processes),
        (None, None, None, None, None)
    );
    assert!(s.disk_io.is_empty() && s.net.is_empty() && s.temps.is_empty() && s.top.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 131 % 256) as u8).collect();
    for f in [
        "proc/stat",
        "proc/loadavg",
        "proc/meminfo",
        "proc/diskstats",
        "proc/net/dev",
        "proc/uptime",
        "proc/42/stat",
        "proc/43/stat",
        "sys/class/hwmon/hwmon0/name",
        "sys/class/hwmon/hwmon0/temp1_input",
    ] {
        write(root, f, &junk);
    }
    write(
        root,
        "proc/43/stat",
        "43 (x) S 1 2 3 4 5 6 7 8 9 10 notanumber 1 0 0 20 0 1 0 5 6 7\n",
    );
    write(root, "proc/stat", "cpu  1 2 3\ncpu x y z w\n");
    write(root, "proc/net/dev", "eth0: 1 2 3\nbroken\n:::: \n");
    let mut c = MetricsCollector::new(root.into(), MetricsOptions::default());
    for _ in 0..2 {
        let s = c.sample();
        assert_eq!(
            (s.cpu, s.load, s.memory, s.uptime_s),
            (None, None, None, None)
        );
        assert!(s.disk_io.is_empty() && s.net.is_empty() && s.temps.is_empty());
        assert!(s.top.is_empty());
        assert_eq!(s.processes, Some(0));
    }
}

#[test]
fn default_options() {
    let o = MetricsOptions::default();
    assert_eq!(o.top_processes, 5);
    for fs in [
        "proc",
        "tmpfs",
        "overlay",
        "squashfs",
        "cgroup2",
        "rpc_pipefs",
    ] {
        assert!(o.mount_exclude_fs.iter().any(|x| x == fs), "{fs}");
    }
    assert!(!o.mount_exclude_fs.iter().any(|x| x == "ext4"));
}

#[test]
fn live_host_is_sane() {
    let mut c = MetricsCollector::new("/".into(), MetricsOptions::default());
    std::thread::sleep(std::time::Duration::from_millis(250));
    let s = c.sample();
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap();
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    let mem = s.memory.as_ref().expect("memory");
    assert_eq!(mem.total_bytes, kib * 1024);
    assert!(mem.used_bytes <= mem.total_bytes);
    assert!(s.uptime_s.unwrap() > 0);
    assert!(s.load.is_some());
    assert!(s.processes.unwrap() > 0);
    assert!(!s.top.is_empty() && s.top.len() <= 5);
    assert!(s.top.iter().all(|p| p.cpu_pct >= 0.0 && !p.name.is_empty()));
    if let Some(cpu) = &s.cpu {
        assert!((0.0..=100.0).contains(&cpu.usage_pct));
    }
    for m in &s.mounts {
        assert!(m.total_bytes >= m.used_bytes, "{m:?}");
        assert!(!MetricsOptions::default()
            .mount_exclude_fs
            .contains(&m.fs_type));
    }
    assert!(s.net.iter().all(|n| n.iface != "lo"));
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(
        serde_json::from_str::<pantau_proto::body::Sample>(&json).unwrap(),
        s
    );
}

#[test]
fn collector_can_move_to_a_worker_thread() {
    // The runtime keeps the collector inside a `Source: Send`.
    fn assert_send<T: Send>() {}
    assert_send::<MetricsCollector>();
}
