//! The SNMP job: load every polled device, judge it (`crate::snmp`), keep the register
//! matches and sync the SNMP flag kinds. Runs every `[snmp] interval_s`, beside the
//! reconciliation and network jobs; each syncs only the kinds it owns.

use crate::snmp::{self, SnmpJudgeConfig};
use crate::store::{NetworkRun, Store};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

pub async fn run_once(
    store: &dyn Store,
    config: &SnmpJudgeConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<NetworkRun> {
    let (devices, register) = store.snmp_inputs().await?;
    let cfg = config.clone();
    let judged =
        tokio::task::spawn_blocking(move || snmp::find(&devices, &register, &cfg, now)).await?;
    let run = store
        .save_snmp(judged.findings, judged.matches, now)
        .await?;
    tracing::debug!(
        findings = run.findings,
        opened = run.opened,
        resolved = run.resolved,
        "snmp check done"
    );
    Ok(run)
}

pub async fn run_loop(
    store: Arc<dyn Store>,
    config: SnmpJudgeConfig,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(config.interval_s.max(1));
    let s = store.clone();
    crate::jobs::every(store, "snmp check", every, None, shutdown, move || {
        let (store, config) = (s.clone(), config.clone());
        async move {
            run_once(&*store, &config, Utc::now()).await?;
            Ok(())
        }
    })
    .await
}
