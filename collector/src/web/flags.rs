//! Flags: `GET /api/v1/flags`, `POST /api/v1/flags/{id}/ack|resolve`.

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
