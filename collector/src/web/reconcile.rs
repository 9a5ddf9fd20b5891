//! Reconciliation: summary, review queue, link/unlink/confirm.

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
