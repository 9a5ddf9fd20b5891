//! smartctl run by the agent itself, for agents that run as root (the packaged service does
//! not; it reads the root-run timer's reports instead, see `smart.rs`).
//!
//! `smartctl --json -a -n standby /dev/<disk>` for each physical disk, at most once per
//! [`RUN_EVERY`], each run killed after [`RUN_TIMEOUT`]. `-n standby` leaves sleeping disks
//! asleep. Emits nothing by itself: the reports are parsed by [`SmartReport`].

use super::smart::SmartReport;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A smartctl run by the agent itself is killed after this long.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the agent re-runs smartctl itself; SMART counters move over days, not minutes,
/// and this matches the timer.
pub const RUN_EVERY: Duration = Duration::from_secs(6 * 3600);

/// smartctl run by the agent itself (only when it is root), results kept between runs.
///
/// The runs happen on a thread of their own: the agent's runtime is single-threaded, and a
/// disk that takes the full timeout must not stall delivery. An inventory waits up to
/// [`RUN_WAIT`] for a run in progress, which is usually all of it (smartctl takes well under
/// a second per disk); a slower run lands in the next inventory instead.
#[derive(Default)]
pub struct SmartRunner {
    ran_at: Option<Instant>,
    pending: Option<mpsc::Receiver<HashMap<String, SmartReport>>>,
    reports: HashMap<String, SmartReport>,
}

/// How long one inventory waits for a smartctl run in progress.
pub const RUN_WAIT: Duration = Duration::from_secs(3);

impl SmartRunner {
    /// Reports for `disks`, starting a smartctl run when the last one is older than
    /// [`RUN_EVERY`] and the agent may run it (root, `smartctl` on `PATH`). Empty otherwise.
    pub fn reports(&mut self, disks: &[String]) -> &HashMap<String, SmartReport> {
        if self.pending.is_none() && self.ran_at.is_none_or(|t| t.elapsed() >= RUN_EVERY) {
            self.ran_at = Some(Instant::now());
            // SAFETY: geteuid has no preconditions and cannot fail.
            let root = unsafe { libc::geteuid() } == 0;
            match find_on_path("smartctl") {
                Some(smartctl) if root => {
                    let (tx, rx) = mpsc::channel();
                    let disks = disks.to_vec();
                    std::thread::spawn(move || {
                        let reports = disks
                            .into_iter()
                            .filter_map(|d| {
                                let r = run_smartctl(&smartctl, &d, RUN_TIMEOUT);
                                if r.is_none() {
                                    tracing::debug!("smartctl gave no SMART data for {d}");
                                }
                                Some((d, r?))
                            })
                            .collect();
                        let _ = tx.send(reports);
                    });
                    self.pending = Some(rx);
                }
                _ => self.reports.clear(),
            }
        }
        if let Some(rx) = &self.pending {
            match rx.recv_timeout(RUN_WAIT) {
                Ok(reports) => {
                    self.reports = reports;
                    self.pending = None;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => self.pending = None,
            }
        }
        &self.reports
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Run smartctl on `/dev/<disk>`; the child is killed after `timeout`.
fn run_smartctl(smartctl: &Path, disk: &str, timeout: Duration) -> Option<SmartReport> {
    let mut child = Command::new(smartctl)
        .args(["--json", "-a", "-n", "standby"])
        .arg(Path::new("/dev").join(disk))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| tracing::debug!("cannot run smartctl: {e}"))
        .ok()?;
    // Read stdout on a thread so a child that fills the pipe cannot deadlock the wait.
    let mut stdout = child.stdout.take()?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out);
        let _ = tx.send(out);
    });
    match rx.recv_timeout(timeout) {
        Ok(out) => {
            let _ = child.wait();
            SmartReport::parse(&out)
        }
        Err(_) => {
            tracing::debug!("smartctl on /dev/{disk} took over {timeout:?}; killed");
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in for smartctl: these tests never need the real one.
    fn fake(dir: &Path, body: &str) -> PathBuf {
        let p = dir.join("smartctl");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn reads_json_whatever_the_exit_status() {
        let dir = tempfile::tempdir().unwrap();
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smart/ata-hdd-failing.json");
        let bin = fake(dir.path(), &format!("cat '{}'; exit 24", fixture.display()));
        let r = run_smartctl(&bin, "sda", RUN_TIMEOUT).unwrap();
        assert_eq!(r.to_health("sda").smart_passed, Some(false));
    }

    #[test]
    fn slow_smartctl_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let bin = fake(dir.path(), "exec sleep 30");
        let t = Instant::now();
        assert!(run_smartctl(&bin, "sda", Duration::from_millis(200)).is_none());
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
