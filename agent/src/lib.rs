//! Pantau host agent: host readers for inventory and metrics.

pub mod inventory;
pub mod metrics;
