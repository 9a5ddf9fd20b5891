//! The periodic job: fold raw points into rollups and apply retention.

use crate::store::{Retention, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(
    store: Arc<dyn Store>,
    every: Duration,
    keep: Retention,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match store.maintain(chrono::Utc::now(), keep).await {
            Ok(r) if r.points_rolled_up > 0 || r.rows_pruned > 0 => {
                tracing::debug!(
                    rolled_up = r.points_rolled_up,
                    pruned = r.rows_pruned,
                    "maintenance done"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!("maintenance failed (will retry): {e:#}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}
