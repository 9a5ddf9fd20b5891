//! Hosts: the list, one host, its metrics; `/api/v1/health`.

use super::access::Caller;
use super::{ApiError, ApiResult, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/hosts", get(hosts))
        .route("/api/v1/hosts/{agent_id}", get(host))
        .route("/api/v1/hosts/{agent_id}/metrics", get(metrics))
}

#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "hosts",
    summary = "Liveness: the collector can read its database.",
    responses((status = 200, description = "`{status, version}`", body = serde_json::Value))
)]
async fn health(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    // Touch the database so "healthy" means the collector can really serve.
    s.store.hosts_by_opd().await?;
    Ok(Json(
        json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
    ))
}

/// Hosts the caller may see: an operator's OPDs only.
async fn visible_hosts(s: &AppState, c: &Caller) -> anyhow::Result<Vec<crate::store::HostSummary>> {
    let mut hosts = s.store.hosts().await?;
    hosts.retain(|h| c.sees(&h.opd));
    Ok(hosts)
}

/// The enrolled agent `id` if the caller may see it; another OPD's is "not found" too.
pub async fn visible_agent(
    s: &AppState,
    c: &Caller,
    id: &str,
) -> ApiResult<crate::store::EnrolledAgent> {
    match s.store.agent(id).await? {
        Some(a) if c.sees(&a.opd) => Ok(a),
        _ => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no host with agent_id {id:?}"),
        )),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/hosts",
    tag = "hosts",
    summary = "Hosts the caller may see, with their latest utilization.",
    responses((status = 200, description = "Host summaries", body = serde_json::Value))
)]
async fn hosts(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(visible_hosts(&s, &c).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/hosts/{agent_id}",
    tag = "hosts",
    summary = "One host: inventory, delivery figures, status.",
    params(("agent_id" = String, Path, description = "Agent id")),
    responses((status = 200, description = "The host", body = serde_json::Value))
)]
async fn host(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    match s.store.host(&id).await? {
        Some(h) if c.sees(&h.summary.opd) => Ok(Json(h)),
        _ => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no host with agent_id {id:?}"),
        )),
    }
}

#[derive(Deserialize)]
struct MetricsQuery {
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    /// Comma-separated series names (`cpu,mem`); all when absent.
    name: Option<String>,
}

fn parse_time(field: &str, v: &Option<String>, default: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    match v {
        None => Ok(default),
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .or_else(|_| {
                t.parse::<i64>()
                    .map_err(|_| ())
                    .and_then(|s| DateTime::from_timestamp(s, 0).ok_or(()))
            })
            .map_err(|_| {
                ApiError(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "query parameter `{field}`: {t:?} is neither RFC 3339 nor Unix seconds"
                    ),
                )
            }),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/hosts/{agent_id}/metrics",
    tag = "hosts",
    summary = "A host's utilization series.",
    params(("agent_id" = String, Path, description = "Agent id"), ("from" = Option<String>, Query, description = "Start, RFC 3339 or Unix seconds (default: 24 h before `to`)"), ("to" = Option<String>, Query, description = "End, RFC 3339 or Unix seconds (default: now)"), ("step" = Option<String>, Query, description = "Seconds between points"), ("name" = Option<String>, Query, description = "Comma-separated series names (`cpu,mem`)")),
    responses((status = 200, description = "`{agent_id, from, to, step, resolution, series}`", body = serde_json::Value))
)]
async fn metrics(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(q): Query<MetricsQuery>,
) -> ApiResult<impl IntoResponse> {
    let now = Utc::now();
    let to = parse_time("to", &q.to, now)?;
    let from = parse_time("from", &q.from, to - chrono::Duration::hours(24))?;
    if from >= to {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            "`from` must be before `to`".into(),
        ));
    }
    let step = match &q.step {
        Some(v) => v.parse::<i64>().ok().filter(|s| *s > 0).ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                format!("query parameter `step`: {v:?} is not a positive number of seconds"),
            )
        })?,
        // About 300 points across the range, on a round step.
        None => ((to - from).num_seconds() / 300).max(30),
    };
    visible_agent(&s, &c, &id).await?;
    let names: Vec<String> = q
        .name
        .as_deref()
        .map(|n| {
            n.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let (resolution, series) = s.store.series(&id, from, to, step, &names).await?;
    Ok(Json(json!({
        "agent_id": id, "from": from, "to": to, "step": step,
        "resolution": resolution, "series": series,
    })))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(health, hosts, host, metrics))]
pub struct Api;
