//! The PostgreSQL store: for several collectors on one database, or a fleet larger than one
//! SQLite file is comfortable with (issue 9). Async all the way (tokio-postgres), with a
//! pool of connections (deadpool-postgres); one file per concern, named as the SQLite
//! store's, so the twin of any SQLite query is one hop away.
//!
//! Same semantics as SQLite: a batch commits in one transaction, whole or not at all; values
//! are stored in the same representation (schema.rs), so both stores return the same
//! timestamps, JSON, order and filter results. Durability is PostgreSQL's: a commit returns
//! once the WAL is flushed (`synchronous_commit = on`, the default), so the broker is
//! acknowledged only after that, as with SQLite's `synchronous = FULL`.

mod accounts;
mod commit;
mod enrollment;
mod equipment;
mod flags;
mod history;
pub mod lease;
mod lines;
mod maintain;
mod network;
mod pushed;
mod query;
mod reconcile;
mod register;
mod report;
mod report_archive;
mod schema;
mod snmp;
mod snmp_history;
mod summary;
mod usage;
mod write;

use super::*;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::str::FromStr;

pub(crate) type Tx<'a> = deadpool_postgres::Transaction<'a>;

#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// For the dedicated connections job leases hold.
    config: tokio_postgres::Config,
}

/// Connections in the pool: ingest holds one per batch, the API one per request.
const POOL_SIZE: usize = 16;

/// An RFC 3339 text as stored, back to a time.
pub(crate) fn ts(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The URL with its password replaced, for messages and logs.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Insert many points in one statement (arrays unnested into rows).
pub(crate) async fn insert_points(
    tx: &Tx<'_>,
    agent: &str,
    pts: &[(String, i64, f64)],
) -> anyhow::Result<()> {
    if pts.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = pts.iter().map(|p| p.0.as_str()).collect();
    let ts: Vec<i64> = pts.iter().map(|p| p.1).collect();
    let values: Vec<f64> = pts.iter().map(|p| p.2).collect();
    let st = tx
        .prepare_cached(
            "INSERT INTO points (agent_id, name, ts, value)
             SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::float8[])",
        )
        .await?;
    tx.execute(&st, &[&agent, &names, &ts, &values]).await?;
    Ok(())
}

impl PgStore {
    /// Connect (`postgres://user[:password]@host[:port]/db`), migrate the schema, and keep
    /// a pool. Errors name the server without the password.
    pub async fn open(url: &str) -> anyhow::Result<PgStore> {
        PgStore::open_with(url, None).await
    }

    /// Like [`PgStore::open`], with the password from elsewhere than the URL.
    pub async fn open_with(url: &str, password: Option<&str>) -> anyhow::Result<PgStore> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| anyhow::anyhow!("database.url {}: {e}", redacted(url)))?;
        if let Some(p) = password {
            config.password(p);
        }
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| anyhow::anyhow!("database pool: {e}"))?;
        let store = PgStore { pool, config };
        let mut c = store
            .conn()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to {}: {e:#}", redacted(url)))?;
        schema::migrate(&mut c).await?;
        Ok(store)
    }

    pub(crate) async fn conn(&self) -> anyhow::Result<deadpool_postgres::Client> {
        self.pool
            .get()
            .await
            .map_err(|e| anyhow::anyhow!("database: {e}"))
    }

    /// A connection of its own, outside the pool: it ends when the returned client drops
    /// (used by job leases, whose advisory lock lives as long as the session).
    pub(crate) async fn dedicated(&self) -> anyhow::Result<tokio_postgres::Client> {
        let (client, connection) = self.config.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "lease connection ended");
            }
        });
        Ok(client)
    }
}

/// A read in one snapshot: a repeatable-read, read-only transaction.
macro_rules! snapshot {
    ($self:ident, |$tx:ident| $body:expr) => {{
        let mut c = $self.conn().await?;
        let $tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let out = $body;
        $tx.commit().await?;
        out
    }};
}

#[async_trait]
impl Store for PgStore {
    async fn try_job_lease(&self, name: &str) -> Result<Option<JobLease>> {
        lease::try_lease(self, name).await
    }

    async fn enroll(&self, agent: &EnrolledAgent) -> Result<()> {
        write::enroll(&mut self.conn().await?, agent).await
    }

    async fn agent(&self, agent_id: &str) -> Result<Option<EnrolledAgent>> {
        query::agent(&self.conn().await?, agent_id).await
    }

    async fn commit(&self, batch: &[Accepted]) -> Result<Vec<Outcome>> {
        commit::commit(&mut self.conn().await?, batch).await
    }

    async fn hosts(&self) -> Result<Vec<HostSummary>> {
        query::hosts(&self.conn().await?).await
    }

    async fn host(&self, agent_id: &str) -> Result<Option<HostDetail>> {
        query::host(&self.conn().await?, agent_id).await
    }

    async fn series(
        &self,
        agent_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
        names: &[String],
    ) -> Result<(Resolution, Vec<Series>)> {
        query::series(&self.conn().await?, agent_id, from, to, step, names).await
    }

    async fn hosts_by_opd(&self) -> Result<Vec<OpdHosts>> {
        query::hosts_by_opd(&self.conn().await?).await
    }

    async fn maintain(
        &self,
        now: DateTime<Utc>,
        retention: Retention,
    ) -> Result<MaintenanceReport> {
        maintain::run(&mut self.conn().await?, now, retention).await
    }

    async fn import_register(
        &self,
        rows: &[AssetRow],
        source: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        register::import(&mut self.conn().await?, rows, source, Utc::now(), dry_run).await
    }

    async fn register_lines(&self, opd: Option<&str>) -> Result<Vec<RegisterLine>> {
        lines::register_lines(&self.conn().await?, opd).await
    }

    async fn reconcile_inputs(&self) -> Result<ReconcileInputs> {
        Ok(snapshot!(self, |tx| reconcile::inputs(&tx).await?))
    }

    async fn save_reconciliation(
        &self,
        result: crate::reconcile::Reconciliation,
        suggested: std::collections::HashMap<String, crate::reconcile::condition::Suggestion>,
        report: RunReport,
    ) -> Result<RunReport> {
        reconcile::save(&mut self.conn().await?, &result, &suggested, report).await
    }

    async fn reconcile_summary(&self, ict_prefix: &str) -> Result<ReconcileSummary> {
        summary::summary(&self.conn().await?, ict_prefix).await
    }

    async fn review_queue(&self, opd: Option<&str>) -> Result<Vec<ReviewItem>> {
        summary::review_queue(&self.conn().await?, opd).await
    }

    async fn decide(&self, decision: crate::reconcile::Decision) -> Result<()> {
        reconcile::decide(&mut self.conn().await?, &decision).await
    }

    async fn flags(&self, filter: FlagFilter) -> Result<Vec<Flag>> {
        flags::list(&self.conn().await?, &filter).await
    }

    async fn flag(&self, id: i64) -> Result<Option<Flag>> {
        flags::get(&self.conn().await?, id).await
    }

    async fn flag_history(&self, id: i64) -> Result<Vec<FlagEvent>> {
        flags::history(&self.conn().await?, id).await
    }

    async fn flag_action(
        &self,
        id: i64,
        action: FlagAction,
        by: &str,
        note: Option<&str>,
    ) -> Result<Option<Flag>> {
        flags::action(&mut self.conn().await?, id, action, by, note, Utc::now()).await
    }

    async fn network_inputs(
        &self,
        now: DateTime<Utc>,
        config: &crate::network::NetworkConfig,
    ) -> Result<crate::network::Inputs> {
        Ok(snapshot!(self, |tx| network::inputs(&tx, now, config).await?))
    }

    async fn save_network(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        degraded: crate::network::DegradedState,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun> {
        network::save(&mut self.conn().await?, &findings, &degraded, now).await
    }

    async fn snmp_inputs(
        &self,
    ) -> Result<(
        Vec<crate::snmp::DeviceState>,
        Vec<crate::snmp::RegisterEntry>,
    )> {
        Ok(snapshot!(self, |tx| snmp::inputs(&tx).await?))
    }

    async fn save_snmp(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        matches: Vec<crate::snmp::AssetMatch>,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun> {
        snmp::save(&mut self.conn().await?, &findings, &matches, now).await
    }

    async fn snmp_devices(&self, opd: Option<&str>) -> Result<Vec<sqlite::snmp::DeviceRow>> {
        snmp::devices(&self.conn().await?, opd).await
    }

    async fn snmp_interfaces(
        &self,
        id: i64,
    ) -> Result<Option<Vec<pantau_proto::body::snmp::SnmpInterface>>> {
        snmp::interfaces(&self.conn().await?, id).await
    }

    async fn ip_plan(&self) -> Result<Vec<crate::network::PlanEntry>> {
        network::plan(&self.conn().await?).await
    }

    async fn replace_ip_plan(&self, entries: Vec<crate::network::PlanEntry>) -> Result<usize> {
        network::replace_plan(&mut self.conn().await?, &entries).await
    }

    async fn lan_devices(&self, opd: Option<&str>) -> Result<Vec<crate::network::LanDevice>> {
        network::devices(&self.conn().await?, opd, None).await
    }

    async fn latest_net(&self) -> Result<Vec<crate::network::LatestNet>> {
        network::latest(&self.conn().await?).await
    }

    async fn net_history(
        &self,
        opd: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
    ) -> Result<(Resolution, Vec<Series>)> {
        let (from, to) = (from.timestamp(), to.timestamp());
        history::opd(&self.conn().await?, opd, from, to, step).await
    }

    async fn report_facts(
        &self,
        from: i64,
        to: i64,
        prev_from: i64,
        utc_offset: i64,
    ) -> Result<sqlite::report::ReportFacts> {
        Ok(snapshot!(self, |tx| report::report_facts(
            &tx, from, to, prev_from, utc_offset
        )
        .await?))
    }

    async fn record_report(&self, file: sqlite::report_archive::ReportFile) -> Result<i64> {
        report_archive::record(&self.conn().await?, &file).await
    }

    async fn reports(&self) -> Result<Vec<sqlite::report_archive::ReportFile>> {
        report_archive::list(&self.conn().await?).await
    }

    async fn report(&self, id: i64) -> Result<Option<sqlite::report_archive::ReportFile>> {
        report_archive::get(&self.conn().await?, id).await
    }

    async fn config_layers(&self) -> Result<Vec<ConfigLayer>> {
        pushed::layers(&self.conn().await?).await
    }

    async fn set_config_layer(
        &self,
        scope: crate::network::pushed::Scope,
        key: &str,
        layer: Option<serde_json::Value>,
        by: &str,
        profiles: &std::collections::BTreeSet<String>,
    ) -> Result<()> {
        pushed::set(
            &self.conn().await?,
            scope,
            key,
            layer.as_ref(),
            by,
            profiles,
            Utc::now(),
        )
        .await
    }

    async fn snmp_equipment(&self) -> Result<Vec<crate::snmp::equipment::EquipmentRow>> {
        equipment::list(&self.conn().await?).await
    }

    async fn put_snmp_equipment(
        &self,
        rows: Vec<crate::snmp::equipment::Equipment>,
        profiles: std::collections::BTreeSet<String>,
        by: &str,
    ) -> Result<std::result::Result<usize, Vec<crate::snmp::equipment::RowError>>> {
        equipment::put(&mut self.conn().await?, &rows, &profiles, by, Utc::now()).await
    }

    async fn remove_snmp_equipment(&self, asset_key: &str) -> Result<bool> {
        equipment::remove(&self.conn().await?, asset_key).await
    }

    async fn snmp_history(
        &self,
        device_id: i64,
        if_index: u32,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: i64,
    ) -> Result<(Resolution, Vec<Series>)> {
        snmp_history::interface(&self.conn().await?, device_id, if_index, from, to, step).await
    }

    async fn agent_config(
        &self,
        agent_id: &str,
    ) -> Result<Option<pantau_proto::body::PushedConfig>> {
        pushed::merged(&self.conn().await?, agent_id).await
    }

    async fn configs_to_publish(
        &self,
        all: bool,
    ) -> Result<Vec<(String, pantau_proto::body::PushedConfig)>> {
        pushed::pending(&self.conn().await?, all).await
    }

    async fn config_published(
        &self,
        agent_id: &str,
        config: &pantau_proto::body::PushedConfig,
    ) -> Result<()> {
        pushed::published(&self.conn().await?, agent_id, config, Utc::now()).await
    }

    async fn usage_inputs(
        &self,
        from: DateTime<Utc>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<crate::policy::eval::HostInput>> {
        Ok(snapshot!(self, |tx| usage::inputs(&tx, from, after, limit).await?))
    }

    async fn usage(&self, agent_id: &str) -> Result<Option<crate::policy::eval::UsageFacts>> {
        usage::latest(&self.conn().await?, agent_id).await
    }

    async fn save_policy_run(
        &self,
        findings: Vec<crate::reconcile::Finding>,
        now: DateTime<Utc>,
    ) -> Result<NetworkRun> {
        usage::save(&mut self.conn().await?, &findings, now).await
    }

    async fn policy_versions(&self) -> Result<Vec<crate::policy::job::PolicyVersion>> {
        usage::versions(&self.conn().await?).await
    }

    async fn apply_policy(
        &self,
        text: &str,
        sha256: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<crate::policy::job::PolicyVersion> {
        usage::apply(&mut self.conn().await?, text, sha256, by, note, Utc::now()).await
    }
}

#[cfg(test)]
mod tests;
