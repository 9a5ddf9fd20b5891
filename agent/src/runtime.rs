//! The agent's schedule: inventory at start, on change and daily; metrics every interval,
//! batched; everything through the spool to the link.

use crate::config::AgentConfig;
use crate::link::{self, LinkConfig};
use crate::net::NetProber;
use crate::source::Source;
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::body::config::NetProbeConfig;
use pantau_proto::body::metrics::SpoolStats;
use pantau_proto::body::net::NetReport;
use pantau_proto::body::{Inventory, MetricsBatch, Sample};
use pantau_proto::Kind;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};
use tokio::time::MissedTickBehavior;

/// Run one agent until `shutdown` turns true.
pub async fn run(
    cfg: AgentConfig,
    identity: Identity,
    mut source: Box<dyn Source>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.state_dir)
        .map_err(|e| anyhow::anyhow!("cannot create state_dir {}: {e}", cfg.state_dir.display()))?;
    let spool = Spool::open(&cfg.state_dir, cfg.spool.max_bytes)
        .map_err(|e| anyhow::anyhow!("cannot open spool in {}: {e}", cfg.state_dir.display()))?;
    if !spool.is_empty() {
        tracing::info!(queued = spool.len(), "replaying spooled envelopes");
    }
    let spool = Arc::new(Mutex::new(spool));
    let wake = Arc::new(Notify::new());

    let first = with_host_id(source.inventory(), &cfg.state_dir);
    let (pushed_tx, pushed_rx) = watch::channel(None);
    let link_cfg = LinkConfig {
        identity: identity.clone(),
        broker: cfg.broker.clone(),
        hostname: first.hostname.clone(),
        roles: cfg.roles.clone(),
        pushed: Some(pushed_tx),
    };
    let link = tokio::spawn(link::run(
        link_cfg,
        spool.clone(),
        wake.clone(),
        shutdown.clone(),
    ));

    let file = crate::pushed::Settings {
        net: cfg.net.probe_config(),
        scout: cfg.scout.clone(),
        snmp: cfg.snmp.clone(),
    };
    let (pushed, pushed_task) =
        crate::pushed::spawn(file, &cfg.state_dir, pushed_rx, shutdown.clone());
    // Simulated machines never open raw sockets, whatever a pushed config says.
    let scout = source
        .real_network()
        .then(|| crate::scout::task::spawn(pushed.scout, &identity, &spool, &wake, &shutdown));
    let poller = cfg.roles.iter().any(|r| r == "poller").then(|| {
        tokio::spawn(crate::snmp::task::run(
            crate::snmp::task::SnmpTask {
                identity: identity.clone(),
                spool: spool.clone(),
                wake: wake.clone(),
            },
            pushed.snmp,
            shutdown.clone(),
        ))
    });
    let net = (cfg.net.enabled && source.real_network()).then(|| {
        tokio::spawn(net_loop(
            NetTask {
                root: cfg.root.clone(),
                identity: identity.clone(),
                spool: spool.clone(),
                wake: wake.clone(),
            },
            pushed.net,
            shutdown.clone(),
        ))
    });

    // Like `net`: a simulated machine must not report the processes of the machine it runs on.
    let usage = (cfg.usage.enabled && source.real_network()).then(|| {
        crate::usage::task::spawn(
            crate::usage::task::UsageTask {
                root: cfg.root.clone(),
                config: cfg.usage.clone(),
                identity: identity.clone(),
                spool: spool.clone(),
                wake: wake.clone(),
            },
            shutdown.clone(),
        )
    });

    let mut inv = InventoryState::default();
    inv.offer(first, &identity, &spool, &wake)?;

    let mut metrics_tick = tokio::time::interval(cfg.metrics_interval());
    metrics_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    metrics_tick.tick().await; // the first tick is immediate; the first sample is one interval later
    let mut inv_tick = tokio::time::interval(Duration::from_secs(cfg.inventory.check_interval_s));
    inv_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    inv_tick.tick().await;
    let full_every = Duration::from_secs(cfg.inventory.full_interval_s);
    let mut batch: Vec<Sample> = Vec::with_capacity(cfg.metrics.batch);

    loop {
        tokio::select! {
            _ = metrics_tick.tick(), if cfg.metrics.enabled => {
                batch.push(source.sample());
                if batch.len() >= cfg.metrics.batch {
                    let samples = std::mem::replace(&mut batch, Vec::with_capacity(cfg.metrics.batch));
                    push_metrics(&cfg, samples, &identity, &spool)?;
                    wake.notify_one();
                }
            }
            _ = inv_tick.tick() => {
                let now = with_host_id(source.inventory(), &cfg.state_dir);
                if inv.due(full_every) || inv.changed(&now) {
                    inv.offer(now, &identity, &spool, &wake)?;
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    // Only reached on a requested stop: an error above returns early and counts as unclean.
    source.stop();
    // Samples not yet batched are kept, not lost, when the service stops.
    if !batch.is_empty() {
        push_metrics(&cfg, batch, &identity, &spool)?;
        wake.notify_one();
    }
    if let Some(scout) = scout {
        let _ = scout.await;
    }
    if let Some(net) = net {
        let _ = net.await;
    }
    if let Some(poller) = poller {
        let _ = poller.await;
    }
    if let Some(usage) = usage {
        let _ = usage.await;
    }
    let _ = pushed_task.await;
    let _ = link.await;
    Ok(())
}

/// What the `net` schedule needs.
struct NetTask {
    root: std::path::PathBuf,
    identity: Identity,
    spool: Arc<Mutex<Spool>>,
    wake: Arc<Notify>,
}

impl NetTask {
    fn push(&self, report: &NetReport) {
        let pushed = self
            .spool
            .lock()
            .expect("spool lock")
            .push(Kind::Net, |seq| {
                self.identity.envelope(seq, Kind::Net, report)
            });
        match pushed {
            Ok(_) => self.wake.notify_one(),
            Err(e) => tracing::error!("cannot write the net report to the spool: {e}"),
        }
    }
}

/// Network health rounds every `interval_s`, the first one at start. New settings (from a
/// pushed config, see `crate::pushed`) take effect at once and start a round.
async fn net_loop(
    task: NetTask,
    mut settings: watch::Receiver<NetProbeConfig>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut current = settings.borrow_and_update().clone();
    let prober = NetProber::new(task.root.clone());
    let mut next = tokio::time::Instant::now();
    let mut pushed_alive = true;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {
                let report = tokio::select! {
                    r = prober.round(&current) => r,
                    _ = shutdown.changed() => return,
                };
                task.push(&report);
                next = tokio::time::Instant::now() + Duration::from_secs(current.interval_s);
            }
            changed = settings.changed(), if pushed_alive => {
                if changed.is_err() {
                    pushed_alive = false;
                    continue;
                }
                current = settings.borrow_and_update().clone();
                next = tokio::time::Instant::now();
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// When the machine offers nothing stable to derive an identity from (no DMI, no physical
/// NIC, no machine-id), the agent makes one up once and keeps it in its state folder.
fn with_host_id(mut inv: Inventory, state_dir: &std::path::Path) -> Inventory {
    if inv.host_id.is_empty() {
        let path = state_dir.join("host_id");
        let id = std::fs::read_to_string(&path)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                let id = format!(
                    "r-{}",
                    &pantau_proto::AgentKey::generate().public().to_base64()[..16]
                )
                .replace(['+', '/'], "x");
                if let Err(e) = crate::spool::write_atomic(&path, id.as_bytes()) {
                    tracing::warn!("cannot keep host id in {}: {e}", path.display());
                }
                id
            });
        inv.host_id = id;
    }
    inv
}

fn push_metrics(
    cfg: &AgentConfig,
    samples: Vec<Sample>,
    identity: &Identity,
    spool: &Mutex<Spool>,
) -> anyhow::Result<()> {
    let mut spool = spool.lock().expect("spool lock");
    let stats = SpoolStats {
        queued: spool.len() as u64,
        queued_bytes: spool.queued_bytes(),
        dropped_total: spool.dropped_total(),
    };
    let body = MetricsBatch {
        interval_s: cfg.metrics.interval_s as u32,
        samples,
        spool: stats,
    };
    spool
        .push(Kind::Metrics, |seq| {
            identity.envelope(seq, Kind::Metrics, &body)
        })
        .map_err(|e| anyhow::anyhow!("cannot write to spool: {e}"))?;
    Ok(())
}

/// Remembers the last inventory sent, to send again only on change or when a full one is due.
#[derive(Default)]
struct InventoryState {
    last: Option<serde_json::Value>,
    sent_at: Option<Instant>,
}

impl InventoryState {
    /// The inventory without fields that change on their own: uptime, collection time, and
    /// health figures that creep (power-on hours, temperatures, the throttle counter). Those
    /// would re-send the inventory at every check; a new error count, a changed SMART
    /// verdict, a sensor over its critical limit or a new unclean shutdown still count.
    fn comparable(inv: &Inventory) -> serde_json::Value {
        let mut inv = inv.clone();
        inv.collected_at = None;
        inv.uptime_s = 0;
        for d in &mut inv.health.disks {
            d.power_on_hours = None;
            d.temperature_c = None;
        }
        inv.health.thermal.max_temp_c = None;
        inv.health.thermal.throttle_events = None;
        serde_json::to_value(inv).expect("inventory serializes")
    }

    fn changed(&self, now: &Inventory) -> bool {
        self.last.as_ref() != Some(&Self::comparable(now))
    }

    fn due(&self, every: Duration) -> bool {
        self.sent_at.is_none_or(|t| t.elapsed() >= every)
    }

    fn offer(
        &mut self,
        inv: Inventory,
        identity: &Identity,
        spool: &Mutex<Spool>,
        wake: &Notify,
    ) -> anyhow::Result<()> {
        spool
            .lock()
            .expect("spool lock")
            .push(Kind::Inventory, |seq| {
                identity.envelope(seq, Kind::Inventory, &inv)
            })
            .map_err(|e| anyhow::anyhow!("cannot write to spool: {e}"))?;
        self.last = Some(Self::comparable(&inv));
        self.sent_at = Some(Instant::now());
        wake.notify_one();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pantau_proto::body::health::DiskHealth;

    fn state_for(inv: &Inventory) -> InventoryState {
        InventoryState {
            last: Some(InventoryState::comparable(inv)),
            sent_at: Some(Instant::now()),
        }
    }

    #[test]
    fn creeping_health_is_not_a_change() {
        let mut inv = Inventory::default();
        inv.health.disks.push(DiskHealth {
            name: "sda".into(),
            smart_passed: Some(true),
            reallocated_sectors: Some(0),
            power_on_hours: Some(100),
            temperature_c: Some(35.0),
            io_errors: Some(0),
            ..DiskHealth::default()
        });
        inv.health.thermal.max_temp_c = Some(50.0);
        inv.health.thermal.throttle_events = Some(3);
        let state = state_for(&inv);

        let mut later = inv.clone();
        later.uptime_s = 9_999;
        later.health.disks[0].power_on_hours = Some(107);
        later.health.disks[0].temperature_c = Some(41.0);
        later.health.thermal.max_temp_c = Some(71.5);
        later.health.thermal.throttle_events = Some(40);
        assert!(!state.changed(&later));

        let changes: [fn(&mut Inventory); 5] = [
            |i| i.health.disks[0].reallocated_sectors = Some(8),
            |i| i.health.disks[0].smart_passed = Some(false),
            |i| i.health.disks[0].io_errors = Some(2),
            |i| i.health.thermal.sensors_over_critical = 1,
            |i| {
                i.health.shutdowns.unclean_total += 1;
                i.health.shutdowns.unclean_recent.push(chrono::Utc::now());
            },
        ];
        for (n, change) in changes.iter().enumerate() {
            let mut next = later.clone();
            change(&mut next);
            assert!(state.changed(&next), "change {n} must re-send");
        }
    }
}
