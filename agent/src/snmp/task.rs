//! The poller inside the running agent: a round at start and every `interval_s`, each
//! spooled as one `snmp` envelope. A pushed config (targets and credentials from the
//! collector) takes effect at once; a bad one is logged without its content and ignored.

use super::Poller;
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::body::snmp_config::SnmpConfig;
use pantau_proto::Kind;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

pub struct SnmpTask {
    /// The file's `[snmp]`: the base the pushed section is applied over.
    pub file: SnmpConfig,
    /// Where the link keeps the last good pushed document.
    pub saved: std::path::PathBuf,
    pub identity: Identity,
    pub spool: Arc<Mutex<Spool>>,
    pub wake: Arc<Notify>,
}

impl SnmpTask {
    fn effective(&self, doc: Option<&[u8]>) -> Result<SnmpConfig, String> {
        match doc {
            None | Some([]) => Ok(self.file.clone()),
            Some(doc) => super::pushed::merge(&self.file, doc).map(|(_, c)| c),
        }
    }
}

pub async fn run(
    task: SnmpTask,
    mut pushed: watch::Receiver<Option<Arc<Vec<u8>>>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut current = match std::fs::read(&task.saved) {
        Ok(doc) => task.effective(Some(&doc)).unwrap_or_else(|e| {
            tracing::warn!("snmp: ignoring {}: {e}", task.saved.display());
            task.file.clone()
        }),
        Err(_) => task.file.clone(),
    };
    let poller = Poller::default();
    let mut next = tokio::time::Instant::now();
    let mut link_alive = true;
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
            changed = pushed.changed(), if link_alive => {
                if changed.is_err() {
                    link_alive = false;
                    continue;
                }
                let doc = pushed.borrow_and_update().clone();
                let effective = task.effective(doc.as_deref().map(Vec::as_slice));
                if let (Ok(_), Some(d)) = (&effective, doc.as_deref().filter(|d| !d.is_empty())) {
                    // Kept for a restart without a broker (the net schedule keeps the same file).
                    if let Err(e) = crate::spool::write_atomic(&task.saved, d) {
                        tracing::warn!("snmp: cannot keep the pushed config in {}: {e}", task.saved.display());
                    }
                }
                match effective {
                    Ok(c) if c != current => {
                        tracing::info!(targets = c.targets.len(), "snmp: pushed config applied");
                        current = c;
                        next = tokio::time::Instant::now();
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("snmp: pushed config ignored, keeping the last good one: {e}"),
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
