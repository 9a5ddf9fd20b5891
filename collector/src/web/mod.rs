//! The HTTP server: REST API under `/api/v1`, Prometheus text at `/metrics`, and a plain
//! host list at `/` until the dashboard lands. One module per area of the API; who may call
//! what is decided in `access` for every route.

pub mod access;
mod agent_config;
mod aset;
mod assets;
pub mod chart;
mod flags;
mod host_page;
mod hosts;
pub mod https;
mod install;
mod jaringan;
mod lan_section;
pub mod layout;
mod login;
mod network;
mod opd_page;
pub mod openapi;
mod policy;
mod prom;
mod reconcile;
mod reports;
mod ringkasan;
pub mod snapshot;
mod snmp;
mod snmp_equipment;
mod snmp_page;
mod temuan;

use crate::store::Store;
use crate::telemetry::Telemetry;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub telemetry: Arc<Telemetry>,
    /// Matching rules and thresholds, for the summary and for decisions.
    pub reconcile: crate::reconciler::Settings,
    /// Notified to run reconciliation now (after an import or a decision).
    pub reconcile_now: Arc<tokio::sync::Notify>,
    /// Windows of the network views (`[network]`).
    pub network: crate::network::NetworkConfig,
    /// Notified to publish changed agent configs now.
    pub config_now: Arc<tokio::sync::Notify>,
    /// SNMP credential profiles of collector.toml: targets and equipment may name only
    /// these; the secrets themselves never leave the config publisher.
    pub snmp_profiles: Arc<crate::snmp::profiles::Profiles>,
    /// Notified to run the policy job now (after a policy is applied).
    pub policy_now: Arc<tokio::sync::Notify>,
    /// `[auth]` settings, login rate limits, verified Basic credentials.
    pub auth: Arc<crate::auth::Auth>,
    /// Periodic reports: `[reports]` and the archive folder (issue 8).
    pub reports: Arc<crate::report::archive::Archive>,
    /// Few-seconds-old city snapshots for the busiest pages; a change through the web or
    /// the API starts a new generation.
    pub snapshots: Arc<snapshot::Snapshots>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(hosts::routes())
        .merge(prom::routes())
        .merge(ringkasan::routes())
        .merge(temuan::routes())
        .merge(host_page::routes())
        .merge(aset::routes())
        .merge(opd_page::routes())
        .merge(assets::routes())
        .merge(flags::routes())
        .merge(reconcile::routes())
        .merge(network::routes())
        .merge(jaringan::routes())
        .merge(snmp::routes())
        .merge(snmp_equipment::routes())
        .merge(snmp_page::routes())
        .merge(policy::routes())
        .merge(agent_config::routes())
        .merge(login::routes())
        .merge(reports::routes())
        .merge(openapi::routes())
        .merge(crate::enroll::api::routes())
        .merge(install::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .layer(axum::middleware::from_fn(json_errors))
        .with_state(state)
}

/// Largest plain-text error body turned into JSON; axum's rejections are one sentence.
const ERROR_TEXT_LIMIT: usize = 16 * 1024;

/// Every API error is `{"error": "..."}`, as `/openapi.json` says: axum's own rejections (a
/// query parameter of the wrong type, a missing content type, a body that is not JSON) are
/// plain text, so they are wrapped here, keeping their status and their sentence.
async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let plain = res
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !api || !plain || !(res.status().is_client_error() || res.status().is_server_error()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = match axum::body::to_bytes(body, ERROR_TEXT_LIMIT).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => "request refused".to_owned(),
    };
    ApiError(parts.status, text).into_response()
}

/// An API error: a status and a sentence saying what was wrong.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        if let Some(r) = e.downcast_ref::<crate::store::Refusal>() {
            return ApiError(StatusCode::UNPROCESSABLE_ENTITY, r.0.clone());
        }
        tracing::error!("API error: {e:#}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod access_tests;
#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod reports_tests;
#[cfg(test)]
mod snmp_tests;
