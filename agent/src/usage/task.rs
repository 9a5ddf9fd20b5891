//! The usage schedule: a reading every `interval_s`, sent through the spool when it changed
//! (`change.rs`) or a full snapshot is due. The first reading, at start, is a full snapshot.
//!
//! Readings run on the blocking pool: the first one hashes every running executable, which
//! can take a second or two on a desktop, and must not hold up the link's keep-alive.

use super::change::{Decision, Fingerprint, SendState};
use super::{UsageCollector, UsageConfig};
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::Kind;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

pub struct UsageTask {
    pub root: PathBuf,
    pub config: UsageConfig,
    pub identity: Identity,
    pub spool: Arc<Mutex<Spool>>,
    pub wake: Arc<Notify>,
}

pub fn spawn(task: UsageTask, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(task, shutdown))
}

async fn run(task: UsageTask, mut shutdown: watch::Receiver<bool>) {
    let (root, cfg) = (task.root.clone(), task.config.clone());
    let Ok(mut collector) = tokio::task::spawn_blocking(move || {
        let mut c = UsageCollector::new(root, cfg);
        c.prime();
        c
    })
    .await
    else {
        return;
    };
    let every = Duration::from_secs(task.config.full_every_s);
    let interval = Duration::from_secs(task.config.interval_s);
    let mut state = SendState::default();
    let mut next = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = shutdown.changed() => return,
        }
        next += interval;
        let full = state.full_due(std::time::Instant::now(), every);
        let reading = tokio::task::spawn_blocking(move || {
            let r = collector.collect(full);
            (collector, r)
        });
        let (c, mut report) = tokio::select! {
            r = reading => match r {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("usage reading failed: {e}");
                    return;
                }
            },
            _ = shutdown.changed() => return,
        };
        collector = c;
        let now = std::time::Instant::now();
        let fp = Fingerprint::of(&report, task.config.busy_cpu_pct);
        let decision = state.decide(&fp, now, every);
        if decision == Decision::Skip {
            tracing::debug!("usage unchanged; nothing sent");
            continue;
        }
        state.prepare(&mut report, &decision);
        fit(&mut report);
        if task.push(&report) {
            tracing::debug!(?decision, processes = report.processes.len(), "usage sent");
            collector.commit(&report);
            state.sent(fp, report.full, now);
        }
    }
}

/// Room left for the envelope around the body (signature, ids, base64 of nothing).
const ENVELOPE_ROOM: usize = 16 * 1024;

/// Keep the report under the `usage` kind's size limit, which the collector enforces by
/// rejecting the whole message: first drop the software publishers (the longest strings of
/// a 3,000-package list), then the list itself (its digest stays), saying so in `errors`.
pub fn fit(report: &mut pantau_proto::body::UsageReport) {
    let limit = Kind::Usage.max_bytes() - ENVELOPE_ROOM;
    let size = |r: &pantau_proto::body::UsageReport| serde_json::to_vec(r).map_or(0, |v| v.len());
    if size(report) <= limit {
        return;
    }
    if let Some(list) = report.software.as_mut() {
        let n = list.len();
        list.iter_mut().for_each(|s| s.publisher = None);
        report
            .errors
            .push("software: publishers left out to fit the size limit".into());
        if size(report) <= limit {
            return;
        }
        report.software = None;
        report.errors.push(format!(
            "software: list of {n} packages left out to fit the size limit"
        ));
    }
}

impl UsageTask {
    fn push(&self, report: &pantau_proto::body::UsageReport) -> bool {
        let pushed = self
            .spool
            .lock()
            .expect("spool lock")
            .push(Kind::Usage, |seq| {
                self.identity.envelope(seq, Kind::Usage, report)
            });
        match pushed {
            Ok(_) => {
                self.wake.notify_one();
                true
            }
            Err(e) => {
                tracing::error!("cannot write the usage report to the spool: {e}");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pantau_proto::body::usage::Software;

    #[test]
    fn oversized_software_is_trimmed_not_rejected() {
        let pkg = |i: usize, publisher: usize| Software {
            name: format!("package-{i}"),
            version: Some("1.0".into()),
            publisher: Some("p".repeat(publisher)),
            source: "dpkg".into(),
            installed_at: None,
        };
        let mut r = pantau_proto::body::UsageReport {
            software: Some((0..4000).map(|i| pkg(i, 300)).collect()),
            ..Default::default()
        };
        fit(&mut r);
        assert_eq!(r.software.as_ref().map(Vec::len), Some(4000));
        assert!(r.software.unwrap().iter().all(|s| s.publisher.is_none()));
        assert_eq!(r.errors.len(), 1);

        let mut r = pantau_proto::body::UsageReport {
            software: Some((0..40_000).map(|i| pkg(i, 10)).collect()),
            ..Default::default()
        };
        fit(&mut r);
        assert!(
            r.software.is_none() && r.errors.len() == 2,
            "{:?}",
            r.errors
        );

        let mut small = pantau_proto::body::UsageReport {
            software: Some(vec![pkg(1, 10)]),
            ..Default::default()
        };
        fit(&mut small);
        assert!(small.errors.is_empty() && small.software.unwrap()[0].publisher.is_some());
    }
}
