//! The scout inside the running agent: sweep at start and every `sweep_interval_min`, and
//! after each sweep spool a `discovery` envelope with what was seen since the last one.
//!
//! The settings come from a watch channel (`crate::pushed`: the file's `[scout]` with the
//! collector's pushed `discovery` over it), so the collector can switch the scout on or off
//! and change its pace without a restart. New settings take effect at once and start a sweep,
//! as new `net` settings start a round: the operator sees the result of a change without
//! waiting a whole interval. A new rate or interval keeps the sockets open; a new interface
//! list or `max_prefix` reopens them (which subnets are swept depends on both).

use super::{Scout, ScoutConfig};
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::Kind;
use std::sync::{Arc, Mutex};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Run the scout for as long as the agent runs, following `settings`.
pub fn spawn(
    settings: watch::Receiver<ScoutConfig>,
    identity: &Identity,
    spool: &Arc<Mutex<Spool>>,
    wake: &Arc<Notify>,
    shutdown: &watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(run(
        settings,
        Out {
            identity: identity.clone(),
            spool: spool.clone(),
            wake: wake.clone(),
        },
        shutdown.clone(),
    ))
}

/// Where reports go.
struct Out {
    identity: Identity,
    spool: Arc<Mutex<Spool>>,
    wake: Arc<Notify>,
}

async fn run(
    mut settings: watch::Receiver<ScoutConfig>,
    out: Out,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut scout: Option<Arc<Scout>> = None;
    let mut settings_alive = true;
    loop {
        let cfg = settings.borrow_and_update().clone();
        scout = adopt(scout, &cfg).await;
        let mut next = Instant::now();
        // Sweep on schedule until the settings change or the agent stops.
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(next), if scout.is_some() => {
                    let s = scout.clone().expect("guarded");
                    if !sweep(&s, &cfg, &out, &mut shutdown).await {
                        stop(scout.take()).await;
                        return;
                    }
                    next = Instant::now() + cfg.sweep_interval();
                }
                changed = settings.changed(), if settings_alive => {
                    if changed.is_err() {
                        settings_alive = false;
                        continue;
                    }
                    break;
                }
                _ = shutdown.changed() => {
                    stop(scout.take()).await;
                    return;
                }
            }
        }
    }
}

/// The scout that `cfg` asks for: the running one kept (with the new rate) when it can be,
/// stopped or (re)started otherwise. `None` when disabled or when it cannot start.
async fn adopt(current: Option<Arc<Scout>>, cfg: &ScoutConfig) -> Option<Arc<Scout>> {
    match current {
        Some(s) if cfg.enabled && !s.reopen_for(&cfg.options()) => {
            s.set_rate(cfg.rate_per_s);
            tracing::info!(
                every_min = cfg.sweep_interval_min,
                rate_per_s = cfg.rate_per_s,
                "scout settings changed"
            );
            return Some(s);
        }
        Some(s) => {
            stop(Some(s)).await;
            if !cfg.enabled {
                tracing::info!("scout stopped: discovery disabled");
            }
        }
        None => {}
    }
    if cfg.enabled {
        start(cfg).await
    } else {
        None
    }
}

async fn start(cfg: &ScoutConfig) -> Option<Arc<Scout>> {
    let opts = cfg.options();
    match tokio::task::spawn_blocking(move || Scout::start(opts)).await {
        Ok(Ok(s)) => {
            tracing::info!(
                every_min = cfg.sweep_interval_min,
                rate_per_s = cfg.rate_per_s,
                "scout started"
            );
            Some(Arc::new(s))
        }
        // Once per settings change, clearly; the rest of the agent goes on.
        Ok(Err(e)) => {
            tracing::error!("scout disabled: {e}");
            None
        }
        Err(e) => {
            tracing::error!("scout disabled: {e}");
            None
        }
    }
}

/// Close a scout's sockets. Joining its listener threads waits up to one read timeout: not
/// on the runtime's thread.
async fn stop(scout: Option<Arc<Scout>>) {
    if let Some(s) = scout {
        s.cancel();
        let _ = tokio::task::spawn_blocking(move || drop(s)).await;
    }
}

/// One sweep and its report. `false` when the agent is stopping.
async fn sweep(
    scout: &Arc<Scout>,
    cfg: &ScoutConfig,
    out: &Out,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let s = scout.clone();
    let running = tokio::task::spawn_blocking(move || s.sweep());
    let subnets = tokio::select! {
        r = running => match r {
            Ok(subnets) => subnets,
            Err(e) => {
                tracing::error!("scout: sweep failed: {e}");
                return true;
            }
        },
        _ = shutdown.changed() => {
            scout.cancel();
            return false;
        }
    };
    let mut report = scout.report(subnets);
    report.sweep_interval_min = Some(cfg.sweep_interval_min);
    tracing::debug!(devices = report.devices.len(), "scout: sweep done");
    let pushed = out
        .spool
        .lock()
        .expect("spool lock")
        .push(Kind::Discovery, |seq| {
            out.identity.envelope(seq, Kind::Discovery, &report)
        });
    match pushed {
        Ok(_) => out.wake.notify_one(),
        Err(e) => tracing::error!("scout: cannot write to spool: {e}"),
    }
    true
}
