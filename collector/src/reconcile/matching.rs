//! Hosts to assets. See `docs/reconciliation.md`.

use super::*;

/// The matching step's result.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    pub hosts: Vec<HostResult>,
    pub assets: Vec<AssetResult>,
}

pub fn match_hosts(_inputs: &Inputs) -> Matched {
    todo!("matching engine")
}
