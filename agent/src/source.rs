//! Where an agent's facts come from: this machine, or a simulated one.

use crate::inventory::{self, InventoryOptions};
use crate::metrics::{MetricsCollector, MetricsOptions};
use pantau_proto::body::{Inventory, Sample};
use std::path::PathBuf;

pub trait Source: Send {
    fn inventory(&mut self) -> Inventory;
    fn sample(&mut self) -> Sample;
}

/// The machine the agent runs on, read from `root` (`/` in production).
pub struct HostSource {
    root: PathBuf,
    inv: InventoryOptions,
    metrics: MetricsCollector,
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
        HostSource {
            root,
            inv: InventoryOptions {
                asset_tag,
                agent_version: crate::VERSION.into(),
            },
            metrics,
        }
    }
}

impl Source for HostSource {
    fn inventory(&mut self) -> Inventory {
        inventory::collect(&self.root, &self.inv)
    }

    fn sample(&mut self) -> Sample {
        self.metrics.sample()
    }
}
