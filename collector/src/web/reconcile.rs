//! Reconciliation: `GET /api/v1/reconciliation` (counts per OPD and city-wide),
//! `GET /api/v1/reconciliation/review` (the review queue), `POST
//! /api/v1/reconciliation/{link,confirm,unlink}` (operators' decisions, audited) and
//! `POST /api/v1/reconciliation/run` (run now, answer with what it did).

use super::access::{AuditNote, Caller};
use super::flags::operator;
use super::{ApiError, ApiResult, AppState};
use crate::reconcile::{Decision, DecisionKind};
use crate::store::accounts::Role;
use crate::store::ReconcileCounts;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reconciliation", get(summary))
        .route("/api/v1/reconciliation/review", get(review))
        .route("/api/v1/reconciliation/run", post(run))
        .route("/api/v1/reconciliation/link", post(link))
        .route("/api/v1/reconciliation/confirm", post(confirm))
        .route("/api/v1/reconciliation/unlink", post(unlink))
}

/// An operator gets their OPDs only, a "city" that is the sum of those, and no last run
/// (its counts are city-wide).
#[utoipa::path(
    get,
    path = "/api/v1/reconciliation",
    tag = "register",
    summary = "Reconciliation counts per OPD and for the city.",
    responses((status = 200, description = "The summary", body = serde_json::Value))
)]
async fn summary(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    let mut summary = s
        .store
        .reconcile_summary(&s.reconcile.rules.ict_prefix)
        .await?;
    if c.user.role == Role::Operator {
        summary.opds.retain(|o| c.sees(&o.kode_lokasi));
        summary.last_run = None;
        let mut city = ReconcileCounts {
            kode_lokasi: "*".into(),
            ..Default::default()
        };
        for o in &summary.opds {
            add_counts(&mut city, o);
        }
        summary.city = city;
    }
    Ok(Json(summary))
}

fn add_counts(to: &mut ReconcileCounts, o: &ReconcileCounts) {
    to.registered_ict += o.registered_ict;
    to.expected_agents += o.expected_agents;
    to.matched += o.matched;
    to.unregistered += o.unregistered;
    to.silent += o.silent;
    to.in_review += o.in_review;
    for (map, from) in [
        (&mut to.register_condition, &o.register_condition),
        (&mut to.suggested_condition, &o.suggested_condition),
        (&mut to.open_flags, &o.open_flags),
    ] {
        for (k, n) in from {
            *map.entry(k.clone()).or_default() += n;
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpdQuery {
    opd: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/reconciliation/review",
    tag = "register",
    summary = "The review queue: hosts that match an asset only weakly.",
    params(("opd" = Option<String>, Query, description = "Kode lokasi")),
    responses((status = 200, description = "Review items", body = serde_json::Value))
)]
async fn review(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<OpdQuery>,
) -> ApiResult<impl IntoResponse> {
    let mut queue = s.store.review_queue(q.opd.as_deref()).await?;
    queue.retain(|i| c.sees(&i.opd));
    Ok(Json(queue))
}

#[utoipa::path(
    post,
    path = "/api/v1/reconciliation/run",
    tag = "register",
    summary = "Run reconciliation now (admin).",
    responses((status = 200, description = "What the run did", body = serde_json::Value))
)]
async fn run(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        crate::reconciler::run_once(&*s.store, &s.reconcile).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    agent_id: String,
    asset_key: String,
    /// Ignored: the signed-in user decides. Kept so older clients still work.
    #[serde(default, rename = "by")]
    #[schema(value_type = Option<String>, rename = "by")]
    _by: Option<serde::de::IgnoredAny>,
    note: Option<String>,
}

/// An operator decides about their OPDs' hosts and assets only; another OPD's host or asset
/// is "not found", as if it did not exist.
async fn in_scope(s: &AppState, c: &Caller, agent_id: &str, asset_key: &str) -> ApiResult<()> {
    if c.user.role != Role::Operator {
        return Ok(());
    }
    super::hosts::visible_agent(s, c, agent_id).await?;
    for opd in &c.user.opds {
        let lines = s.store.register_lines(Some(opd)).await?;
        if lines.iter().any(|l| l.key == asset_key) {
            return Ok(());
        }
    }
    Err(ApiError(
        StatusCode::NOT_FOUND,
        format!("asset_key: no asset {asset_key:?}"),
    ))
}

/// Record a decision as the caller and run reconciliation soon; shared by the API and the
/// register page's forms.
pub async fn apply_decision(
    s: &AppState,
    c: &Caller,
    kind: DecisionKind,
    agent_id: String,
    asset_key: String,
    note: Option<String>,
) -> ApiResult<(Decision, AuditNote)> {
    in_scope(s, c, &agent_id, &asset_key).await?;
    let by = operator(c.name())?.to_owned();
    let d = Decision {
        agent_id,
        asset_key,
        kind,
        by,
        at: chrono::Utc::now(),
        note,
    };
    s.store.decide(d.clone()).await?;
    s.reconcile_now.notify_one();
    let note = AuditNote {
        target: Some(format!("{} / {}", d.agent_id, d.asset_key)),
        detail: Some(serde_json::json!({ "note": d.note })),
    };
    Ok((d, note))
}

async fn decide(
    s: AppState,
    c: Caller,
    kind: DecisionKind,
    b: DecisionBody,
) -> ApiResult<impl IntoResponse> {
    let (d, note) = apply_decision(&s, &c, kind, b.agent_id, b.asset_key, b.note).await?;
    Ok((Extension(note), Json(d)))
}

#[utoipa::path(
    post,
    path = "/api/v1/reconciliation/link",
    tag = "register",
    summary = "Link a host to a register asset.",
    request_body = DecisionBody,
    responses((status = 200, description = "The decision", body = serde_json::Value))
)]
async fn link(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    decide(s, c, DecisionKind::Link, b).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reconciliation/confirm",
    tag = "register",
    summary = "Confirm a suggested match.",
    request_body = DecisionBody,
    responses((status = 200, description = "The decision", body = serde_json::Value))
)]
async fn confirm(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    decide(s, c, DecisionKind::Confirm, b).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reconciliation/unlink",
    tag = "register",
    summary = "Undo a link.",
    request_body = DecisionBody,
    responses((status = 200, description = "The decision", body = serde_json::Value))
)]
async fn unlink(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    decide(s, c, DecisionKind::Unlink, b).await
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(summary, review, run, link, confirm, unlink))]
pub struct Api;
