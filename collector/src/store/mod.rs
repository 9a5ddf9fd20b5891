//! Storage behind one trait, so SQLite (embedded default) and PostgreSQL (scale-out) serve
//! the same callers. Every write that ingest makes goes through [`Store::commit`], one
//! transaction per batch: a batch is stored whole or not at all, and only then acknowledged.

pub mod accounts;
pub mod enrollment;
pub mod points;
pub mod sqlite;

use crate::register::AssetRow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pantau_proto::body::Body;
use pantau_proto::{Envelope, PublicKey};
use serde::Serialize;

pub type Result<T> = anyhow::Result<T>;

/// Who the collector itself is in flag and decision history; no operator may use it.
pub const SYSTEM_ACTOR: &str = "pantau";

/// A request the store refuses because of what was asked, not because something broke
/// (unknown host, a flag already resolved, a bad filter). The API answers it with 4xx.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// Refuse with a sentence.
#[macro_export]
macro_rules! refuse {
    ($($arg:tt)*) => {
        return Err($crate::store::Refusal(format!($($arg)*)).into())
    };
}

/// An agent the collector knows, from enrollment. Its OPD is what was recorded here, never
/// what the agent claims.
#[derive(Debug, Clone)]
pub struct EnrolledAgent {
    pub agent_id: String,
    pub opd: String,
    pub public_key: PublicKey,
    pub enrolled_at: DateTime<Utc>,
}

/// A message that passed verification, ready to store.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub envelope: Envelope,
    pub body: Body,
    pub received_at: DateTime<Utc>,
}

/// What [`Store::commit`] did with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// Already stored (an at-least-once redelivery): nothing changed.
    Duplicate,
    /// Older than what retention still remembers for this agent: a replay, refused.
    Replay,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostSummary {
    pub agent_id: String,
    pub hostname: Option<String>,
    pub opd: String,
    pub online: bool,
    pub last_seen: Option<DateTime<Utc>>,
    pub os: Option<String>,
    pub ip: Option<String>,
    pub cpu_pct: Option<f64>,
    pub mem_pct: Option<f64>,
    pub disk_pct: Option<f64>,
}

/// Delivery figures for one agent, so an operator can see loss at a glance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestFigures {
    /// Data messages stored (inventory, metrics, ...).
    pub messages: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Sequence numbers between first and last that never arrived (or were pruned).
    pub missing: u64,
    /// Envelopes the agent reports its spool dropped when full.
    pub spool_dropped_total: u64,
    /// How far the agent's clock is behind the collector's, in seconds: the median of
    /// receipt time minus the envelope's `ts` over its last 20 messages (delivery delay
    /// included, so a few seconds are normal; minutes or hours mean a wrong clock, and
    /// a negative figure a clock that runs ahead).
    pub clock_offset_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HostDetail {
    #[serde(flatten)]
    pub summary: HostSummary,
    pub enrolled_at: DateTime<Utc>,
    pub status_since: Option<DateTime<Utc>>,
    pub agent_version: Option<String>,
    pub ingest: IngestFigures,
    pub inventory_at: Option<DateTime<Utc>>,
    pub inventory: Option<serde_json::Value>,
}

/// One series over time: `[ts, avg, min, max]` rows.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub name: String,
    pub points: Vec<(i64, f64, f64, f64)>,
}

/// Resolution a query is answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resolution {
    Raw,
    #[serde(rename = "5m")]
    M5,
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "1d")]
    D1,
}

impl Resolution {
    pub const ROLLUPS: [Resolution; 3] = [Resolution::M5, Resolution::H1, Resolution::D1];

    pub fn seconds(self) -> i64 {
        match self {
            Resolution::Raw => 1,
            Resolution::M5 => 300,
            Resolution::H1 => 3600,
            Resolution::D1 => 86_400,
        }
    }

    /// The coarsest resolution that still has at least one value per `step`.
    pub fn for_step(step: i64) -> Resolution {
        match step {
            s if s >= 86_400 => Resolution::D1,
            s if s >= 3600 => Resolution::H1,
            s if s >= 300 => Resolution::M5,
            _ => Resolution::Raw,
        }
    }
}

/// How long each resolution is kept. Rollups outlive raw data so reports can cover years.
#[derive(Debug, Clone, Copy, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    #[serde(default = "d14")]
    pub raw_days: u32,
    #[serde(default = "d90")]
    pub m5_days: u32,
    #[serde(default = "d730")]
    pub h1_days: u32,
    /// Daily rollups and the message index; 0 keeps them forever.
    #[serde(default = "d3650")]
    pub d1_days: u32,
}

fn d14() -> u32 {
    14
}
fn d90() -> u32 {
    90
}
fn d730() -> u32 {
    730
}
fn d3650() -> u32 {
    3650
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw_days: d14(),
            m5_days: d90(),
            h1_days: d730(),
            d1_days: d3650(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MaintenanceReport {
    pub points_rolled_up: u64,
    pub rows_pruned: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpdHosts {
    pub opd: String,
    pub online: u64,
    pub offline: u64,
}

/// What a register import did (or, for a dry run, would do), by register key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Keys never seen before.
    pub added: Vec<String>,
    /// Keys whose row differs from the stored one, with the names of the fields that differ.
    pub changed: Vec<(String, Vec<String>)>,
    /// Keys stored and current before, absent from this export: marked removed, not deleted.
    pub removed: Vec<String>,
    /// Keys marked removed earlier that this export lists again, with the fields that differ
    /// from the row as it was when removed (often none).
    pub restored: Vec<(String, Vec<String>)>,
    /// Keys present and identical.
    pub unchanged: usize,
}

/// One current register asset with what reconciliation knows about it: a line of the
/// register export and of the asset views.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegisterLine {
    pub key: String,
    pub kode_lokasi: String,
    pub nama_opd: Option<String>,
    pub kode_barang: String,
    pub nama_barang: String,
    pub nomor_register: String,
    pub nibar: Option<String>,
    pub merk: String,
    pub tipe: String,
    pub ukuran: String,
    pub bahan: String,
    pub tahun_perolehan: Option<i32>,
    pub nomor_pabrik: Option<String>,
    pub asal_usul: String,
    pub harga_rupiah: Option<i64>,
    /// The register's own condition; never overwritten by Pantau.
    pub kondisi: Option<crate::register::Condition>,
    pub ruangan: String,
    pub pemegang: String,
    pub keterangan: String,
    /// `matched`, `review`, `silent`, `not_seen` (not expected to run an agent and not
    /// matched), from the latest reconciliation.
    pub match_state: String,
    pub agent_id: Option<String>,
    pub hostname: Option<String>,
    /// Rule that linked the host (`serial`, `uuid`, `mac`, `asset_tag`, `hostname`,
    /// `manual`).
    pub match_rule: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
    pub observed_serial: Option<String>,
    pub observed_vendor: Option<String>,
    pub observed_model: Option<String>,
    /// Suggested from the matched host's health evidence.
    pub suggested_kondisi: Option<crate::register::Condition>,
    /// One sentence per piece of evidence behind the suggestion.
    pub suggestion_evidence: Vec<String>,
    /// Kinds of the open flags on this asset or its host.
    pub open_flags: Vec<String>,
}

/// What reconciliation reads from the store.
#[derive(Debug, Clone, Default)]
pub struct ReconcileInputs {
    pub assets: Vec<crate::reconcile::AssetFacts>,
    /// Hosts with `suggestion` unset: it depends on configuration, see `health`.
    pub hosts: Vec<crate::reconcile::HostFacts>,
    /// Health evidence of each host's newest inventory, aligned with `hosts`.
    pub health: Vec<Option<sqlite::HealthRecord>>,
    pub decisions: Vec<crate::reconcile::Decision>,
}

/// What one reconciliation run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunReport {
    pub at: DateTime<Utc>,
    pub duration_ms: u64,
    pub hosts: usize,
    pub assets: usize,
    pub matched: usize,
    pub review: usize,
    pub unregistered: usize,
    pub silent: usize,
    pub findings: usize,
    /// Flags newly opened, reopened, and resolved because the problem cleared.
    pub opened: usize,
    pub reopened: usize,
    pub resolved: usize,
}

/// Which flags to list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlagFilter {
    /// `open`, `acknowledged`, `resolved`; several comma separated; default open and
    /// acknowledged.
    pub state: Option<String>,
    pub kind: Option<String>,
    pub opd: Option<String>,
    pub subject: Option<String>,
    pub limit: Option<u32>,
}

/// A flag with its lifecycle.
#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    pub id: i64,
    pub kind: String,
    pub subject_kind: String,
    pub subject: String,
    pub opd: String,
    pub state: String,
    pub summary: String,
    pub evidence: serde_json::Value,
    pub article: String,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_found_at: DateTime<Utc>,
    pub ack_by: Option<String>,
    pub ack_at: Option<DateTime<Utc>>,
    pub ack_note: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_note: Option<String>,
    pub reopen_count: i64,
}

/// One step in a flag's life: opened, acknowledged, resolved, reopened.
#[derive(Debug, Clone, Serialize)]
pub struct FlagEvent {
    pub at: DateTime<Utc>,
    pub event: String,
    pub by: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagAction {
    Ack,
    Resolve,
}

/// A host in the review queue and what the rules found for it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub agent_id: String,
    pub opd: String,
    pub hostname: Option<String>,
    pub reason: crate::reconcile::ReviewReason,
    pub candidates: Vec<crate::reconcile::Candidate>,
}

/// Counts for one OPD (or the city, with `kode_lokasi` "*").
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReconcileCounts {
    pub kode_lokasi: String,
    pub nama_opd: Option<String>,
    /// Current register assets under the ICT kode barang prefix.
    pub registered_ict: u64,
    /// Of those, the ones expected to run an agent.
    pub expected_agents: u64,
    pub matched: u64,
    /// Reporting hosts enrolled in this OPD that match no asset.
    pub unregistered: u64,
    pub silent: u64,
    /// Hosts enrolled in this OPD waiting in the review queue.
    pub in_review: u64,
    /// ICT assets by the register's condition code (B, KB, RR, RB, "-" for none).
    pub register_condition: std::collections::BTreeMap<String, u64>,
    /// Matched assets by suggested condition code.
    pub suggested_condition: std::collections::BTreeMap<String, u64>,
    /// Open or acknowledged flags by kind.
    pub open_flags: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReconcileSummary {
    /// The last run, if any.
    pub last_run: Option<RunReport>,
    pub city: ReconcileCounts,
    pub opds: Vec<ReconcileCounts>,
}

/// One layer of pushed agent configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigLayer {
    pub scope: crate::network::pushed::Scope,
    /// `""` (global), a kode lokasi (opd) or an agent id (agent).
    pub key: String,
    /// A partial `PushedConfig`.
    pub layer: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// What one run of the network job did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkRun {
    pub at: DateTime<Utc>,
    pub findings: usize,
    pub opened: usize,
    pub reopened: usize,
    pub resolved: usize,
}

/// The store. Accounts and the audit log are in [`accounts::AccountStore`], enrollment
/// tokens and revocation in [`enrollment::EnrollStore`].
#[async_trait]
pub trait Store: accounts::AccountStore + enrollment::EnrollStore + Send + Sync {
    /// Record a new agent. Fails if the id is taken.
    async fn enroll(&self, agent: &EnrolledAgent) -> Result<()>;
    /// The enrolled agent with this id, if any.
    async fn agent(&self, agent_id: &str) -> Result<Option<EnrolledAgent>>;
    /// Store a batch in one transaction; one outcome per message, in order.
    async fn commit(&self, batch: &[Accepted]) -> Result<Vec<Outcome>>;
    async fn hosts(&self) -> Result<Vec<HostSummary>>;
    async fn host(&self, agent_id: &str) -> Result<Option<HostDetail>>;
    /// Series of one host between `from` and `to`, `step` seconds apart.
    async fn series(
        &self,
        agent_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
        names: &[String],
    ) -> Result<(Resolution, Vec<Series>)>;
    async fn hosts_by_opd(&self) -> Result<Vec<OpdHosts>>;
    /// Fold new raw points into the rollups and apply retention.
    async fn maintain(&self, now: DateTime<Utc>, retention: Retention)
        -> Result<MaintenanceReport>;
    /// Replace the asset register with a full export, in one transaction: rows are matched
    /// by [`AssetRow::key`], keys missing from `rows` are marked removed, every change is
    /// recorded in the asset history with `source` (the file name). Nothing is deleted.
    /// With `dry_run` the same report is computed and the transaction rolled back.
    async fn import_register(
        &self,
        rows: &[AssetRow],
        source: &str,
        dry_run: bool,
    ) -> Result<ImportReport>;
    /// Current register assets with their reconciliation state, ordered by kode lokasi,
    /// kode barang, nomor register; only one OPD's with `opd`.
    async fn register_lines(&self, opd: Option<&str>) -> Result<Vec<RegisterLine>>;

    /// Everything reconciliation reads, in one consistent snapshot.
    async fn reconcile_inputs(&self) -> Result<ReconcileInputs>;
    /// Replace the stored reconciliation result and bring flags in line with `result`'s
    /// findings, in one transaction. `suggested` maps asset keys to the matched host's
    /// suggested condition.
    async fn save_reconciliation(
        &self,
        result: crate::reconcile::Reconciliation,
        suggested: std::collections::HashMap<String, crate::reconcile::condition::Suggestion>,
        report: RunReport,
    ) -> Result<RunReport>;
    /// Counts per OPD and city-wide; ICT assets are those under `ict_prefix`.
    async fn reconcile_summary(&self, ict_prefix: &str) -> Result<ReconcileSummary>;
    async fn review_queue(&self, opd: Option<&str>) -> Result<Vec<ReviewItem>>;
    /// Record an operator's link, confirm or unlink. Fails if the host or asset is unknown,
    /// or (confirm) if the rules never proposed the pair.
    async fn decide(&self, decision: crate::reconcile::Decision) -> Result<()>;
    async fn flags(&self, filter: FlagFilter) -> Result<Vec<Flag>>;
    async fn flag(&self, id: i64) -> Result<Option<Flag>>;
    /// The flag's events, oldest first (empty for an unknown flag).
    async fn flag_history(&self, id: i64) -> Result<Vec<FlagEvent>>;
    /// Acknowledge or resolve a flag by hand; `None` if there is no such flag.
    async fn flag_action(
        &self,
        id: i64,
        action: FlagAction,
        by: &str,
        note: Option<&str>,
    ) -> Result<Option<Flag>>;

    /// Everything the network job reads, in one consistent snapshot (issue 4).
    async fn network_inputs(
        &self,
        now: DateTime<Utc>,
        config: &crate::network::NetworkConfig,
    ) -> Result<crate::network::Inputs>;
    /// Bring network flags (only [`crate::reconcile::FlagKind::NETWORK`] kinds) in line with
    /// `findings` and keep the hysteresis state, in one transaction.
    async fn save_network(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        degraded: crate::network::DegradedState,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun>;
    /// The SNMP job's input: every polled device (with interfaces) and the register.
    async fn snmp_inputs(
        &self,
    ) -> Result<(
        Vec<crate::snmp::DeviceState>,
        Vec<crate::snmp::RegisterEntry>,
    )>;
    /// Keep the SNMP job's register matches and sync the SNMP flag kinds.
    async fn save_snmp(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        matches: Vec<crate::snmp::AssetMatch>,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun>;
    /// Polled devices, of one OPD or all.
    async fn snmp_devices(&self, opd: Option<&str>) -> Result<Vec<sqlite::snmp::DeviceRow>>;
    /// The interfaces of one polled device; `None` when there is no such device.
    async fn snmp_interfaces(
        &self,
        id: i64,
    ) -> Result<Option<Vec<pantau_proto::body::snmp::SnmpInterface>>>;
    async fn ip_plan(&self) -> Result<Vec<crate::network::PlanEntry>>;
    /// Replace the whole IP plan; refused (nothing changes) if any entry is invalid.
    async fn replace_ip_plan(&self, entries: Vec<crate::network::PlanEntry>) -> Result<usize>;
    /// LAN devices scouts saw, of one OPD or all.
    async fn lan_devices(&self, opd: Option<&str>) -> Result<Vec<crate::network::LanDevice>>;
    /// The newest net report of every host that sent one.
    async fn latest_net(&self) -> Result<Vec<crate::network::LatestNet>>;
    /// One OPD's network health between `from` and `to`, `step` seconds apart, averaged
    /// over its agents: `net_loss:gateway`, `net_rtt:gateway`, `http_up:{check}`.
    async fn net_history(
        &self,
        opd: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
    ) -> Result<(Resolution, Vec<Series>)>;
    /// What a periodic report reads for `[from, to)` (Unix seconds) beyond register lines and
    /// flags; the previous period is `[prev_from, from)`; days end at local midnight,
    /// `utc_offset` seconds east of UTC (issue 8).
    async fn report_facts(
        &self,
        from: i64,
        to: i64,
        prev_from: i64,
        utc_offset: i64,
    ) -> Result<sqlite::report::ReportFacts>;
    /// Record a generated report file (replacing the row of the same period, OPD, language
    /// and format); returns its id.
    async fn record_report(&self, file: sqlite::report_archive::ReportFile) -> Result<i64>;
    /// Every generated report file.
    async fn reports(&self) -> Result<Vec<sqlite::report_archive::ReportFile>>;
    async fn report(&self, id: i64) -> Result<Option<sqlite::report_archive::ReportFile>>;
    async fn config_layers(&self) -> Result<Vec<ConfigLayer>>;
    /// Set or (with `None`) remove one layer; refused (422) naming the field if invalid.
    async fn set_config_layer(
        &self,
        scope: crate::network::pushed::Scope,
        key: &str,
        layer: Option<serde_json::Value>,
        by: &str,
        profiles: &std::collections::BTreeSet<String>,
    ) -> Result<()>;
    /// SNMP equipment mapping (register asset → address, profile, poller, uplinks).
    async fn snmp_equipment(&self) -> Result<Vec<crate::snmp::equipment::EquipmentRow>>;
    /// Add or replace rows by asset key, all or none: the errors of every bad row otherwise.
    async fn put_snmp_equipment(
        &self,
        rows: Vec<crate::snmp::equipment::Equipment>,
        profiles: std::collections::BTreeSet<String>,
        by: &str,
    ) -> Result<std::result::Result<usize, Vec<crate::snmp::equipment::RowError>>>;
    /// Remove one row; false when there was none.
    async fn remove_snmp_equipment(&self, asset_key: &str) -> Result<bool>;
    /// One interface's utilization and error history (`in_pct`, `out_pct`, `err_per_s`)
    /// between `from` and `to`, `step` seconds apart.
    async fn snmp_history(
        &self,
        device_id: i64,
        if_index: u32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
    ) -> Result<(Resolution, Vec<Series>)>;
    /// The merged config of one agent (version 0); `None` when no layer applies.
    async fn agent_config(
        &self,
        agent_id: &str,
    ) -> Result<Option<pantau_proto::body::PushedConfig>>;
    /// Agents whose merged config changed since last published (with `all`: every agent
    /// that has or had one), each with a new version.
    async fn configs_to_publish(
        &self,
        all: bool,
    ) -> Result<Vec<(String, pantau_proto::body::PushedConfig)>>;
    /// Record that `config` was published (retained) for `agent_id`.
    async fn config_published(
        &self,
        agent_id: &str,
        config: &pantau_proto::body::PushedConfig,
    ) -> Result<()>;

    // Usage and the policy (issue 6).
    /// What the policy job reads, one page at a time so memory stays bounded: up to `limit`
    /// agents with usage facts, in agent id order after `after` (`""` to start), with their
    /// CPU windows that end after `from`.
    async fn usage_inputs(
        &self,
        from: DateTime<Utc>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<crate::policy::eval::HostInput>>;
    /// The newest usage facts of one agent.
    async fn usage(&self, agent_id: &str) -> Result<Option<crate::policy::eval::UsageFacts>>;
    /// Sync the policy flag kinds ([`crate::reconcile::FlagKind::POLICY`]) with `findings`.
    async fn save_policy_run(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun>;
    /// Every applied policy version, oldest first; the last is in force.
    async fn policy_versions(&self) -> Result<Vec<crate::policy::job::PolicyVersion>>;
    /// Store a checked policy as the new version in force.
    async fn apply_policy(
        &self,
        text: &str,
        sha256: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<crate::policy::job::PolicyVersion>;
}
