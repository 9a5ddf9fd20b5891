//! The scout inside the running agent: sweep at start and every `sweep_interval_min`, and
//! after each sweep spool a `discovery` envelope with what was seen since the last one.

use super::{Scout, ScoutConfig};
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::Kind;
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Start the scout when `[scout] enabled`; `None` otherwise.
pub fn spawn(
    cfg: &ScoutConfig,
    identity: &Identity,
    spool: &Arc<Mutex<Spool>>,
    wake: &Arc<Notify>,
    shutdown: &watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    if !cfg.enabled {
        return None;
    }
    Some(tokio::spawn(run(
        cfg.clone(),
        identity.clone(),
        spool.clone(),
        wake.clone(),
        shutdown.clone(),
    )))
}

async fn run(
    cfg: ScoutConfig,
    identity: Identity,
    spool: Arc<Mutex<Spool>>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let opts = cfg.options();
    let scout = match tokio::task::spawn_blocking(move || Scout::start(opts)).await {
        Ok(Ok(s)) => Arc::new(s),
        Ok(Err(e)) => {
            // Once, clearly; the rest of the agent goes on.
            tracing::error!("scout disabled: {e}");
            return;
        }
        Err(e) => {
            tracing::error!("scout disabled: {e}");
            return;
        }
    };
    tracing::info!(
        every_min = cfg.sweep_interval_min,
        rate_per_s = cfg.rate_per_s,
        "scout started"
    );
    let mut tick = tokio::time::interval(cfg.sweep_interval());
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break,
        }
        let s = scout.clone();
        let sweep = tokio::task::spawn_blocking(move || s.sweep());
        let subnets = tokio::select! {
            r = sweep => match r {
                Ok(subnets) => subnets,
                Err(e) => {
                    tracing::error!("scout: sweep failed: {e}");
                    continue;
                }
            },
            _ = shutdown.changed() => {
                scout.cancel();
                break;
            }
        };
        let report = scout.report(subnets);
        tracing::debug!(devices = report.devices.len(), "scout: sweep done");
        let pushed = spool
            .lock()
            .expect("spool lock")
            .push(Kind::Discovery, |seq| {
                identity.envelope(seq, Kind::Discovery, &report)
            });
        match pushed {
            Ok(_) => wake.notify_one(),
            Err(e) => tracing::error!("scout: cannot write to spool: {e}"),
        }
    }
    // Joining the listener threads waits up to one read timeout: not on the runtime's thread.
    let _ = tokio::task::spawn_blocking(move || drop(scout)).await;
}
