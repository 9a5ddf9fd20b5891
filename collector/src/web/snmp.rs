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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceQuery {
    opd: Option<String>,
}

async fn devices(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<DeviceQuery>,
) -> ApiResult<impl IntoResponse> {
    let mut list = s.store.snmp_devices(q.opd.as_deref()).await?;
    list.retain(|d| c.sees(&d.opd));
    Ok(Json(list))
}

async fn interfaces(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let id: i64 = id.parse().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("path: {id:?} is not a device id (a number from /api/v1/snmp/devices)"),
        )
    })?;
    let not_found = || ApiError(StatusCode::NOT_FOUND, format!("no SNMP device {id}"));
    // Another OPD's device is "not found" to an operator, as elsewhere in the API.
    let visible = s
        .store
        .snmp_devices(None)
        .await?
        .iter()
        .any(|d| d.id == id && c.sees(&d.opd));
    if !visible {
        return Err(not_found());
    }
    match s.store.snmp_interfaces(id).await? {
        Some(ifs) => Ok(Json(ifs)),
        None => Err(not_found()),
    }
}
