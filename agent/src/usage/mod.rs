//! Usage facts (`usage` kind): running processes, installed software, listening sockets and
//! logged-in sessions. Facts only, never content: docs/privacy.md lists every field and what
//! is never read; the collector's policy judges them.
//!
//! One module per concern: `procs.rs` (procfs), `hash.rs` (executable sha256, cached),
//! `diag.rs` (listening sockets through netlink),
//! `users.rs` (uid to name), `software.rs` (dpkg, with `rpm.rs` and `windows.rs`),
//! `sockets.rs` (listeners and their owners), `change.rs` (when a reading is sent) and
//! `task.rs` (the schedule). Sessions come from the inventory's utmp reader.
//!
//! Processes and listeners are read on Linux only; elsewhere the report says so in `errors`
//! (the Windows software reader exists but is untested, see `windows.rs`).

#[cfg(unix)]
pub mod bench;
pub mod change;
pub mod config;
#[cfg(target_os = "linux")]
mod diag;
#[cfg(target_os = "linux")]
mod hash;
#[cfg(target_os = "linux")]
mod procs;
mod rpm;
#[cfg(target_os = "linux")]
mod sockets;
mod software;
pub mod task;
#[cfg(target_os = "linux")]
mod users;
#[cfg(any(windows, test))]
mod windows;

pub use config::UsageConfig;

use chrono::{DateTime, Utc};
use pantau_proto::body::usage::{ProcessUsage, Session, UsageReport};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads usage facts and remembers what the CPU figures are counted from.
pub struct UsageCollector {
    root: PathBuf,
    opts: UsageConfig,
    software: software::SoftwareReader,
    /// Start of the CPU window: the last sent report's time, or the baseline's.
    since: Option<DateTime<Utc>>,
    #[cfg(target_os = "linux")]
    linux: LinuxState,
}

#[cfg(target_os = "linux")]
struct LinuxState {
    hasher: hash::ExeHasher,
    users: users::UserNames,
    buf: Vec<u8>,
    clk_tck: f64,
    page_size: u64,
    /// pid -> (start ticks, CPU ticks) when the last report was sent (or at the baseline).
    baseline: HashMap<u32, (u64, u64)>,
    /// The same, at the latest reading: becomes the baseline when that reading is sent.
    current: HashMap<u32, (u64, u64)>,
    owners: sockets::OwnerCache,
}

impl UsageCollector {
    /// A collector with no baseline: CPU figures count from each process's start (what
    /// `pantau-agent usage` prints). The agent calls [`UsageCollector::prime`] first.
    pub fn new(root: PathBuf, opts: UsageConfig) -> Self {
        UsageCollector {
            software: software::SoftwareReader::new(root.clone()),
            #[cfg(target_os = "linux")]
            linux: LinuxState {
                hasher: hash::ExeHasher::new(opts.hash_max_bytes()),
                users: users::UserNames::new(root.join("etc/passwd")),
                buf: Vec::with_capacity(4096),
                // SAFETY: sysconf only reads configuration values.
                clk_tck: match unsafe { libc::sysconf(libc::_SC_CLK_TCK) } {
                    t if t > 0 => t as f64,
                    _ => 100.0,
                },
                page_size: match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
                    p if p > 0 => p as u64,
                    _ => 4096,
                },
                baseline: HashMap::new(),
                current: HashMap::new(),
                owners: sockets::OwnerCache::default(),
            },
            since: None,
            root,
            opts,
        }
    }

    /// Take the CPU baseline now, so the first report counts CPU from the agent's start.
    pub fn prime(&mut self) {
        #[cfg(target_os = "linux")]
        if let Ok(procs) = procs::scan(&self.root.join("proc"), &mut self.linux.buf) {
            self.linux.baseline = procs
                .iter()
                .map(|p| (p.pid, (p.start_ticks, p.cpu_ticks)))
                .collect();
        }
        self.since = Some(Utc::now());
    }

    /// Read everything once. `full` forces the software list to be re-read; otherwise it is
    /// re-read only when its sources changed. The report always carries the software list
    /// as known; [`change::SendState`] leaves it out when it is not due.
    pub fn collect(&mut self, full: bool) -> UsageReport {
        let mut r = UsageReport {
            collected_at: Some(Utc::now()),
            full,
            cpus: cpu_count(),
            ..UsageReport::default()
        };
        #[cfg(target_os = "linux")]
        self.collect_linux(&mut r);
        #[cfg(not(target_os = "linux"))]
        r.errors
            .push("processes, listeners, sessions: read on Linux only in this version".into());
        if self.opts.software {
            self.software.refresh(full);
            r.software = Some(self.software.list().to_vec());
            r.software_digest = self.software.digest().map(str::to_owned);
            r.errors.extend(self.software.errors().iter().cloned());
        }
        r
    }

    #[cfg(target_os = "linux")]
    fn collect_linux(&mut self, r: &mut UsageReport) {
        let proc_dir = self.root.join("proc");
        let s = &mut self.linux;
        s.users.refresh();
        s.hasher.begin();
        let btime = crate::inventory::linux_os::read_btime(&self.root);
        // Without a baseline (one-off reading), CPU counts from each process's start.
        r.since = self.since.or(btime);
        let procs = match procs::scan(&proc_dir, &mut s.buf) {
            Ok(p) => p,
            Err(e) => {
                r.errors
                    .push(format!("processes: {}: {e}", proc_dir.display()));
                Vec::new()
            }
        };
        s.current.clear();
        for p in &procs {
            s.current.insert(p.pid, (p.start_ticks, p.cpu_ticks));
            // Same pid and start time: the same process, counted from the baseline; anything
            // else started after it, so all its CPU time is in the window.
            let ticks = match s.baseline.get(&p.pid) {
                Some(&(start, base)) if start == p.start_ticks => p.cpu_ticks.saturating_sub(base),
                _ => p.cpu_ticks,
            };
            let sha256 = p.exe.as_deref().and_then(|exe| {
                s.hasher
                    .hash(exe, &proc_dir.join(p.pid.to_string()).join("exe"))
            });
            r.processes.push(ProcessUsage {
                pid: p.pid,
                name: p.name.clone(),
                exe: p.exe.clone(),
                user: p.uid.map(|u| s.users.name(u)),
                started_at: btime.map(|b| {
                    b + chrono::Duration::milliseconds(
                        (p.start_ticks as f64 / s.clk_tck * 1000.0) as i64,
                    )
                }),
                cpu_s: ticks as f64 / s.clk_tck,
                rss_bytes: p.rss_pages.saturating_mul(s.page_size),
                sha256,
            });
        }
        // The live machine's own sockets through netlink; a recorded tree, or a sandbox that
        // refuses netlink, through /proc/net.
        let live = match (self.root == Path::new("/")).then(diag::listeners) {
            Some(Ok(raw)) => Some(raw),
            Some(Err(e)) => {
                tracing::debug!("listeners from /proc/net: {e}");
                None
            }
            None => None,
        };
        let raw = live.unwrap_or_else(|| {
            let (raw, errors) = sockets::read_tables(&proc_dir.join("net"));
            r.errors.extend(errors);
            raw
        });
        let owners = s.owners.owners(&proc_dir, &procs, &raw, r.full);
        r.listeners = sockets::resolve(raw, owners, &procs, |u| s.users.name(u));
        r.sessions = read_sessions(&self.root);
    }

    /// `report` was sent: CPU figures of the next one count from its reading.
    pub fn commit(&mut self, report: &UsageReport) {
        #[cfg(target_os = "linux")]
        {
            self.linux.baseline = std::mem::take(&mut self.linux.current);
        }
        self.since = report.collected_at.or(self.since);
    }

    /// Executables hashed so far (not served from the cache).
    pub fn hashed(&self) -> u64 {
        #[cfg(target_os = "linux")]
        return self.linux.hasher.hashed;
        #[cfg(not(target_os = "linux"))]
        0
    }
}

#[cfg(target_os = "linux")]
fn read_sessions(root: &Path) -> Vec<Session> {
    let mut s: Vec<Session> = crate::inventory::linux_os::read_users(root)
        .into_iter()
        .map(|u| Session {
            user: u.name,
            line: u.line,
            host: u.host,
            started_at: u.since,
        })
        .collect();
    s.sort_by(|a, b| (&a.user, &a.line, a.started_at).cmp(&(&b.user, &b.line, b.started_at)));
    s
}

/// Online logical CPUs of the machine (not the agent's affinity or cgroup share: the
/// collector compares `cpu_s` with the whole machine).
fn cpu_count() -> u32 {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads configuration values.
        let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        u32::try_from(n).ok().filter(|&n| n > 0).unwrap_or(1)
    }
    #[cfg(not(unix))]
    std::thread::available_parallelism().map_or(1, |n| n.get() as u32)
}

/// Print one reading, for `pantau-agent usage`: CPU since each process started.
pub fn one_reading(root: &Path, opts: UsageConfig) -> UsageReport {
    UsageCollector::new(root.to_owned(), opts).collect(true)
}

/// The human-readable form of `pantau-agent usage`.
pub fn print_table(r: &UsageReport) {
    println!(
        "{:>7} {:<16} {:<10} {:>9} {:>9}  exe",
        "pid", "name", "user", "cpu_s", "rss_MiB"
    );
    for p in &r.processes {
        println!(
            "{:>7} {:<16} {:<10} {:>9.1} {:>9.1}  {}",
            p.pid,
            p.name,
            p.user.as_deref().unwrap_or("?"),
            p.cpu_s,
            p.rss_bytes as f64 / 1048576.0,
            p.exe.as_deref().unwrap_or("-")
        );
    }
    println!("# listeners");
    for l in &r.listeners {
        println!(
            "{:<4} {:>39}:{:<5} {} {}",
            l.proto,
            l.addr,
            l.port,
            l.pid.map_or("-".into(), |p| p.to_string()),
            l.process.as_deref().unwrap_or("-")
        );
    }
    println!("# sessions");
    for s in &r.sessions {
        println!(
            "{} {} {}",
            s.user,
            s.line.as_deref().unwrap_or("-"),
            s.host.as_deref().unwrap_or("")
        );
    }
    let n = r.software.as_ref().map_or(0, Vec::len);
    println!(
        "# {} processes, {} listeners, {} sessions, {n} packages",
        r.processes.len(),
        r.listeners.len(),
        r.sessions.len()
    );
    for e in &r.errors {
        println!("# error: {e}");
    }
}
