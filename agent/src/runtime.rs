//! The agent's schedule: inventory at start, on change and daily; metrics every interval,
//! batched; everything through the spool to the link.

use crate::config::AgentConfig;
use crate::link::{self, LinkConfig};
use crate::source::Source;
use crate::spool::Spool;
use crate::Identity;
use pantau_proto::body::metrics::SpoolStats;
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
    let link_cfg = LinkConfig {
        identity: identity.clone(),
        broker: cfg.broker.clone(),
        hostname: first.hostname.clone(),
        roles: cfg.roles.clone(),
    };
    let link = tokio::spawn(link::run(
        link_cfg,
        spool.clone(),
        wake.clone(),
        shutdown.clone(),
    ));

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
    // Samples not yet batched are kept, not lost, when the service stops.
    if !batch.is_empty() {
        push_metrics(&cfg, batch, &identity, &spool)?;
        wake.notify_one();
    }
    let _ = link.await;
    Ok(())
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
    /// The inventory without fields that change on their own (uptime, collection time).
    fn comparable(inv: &Inventory) -> serde_json::Value {
        let mut inv = inv.clone();
        inv.collected_at = None;
        inv.uptime_s = 0;
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
