//! The content of one report, language-neutral: every renderer (HTML, XLSX, PDF) prints
//! this and computes nothing, so the formats cannot disagree. Built by `build.rs`.
//!
//! Maps are `BTreeMap` and lists are sorted by key: the same store gives the same bytes.

use super::classes::Class;
use super::period::Period;
use crate::store::sqlite::report::{OpdNet, Stat};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Condition codes in display order; `-` is "no condition".
pub const CONDITIONS: [&str; 5] = ["B", "KB", "RR", "RB", "-"];

#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    pub city: String,
    pub period: Period,
    /// `None`: city-wide.
    pub opd: Option<OpdName>,
    pub generated_at: DateTime<Utc>,
    /// What the store could not answer, said in the report instead of guessed.
    pub notes: Vec<Note>,
    pub summary: Part,
    /// One row per OPD in scope (one for an OPD report).
    pub opds: Vec<OpdRow>,
    /// Coverage below this (0..1) puts an OPD on the "below threshold" list.
    pub coverage_threshold: f64,
    pub appendix: Vec<AssetEntry>,
    /// Per local day of the period, over the assets in scope with a matched host.
    pub daily: Vec<DayFigure>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DayFigure {
    /// Unix seconds of the local midnight starting the day.
    pub day: i64,
    /// Hosts with at least one hourly value that day.
    pub hosts: u64,
    /// Mean over those hosts of their daily mean CPU and memory use (%).
    pub cpu: Option<f64>,
    pub mem: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OpdName {
    pub kode: String,
    pub nama: Option<String>,
}

/// A limitation of the data behind the report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub enum Note {
    /// Hourly rollups start after the period starts (retention or a young install): the
    /// utilization and availability figures cover only from this time (Unix seconds).
    UsageFrom(i64),
    /// No hourly data at all in the period.
    NoUsage,
    /// Register, matching and suggested conditions are as of generation, not period end:
    /// the store keeps the latest reconciliation only.
    CurrentState,
}

/// Figures for a set of assets (the whole scope).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Part {
    pub inventory: Vec<ClassInventory>,
    pub coverage: Coverage,
    pub usage: Vec<ClassUsage>,
    pub underused: Vec<UsageCandidate>,
    pub overused: Vec<UsageCandidate>,
    pub flags: FlagFigures,
    pub changes: Changes,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClassInventory {
    pub class: Option<Class>,
    pub assets: u64,
    /// Register condition code → assets.
    pub register: BTreeMap<String, u64>,
    /// Suggested condition code → assets (only matched assets have one; `-` otherwise).
    pub suggested: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Coverage {
    pub registered_ict: u64,
    /// ICT assets reconciliation expects to run an agent.
    pub expected: u64,
    /// Of those, assets whose matched agent sent metrics in the period.
    pub reporting: u64,
    /// Expected assets without a report in the period, by key.
    pub silent: Vec<String>,
}

impl Coverage {
    /// `reporting / expected`; an OPD expecting no agent is fully covered.
    pub fn ratio(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.reporting as f64 / self.expected as f64
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClassUsage {
    pub class: Option<Class>,
    /// Hosts of this class with data in the period.
    pub hosts: u64,
    /// Mean of the hosts' averages, and 95th percentile of the hosts' own p95 (nearest rank).
    pub cpu: Option<Stat>,
    pub mem: Option<Stat>,
    pub disk: Option<Stat>,
    /// Mean share of the period's hours with data, 0..1.
    pub availability: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct UsageCandidate {
    pub key: String,
    pub agent_id: String,
    pub cpu_p95: f64,
    pub mem_p95: f64,
    pub disk_avg: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagFigures {
    /// kind → state → flags active during the period.
    pub by_kind: BTreeMap<String, BTreeMap<String, u64>>,
    /// Open or acknowledged at generation, most reopened first, then oldest.
    pub top: Vec<FlagItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagItem {
    pub kind: String,
    pub subject: String,
    pub opd: String,
    pub state: String,
    pub summary: String,
    pub article: String,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Register keys added to the register in the period.
    pub added: Vec<String>,
    /// Register keys removed from the register in the period.
    pub removed: Vec<String>,
    /// Keys whose agent reported in the previous period but not in this one.
    pub missing: Vec<String>,
    /// Room or holder changed, or removed in one OPD and added in another with the same
    /// nomor pabrik: (key, from, to).
    pub moved: Vec<(String, String, String)>,
    /// `hardware_changed` flags opened in the period: (subject, summary).
    pub hardware: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Action {
    Replace,
    Repair,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Reason {
    /// Register condition Rusak Berat.
    RegisterRusakBerat,
    /// Suggested condition Rusak Berat.
    SuggestedRusakBerat,
    /// Age (period end year − tahun perolehan) beyond the class's useful life.
    BeyondLife { age: i32, life: u32 },
    /// Rusak Ringan in the register or suggested.
    RusakRingan,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub key: String,
    pub action: Action,
    pub reasons: Vec<Reason>,
}

/// One OPD's headline figures.
#[derive(Debug, Clone, Serialize)]
pub struct OpdRow {
    pub opd: OpdName,
    pub assets: u64,
    pub coverage: Coverage,
    pub net: Option<OpdNet>,
    pub open_flags: u64,
}

/// A line of the appendix: an asset with its condition and the evidence behind it.
#[derive(Debug, Clone, Serialize)]
pub struct AssetEntry {
    pub line: crate::store::RegisterLine,
    pub class: Class,
    pub active_hours: Option<u32>,
    pub cpu: Option<Stat>,
    pub mem: Option<Stat>,
    pub disk: Option<Stat>,
}
