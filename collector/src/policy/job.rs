//! The policy job: load the policy in force and a snapshot of usage, evaluate, sync the
//! policy flag kinds. Runs every `policy_interval_s` (through `crate::jobs`) and right after
//! a policy is applied through the API.

use super::eval;
use super::Policy;
use crate::store::{NetworkRun, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One applied policy.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyVersion {
    /// 0 for the built-in default.
    pub version: i64,
    pub sha256: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    pub applied_by: String,
    pub applied_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The policy in force: the newest stored version, or the built-in default (version 0).
/// A stored text that no longer parses (written by a newer collector) is an error, not a
/// silent fallback.
pub async fn in_force(store: &dyn Store) -> anyhow::Result<(Policy, PolicyVersion)> {
    match store.policy_versions().await?.pop() {
        Some(v) => {
            let p = Policy::parse(&v.text).map_err(|e| {
                anyhow::anyhow!(
                    "stored policy version {} does not parse:\n{}",
                    v.version,
                    super::describe("policy", &e)
                )
            })?;
            Ok((p, v))
        }
        None => {
            let p = Policy::default_policy();
            let v = PolicyVersion {
                version: 0,
                sha256: p.sha256.clone(),
                text: p.text.clone(),
                applied_by: crate::store::SYSTEM_ACTOR.into(),
                applied_at: DateTime::UNIX_EPOCH,
                note: Some("kebijakan bawaan / built-in default".into()),
            };
            Ok((p, v))
        }
    }
}

/// Hosts read from the store per page: bounds the job's memory (a host's facts with 1,500
/// packages are a few hundred kB in memory).
pub const PAGE: usize = 500;

/// What `policy` would find now, without storing anything.
pub async fn findings(
    store: &dyn Store,
    policy: &Policy,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<crate::reconcile::Finding>> {
    let from = now - chrono::Duration::seconds(policy.file.sustained.lookback_s as i64);
    let policy = std::sync::Arc::new(policy.clone());
    // The evaluator (and its caches) lives on a blocking thread; pages are sent to it.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<eval::HostInput>>(1);
    let p = policy.clone();
    let worker = tokio::task::spawn_blocking(move || {
        let mut e = eval::Evaluator::new(&p, now);
        let mut out = Vec::new();
        while let Some(page) = rx.blocking_recv() {
            e.page(&page, &mut out);
        }
        out
    });
    let mut after = String::new();
    loop {
        let page = store.usage_inputs(from, &after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.agent_id.clone();
        let full = page.len() == PAGE;
        if tx.send(page).await.is_err() || !full {
            break;
        }
    }
    drop(tx);
    Ok(worker.await?)
}

/// One run with the policy in force.
pub async fn run_once(store: &dyn Store, now: DateTime<Utc>) -> anyhow::Result<NetworkRun> {
    let (policy, version) = in_force(store).await?;
    let found = findings(store, &policy, now).await?;
    let run = store.save_policy_run(found, now).await?;
    tracing::debug!(
        version = version.version,
        findings = run.findings,
        opened = run.opened,
        reopened = run.reopened,
        resolved = run.resolved,
        "policy check done"
    );
    Ok(run)
}
