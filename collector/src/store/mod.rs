//! Storage behind one trait, so SQLite (embedded default) and PostgreSQL (scale-out) serve
//! the same callers. Every write that ingest makes goes through [`Store::commit`], one
//! transaction per batch: a batch is stored whole or not at all, and only then acknowledged.

pub mod accounts;
pub mod enrollment;
pub mod points;
pub mod postgres;
pub mod sqlite;
#[cfg(test)]
pub mod testing;
mod types;

pub use types::*;

use crate::register::AssetRow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub type Result<T> = anyhow::Result<T>;

/// The store the configuration names: PostgreSQL when `[database] url` is set, else SQLite
/// at `data_dir/pantau.db`. Every command and `serve` open the store through here.
pub async fn open(cfg: &crate::config::CollectorConfig) -> Result<std::sync::Arc<dyn Store>> {
    match &cfg.database.url {
        Some(url) => Ok(std::sync::Arc::new(
            postgres::PgStore::open_with(url, cfg.database.password.as_deref()).await?,
        )),
        None => Ok(std::sync::Arc::new(sqlite::SqliteStore::open(
            &cfg.database(),
        )?)),
    }
}

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

/// The lease of one periodic job for one run ([`Store::try_job_lease`]): while it lives, no
/// other collector on the same database runs that job. [`JobLease::release`] gives it back
/// at once; dropping it (a panic, a cancelled task) gives it back when the store notices.
pub struct JobLease {
    /// What keeps the lease and gives it back (PostgreSQL: the dedicated connection holding
    /// the advisory lock, and its unlock); nothing for SQLite.
    release: Option<Release>,
}

/// Gives a lease back; owns whatever holds it until then.
pub type Release =
    Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send>;

impl JobLease {
    /// A lease nobody else could contend for (one collector per SQLite file).
    pub fn sole() -> JobLease {
        JobLease { release: None }
    }

    /// A lease that `release` gives back.
    pub fn released_by(release: Release) -> JobLease {
        JobLease {
            release: Some(release),
        }
    }

    /// Give the job back now, so another collector (or this one's next round) can take it
    /// at its next try.
    pub async fn release(mut self) {
        if let Some(r) = self.release.take() {
            r().await;
        }
    }
}

/// The store. Accounts and the audit log are in [`accounts::AccountStore`], enrollment
/// tokens and revocation in [`enrollment::EnrollStore`].
#[async_trait]
pub trait Store: accounts::AccountStore + enrollment::EnrollStore + Send + Sync {
    /// Take the lease of periodic job `name` for one run, so that of several collectors on
    /// one database exactly one runs it at a time; `None` while another holds it. SQLite:
    /// always granted (one collector per database file). PostgreSQL: a session advisory
    /// lock on a connection of its own, so the lease ends when the holder ends, even by
    /// SIGKILL.
    async fn try_job_lease(&self, name: &str) -> Result<Option<JobLease>>;

    /// Record a new agent. Fails if the id is taken.
    async fn enroll(&self, agent: &EnrolledAgent) -> Result<()>;
    /// The enrolled agent with this id, if any.
    async fn agent(&self, agent_id: &str) -> Result<Option<EnrolledAgent>>;
    /// Store a batch in one transaction; one outcome per message, in order.
    async fn commit(&self, batch: &[Accepted]) -> Result<Vec<Outcome>>;
    /// [`Store::commit`] of a batch the caller shares (ingest keeps it to retry): a store
    /// that does its work on another thread takes it there without copying every envelope.
    async fn commit_shared(&self, batch: std::sync::Arc<Vec<Accepted>>) -> Result<Vec<Outcome>> {
        self.commit(&batch).await
    }
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
