//! Pushed agent configuration: `GET /api/v1/agent-config` (the layers),
//! `PUT`/`DELETE /api/v1/agent-config/global` and `/agent-config/{opd|agent}/{key}` (one
//! layer, a partial `PushedConfig` as JSON), `GET /api/v1/hosts/{agent_id}/config` (the
//! merged config). A change is published to the affected agents at once.

use super::access::{AuditNote, Caller};
use super::{ApiError, ApiResult, AppState};
use crate::network::pushed::Scope;
use crate::store::accounts::Role;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
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
    /// Ignored: the signed-in user changes it. Kept so older clients still work.
    #[serde(default, rename = "by")]
    _by: Option<serde::de::IgnoredAny>,
}

/// Whether the caller may see (and, if they may write at all, change) a layer: the global
/// one is seen by all and changed by admins (the route says so); an OPD layer by that OPD's
/// operators; an agent layer by the operators of the agent's OPD.
async fn layer_visible(s: &AppState, c: &Caller, scope: Scope, key: &str) -> anyhow::Result<bool> {
    if c.user.role != Role::Operator {
        return Ok(true);
    }
    Ok(match scope {
        Scope::Global => true,
        Scope::Opd => c.sees(key),
        Scope::Agent => s.store.agent(key).await?.is_some_and(|a| c.sees(&a.opd)),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/agent-config",
    tag = "agent-config",
    summary = "The pushed configuration layers.",
    responses((status = 200, description = "Layers", body = serde_json::Value))
)]
async fn list(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    let mut out = Vec::new();
    for l in s.store.config_layers().await? {
        if layer_visible(&s, &c, l.scope, &l.key).await? {
            let mut l = l;
            crate::snmp::redact_secrets(&mut l.layer);
            out.push(l);
        }
    }
    Ok(Json(out))
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
    c: Caller,
    scope: Scope,
    key: &str,
    body: Option<Bytes>,
) -> ApiResult<impl IntoResponse> {
    if !layer_visible(&s, &c, scope, key).await? {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no {} {key:?}", scope.name()),
        ));
    }
    let by = super::flags::operator(c.name())?;
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
    // The audit log is read by auditors: credentials in a layer are shown there as `***`.
    let mut detail = layer.clone();
    if let Some(d) = detail.as_mut() {
        crate::snmp::redact_secrets(d);
    }
    let note = AuditNote {
        target: Some(format!("{}/{key}", scope.name())),
        detail,
    };
    s.store
        .set_config_layer(scope, key, layer, by, &s.snmp_profiles.names())
        .await?;
    s.config_now.notify_one();
    Ok((Extension(note), StatusCode::NO_CONTENT))
}

#[utoipa::path(
    put,
    path = "/api/v1/agent-config/global",
    tag = "agent-config",
    summary = "Set the city-wide layer (admin).",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 204, description = "Stored and published to the affected agents"))
)]
async fn put_global(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(_): Query<By>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    set(s, c, Scope::Global, "", Some(body)).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/agent-config/global",
    tag = "agent-config",
    summary = "Clear the city-wide layer (admin).",
    responses((status = 204, description = "Cleared and published to the affected agents"))
)]
async fn delete_global(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(_): Query<By>,
) -> ApiResult<impl IntoResponse> {
    set(s, c, Scope::Global, "", None).await
}

#[utoipa::path(
    put,
    path = "/api/v1/agent-config/{scope}/{key}",
    tag = "agent-config",
    summary = "Set an OPD's or an agent's layer.",
    params(("scope" = String, Path, description = "`opd` or `agent`"), ("key" = String, Path, description = "Kode lokasi or agent id")),
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 204, description = "Stored and published to the affected agents"))
)]
async fn put(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((sc, key)): Path<(String, String)>,
    Query(_): Query<By>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    set(s, c, scope(&sc)?, &key, Some(body)).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/agent-config/{scope}/{key}",
    tag = "agent-config",
    summary = "Clear an OPD's or an agent's layer.",
    params(("scope" = String, Path, description = "`opd` or `agent`"), ("key" = String, Path, description = "Kode lokasi or agent id")),
    responses((status = 204, description = "Cleared and published to the affected agents"))
)]
async fn delete(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((sc, key)): Path<(String, String)>,
    Query(_): Query<By>,
) -> ApiResult<impl IntoResponse> {
    set(s, c, scope(&sc)?, &key, None).await
}

#[utoipa::path(
    get,
    path = "/api/v1/hosts/{agent_id}/config",
    tag = "agent-config",
    summary = "The configuration an agent receives (layers merged).",
    params(("agent_id" = String, Path, description = "Agent id")),
    responses((status = 200, description = "The merged config", body = serde_json::Value))
)]
async fn merged(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    super::hosts::visible_agent(&s, &c, &id).await?;
    let merged = s.store.agent_config(&id).await?.unwrap_or_default();
    let mut v = serde_json::to_value(merged).map_err(anyhow::Error::from)?;
    crate::snmp::redact_secrets(&mut v);
    Ok(Json(v))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, put_global, delete_global, put, delete, merged))]
pub struct Api;
