//! Stub replaced by the readers branch.
use pantau_proto::body::Inventory;
#[derive(Debug, Clone, Default)]
pub struct InventoryOptions {
    pub asset_tag: Option<String>,
    pub agent_version: String,
}
pub fn collect(_root: &std::path::Path, _o: &InventoryOptions) -> Inventory {
    Inventory::default()
}
