//! The SQLite store: the embedded default. One writer connection (SQLite allows one writer
//! anyway) and one reader connection, both used from blocking threads; WAL lets reads run
//! while ingest writes.
//!
//! `synchronous = FULL`: ingest acknowledges a message to the broker only after the commit,
//! and the broker then forgets it, so a commit must survive a power cut, not only a crash.
//! Batching keeps the fsync cost per message small.

pub(crate) mod accounts;
pub(crate) mod enrollment;
pub mod equipment;
pub(crate) mod facts;
pub(crate) mod flags;
pub(crate) mod history;
pub(crate) mod lines;
pub(crate) mod maintain;
pub(crate) mod network;
pub(crate) mod pushed;
pub(crate) mod query;
pub(crate) mod reconcile;
pub(crate) mod register;
pub mod report;
pub mod report_archive;
pub(crate) mod schema;
pub mod snmp;
pub(crate) mod snmp_history;
pub(crate) mod summary;
pub(crate) mod usage;
pub(crate) mod write;

use super::*;
pub use facts::HealthRecord;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
}

fn open_conn(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Ingest caches a points statement per sample size next to its other statements; the
    // default of 16 would evict them in turn.
    conn.set_prepared_statement_cache_capacity(64);
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// The schema version this build creates and understands (backup and restore check it).
pub fn schema_version() -> usize {
    schema::version()
}

#[cfg(test)]
pub(crate) fn migrate_for_tests(conn: &mut Connection) {
    schema::migrate(conn).expect("migrate");
}

impl SqliteStore {
    pub fn open(path: &Path) -> anyhow::Result<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        }
        let mut writer = open_conn(path)?;
        schema::migrate(&mut writer)?;
        let reader = open_conn(path)?;
        Ok(SqliteStore {
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> anyhow::Result<R> + Send + 'static,
    ) -> anyhow::Result<R> {
        let conn = self.writer.clone();
        tokio::task::spawn_blocking(move || f(&mut conn.lock().expect("writer lock"))).await?
    }

    pub(crate) async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> anyhow::Result<R> + Send + 'static,
    ) -> anyhow::Result<R> {
        let conn = self.reader.clone();
        tokio::task::spawn_blocking(move || f(&conn.lock().expect("reader lock"))).await?
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// Always granted: SQLite serves one collector per database file (the file is local to
    /// it), so there is nobody to share periodic jobs with.
    async fn try_job_lease(&self, _name: &str) -> Result<Option<JobLease>> {
        Ok(Some(JobLease::sole()))
    }

    async fn enroll(&self, agent: &EnrolledAgent) -> Result<()> {
        let a = agent.clone();
        self.write(move |c| write::enroll(c, &a)).await
    }

    async fn agent(&self, agent_id: &str) -> Result<Option<EnrolledAgent>> {
        let id = agent_id.to_owned();
        self.read(move |c| query::agent(c, &id)).await
    }

    async fn commit(&self, batch: &[Accepted]) -> Result<Vec<Outcome>> {
        self.commit_shared(Arc::new(batch.to_vec())).await
    }

    async fn commit_shared(&self, batch: Arc<Vec<Accepted>>) -> Result<Vec<Outcome>> {
        self.write(move |c| write::commit(c, &batch)).await
    }

    async fn hosts(&self) -> Result<Vec<HostSummary>> {
        self.read(query::hosts).await
    }

    async fn host(&self, agent_id: &str) -> Result<Option<HostDetail>> {
        let id = agent_id.to_owned();
        self.read(move |c| query::host(c, &id)).await
    }

    async fn series(
        &self,
        agent_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
        names: &[String],
    ) -> Result<(Resolution, Vec<Series>)> {
        let (id, names) = (agent_id.to_owned(), names.to_vec());
        self.read(move |c| query::series(c, &id, from, to, step, &names))
            .await
    }

    async fn hosts_by_opd(&self) -> Result<Vec<OpdHosts>> {
        self.read(query::hosts_by_opd).await
    }

    async fn maintain(
        &self,
        now: DateTime<Utc>,
        retention: Retention,
    ) -> Result<MaintenanceReport> {
        // Step by step, the writer released in between: ingest commits between the steps
        // instead of waiting for the whole job (maintain.rs).
        let mut report = MaintenanceReport::default();
        loop {
            let s = self.write(maintain::rollup_step).await?;
            report.points_rolled_up += s.rows;
            if !s.more {
                break;
            }
        }
        loop {
            let s = self
                .write(move |c| maintain::prune_step(c, now, retention))
                .await?;
            report.rows_pruned += s.rows;
            if !s.more {
                break;
            }
        }
        Ok(report)
    }

    async fn import_register(
        &self,
        rows: &[AssetRow],
        source: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let (rows, source) = (rows.to_vec(), source.to_owned());
        self.write(move |c| register::import(c, &rows, &source, Utc::now(), dry_run))
            .await
    }

    async fn register_lines(&self, opd: Option<&str>) -> Result<Vec<RegisterLine>> {
        let opd = opd.map(str::to_owned);
        self.read(move |c| lines::register_lines(c, opd.as_deref()))
            .await
    }

    async fn reconcile_inputs(&self) -> Result<ReconcileInputs> {
        // A read transaction, so assets, hosts and decisions are one snapshot.
        self.read(|c| {
            let tx = c.unchecked_transaction()?;
            let out = reconcile::inputs(&tx)?;
            tx.finish()?;
            Ok(out)
        })
        .await
    }

    async fn save_reconciliation(
        &self,
        result: crate::reconcile::Reconciliation,
        suggested: std::collections::HashMap<String, crate::reconcile::condition::Suggestion>,
        report: RunReport,
    ) -> Result<RunReport> {
        self.write(move |c| reconcile::save(c, &result, &suggested, report))
            .await
    }

    async fn reconcile_summary(&self, ict_prefix: &str) -> Result<ReconcileSummary> {
        let p = ict_prefix.to_owned();
        self.read(move |c| summary::summary(c, &p)).await
    }

    async fn review_queue(&self, opd: Option<&str>) -> Result<Vec<ReviewItem>> {
        let opd = opd.map(str::to_owned);
        self.read(move |c| summary::review_queue(c, opd.as_deref()))
            .await
    }

    async fn decide(&self, decision: crate::reconcile::Decision) -> Result<()> {
        self.write(move |c| reconcile::decide(c, &decision)).await
    }

    async fn flags(&self, filter: FlagFilter) -> Result<Vec<Flag>> {
        self.read(move |c| flags::list(c, &filter)).await
    }

    async fn flag(&self, id: i64) -> Result<Option<Flag>> {
        self.read(move |c| flags::get(c, id)).await
    }

    async fn flag_history(&self, id: i64) -> Result<Vec<crate::store::FlagEvent>> {
        self.read(move |c| flags::history(c, id)).await
    }

    async fn flag_action(
        &self,
        id: i64,
        action: FlagAction,
        by: &str,
        note: Option<&str>,
    ) -> Result<Option<Flag>> {
        let (by, note) = (by.to_owned(), note.map(str::to_owned));
        self.write(move |c| flags::action(c, id, action, &by, note.as_deref(), Utc::now()))
            .await
    }

    async fn network_inputs(
        &self,
        now: DateTime<Utc>,
        config: &crate::network::NetworkConfig,
    ) -> Result<crate::network::Inputs> {
        let config = config.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            let out = network::inputs(&tx, now, &config)?;
            tx.finish()?;
            Ok(out)
        })
        .await
    }

    async fn save_network(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        degraded: crate::network::DegradedState,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun> {
        self.write(move |c| network::save(c, &findings, &degraded, now))
            .await
    }

    async fn snmp_inputs(
        &self,
    ) -> Result<(
        Vec<crate::snmp::DeviceState>,
        Vec<crate::snmp::RegisterEntry>,
    )> {
        self.read(snmp::inputs).await
    }

    async fn save_snmp(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        matches: Vec<crate::snmp::AssetMatch>,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun> {
        self.write(move |c| snmp::save(c, &findings, &matches, now))
            .await
    }

    async fn snmp_devices(&self, opd: Option<&str>) -> Result<Vec<snmp::DeviceRow>> {
        let opd = opd.map(str::to_owned);
        self.read(move |c| snmp::devices(c, opd.as_deref())).await
    }

    async fn snmp_interfaces(
        &self,
        id: i64,
    ) -> Result<Option<Vec<pantau_proto::body::snmp::SnmpInterface>>> {
        self.read(move |c| snmp::interfaces(c, id)).await
    }

    async fn ip_plan(&self) -> Result<Vec<crate::network::PlanEntry>> {
        self.read(network::plan).await
    }

    async fn replace_ip_plan(&self, entries: Vec<crate::network::PlanEntry>) -> Result<usize> {
        self.write(move |c| network::replace_plan(c, &entries))
            .await
    }

    async fn lan_devices(&self, opd: Option<&str>) -> Result<Vec<crate::network::LanDevice>> {
        let opd = opd.map(str::to_owned);
        self.read(move |c| network::devices(c, opd.as_deref(), None))
            .await
    }

    async fn latest_net(&self) -> Result<Vec<crate::network::LatestNet>> {
        self.read(network::latest).await
    }

    async fn net_history(
        &self,
        opd: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
    ) -> Result<(Resolution, Vec<Series>)> {
        let opd = opd.to_owned();
        let (from, to) = (from.timestamp(), to.timestamp());
        self.read(move |c| history::opd(c, &opd, from, to, step))
            .await
    }

    async fn report_facts(
        &self,
        from: i64,
        to: i64,
        prev_from: i64,
        utc_offset: i64,
    ) -> Result<report::ReportFacts> {
        self.read(move |c| report::report_facts(c, from, to, prev_from, utc_offset))
            .await
    }

    async fn record_report(&self, file: report_archive::ReportFile) -> Result<i64> {
        self.write(move |c| report_archive::record(c, &file)).await
    }

    async fn reports(&self) -> Result<Vec<report_archive::ReportFile>> {
        self.read(report_archive::list).await
    }

    async fn report(&self, id: i64) -> Result<Option<report_archive::ReportFile>> {
        self.read(move |c| report_archive::get(c, id)).await
    }

    async fn config_layers(&self) -> Result<Vec<ConfigLayer>> {
        self.read(pushed::layers).await
    }

    async fn set_config_layer(
        &self,
        scope: crate::network::pushed::Scope,
        key: &str,
        layer: Option<serde_json::Value>,
        by: &str,
        profiles: &std::collections::BTreeSet<String>,
    ) -> Result<()> {
        let (key, by, profiles) = (key.to_owned(), by.to_owned(), profiles.clone());
        self.write(move |c| pushed::set(c, scope, &key, layer.as_ref(), &by, &profiles, Utc::now()))
            .await
    }

    async fn snmp_equipment(&self) -> Result<Vec<crate::snmp::equipment::EquipmentRow>> {
        self.read(equipment::list).await
    }

    async fn put_snmp_equipment(
        &self,
        rows: Vec<crate::snmp::equipment::Equipment>,
        profiles: std::collections::BTreeSet<String>,
        by: &str,
    ) -> Result<std::result::Result<usize, Vec<crate::snmp::equipment::RowError>>> {
        let by = by.to_owned();
        self.write(move |c| equipment::put(c, &rows, &profiles, &by, Utc::now()))
            .await
    }

    async fn remove_snmp_equipment(&self, asset_key: &str) -> Result<bool> {
        let key = asset_key.to_owned();
        self.write(move |c| equipment::remove(c, &key)).await
    }

    async fn snmp_history(
        &self,
        device_id: i64,
        if_index: u32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
    ) -> Result<(Resolution, Vec<Series>)> {
        self.read(move |c| snmp_history::interface(c, device_id, if_index, from, to, step))
            .await
    }

    async fn agent_config(
        &self,
        agent_id: &str,
    ) -> Result<Option<pantau_proto::body::PushedConfig>> {
        let id = agent_id.to_owned();
        self.read(move |c| pushed::merged(c, &id)).await
    }

    async fn configs_to_publish(
        &self,
        all: bool,
    ) -> Result<Vec<(String, pantau_proto::body::PushedConfig)>> {
        // The writer: it numbers versions.
        self.write(move |c| pushed::pending(c, all)).await
    }

    async fn config_published(
        &self,
        agent_id: &str,
        config: &pantau_proto::body::PushedConfig,
    ) -> Result<()> {
        let (id, cfg) = (agent_id.to_owned(), config.clone());
        self.write(move |c| pushed::published(c, &id, &cfg, Utc::now()))
            .await
    }

    async fn usage_inputs(
        &self,
        from: DateTime<Utc>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<crate::policy::eval::HostInput>> {
        let after = after.to_owned();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            let out = usage::inputs(&tx, from, &after, limit)?;
            tx.finish()?;
            Ok(out)
        })
        .await
    }

    async fn usage(&self, agent_id: &str) -> Result<Option<crate::policy::eval::UsageFacts>> {
        let id = agent_id.to_owned();
        self.read(move |c| usage::latest(c, &id)).await
    }

    async fn save_policy_run(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun> {
        self.write(move |c| usage::save(c, &findings, now)).await
    }

    async fn policy_versions(&self) -> Result<Vec<crate::policy::job::PolicyVersion>> {
        self.read(usage::versions).await
    }

    async fn apply_policy(
        &self,
        text: &str,
        sha256: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<crate::policy::job::PolicyVersion> {
        let (text, sha, by, note) = (
            text.to_owned(),
            sha256.to_owned(),
            by.to_owned(),
            note.map(str::to_owned),
        );
        self.write(move |c| usage::apply(c, &text, &sha, &by, note.as_deref(), Utc::now()))
            .await
    }
}

#[cfg(test)]
mod accounts_tests;
#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod enrollment_tests;
#[cfg(test)]
pub(crate) mod equipment_tests;
#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod reconcile_tests;
#[cfg(test)]
mod snmp_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod usage_tests;
