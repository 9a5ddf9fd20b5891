//! Flags: `GET /api/v1/flags`, `GET /api/v1/flags/{id}`, `POST /api/v1/flags/{id}/ack` and
//! `/resolve`. The actor is the signed-in user; a `by` in the body is accepted for older
//! clients and ignored. An operator sees and acts on their OPDs' flags only.

use super::access::{AuditNote, Caller};
use super::{ApiError, ApiResult, AppState};
use crate::store::{FlagAction, FlagFilter};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/flags", get(list))
        .route("/api/v1/flags/{id}", get(one))
        .route("/api/v1/flags/{id}/ack", post(ack))
        .route("/api/v1/flags/{id}/resolve", post(resolve))
}

#[utoipa::path(
    get,
    path = "/api/v1/flags",
    tag = "flags",
    summary = "Flags the caller may see.",
    params(("state" = Option<String>, Query, description = "`open`, `acknowledged`, `resolved`, comma separated (default open and acknowledged)"), ("kind" = Option<String>, Query, description = "Flag kind"), ("opd" = Option<String>, Query, description = "Kode lokasi of the OPD"), ("subject" = Option<String>, Query, description = "Subject (agent id, asset key, MAC, ...)"), ("limit" = Option<u32>, Query, minimum = 0, maximum = 4294967295.0, description = "Most rows returned")),
    responses((status = 200, description = "Flags, newest first", body = serde_json::Value))
)]
async fn list(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(filter): Query<FlagFilter>,
) -> ApiResult<impl IntoResponse> {
    let mut flags = s.store.flags(filter).await?;
    flags.retain(|f| c.sees(&f.opd));
    Ok(Json(flags))
}

/// The flag if the caller may see it; another OPD's is "not found" too.
pub async fn visible(s: &AppState, c: &Caller, id: i64) -> ApiResult<crate::store::Flag> {
    match s.store.flag(id).await? {
        Some(f) if c.sees(&f.opd) => Ok(f),
        _ => Err(ApiError(StatusCode::NOT_FOUND, format!("no flag {id}"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/flags/{id}",
    tag = "flags",
    summary = "One flag with its evidence.",
    params(("id" = i64, Path, description = "Flag id")),
    responses((status = 200, description = "The flag", body = serde_json::Value))
)]
async fn one(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(visible(&s, &c, id).await?))
}

/// Body of ack and resolve.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Ignored: the signed-in user acts. Kept so clients written before accounts still work.
    #[serde(default, rename = "by")]
    #[schema(value_type = Option<String>, rename = "by")]
    pub _by: Option<serde::de::IgnoredAny>,
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

/// Acknowledge or resolve as the caller, with what the audit log records of it. Shared by
/// the API and the flags page's forms.
pub async fn apply(
    s: &AppState,
    c: &Caller,
    id: i64,
    action: FlagAction,
    note: Option<&str>,
) -> ApiResult<(crate::store::Flag, AuditNote)> {
    visible(s, c, id).await?;
    let by = operator(c.name())?;
    match s.store.flag_action(id, action, by, note).await? {
        Some(f) => {
            let audit = AuditNote {
                target: Some(format!("flag {id} ({} {})", f.kind, f.subject)),
                detail: Some(serde_json::json!({ "note": note, "opd": f.opd })),
            };
            Ok((f, audit))
        }
        None => Err(ApiError(StatusCode::NOT_FOUND, format!("no flag {id}"))),
    }
}

async fn act(
    s: AppState,
    c: Caller,
    id: i64,
    action: FlagAction,
    body: ActionBody,
) -> ApiResult<impl IntoResponse> {
    let (f, audit) = apply(&s, &c, id, action, body.note.as_deref()).await?;
    Ok((Extension(audit), Json(f)))
}

#[utoipa::path(
    post,
    path = "/api/v1/flags/{id}/ack",
    tag = "flags",
    summary = "Acknowledge a flag, with a note.",
    params(("id" = i64, Path, description = "Flag id")),
    request_body = ActionBody,
    responses((status = 200, description = "The flag after the change", body = serde_json::Value))
)]
async fn ack(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
    Json(body): Json<ActionBody>,
) -> ApiResult<impl IntoResponse> {
    act(s, c, id, FlagAction::Ack, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/flags/{id}/resolve",
    tag = "flags",
    summary = "Resolve a flag, with a note.",
    params(("id" = i64, Path, description = "Flag id")),
    request_body = ActionBody,
    responses((status = 200, description = "The flag after the change", body = serde_json::Value))
)]
async fn resolve(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
    Json(body): Json<ActionBody>,
) -> ApiResult<impl IntoResponse> {
    act(s, c, id, FlagAction::Resolve, body).await
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, one, ack, resolve))]
pub struct Api;
