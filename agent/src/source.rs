//! Where an agent's facts come from: this machine, or a simulated one.

use crate::health::{HealthCollector, HealthOptions};
use crate::inventory::{self, InventoryOptions};
use crate::metrics::{MetricsCollector, MetricsOptions};
use pantau_proto::body::{Inventory, Sample};
use std::path::{Path, PathBuf};

pub trait Source: Send {
    fn inventory(&mut self) -> Inventory;
    fn sample(&mut self) -> Sample;
    /// The agent is stopping cleanly (stop signal, not a crash): last chance to record it.
    fn stop(&mut self) {}
    /// Whether this source is a real machine whose network may be probed (`net` kind).
    /// Simulated machines are not: a simulated fleet must not ping anything.
    fn real_network(&self) -> bool {
        false
    }
}

/// The machine the agent runs on, read from `root` (`/` in production).
pub struct HostSource {
    root: PathBuf,
    inv: InventoryOptions,
    metrics: MetricsCollector,
    health: HealthCollector,
}

impl HostSource {
    pub fn new(root: PathBuf, asset_tag: Option<String>, top_processes: usize) -> Self {
        let metrics = MetricsCollector::new(
            root.clone(),
            MetricsOptions {
                top_processes,
                ..Default::default()
            },
        );
        let health = HealthCollector::new(root.clone(), HealthOptions::default(), None);
        HostSource {
            root,
            inv: InventoryOptions {
                asset_tag,
                agent_version: crate::VERSION.into(),
            },
            metrics,
            health,
        }
    }

    /// Health from these sources; with `state_dir`, this also records an agent start for
    /// unclean-shutdown counting (`health::boots`), so pass it only from the service.
    pub fn with_health(mut self, opts: HealthOptions, state_dir: Option<&Path>) -> Self {
        self.health = HealthCollector::new(self.root.clone(), opts, state_dir);
        self
    }
}

impl Source for HostSource {
    fn inventory(&mut self) -> Inventory {
        let mut inv = inventory::collect(&self.root, &self.inv);
        inv.health = self.health.collect(&inv.disks);
        inv
    }

    fn sample(&mut self) -> Sample {
        self.metrics.sample()
    }

    fn stop(&mut self) {
        self.health.clean_stop();
    }

    fn real_network(&self) -> bool {
        true
    }
}
