//! The reconciliation job: load a snapshot from the store, run the engine, store the result
//! and bring flags in line. Runs every `reconcile_interval_s`, after each register import
//! made through the API, and on demand (`pantau-collector reconcile`).

use crate::reconcile::condition::{self, ConditionConfig};
use crate::reconcile::{self, HostOutcome, Inputs, RuleConfig};
use crate::store::{RunReport, Store};
use chrono::Utc;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// What the job needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub rules: RuleConfig,
    pub condition: ConditionConfig,
}

/// One full run.
pub async fn run_once(store: &dyn Store, settings: &Settings) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let now = Utc::now();
    let loaded = store.reconcile_inputs().await?;
    let settings = settings.clone();
    let (result, suggested, mut report) = tokio::task::spawn_blocking(move || {
        let mut hosts = loaded.hosts;
        for (h, rec) in hosts.iter_mut().zip(&loaded.health) {
            h.suggestion = rec.as_ref().map(|r| {
                condition::suggest(&r.health, r.battery.as_ref(), now, &settings.condition)
            });
        }
        let inputs = Inputs {
            assets: loaded.assets,
            hosts,
            decisions: loaded.decisions,
            config: settings.rules,
            now,
        };
        let result = reconcile::reconcile(&inputs);
        let by_agent: HashMap<&str, &reconcile::HostFacts> = inputs
            .hosts
            .iter()
            .map(|h| (h.agent_id.as_str(), h))
            .collect();
        let mut suggested = HashMap::new();
        let mut report = RunReport {
            at: now,
            hosts: inputs.hosts.len(),
            assets: inputs.assets.len(),
            ..Default::default()
        };
        for h in &result.hosts {
            match &h.outcome {
                HostOutcome::Matched { asset_key, .. } => {
                    report.matched += 1;
                    if let Some(s) = by_agent
                        .get(h.agent_id.as_str())
                        .and_then(|f| f.suggestion.clone())
                    {
                        suggested.insert(asset_key.clone(), s);
                    }
                }
                HostOutcome::Review { .. } => report.review += 1,
                HostOutcome::Unregistered => report.unregistered += 1,
            }
        }
        report.silent = result.assets.iter().filter(|a| a.silent).count();
        (result, suggested, report)
    })
    .await?;
    report.duration_ms = started.elapsed().as_millis() as u64;
    let report = store.save_reconciliation(result, suggested, report).await?;
    tracing::info!(
        matched = report.matched,
        review = report.review,
        unregistered = report.unregistered,
        silent = report.silent,
        opened = report.opened,
        reopened = report.reopened,
        resolved = report.resolved,
        ms = report.duration_ms,
        "reconciliation done"
    );
    Ok(report)
}

/// Run every `every`, and as soon as `trigger` is notified (register import, decision),
/// until `shutdown` turns true.
pub async fn run_loop(
    store: Arc<dyn Store>,
    settings: Settings,
    every: Duration,
    trigger: Arc<Notify>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let s = store.clone();
    crate::jobs::every(
        store,
        "reconciliation",
        every,
        Some(trigger),
        shutdown,
        move || {
            let (store, settings) = (s.clone(), settings.clone());
            async move {
                run_once(&*store, &settings).await?;
                Ok(())
            }
        },
    )
    .await
}
