//! What the policy reads about one host: its latest usage facts, its recent CPU windows and
//! what decides its asset class. Filled by the store, read by the evaluation.

use super::Policy;
use chrono::{DateTime, Utc};
use pantau_proto::body::usage::{Listener, ProcessUsage, Session, Software};
use serde::{Deserialize, Serialize};

/// What the store knows about one host.
#[derive(Debug, Clone, Default)]
pub struct HostInput {
    pub agent_id: String,
    pub opd: String,
    pub hostname: Option<String>,
    /// The register asset reconciliation matched, with its kode barang.
    pub asset_key: Option<String>,
    pub kode_barang: Option<String>,
    /// SMBIOS chassis type from the newest inventory.
    pub chassis: Option<String>,
    pub facts: Option<UsageFacts>,
    /// CPU of recent reports, oldest first.
    pub windows: Vec<CpuWindow>,
}

/// The newest usage facts of a host (software: the last list any report carried).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UsageFacts {
    pub collected_at: DateTime<Utc>,
    pub cpus: u32,
    pub processes: Vec<ProcessUsage>,
    pub software: Vec<Software>,
    pub software_at: Option<DateTime<Utc>>,
    pub listeners: Vec<Listener>,
    pub sessions: Vec<Session>,
    /// Sections the agent could not read, with why.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// CPU of one usage report: the window `since..until`, the whole machine's CPU seconds and
/// the busy processes (see store/sqlite/usage.rs for which are kept).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuWindow {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub cpus: u32,
    pub cpu_s: f64,
    pub procs: Vec<ProcCpu>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcCpu {
    pub name: String,
    pub exe: Option<String>,
    pub sha256: Option<String>,
    pub cpu_s: f64,
}

/// How a host's class was decided, for evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Workstation,
    Laptop,
    Server,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Workstation => "workstation",
            Class::Laptop => "laptop",
            Class::Server => "server",
        }
    }
}

/// A host's class and why: Data Center OPD, register kode barang, chassis, or the default.
pub fn class_of(p: &Policy, h: &HostInput) -> (Class, String) {
    let ac = &p.file.asset_class;
    if ac.datacenter_opds.iter().any(|o| o == &h.opd) {
        return (Class::Server, format!("datacenter_opds: {}", h.opd));
    }
    if let Some(kb) = &h.kode_barang {
        if let Some(pre) = ac
            .laptop_kode_barang
            .iter()
            .find(|p| kb.starts_with(p.as_str()))
        {
            return (Class::Laptop, format!("kode_barang {kb} ({pre})"));
        }
        return (Class::Workstation, format!("kode_barang {kb}"));
    }
    if let Some(c) = &h.chassis {
        if ac.laptop_chassis.iter().any(|l| l.eq_ignore_ascii_case(c)) {
            return (Class::Laptop, format!("chassis {c}"));
        }
    }
    (Class::Workstation, "default".into())
}

/// The class as the flags' summaries name it.
pub fn class_id(c: Class) -> &'static str {
    match c {
        Class::Workstation => "komputer kerja",
        Class::Laptop => "laptop",
        Class::Server => "server",
    }
}
