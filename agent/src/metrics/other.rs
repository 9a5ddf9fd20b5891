//! Metrics on Windows and other non-Linux hosts, from the `sysinfo` crate.
//!
//! Deliberately small: CPU usage, memory, volumes, network rates and uptime. No disk I/O,
//! temperatures or top processes yet.

use super::MetricsOptions;
use chrono::Utc;
use pantau_proto::body::metrics::{CpuUsage, MemoryUsage, MountUsage, NetIo};
use pantau_proto::body::Sample;
use std::path::PathBuf;
use std::time::Instant;
use sysinfo::{Disks, Networks, System};

pub(crate) struct Collector {
    opts: MetricsOptions,
    sys: System,
    disks: Disks,
    networks: Networks,
    last: Instant,
}

impl Collector {
    pub(crate) fn new(_root: PathBuf, opts: MetricsOptions) -> Self {
        let mut sys = System::new();
        // sysinfo computes CPU usage between two refreshes: this one is the baseline.
        sys.refresh_cpu_usage();
        Collector {
            opts,
            sys,
            disks: Disks::new_with_refreshed_list(),
            networks: Networks::new_with_refreshed_list(),
            last: Instant::now(),
        }
    }

    pub(crate) fn sample(&mut self) -> Sample {
        let secs = self.last.elapsed().as_secs_f64();
        self.last = Instant::now();
        self.sys.refresh_cpu_usage();
        self.sys.refresh_memory();
        self.disks.refresh(true);
        self.networks.refresh(true);

        let total = self.sys.total_memory();
        let available = self.sys.available_memory().min(total);
        let mounts = self
            .disks
            .list()
            .iter()
            .filter(|d| {
                let fs = d.file_system().to_string_lossy();
                !self.opts.mount_exclude_fs.iter().any(|x| *x == fs)
            })
            .filter(|d| d.total_space() > 0)
            .map(|d| MountUsage {
                mount: d.mount_point().to_string_lossy().into_owned(),
                device: d.name().to_string_lossy().into_owned(),
                fs_type: d.file_system().to_string_lossy().into_owned(),
                total_bytes: d.total_space(),
                used_bytes: d.total_space().saturating_sub(d.available_space()),
                avail_bytes: d.available_space(),
                inodes_used_pct: None,
            })
            .collect();
        let net = if secs > 0.0 {
            self.networks
                .list()
                .iter()
                .map(|(name, n)| NetIo {
                    iface: name.clone(),
                    rx_bytes_ps: n.received() as f64 / secs,
                    tx_bytes_ps: n.transmitted() as f64 / secs,
                    rx_packets_ps: n.packets_received() as f64 / secs,
                    tx_packets_ps: n.packets_transmitted() as f64 / secs,
                    rx_errors_total: n.total_errors_on_received(),
                    tx_errors_total: n.total_errors_on_transmitted(),
                    ..NetIo::default()
                })
                .collect()
        } else {
            Vec::new()
        };
        let load = System::load_average();
        Sample {
            ts: Utc::now(),
            cpu: Some(CpuUsage {
                usage_pct: f64::from(self.sys.global_cpu_usage()),
                ..CpuUsage::default()
            }),
            // Windows has no load average; sysinfo reports zeros there.
            load: (!cfg!(windows)).then_some([load.one, load.five, load.fifteen]),
            memory: Some(MemoryUsage {
                total_bytes: total,
                used_bytes: total - available,
                available_bytes: available,
                swap_total_bytes: self.sys.total_swap(),
                swap_used_bytes: self.sys.used_swap(),
            }),
            mounts,
            net,
            uptime_s: Some(System::uptime()),
            ..Sample::default()
        }
    }
}
