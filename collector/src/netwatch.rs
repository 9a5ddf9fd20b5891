//! The network job: load a snapshot, judge it (`crate::network`), sync the network flags.
//! Runs every `[network] interval_s`, beside reconciliation; each job syncs only the flag
//! kinds it owns, so neither resolves the other's flags.

use crate::network::{self, NetworkConfig};
use crate::store::{NetworkRun, Store};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

/// One run at `now`.
pub async fn run_once(
    store: &dyn Store,
    config: &NetworkConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let inputs = store.network_inputs(now, config).await?;
    let judged = tokio::task::spawn_blocking(move || network::find(&inputs)).await?;
    let run = store
        .save_network(judged.findings, judged.degraded, now)
        .await?;
    tracing::debug!(
        findings = run.findings,
        opened = run.opened,
        reopened = run.reopened,
        resolved = run.resolved,
        "network check done"
    );
    Ok(run)
}

pub async fn run_loop(
    store: Arc<dyn Store>,
    config: NetworkConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(config.interval_s.max(1));
    let s = store.clone();
    crate::jobs::every(store, "network check", every, None, shutdown, move || {
        let (store, config) = (s.clone(), config.clone());
        async move {
            run_once(&*store, &config, Utc::now()).await?;
            Ok(())
        }
    })
    .await
}
