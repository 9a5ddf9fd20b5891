//! `inventory.health`: evidence of the machine's physical condition (disks, heat, unclean
//! shutdowns). Facts only; the collector turns them into a suggested BMD condition.
//!
//! Each concern has its own file, whose module doc lists exactly what it emits:
//! `smart.rs` (smartctl JSON), `smartctl_run.rs` (running it when root), `disks.rs` (SMART merged with sysfs error counters),
//! `thermal.rs` (hwmon and CPU throttling) and `boots.rs` (unclean shutdowns). Health never
//! fails the inventory: whatever cannot be read is a debug log line and a missing field.
//! `docs/agent-collectors.md` has the full list.

pub mod boots;
#[cfg(target_os = "linux")]
mod disks;
pub mod smart;
pub mod smartctl_run;
#[cfg(target_os = "linux")]
mod thermal;

use pantau_proto::body::health::Health;
use pantau_proto::body::inventory::DiskInfo;
use std::path::{Path, PathBuf};

/// Where health figures may come from; `[health]` in `agent.toml`.
#[derive(Debug, Clone)]
pub struct HealthOptions {
    /// Directory of `<disk>.json` smartctl reports written by the root-run timer.
    pub smart_cache_dir: PathBuf,
    /// Run smartctl directly when the agent is root.
    pub run_smartctl: bool,
}

impl Default for HealthOptions {
    fn default() -> Self {
        HealthOptions {
            smart_cache_dir: PathBuf::from(crate::config::DEFAULT_SMART_CACHE_DIR),
            run_smartctl: true,
        }
    }
}

/// Reads health at each inventory; keeps what must outlive one reading (smartctl results,
/// the boot ledger).
pub struct HealthCollector {
    root: PathBuf,
    opts: HealthOptions,
    runner: smartctl_run::SmartRunner,
    boots: Option<boots::BootTracker>,
}

impl HealthCollector {
    /// `state_dir` enables unclean-shutdown counting and records this start; pass `None`
    /// for one-off reads (`pantau-agent inventory`) that must not count as an agent start.
    pub fn new(root: PathBuf, opts: HealthOptions, state_dir: Option<&Path>) -> Self {
        let boots = state_dir.and_then(|d| boots::BootTracker::start(&root, d, chrono::Utc::now()));
        HealthCollector {
            root,
            opts,
            runner: smartctl_run::SmartRunner::default(),
            boots,
        }
    }

    /// Health of the machine whose disks the inventory listed as `disks`.
    pub fn collect(&mut self, disks: &[DiskInfo]) -> Health {
        let mut health = Health::default();
        #[cfg(target_os = "linux")]
        {
            // Running smartctl only makes sense on the live machine, never on a recorded tree.
            let run = self.opts.run_smartctl && self.root == Path::new("/");
            let names: Vec<String> = disks::physical(disks).map(|d| d.name.clone()).collect();
            let ran = if run && !names.is_empty() {
                self.runner.reports(&names)
            } else {
                &Default::default()
            };
            let now = std::time::SystemTime::now();
            let cache = &self.opts.smart_cache_dir;
            health.disks = disks::read_disks(&self.root, disks, |name| {
                // The timer's cache first: it is what an unprivileged agent normally has.
                smart::from_cache(cache, name, now).or_else(|| ran.get(name).cloned())
            });
            health.thermal = thermal::read_thermal(&self.root);
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (disks, &self.root, &self.opts, &mut self.runner);
        if let Some(b) = &self.boots {
            health.shutdowns = b.shutdowns();
        }
        health
    }

    /// The agent is stopping cleanly (see `boots.rs`).
    pub fn clean_stop(&mut self) {
        if let Some(b) = &mut self.boots {
            b.clean_stop();
        }
    }
}
