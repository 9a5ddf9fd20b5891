//! The periodic job: fold raw points into rollups and apply retention.

use crate::store::{Retention, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(
    store: Arc<dyn Store>,
    every: Duration,
    keep: Retention,
    shutdown: watch::Receiver<bool>,
) {
    let s = store.clone();
    crate::jobs::every(store, "maintenance", every, None, shutdown, move || {
        let store = s.clone();
        async move {
            let r = store.maintain(chrono::Utc::now(), keep).await?;
            if r.points_rolled_up > 0 || r.rows_pruned > 0 {
                tracing::debug!(
                    rolled_up = r.points_rolled_up,
                    pruned = r.rows_pruned,
                    "maintenance done"
                )
            }
            Ok(())
        }
    })
    .await
}
