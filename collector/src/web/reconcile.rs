//! Reconciliation: `GET /api/v1/reconciliation` (counts per OPD and city-wide),
//! `GET /api/v1/reconciliation/review` (the review queue), `POST
//! /api/v1/reconciliation/{link,confirm,unlink}` (operators' decisions, audited) and
//! `POST /api/v1/reconciliation/run` (run now, answer with what it did).

use super::flags::operator;
use super::{ApiResult, AppState};
use crate::reconcile::{Decision, DecisionKind};
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
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

async fn summary(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        s.store
            .reconcile_summary(&s.reconcile.rules.ict_prefix)
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpdQuery {
    opd: Option<String>,
}

async fn review(
    State(s): State<AppState>,
    Query(q): Query<OpdQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.store.review_queue(q.opd.as_deref()).await?))
}

async fn run(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        crate::reconciler::run_once(&*s.store, &s.reconcile).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    agent_id: String,
    asset_key: String,
    by: String,
    note: Option<String>,
}

async fn decide(s: AppState, kind: DecisionKind, b: DecisionBody) -> ApiResult<impl IntoResponse> {
    let by = operator(&b.by)?.to_owned();
    let d = Decision {
        agent_id: b.agent_id,
        asset_key: b.asset_key,
        kind,
        by,
        at: chrono::Utc::now(),
        note: b.note,
    };
    s.store.decide(d.clone()).await?;
    s.reconcile_now.notify_one();
    Ok(Json(d))
}

async fn link(
    State(s): State<AppState>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    decide(s, DecisionKind::Link, b).await
}

async fn confirm(
    State(s): State<AppState>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    decide(s, DecisionKind::Confirm, b).await
}

async fn unlink(
    State(s): State<AppState>,
    Json(b): Json<DecisionBody>,
) -> ApiResult<impl IntoResponse> {
    decide(s, DecisionKind::Unlink, b).await
}
