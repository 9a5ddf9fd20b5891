//! Metrics: utilisation samples, taken every interval (30 s by default).
//!
//! Rates are deltas between consecutive [`MetricsCollector::sample`] calls; [`MetricsCollector::new`]
//! takes the first baseline so the first sample already has them. On Linux the collector
//! reads procfs and sysfs under a root directory (`/` in production, a recorded tree in
//! tests) and keeps its buffers between samples: it runs for years on old office PCs and
//! must cost less than the thing it measures. `docs/agent-collectors.md` lists every field.

use pantau_proto::body::Sample;
use std::path::PathBuf;

#[cfg(target_os = "linux")]
mod cpu;
#[cfg(target_os = "linux")]
mod diskio;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod memory;
#[cfg(target_os = "linux")]
mod mounts;
#[cfg(target_os = "linux")]
mod net;
#[cfg(not(target_os = "linux"))]
mod other;
#[cfg(target_os = "linux")]
pub(crate) mod procs;
#[cfg(target_os = "linux")]
pub(crate) mod temps;

#[cfg(target_os = "linux")]
use linux::Collector as Inner;
#[cfg(not(target_os = "linux"))]
use other::Collector as Inner;

/// What to collect.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsOptions {
    /// How many processes to report, busiest first; 0 skips the per-process scan.
    pub top_processes: usize,
    /// Filesystem types never reported under `mounts`.
    pub mount_exclude_fs: Vec<String>,
}

/// Pseudo and in-memory filesystems: they hold no user data, or mirror a real one.
pub const DEFAULT_MOUNT_EXCLUDE_FS: &[&str] = &[
    "proc",
    "sysfs",
    "tmpfs",
    "devtmpfs",
    "devpts",
    "cgroup",
    "cgroup2",
    "overlay",
    "squashfs",
    "nsfs",
    "tracefs",
    "debugfs",
    "securityfs",
    "pstore",
    "bpf",
    "autofs",
    "mqueue",
    "hugetlbfs",
    "fusectl",
    "configfs",
    "binfmt_misc",
    "ramfs",
    "efivarfs",
    "rpc_pipefs",
];

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions {
            top_processes: 5,
            mount_exclude_fs: DEFAULT_MOUNT_EXCLUDE_FS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Takes [`Sample`]s of the host mounted at `root`, keeping the previous counters for rates.
pub struct MetricsCollector {
    inner: Inner,
}

impl MetricsCollector {
    /// Set up and take the baseline for rates. On non-Linux hosts `root` is ignored.
    pub fn new(root: PathBuf, opts: MetricsOptions) -> Self {
        MetricsCollector {
            inner: Inner::new(root, opts),
        }
    }

    /// Read every source once and return rates over the time since the previous call (or
    /// since [`MetricsCollector::new`]). A source that cannot be read is left out.
    pub fn sample(&mut self) -> Sample {
        self.inner.sample()
    }
}
