//! Flags: `GET /api/v1/flags`, `GET /api/v1/flags/{id}`, `POST /api/v1/flags/{id}/ack` and
//! `/resolve`. Until accounts exist (dashboard issue), the operator names themself in `by`.

use super::{ApiError, ApiResult, AppState};
use crate::store::{FlagAction, FlagFilter};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/flags", get(list))
        .route("/api/v1/flags/{id}", get(one))
        .route("/api/v1/flags/{id}/ack", post(ack))
        .route("/api/v1/flags/{id}/resolve", post(resolve))
}

async fn list(
    State(s): State<AppState>,
    Query(filter): Query<FlagFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.store.flags(filter).await?))
}

async fn one(State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<impl IntoResponse> {
    match s.store.flag(id).await? {
        Some(f) => Ok(Json(f)),
        None => Err(ApiError(StatusCode::NOT_FOUND, format!("no flag {id}"))),
    }
}

/// Body of ack and resolve.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Who acts (until accounts exist).
    pub by: String,
    pub note: Option<String>,
}

/// The name an operator acts under: not empty, and not the collector's own.
pub fn operator(by: &str) -> Result<&str, ApiError> {
    let by = by.trim();
    if by.is_empty() || by == crate::store::SYSTEM_ACTOR {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "by: name the person acting (not empty, not {:?})",
                crate::store::SYSTEM_ACTOR
            ),
        ));
    }
    Ok(by)
}

async fn act(
    s: AppState,
    id: i64,
    action: FlagAction,
    body: ActionBody,
) -> ApiResult<impl IntoResponse> {
    let by = operator(&body.by)?;
    match s
        .store
        .flag_action(id, action, by, body.note.as_deref())
        .await?
    {
        Some(f) => Ok(Json(f)),
        None => Err(ApiError(StatusCode::NOT_FOUND, format!("no flag {id}"))),
    }
}

async fn ack(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ActionBody>,
) -> ApiResult<impl IntoResponse> {
    act(s, id, FlagAction::Ack, body).await
}

async fn resolve(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<ActionBody>,
) -> ApiResult<impl IntoResponse> {
    act(s, id, FlagAction::Resolve, body).await
}
