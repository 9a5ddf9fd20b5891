//! Network (issue 4): the IP plan (`GET`/`PUT /api/v1/ipplan`), and the current network
//! state per OPD, per e-Gov service and per LAN device (`/api/v1/network/...`).

use super::access::{AuditNote, Caller};
use super::{ApiError, ApiResult, AppState};
use crate::network::health;
use crate::network::plan::{self, PlanDoc};
use crate::store::FlagFilter;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ipplan", get(get_plan).put(put_plan))
        .route("/api/v1/network/opd", get(opds))
        .route("/api/v1/network/services", get(services))
        .route("/api/v1/network/devices", get(devices))
}

#[utoipa::path(
    get,
    path = "/api/v1/ipplan",
    tag = "network",
    summary = "The IP plan.",
    responses((status = 200, description = "`{range: [{opd, cidr, note}]}`", body = serde_json::Value))
)]
async fn get_plan(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    let mut range = s.store.ip_plan().await?;
    range.retain(|r| c.sees(&r.opd));
    Ok(Json(PlanDoc { range }))
}

fn unprocessable(msg: String) -> ApiError {
    ApiError(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

/// Replace the whole plan with `{"range": [{"opd", "cidr", "note"}, ...]}`. Every bad entry
/// is named (`range[3]: cidr: ...`) and nothing changes.
#[utoipa::path(
    put,
    path = "/api/v1/ipplan",
    tag = "network",
    summary = "Replace the IP plan (admin): checked whole.",
    request_body(content = serde_json::Value, content_type = "application/json"),
    responses((status = 200, description = "The plan now in force", body = serde_json::Value))
)]
async fn put_plan(State(s): State<AppState>, body: Bytes) -> ApiResult<impl IntoResponse> {
    let doc: PlanDoc = serde_json::from_slice(&body).map_err(|e| {
        unprocessable(format!(
            "body: line {} column {}: {e}; expected {{\"range\": [{{\"opd\", \"cidr\", \"note\"}}]}}",
            e.line(),
            e.column()
        ))
    })?;
    let entries = plan::validate(&doc.range, |i| format!("range[{i}]"))
        .map_err(|errors| unprocessable(errors.join("; ")))?;
    let n = s.store.replace_ip_plan(entries).await?;
    let note = AuditNote {
        target: Some("ipplan".into()),
        detail: Some(serde_json::json!({ "ranges": n })),
    };
    Ok((
        Extension(note),
        Json(PlanDoc {
            range: s.store.ip_plan().await?,
        }),
    ))
}

/// Open or acknowledged flags of one kind, by subject.
async fn open_subjects(s: &AppState, kind: &str) -> anyhow::Result<HashSet<String>> {
    let flags = s
        .store
        .flags(FlagFilter {
            kind: Some(kind.into()),
            ..Default::default()
        })
        .await?;
    Ok(flags.into_iter().map(|f| f.subject).collect())
}

/// The newest net report of every host the caller may see.
async fn visible_net(s: &AppState, c: &Caller) -> anyhow::Result<Vec<crate::network::LatestNet>> {
    let mut latest = s.store.latest_net().await?;
    latest.retain(|n| c.sees(&n.opd));
    Ok(latest)
}

#[utoipa::path(
    get,
    path = "/api/v1/network/opd",
    tag = "network",
    summary = "Network health per OPD.",
    responses((status = 200, description = "Per-OPD views", body = serde_json::Value))
)]
async fn opds(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    let latest = visible_net(&s, &c).await?;
    let degraded = open_subjects(&s, "network_degraded").await?;
    let mut views = health::opd_views(&latest, Utc::now(), &s.network);
    for v in &mut views {
        v.degraded = degraded.contains(&v.opd);
    }
    // A degraded OPD whose agents went quiet still belongs on the list.
    for opd in degraded.into_iter().filter(|o| c.sees(o)) {
        if !views.iter().any(|v| v.opd == opd) {
            views.push(health::OpdNet {
                opd,
                degraded: true,
                ..Default::default()
            });
        }
    }
    Ok(Json(views))
}

/// An operator sees the e-Gov checks as their OPDs' agents see them.
#[utoipa::path(
    get,
    path = "/api/v1/network/services",
    tag = "network",
    summary = "e-Gov service availability.",
    responses((status = 200, description = "Services", body = serde_json::Value))
)]
async fn services(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    let latest = visible_net(&s, &c).await?;
    Ok(Json(health::services(&latest, Utc::now(), &s.network)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceQuery {
    opd: Option<String>,
}

#[derive(Serialize)]
struct DeviceView {
    #[serde(flatten)]
    device: crate::network::LanDevice,
    /// `rogue` while a `rogue_device` flag on its MAC is open or acknowledged, else `known`.
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/v1/network/devices",
    tag = "network",
    summary = "Devices discovered on the OPDs' LANs.",
    params(("opd" = Option<String>, Query, description = "Kode lokasi")),
    responses((status = 200, description = "Devices", body = serde_json::Value))
)]
async fn devices(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<DeviceQuery>,
) -> ApiResult<impl IntoResponse> {
    let rogue = open_subjects(&s, "rogue_device").await?;
    let mut list = s.store.lan_devices(q.opd.as_deref()).await?;
    list.retain(|d| c.sees(&d.opd));
    Ok(Json(
        list.into_iter()
            .map(|d| DeviceView {
                status: if rogue.contains(&d.mac) {
                    "rogue"
                } else {
                    "known"
                },
                device: d,
            })
            .collect::<Vec<_>>(),
    ))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get_plan, put_plan, opds, services, devices))]
pub struct Api;
