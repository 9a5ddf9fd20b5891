//! One periodic runner for the collector's jobs: run, log a failure, wait `every` (or until
//! `trigger` is notified), stop when `shutdown` turns true. The policy job uses it; the
//! older jobs (reconciler, netwatch, snmpwatch, maintain) still carry their own loops.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Run `job` now and then every `every` until shutdown. `name` is for the log.
pub async fn every<F, Fut>(
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
        if let Err(e) = job().await {
            tracing::error!("{name} failed (will retry): {e:#}");
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
        let task = tokio::spawn(every(
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
