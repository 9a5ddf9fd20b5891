//! Pushed agent configuration: `GET /api/v1/agent-config` (the layers),
//! `PUT`/`DELETE /api/v1/agent-config/global` and `/agent-config/{opd|agent}/{key}` (one
//! layer, a partial `PushedConfig` as JSON), `GET /api/v1/hosts/{agent_id}/config` (the
//! merged config). A change is published to the affected agents at once.

use super::{ApiError, ApiResult, AppState};
use crate::network::pushed::Scope;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agent-config", get(list))
        .route(
            "/api/v1/agent-config/global",
            axum::routing::put(put_global).delete(delete_global),
        )
        .route(
            "/api/v1/agent-config/{scope}/{key}",
            axum::routing::put(put).delete(delete),
        )
        .route("/api/v1/hosts/{agent_id}/config", get(merged))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct By {
    /// Who changes it (until accounts exist).
    by: String,
}

async fn list(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.store.config_layers().await?))
}

fn scope(s: &str) -> Result<Scope, ApiError> {
    match Scope::parse(s) {
        Some(Scope::Global) | None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no layer scope {s:?} (opd, agent; global has no key)"),
        )),
        Some(x) => Ok(x),
    }
}

async fn set(
    s: AppState,
    scope: Scope,
    key: &str,
    body: Option<Bytes>,
    by: &str,
) -> ApiResult<impl IntoResponse> {
    let by = super::flags::operator(by)?;
    let layer = body
        .map(|b| {
            serde_json::from_slice::<serde_json::Value>(&b).map_err(|e| {
                ApiError(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("body: line {} column {}: {e}", e.line(), e.column()),
                )
            })
        })
        .transpose()?;
    s.store.set_config_layer(scope, key, layer, by).await?;
    s.config_now.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

async fn put_global(
    State(s): State<AppState>,
    Query(q): Query<By>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    set(s, Scope::Global, "", Some(body), &q.by).await
}

async fn delete_global(
    State(s): State<AppState>,
    Query(q): Query<By>,
) -> ApiResult<impl IntoResponse> {
    set(s, Scope::Global, "", None, &q.by).await
}

async fn put(
    State(s): State<AppState>,
    Path((sc, key)): Path<(String, String)>,
    Query(q): Query<By>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    set(s, scope(&sc)?, &key, Some(body), &q.by).await
}

async fn delete(
    State(s): State<AppState>,
    Path((sc, key)): Path<(String, String)>,
    Query(q): Query<By>,
) -> ApiResult<impl IntoResponse> {
    set(s, scope(&sc)?, &key, None, &q.by).await
}

async fn merged(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    if s.store.agent(&id).await?.is_none() {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no agent {id}")));
    }
    Ok(Json(s.store.agent_config(&id).await?.unwrap_or_default()))
}
