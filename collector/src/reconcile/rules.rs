//! The ordered rule list and how identifiers are normalized before comparison.

use serde::{Deserialize, Serialize};

/// One way to link a host to a register asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// System serial (SMBIOS) against the register's nomor pabrik (or a learned serial).
    Serial,
    /// SMBIOS UUID against the UUID learned from an earlier operator-confirmed link.
    Uuid,
    /// A physical NIC's MAC against a nomor pabrik that is a MAC (network gear) or a learned MAC.
    Mac,
    /// The asset tag given at agent install against the NIBAR or the register number.
    AssetTag,
    /// Normalized hostname against a learned hostname, within the same OPD only. Weak: a
    /// match by hostname alone goes to the review queue.
    Hostname,
}

/// `[reconcile]` in collector.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    /// Rules tried in order; the first that finds any candidate decides.
    pub rules: Vec<Rule>,
    /// Kode barang prefixes of assets that should run an agent (computer units and servers);
    /// only these can be silent.
    pub expect_agent: Vec<String>,
    /// Kode barang prefix of ICT assets, counted in the reconciliation summary.
    pub ict_prefix: String,
    /// An expected asset not seen for this many days is silent.
    pub silent_after_days: u32,
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            rules: vec![
                Rule::Serial,
                Rule::Uuid,
                Rule::Mac,
                Rule::AssetTag,
                Rule::Hostname,
            ],
            expect_agent: vec!["1.3.2.10.01".into(), "1.3.2.10.02.04.001".into()],
            ict_prefix: "1.3.2.10".into(),
            silent_after_days: 7,
        }
    }
}
