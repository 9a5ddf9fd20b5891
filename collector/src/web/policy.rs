//! The usage policy (issue 6): the policy in force and its versions, applying a new one
//! (admin; checked whole, a bad one is refused with line:column and changes nothing), and
//! one host's latest usage facts (operators see their OPDs only).

use super::access::{AuditNote, Caller};
use super::{ApiError, ApiResult, AppState};
use crate::policy::{self, Policy};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/policy", get(current).put(apply))
        .route("/api/v1/policy/versions", get(versions))
        .route("/api/v1/usage/{agent_id}", get(usage))
}

#[utoipa::path(
    get,
    path = "/api/v1/policy",
    tag = "policy",
    summary = "The usage policy in force (TOML and version).",
    responses((status = 200, description = "The policy", body = serde_json::Value))
)]
async fn current(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let (_, v) = policy::job::in_force(&*s.store).await?;
    Ok(Json(v))
}

#[utoipa::path(
    get,
    path = "/api/v1/policy/versions",
    tag = "policy",
    summary = "Every policy version, with who applied it.",
    responses((status = 200, description = "Versions", body = serde_json::Value))
)]
async fn versions(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let mut list = s.store.policy_versions().await?;
    for v in &mut list {
        v.text.clear();
    }
    Ok(Json(json!({ "versions": list })))
}

/// The body is the policy file itself (TOML, UTF-8).
#[utoipa::path(
    put,
    path = "/api/v1/policy",
    tag = "policy",
    summary = "Put a new policy in force (admin): checked whole, errors with line:column.",
    request_body(content = String, content_type = "text/plain", description = "The policy, TOML"),
    responses((status = 200, description = "The new version", body = serde_json::Value))
)]
async fn apply(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&body).map_err(|e| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("body: not UTF-8 at byte {}", e.valid_up_to()),
        )
    })?;
    let p = match Policy::parse(text) {
        Ok(p) => p,
        Err(errors) => {
            let res = (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "error": policy::describe("policy", &errors),
                    "errors": errors,
                })),
            );
            return Ok(res.into_response());
        }
    };
    let v = s
        .store
        .apply_policy(&p.text, &p.sha256, c.name(), None)
        .await?;
    s.policy_now.notify_one();
    let note = AuditNote {
        target: Some(format!("policy v{}", v.version)),
        detail: Some(json!({ "version": v.version, "sha256": v.sha256 })),
    };
    let mut v = v;
    v.text.clear();
    Ok((Extension(note), Json(v)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/usage/{agent_id}",
    tag = "policy",
    summary = "A host's latest usage facts.",
    params(("agent_id" = String, Path, description = "Agent id")),
    responses((status = 200, description = "Usage facts", body = serde_json::Value))
)]
async fn usage(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    super::hosts::visible_agent(&s, &c, &id).await?;
    match s.store.usage(&id).await? {
        Some(f) => Ok(Json(f)),
        None => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("host {id:?} has sent no usage report yet"),
        )),
    }
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(current, apply, versions, usage))]
pub struct Api;
