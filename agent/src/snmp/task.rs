//! The poller inside the running agent: a round at start and every `interval_s`, each
//! spooled as one `snmp` envelope. Settings come through `crate::pushed` (the file's `[snmp]`
//! with the collector's targets and credentials over it); a change takes effect at once.

use super::Poller;
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::body::snmp_config::SnmpConfig;
use pantau_proto::Kind;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

pub struct SnmpTask {
    pub identity: Identity,
    pub spool: Arc<Mutex<Spool>>,
    pub wake: Arc<Notify>,
}

pub async fn run(
    task: SnmpTask,
    mut settings: watch::Receiver<SnmpConfig>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut current = settings.borrow_and_update().clone();
    let poller = Poller::default();
    let mut next = tokio::time::Instant::now();
    let mut settings_alive = true;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next), if current.enabled && !current.targets.is_empty() => {
                let report = tokio::select! {
                    r = poller.round(&current) => r,
                    _ = shutdown.changed() => return,
                };
                let down = report.devices.iter().filter(|d| !d.reachable).count();
                tracing::debug!(devices = report.devices.len(), down, ms = report.duration_ms, "snmp: round done");
                let pushed = task.spool.lock().expect("spool lock").push(Kind::Snmp, |seq| {
                    task.identity.envelope(seq, Kind::Snmp, &report)
                });
                match pushed {
                    Ok(_) => task.wake.notify_one(),
                    Err(e) => tracing::error!("snmp: cannot write to the spool: {e}"),
                }
                next = tokio::time::Instant::now() + Duration::from_secs(current.interval_s);
            }
            changed = settings.changed(), if settings_alive => {
                if changed.is_err() {
                    settings_alive = false;
                    continue;
                }
                let c = settings.borrow_and_update().clone();
                if c != current {
                    tracing::info!(targets = c.targets.len(), "snmp: settings changed");
                    current = c;
                    next = tokio::time::Instant::now();
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
