//! Reconciliation: what the register says against what the agents report.
//!
//! The engine is pure: it takes [`Inputs`] (current register assets, observed hosts, the
//! operators' manual decisions, the rules) and returns a [`Reconciliation`] (one outcome per
//! host, one per asset, and the [`Finding`]s that become flags). Loading the inputs and
//! storing the result is the store's job; turning findings into flags with a lifecycle is
//! `flags.rs`. Keeping the engine free of I/O is what lets it reconcile 50,000 assets against
//! 50,000 hosts in well under a second (docs/benchmarks.md) and be tested exhaustively.
//!
//! - `rules.rs`: the configurable, ordered rule list and identifier normalization.
//! - `matching.rs`: hosts to assets, ambiguity to the review queue.
//! - `findings.rs`: every difference as a finding, with evidence and article.
//! - `condition.rs`: health evidence to a suggested BMD condition.
//! - `hardware.rs`: what changed between two inventories.

pub mod condition;
pub(crate) mod fasthash;
pub mod findings;
pub mod hardware;
pub mod matching;
pub mod rules;

#[cfg(test)]
mod tests;

use crate::register::Condition;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use rules::{Rule, RuleConfig};

/// One current (not removed) register asset, as the engine needs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssetFacts {
    /// Register key (NIBAR, else `kode_lokasi|kode_barang|nomor_register`).
    pub key: String,
    /// Kode lokasi: the OPD (UPB) that holds the asset.
    pub kode_lokasi: String,
    pub kode_barang: String,
    pub nomor_register: String,
    pub nibar: Option<String>,
    pub nama_barang: String,
    pub merk: String,
    pub tipe: String,
    pub nomor_pabrik: Option<String>,
    pub kondisi: Option<Condition>,
    /// Identifiers learned from the host this asset was last linked to by an operator
    /// (manual link or confirmation), so a reinstalled machine with a new agent id is
    /// found again by its SMBIOS UUID, MACs or hostname.
    pub learned: LearnedIds,
}

impl From<&crate::register::AssetRow> for AssetFacts {
    /// The register's own facts; `learned` stays empty (it comes from operators' links).
    fn from(r: &crate::register::AssetRow) -> AssetFacts {
        AssetFacts {
            key: r.key(),
            kode_lokasi: r.kode_lokasi.clone(),
            kode_barang: r.kode_barang.clone(),
            nomor_register: r.nomor_register.clone(),
            nibar: r.nibar.clone(),
            nama_barang: r.nama_barang.clone(),
            merk: r.merk.clone(),
            tipe: r.tipe.clone(),
            nomor_pabrik: r.nomor_pabrik.clone(),
            kondisi: r.kondisi,
            learned: LearnedIds::default(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnedIds {
    pub serial: Option<String>,
    pub uuid: Option<String>,
    pub macs: Vec<String>,
    pub hostname: Option<String>,
}

/// One enrolled host and what its latest inventory says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HostFacts {
    pub agent_id: String,
    /// Kode lokasi recorded at enrollment.
    pub opd: String,
    pub hostname: Option<String>,
    pub serial: Option<String>,
    pub uuid: Option<String>,
    /// MACs of physical NICs (lower case, colon separated), as reported; junk filtered later.
    pub macs: Vec<String>,
    pub asset_tag: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub virtual_machine: bool,
    /// Last message of any kind; `None` if the agent enrolled but never reported.
    pub last_seen: Option<DateTime<Utc>>,
    /// The latest hardware change between two inventories, if any was ever recorded.
    pub hardware_change: Option<hardware::HardwareChange>,
    /// The suggested condition from the latest inventory's health evidence.
    pub suggestion: Option<condition::Suggestion>,
}

/// What an operator decided about one host/asset pair. Decisions are keyed by agent id and
/// register key, both stable across re-imports, so they survive them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// This host is this asset, whatever the rules say.
    Link,
    /// Accept the match the rules proposed (from the review queue).
    Confirm,
    /// This host is not this asset: never match the pair again.
    Unlink,
}

/// The current decision for one pair (the latest one recorded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub agent_id: String,
    pub asset_key: String,
    pub kind: DecisionKind,
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// Everything the engine reads.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub assets: Vec<AssetFacts>,
    pub hosts: Vec<HostFacts>,
    pub decisions: Vec<Decision>,
    pub config: RuleConfig,
    pub now: DateTime<Utc>,
}

/// How a host was matched: the rule and the values that linked it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchEvidence {
    pub rule: Rule,
    /// The normalized value both sides share (serial, UUID, MAC, tag, hostname).
    pub value: String,
    /// The raw values as each side wrote them.
    pub host_value: String,
    pub asset_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub asset_key: String,
    pub evidence: MatchEvidence,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HostOutcome {
    Matched {
        asset_key: String,
        /// `None` for a manual link.
        evidence: Option<MatchEvidence>,
        /// Linked or confirmed by an operator.
        manual: bool,
    },
    /// Not linked: several candidates, or a weak rule only. An operator decides.
    Review {
        candidates: Vec<Candidate>,
        reason: ReviewReason,
    },
    Unregistered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// One rule found two or more assets for this host.
    SeveralAssets,
    /// Another host matched the same asset with the same rule.
    SharedAsset,
    /// Only a weak rule (hostname) matched.
    WeakRule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostResult {
    pub agent_id: String,
    pub opd: String,
    pub outcome: HostOutcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetResult {
    pub key: String,
    pub kode_lokasi: String,
    /// The host matched to this asset, if any.
    pub agent_id: Option<String>,
    /// Candidate in the review queue for this asset.
    pub in_review: bool,
    /// Expected to run an agent (see [`RuleConfig::expect_agent`]).
    pub expects_agent: bool,
    pub last_seen: Option<DateTime<Utc>>,
    /// Silent: expected to report, and not seen within `silent_after_days` (or never).
    pub silent: bool,
}

/// The kinds of flag reconciliation raises. Later issues add more kinds to the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    Unregistered,
    Silent,
    HardwareMismatch,
    HardwareChanged,
    LocationMismatch,
    DuplicateRegisterEntry,
    ConditionDiscrepancy,
    // Network (issue 4): raised by the network job (`crate::network`), not by reconciliation.
    IpOutsidePlan,
    IpConflict,
    RogueDevice,
    NetworkDegraded,
    ServiceDown,
    // SNMP (issue 5): raised by the SNMP job (`crate::snmp`).
    SnmpUnreachable,
    InterfaceErrors,
    UplinkDown,
    PrinterSupplyLow,
    UpsOnBattery,
    UpsBatteryReplace,
    // Usage policy (issue 6): raised by the policy job (`crate::policy`).
    UnauthorizedSoftware,
    UnauthorizedProcess,
    UnauthorizedServer,
    AfterHoursUsage,
    CryptoMining,
}

/// What a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Host,
    Asset,
    /// A normalized serial number (duplicate register entries).
    Serial,
    /// A LAN device by its MAC (lower case, colon separated).
    Mac,
    /// An address within one OPD's LAN, `{opd}/{ip}` (IP conflicts).
    Address,
    /// An OPD by its kode lokasi (network health).
    Opd,
    /// An e-Gov HTTP check by its name.
    Service,
    /// Equipment polled over SNMP, `{agent_id}/{target}`, with `#{interface}` for an interface.
    SnmpDevice,
}

/// A difference the engine found: becomes (or keeps open) one flag per subject and kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FlagKind,
    pub subject_kind: SubjectKind,
    /// Agent id, register key, or normalized serial.
    pub subject: String,
    /// The OPD (kode lokasi) whose operators should act; for a location mismatch, the OPD
    /// the host is enrolled in.
    pub opd: String,
    /// Short statement in Bahasa Indonesia, e.g. "Perangkat melapor tetapi tidak ada di
    /// register BMD".
    pub summary: String,
    pub evidence: serde_json::Value,
    /// Identifies *this* occurrence of the problem: a flag an operator resolved reopens only
    /// when the same problem comes back with a different fingerprint (e.g. a new hardware
    /// change), or after it had cleared.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub hosts: Vec<HostResult>,
    pub assets: Vec<AssetResult>,
    pub findings: Vec<Finding>,
}

/// Run every step: matching, then findings.
pub fn reconcile(inputs: &Inputs) -> Reconciliation {
    let matched = matching::match_hosts(inputs);
    let findings = findings::find(inputs, &matched);
    Reconciliation {
        hosts: matched.hosts,
        assets: matched.assets,
        findings,
    }
}

impl FlagKind {
    pub const ALL: [FlagKind; 23] = [
        FlagKind::Unregistered,
        FlagKind::Silent,
        FlagKind::HardwareMismatch,
        FlagKind::HardwareChanged,
        FlagKind::LocationMismatch,
        FlagKind::DuplicateRegisterEntry,
        FlagKind::ConditionDiscrepancy,
        FlagKind::IpOutsidePlan,
        FlagKind::IpConflict,
        FlagKind::RogueDevice,
        FlagKind::NetworkDegraded,
        FlagKind::ServiceDown,
        FlagKind::SnmpUnreachable,
        FlagKind::InterfaceErrors,
        FlagKind::UplinkDown,
        FlagKind::PrinterSupplyLow,
        FlagKind::UpsOnBattery,
        FlagKind::UpsBatteryReplace,
        FlagKind::UnauthorizedSoftware,
        FlagKind::UnauthorizedProcess,
        FlagKind::UnauthorizedServer,
        FlagKind::AfterHoursUsage,
        FlagKind::CryptoMining,
    ];

    /// The kinds the policy job owns (`crate::policy`).
    pub const POLICY: [FlagKind; 5] = [
        FlagKind::UnauthorizedSoftware,
        FlagKind::UnauthorizedProcess,
        FlagKind::UnauthorizedServer,
        FlagKind::AfterHoursUsage,
        FlagKind::CryptoMining,
    ];

    /// The kinds the SNMP job owns (`crate::snmp`).
    pub const SNMP: [FlagKind; 6] = [
        FlagKind::SnmpUnreachable,
        FlagKind::InterfaceErrors,
        FlagKind::UplinkDown,
        FlagKind::PrinterSupplyLow,
        FlagKind::UpsOnBattery,
        FlagKind::UpsBatteryReplace,
    ];

    /// The kinds reconciliation owns: its flag sync resolves only these, so it never
    /// closes a network flag it did not look for.
    pub const RECONCILE: [FlagKind; 7] = [
        FlagKind::Unregistered,
        FlagKind::Silent,
        FlagKind::HardwareMismatch,
        FlagKind::HardwareChanged,
        FlagKind::LocationMismatch,
        FlagKind::DuplicateRegisterEntry,
        FlagKind::ConditionDiscrepancy,
    ];

    /// The kinds the network job owns (`crate::network`).
    pub const NETWORK: [FlagKind; 5] = [
        FlagKind::IpOutsidePlan,
        FlagKind::IpConflict,
        FlagKind::RogueDevice,
        FlagKind::NetworkDegraded,
        FlagKind::ServiceDown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FlagKind::Unregistered => "unregistered",
            FlagKind::Silent => "silent",
            FlagKind::HardwareMismatch => "hardware_mismatch",
            FlagKind::HardwareChanged => "hardware_changed",
            FlagKind::LocationMismatch => "location_mismatch",
            FlagKind::DuplicateRegisterEntry => "duplicate_register_entry",
            FlagKind::ConditionDiscrepancy => "condition_discrepancy",
            FlagKind::IpOutsidePlan => "ip_outside_plan",
            FlagKind::IpConflict => "ip_conflict",
            FlagKind::RogueDevice => "rogue_device",
            FlagKind::NetworkDegraded => "network_degraded",
            FlagKind::ServiceDown => "service_down",
            FlagKind::SnmpUnreachable => "snmp_unreachable",
            FlagKind::InterfaceErrors => "interface_errors",
            FlagKind::UplinkDown => "uplink_down",
            FlagKind::PrinterSupplyLow => "printer_supply_low",
            FlagKind::UpsOnBattery => "ups_on_battery",
            FlagKind::UpsBatteryReplace => "ups_battery_replace",
            FlagKind::UnauthorizedSoftware => "unauthorized_software",
            FlagKind::UnauthorizedProcess => "unauthorized_process",
            FlagKind::UnauthorizedServer => "unauthorized_server",
            FlagKind::AfterHoursUsage => "after_hours_usage",
            FlagKind::CryptoMining => "crypto_mining",
        }
    }

    pub fn parse(s: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The regulation article the flag enforces (../shared/DESIGN.md), cited in reports.
    pub fn article(self) -> &'static str {
        match self {
            // Every OPD records all its ICT equipment in the city's asset information system.
            FlagKind::Unregistered
            | FlagKind::HardwareMismatch
            | FlagKind::HardwareChanged
            | FlagKind::LocationMismatch
            | FlagKind::DuplicateRegisterEntry => "Perwali Ternate 33/2021 Pasal 12 ayat 7",
            // OPDs monitor ICT equipment and report periodically; Diskominfo may reprimand
            // an OPD that does not.
            FlagKind::Silent => {
                "Perwali Ternate 33/2021 Pasal 12 ayat 13; Perwali Kotamobagu Pasal 37 ayat 3"
            }
            // OPDs monitor and evaluate the condition of all ICT equipment.
            FlagKind::ConditionDiscrepancy => {
                "Perwali Ternate 33/2021 Pasal 12 ayat 13; Perwali Kotamobagu Pasal 36"
            }
            // IP addresses on the government network are assigned by Diskominfo.
            FlagKind::IpOutsidePlan | FlagKind::IpConflict => "Perwali Kotamobagu Pasal 26",
            // An unknown device on the LAN: addresses are Diskominfo's to assign, and the
            // LAN and its end-user devices are managed per OPD.
            FlagKind::RogueDevice => {
                "Perwali Kotamobagu Pasal 26; Perwali Ternate 33/2021 Pasal 12 ayat 2, 5; \
                 Perwali Kotamobagu Pasal 25"
            }
            // LAN and local bandwidth are managed per OPD, the inter-OPD network centrally.
            FlagKind::NetworkDegraded => {
                "Perwali Ternate 33/2021 Pasal 12 ayat 2, 5; Perwali Kotamobagu Pasal 25"
            }
            // e-Gov applications are monitored and evaluated.
            FlagKind::ServiceDown => {
                "Perwali Ternate 33/2021 Pasal 10 ayat 8; Perwali Denpasar 35/2014 Pasal 17"
            }
            // Network equipment that stops answering, or whose links fail or err: the LAN is
            // managed per OPD, the inter-OPD network centrally; and its condition is monitored.
            FlagKind::SnmpUnreachable | FlagKind::InterfaceErrors | FlagKind::UplinkDown => {
                "Perwali Ternate 33/2021 Pasal 12 ayat 2, 5, 13; Perwali Kotamobagu Pasal 25"
            }
            // The condition of all ICT equipment is monitored, evaluated and reported.
            FlagKind::PrinterSupplyLow | FlagKind::UpsOnBattery | FlagKind::UpsBatteryReplace => {
                "Perwali Ternate 33/2021 Pasal 12 ayat 13; Perwali Kotamobagu Pasal 36"
            }
            // City ICT infrastructure is for official work only.
            FlagKind::UnauthorizedSoftware
            | FlagKind::UnauthorizedProcess
            | FlagKind::AfterHoursUsage
            | FlagKind::CryptoMining => "Perwali Ternate 33/2021 Pasal 12 ayat 6",
            // OPD servers belong in the Data Center; a listening service on a workstation is
            // a server outside it.
            FlagKind::UnauthorizedServer => {
                "Perwali Kotamobagu Pasal 27 ayat 3; Perwali Ternate 33/2021 Pasal 12 ayat 6"
            }
        }
    }

    /// Title in Bahasa Indonesia (default) or English.
    pub fn title(self, lang: crate::i18n::Lang) -> &'static str {
        use crate::i18n::Lang::*;
        match (self, lang) {
            (FlagKind::Unregistered, Id) => "Perangkat tidak terdaftar",
            (FlagKind::Unregistered, En) => "Unregistered device",
            (FlagKind::Silent, Id) => "Aset tidak melapor",
            (FlagKind::Silent, En) => "Silent asset",
            (FlagKind::HardwareMismatch, Id) => "Perangkat keras berbeda dengan register",
            (FlagKind::HardwareMismatch, En) => "Hardware differs from the register",
            (FlagKind::HardwareChanged, Id) => "Perangkat keras berubah",
            (FlagKind::HardwareChanged, En) => "Hardware changed",
            (FlagKind::LocationMismatch, Id) => "Lokasi berbeda dengan register",
            (FlagKind::LocationMismatch, En) => "Location differs from the register",
            (FlagKind::DuplicateRegisterEntry, Id) => "Entri register ganda",
            (FlagKind::DuplicateRegisterEntry, En) => "Duplicate register entry",
            (FlagKind::ConditionDiscrepancy, Id) => "Kondisi berbeda dengan register",
            (FlagKind::ConditionDiscrepancy, En) => "Condition differs from the register",
            (FlagKind::IpOutsidePlan, Id) => "Alamat IP di luar rencana IP",
            (FlagKind::IpOutsidePlan, En) => "IP address outside the IP plan",
            (FlagKind::IpConflict, Id) => "Konflik alamat IP",
            (FlagKind::IpConflict, En) => "IP address conflict",
            (FlagKind::RogueDevice, Id) => "Perangkat tak dikenal di LAN",
            (FlagKind::RogueDevice, En) => "Unknown device on the LAN",
            (FlagKind::NetworkDegraded, Id) => "Jaringan OPD terganggu",
            (FlagKind::NetworkDegraded, En) => "OPD network degraded",
            (FlagKind::ServiceDown, Id) => "Layanan e-Gov tidak dapat diakses",
            (FlagKind::ServiceDown, En) => "e-Gov service down",
            (FlagKind::SnmpUnreachable, Id) => "Perangkat jaringan tidak menjawab SNMP",
            (FlagKind::SnmpUnreachable, En) => "Network device not answering SNMP",
            (FlagKind::InterfaceErrors, Id) => "Error atau discard antarmuka di atas ambang",
            (FlagKind::InterfaceErrors, En) => "Interface errors or discards over threshold",
            (FlagKind::UplinkDown, Id) => "Uplink terputus",
            (FlagKind::UplinkDown, En) => "Uplink down",
            (FlagKind::PrinterSupplyLow, Id) => "Persediaan printer hampir habis",
            (FlagKind::PrinterSupplyLow, En) => "Printer supply low",
            (FlagKind::UpsOnBattery, Id) => "UPS berjalan dengan baterai",
            (FlagKind::UpsOnBattery, En) => "UPS on battery",
            (FlagKind::UpsBatteryReplace, Id) => "Baterai UPS perlu diganti",
            (FlagKind::UpsBatteryReplace, En) => "UPS battery needs replacement",
            (FlagKind::UnauthorizedSoftware, Id) => "Perangkat lunak tidak sah",
            (FlagKind::UnauthorizedSoftware, En) => "Unauthorized software",
            (FlagKind::UnauthorizedProcess, Id) => "Proses terlarang",
            (FlagKind::UnauthorizedProcess, En) => "Unauthorized process",
            (FlagKind::UnauthorizedServer, Id) => "Layanan server di luar Pusat Data",
            (FlagKind::UnauthorizedServer, En) => "Server outside the Data Center",
            (FlagKind::AfterHoursUsage, Id) => "Pemakaian di luar jam kerja",
            (FlagKind::AfterHoursUsage, En) => "After-hours usage",
            (FlagKind::CryptoMining, Id) => "Dugaan penambangan kripto",
            (FlagKind::CryptoMining, En) => "Suspected crypto-mining",
        }
    }
}
