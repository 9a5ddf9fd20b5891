//! What ingest keeps of each host's newest inventory for reconciliation: identifiers
//! (`hosts.facts`) and health evidence (`hosts.health`), as small JSON documents.

use pantau_proto::body::inventory::BatteryInfo;
use pantau_proto::body::{Health, Inventory};
use serde::{Deserialize, Serialize};

/// The identifiers and make of a host, as its inventory reports them (raw: normalization
/// and the junk list are the engine's business, so changing them needs no re-ingest).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Observed {
    pub serial: Option<String>,
    pub uuid: Option<String>,
    /// Physical NICs: the permanent address when known, else the current one.
    pub macs: Vec<String>,
    pub asset_tag: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub virtual_machine: bool,
}

impl Observed {
    pub fn of(inv: &Inventory) -> Observed {
        let mut macs: Vec<String> = inv
            .nics
            .iter()
            .filter(|n| n.physical)
            .filter_map(|n| n.perm_mac.clone().or_else(|| n.mac.clone()))
            .collect();
        macs.sort();
        macs.dedup();
        Observed {
            serial: inv.system.serial.clone(),
            uuid: inv.system.uuid.clone(),
            macs,
            asset_tag: inv.asset_tag.clone(),
            vendor: inv.system.vendor.clone(),
            model: inv.system.model.clone(),
            virtual_machine: inv.system.virtual_machine,
        }
    }
}

/// Health evidence of the newest inventory; the suggestion is computed at reconciliation
/// time so that changed thresholds apply at once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HealthRecord {
    pub health: Health,
    pub battery: Option<BatteryInfo>,
}

impl HealthRecord {
    pub fn of(inv: &Inventory) -> HealthRecord {
        HealthRecord {
            health: inv.health.clone(),
            battery: inv.battery.clone(),
        }
    }
}
