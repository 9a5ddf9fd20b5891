//! Register import and export: `POST /api/v1/assets/import`, `GET /api/v1/assets/export`.

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
