//! The SNMP equipment mapping on the API: `GET /api/v1/snmp/equipment`, `PUT` (a JSON list
//! of rows, each added or replaced by asset key, all or none) and `DELETE
//! ?asset_key=KEY`. Register keys may hold `/`, so the key travels in the body or the query,
//! not the path. An operator sees and changes only the rows of assets in their OPDs; every
//! change is audited (the rows carry a profile name, never a secret).

use super::access::{AuditNote, Caller};
use super::{ApiError, ApiResult, AppState};
use crate::snmp::equipment::Equipment;
use crate::store::accounts::Role;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/snmp/equipment", get(list).put(put).delete(delete))
}

#[utoipa::path(
    get,
    path = "/api/v1/snmp/equipment",
    tag = "snmp",
    summary = "Register equipment polled by SNMP.",
    responses((status = 200, description = "Rows", body = serde_json::Value))
)]
async fn list(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    let mut rows = s.store.snmp_equipment().await?;
    rows.retain(|r| c.sees(&r.opd));
    Ok(Json(rows))
}

/// The OPD of each asset key, for scoping an operator's changes.
async fn opd_of(s: &AppState) -> anyhow::Result<HashMap<String, String>> {
    Ok(s.store
        .register_lines(None)
        .await?
        .into_iter()
        .map(|l| (l.key, l.kode_lokasi))
        .collect())
}

#[utoipa::path(
    put,
    path = "/api/v1/snmp/equipment",
    tag = "snmp",
    summary = "Add or replace equipment rows by asset key, all or none.",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "Rows now stored", body = serde_json::Value))
)]
async fn put(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let rows: Vec<Equipment> = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "body: line {} column {}: {e} (a list of {{asset_key, ip, port, profile, agent_id, uplinks}})",
                e.line(),
                e.column()
            ),
        )
    })?;
    if c.user.role == Role::Operator {
        let opds = opd_of(&s).await?;
        for (n, r) in rows.iter().enumerate() {
            if !opds.get(&r.asset_key).is_some_and(|o| c.sees(o)) {
                // 404, as for every other OPD's object: its existence is not revealed.
                return Err(ApiError(
                    StatusCode::NOT_FOUND,
                    format!("[{n}].asset_key: no asset {:?} in your OPDs", r.asset_key),
                ));
            }
        }
    }
    let keys: Vec<String> = rows.iter().map(|r| r.asset_key.clone()).collect();
    let detail = serde_json::to_value(&rows).ok();
    match s
        .store
        .put_snmp_equipment(rows, s.snmp_profiles.names(), c.name())
        .await?
    {
        Ok(n) => {
            s.config_now.notify_one();
            let note = AuditNote {
                target: Some(keys.join(",")),
                detail,
            };
            Ok((Extension(note), Json(serde_json::json!({ "stored": n }))))
        }
        Err(errors) => Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|e| format!("[{}].{}: {}", e.row, e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyQuery {
    asset_key: String,
}

#[utoipa::path(
    delete,
    path = "/api/v1/snmp/equipment",
    tag = "snmp",
    summary = "Stop polling one asset.",
    params(("asset_key" = String, Query, description = "Register key")),
    responses((status = 200, description = "What was removed", body = serde_json::Value))
)]
async fn delete(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<KeyQuery>,
) -> ApiResult<impl IntoResponse> {
    let not_found = || {
        ApiError(
            StatusCode::NOT_FOUND,
            format!("asset_key: no equipment {:?}", q.asset_key),
        )
    };
    let row = s
        .store
        .snmp_equipment()
        .await?
        .into_iter()
        .find(|r| r.equipment.asset_key == q.asset_key);
    match row {
        Some(r) if c.sees(&r.opd) => {}
        _ => return Err(not_found()),
    }
    if !s.store.remove_snmp_equipment(&q.asset_key).await? {
        return Err(not_found());
    }
    s.config_now.notify_one();
    let note = AuditNote {
        target: Some(q.asset_key.clone()),
        detail: None,
    };
    Ok((Extension(note), StatusCode::NO_CONTENT))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, put, delete))]
pub struct Api;
