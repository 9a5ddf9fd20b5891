//! One periodic runner for every job of the collector (maintenance, reconciliation, network
//! and SNMP checks, policy, scheduled reports): take the job's lease, run, log a failure,
//! wait `every` (or until `trigger` is notified), stop when `shutdown` turns true.
//!
//! The lease ([`Store::try_job_lease`]) makes each run happen on exactly one collector when
//! several share a PostgreSQL database (issue 9): the others skip that round and try again
//! at their next one, so when the holder dies a survivor takes the job over within one
//! interval. On SQLite the lease is always granted.

use crate::store::Store;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Run `job` now and then every `every` until shutdown, each run under the lease of `name`
/// (also the name in the log).
pub async fn every<F, Fut>(
    store: Arc<dyn Store>,
    name: &'static str,
    every: Duration,
    trigger: Option<Arc<Notify>>,
    mut shutdown: watch::Receiver<bool>,
    mut job: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    loop {
        if *shutdown.borrow() {
            return;
        }
        match store.try_job_lease(name).await {
            Ok(Some(lease)) => {
                if let Err(e) = job().await {
                    tracing::error!("{name} failed (will retry): {e:#}");
                }
                lease.release().await;
            }
            Ok(None) => tracing::debug!("{name}: another collector runs it now; skipped"),
            Err(e) => tracing::error!("{name}: cannot take its lease (will retry): {e:#}"),
        }
        let notified = async {
            match &trigger {
                Some(t) => t.notified().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = notified => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn runs_at_once_on_trigger_and_stops_on_shutdown() {
        let runs = Arc::new(AtomicUsize::new(0));
        let trigger = Arc::new(Notify::new());
        let (tx, rx) = watch::channel(false);
        let r = runs.clone();
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(crate::store::sqlite::SqliteStore::open(&dir.path().join("p.db")).unwrap());
        let task = tokio::spawn(every(
            store,
            "test",
            Duration::from_secs(3600),
            Some(trigger.clone()),
            rx,
            move || {
                let r = r.clone();
                async move {
                    r.fetch_add(1, Ordering::SeqCst);
                    anyhow::bail!("a failure is logged, not fatal")
                }
            },
        ));
        while runs.load(Ordering::SeqCst) < 1 {
            tokio::task::yield_now().await;
        }
        trigger.notify_one();
        while runs.load(Ordering::SeqCst) < 2 {
            tokio::task::yield_now().await;
        }
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("stops on shutdown")
            .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
