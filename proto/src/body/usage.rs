//! `usage`: what runs on a host and who uses it, every `interval_s` (300 s by default).
//!
//! Facts only, never content: process names, paths, owners, CPU time and memory; installed
//! packages; listening sockets and the process behind each; logged-in sessions. No window
//! titles, URLs, keystrokes, file names or screenshots (docs/privacy.md lists every field).
//! Judging (unauthorized software, after-hours use, mining) is the collector's policy.
//!
//! The agent sends a report when the facts changed (a process appeared or went, a listener or
//! session changed, a process became busy) and at least every `full_every_s` as a full
//! snapshot. CPU time is counted since the previous *sent* report (`since`), so skipped
//! cycles lose nothing: a miner at 100 % of a core for an hour shows as 3,600 s in the next
//! report.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UsageReport {
    /// When the facts were read.
    pub collected_at: Option<DateTime<Utc>>,
    /// Start of the window that `cpu_s` figures cover: the previous sent report's
    /// `collected_at`, or the agent's start for the first report.
    pub since: Option<DateTime<Utc>>,
    /// A periodic full snapshot (`true`) or a report sent because something changed.
    /// Both carry every section except `software`, which see.
    pub full: bool,
    /// Number of logical CPUs, so the collector can turn `cpu_s` into a share of the machine.
    pub cpus: u32,
    pub processes: Vec<ProcessUsage>,
    /// Installed packages. `None` when unchanged since the last report that carried them
    /// (compare `software_digest`); always present in a full snapshot.
    pub software: Option<Vec<Software>>,
    /// sha256 (hex) of the sorted software list, present whenever the list was read.
    pub software_digest: Option<String>,
    pub listeners: Vec<Listener>,
    pub sessions: Vec<Session>,
    /// Sections that could not be read, with why (`software: dpkg status unreadable`).
    pub errors: Vec<String>,
}

/// One running process. Kernel threads are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessUsage {
    pub pid: u32,
    /// Short name (`comm` on Linux, image name on Windows).
    pub name: String,
    /// Executable path, when the agent may read it.
    pub exe: Option<String>,
    /// Owner's user name (or numeric id when it has no name).
    pub user: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// CPU seconds (user + system) used since `UsageReport::since`, or since the process
    /// started if that was later.
    pub cpu_s: f64,
    pub rss_bytes: u64,
    /// sha256 (hex) of the executable; computed once per (path, mtime), absent when the file
    /// is unreadable to the agent or larger than the agent's hashing limit.
    pub sha256: Option<String>,
}

/// One installed package.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(default)]
pub struct Software {
    pub name: String,
    pub version: Option<String>,
    /// Maintainer (dpkg), Vendor (rpm) or Publisher (Windows Uninstall key).
    pub publisher: Option<String>,
    /// `dpkg`, `rpm` or `windows`.
    pub source: String,
    pub installed_at: Option<DateTime<Utc>>,
}

/// A socket accepting connections (TCP LISTEN) or bound for datagrams (UDP), with its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Listener {
    /// `tcp` or `udp`.
    pub proto: String,
    /// Local address as text (`0.0.0.0`, `::`, `127.0.0.1`).
    pub addr: String,
    pub port: u16,
    pub pid: Option<u32>,
    pub process: Option<String>,
    pub exe: Option<String>,
    pub user: Option<String>,
}

/// A logged-in session (utmp on Linux).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Session {
    pub user: String,
    /// Terminal or seat (`tty1`, `pts/0`, `:0`).
    pub line: Option<String>,
    /// Remote host for remote logins.
    pub host: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
}
