//! The data the [`super::Store`] trait takes and returns, apart from the trait itself so
//! each file stays about one thing.

use super::sqlite;
use chrono::{DateTime, Utc};
use pantau_proto::body::Body;
use pantau_proto::{Envelope, PublicKey};
use serde::Serialize;

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
