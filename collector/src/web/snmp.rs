//! SNMP (issue 5): polled network equipment per OPD (`GET /api/v1/snmp/devices?opd=`) and one
//! device's interfaces with utilization and errors (`/api/v1/snmp/devices/{id}/interfaces`).
//! An operator sees the devices of the OPDs they may see, like every other view.

use super::access::Caller;
use super::{ApiError, ApiResult, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/snmp/devices", get(devices))
        .route("/api/v1/snmp/devices/{id}/interfaces", get(interfaces))
        .route(
            "/api/v1/snmp/devices/{id}/interfaces/{ifindex}/history",
            get(history),
        )
}

/// `window=24h` (raw points, one per round) or `7d` (hourly rollups).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    window: Option<String>,
}

/// The span and bucket of a history window.
pub fn window(w: Option<&str>) -> Result<(chrono::Duration, i64), String> {
    match w.unwrap_or("24h") {
        "24h" => Ok((chrono::Duration::hours(24), 60)),
        "7d" => Ok((chrono::Duration::days(7), 3600)),
        other => Err(format!("window: {other:?} is not 24h or 7d")),
    }
}

/// The device if the caller may see it (another OPD's is "not found", as elsewhere).
pub async fn visible_device(
    s: &AppState,
    c: &Caller,
    id: &str,
) -> ApiResult<crate::store::sqlite::snmp::DeviceRow> {
    let id: i64 = id.parse().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("path: {id:?} is not a device id (a number from /api/v1/snmp/devices)"),
        )
    })?;
    s.store
        .snmp_devices(None)
        .await?
        .into_iter()
        .find(|d| d.id == id && c.sees(&d.opd))
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no SNMP device {id}")))
}

#[utoipa::path(
    get,
    path = "/api/v1/snmp/devices/{id}/interfaces/{ifindex}/history",
    tag = "snmp",
    summary = "An interface's utilization and errors over time.",
    params(("id" = String, Path, description = "Device id"), ("ifindex" = String, Path, description = "Interface index"), ("window" = Option<String>, Query, description = "`24h` (default) or `7d`")),
    responses((status = 200, description = "Series", body = serde_json::Value))
)]
async fn history(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path((id, ifindex)): Path<(String, String)>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<impl IntoResponse> {
    let d = visible_device(&s, &c, &id).await?;
    let ifindex: u32 = ifindex.parse().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("path: {ifindex:?} is not an ifIndex (a number)"),
        )
    })?;
    let (span, step) =
        window(q.window.as_deref()).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e))?;
    let known = s
        .store
        .snmp_interfaces(d.id)
        .await?
        .unwrap_or_default()
        .iter()
        .any(|i| i.index == ifindex);
    if !known {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("device {} has no interface {ifindex}", d.id),
        ));
    }
    let to = chrono::Utc::now() + chrono::Duration::seconds(1);
    let (resolution, series) = s
        .store
        .snmp_history(d.id, ifindex, to - span, to, step)
        .await?;
    Ok(Json(serde_json::json!({
        "device_id": d.id,
        "if_index": ifindex,
        "window": q.window.as_deref().unwrap_or("24h"),
        "step_s": step,
        "resolution": resolution,
        "series": series,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceQuery {
    opd: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/snmp/devices",
    tag = "snmp",
    summary = "SNMP devices polled.",
    params(("opd" = Option<String>, Query, description = "Kode lokasi")),
    responses((status = 200, description = "Devices", body = serde_json::Value))
)]
async fn devices(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<DeviceQuery>,
) -> ApiResult<impl IntoResponse> {
    let mut list = s.store.snmp_devices(q.opd.as_deref()).await?;
    list.retain(|d| c.sees(&d.opd));
    Ok(Json(list))
}

#[utoipa::path(
    get,
    path = "/api/v1/snmp/devices/{id}/interfaces",
    tag = "snmp",
    summary = "A device's interfaces.",
    params(("id" = String, Path, description = "Device id")),
    responses((status = 200, description = "Interfaces", body = serde_json::Value))
)]
async fn interfaces(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let d = visible_device(&s, &c, &id).await?;
    match s.store.snmp_interfaces(d.id).await? {
        Some(ifs) => Ok(Json(ifs)),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no SNMP device {}", d.id),
        )),
    }
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(devices, interfaces, history))]
pub struct Api;
