//! Hosts: the list, one host, its metrics; `/` and `/api/v1/health`.

use super::access::Caller;
use super::{ApiError, ApiResult, AppState};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/api/v1/health", get(health))
        .route("/api/v1/hosts", get(hosts))
        .route("/api/v1/hosts/{agent_id}", get(host))
        .route("/api/v1/hosts/{agent_id}/metrics", get(metrics))
}

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

async fn hosts(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(visible_hosts(&s, &c).await?))
}

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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain host list (Bahasa Indonesia) so the demo shows real data in a browser.
async fn index(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Html<String>> {
    let hosts = visible_hosts(&s, &c).await?;
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}%"));
    let mut rows = String::new();
    for h in &hosts {
        rows += &format!(
            "<tr><td>{}</td><td><a href=\"/api/v1/hosts/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(&h.opd),
            esc(&h.agent_id),
            esc(h.hostname.as_deref().unwrap_or(&h.agent_id)),
            if h.online { "daring" } else { "luring" },
            esc(h.ip.as_deref().unwrap_or("-")),
            esc(h.os.as_deref().unwrap_or("-")),
            pct(h.cpu_pct),
            pct(h.mem_pct),
            pct(h.disk_pct),
        );
    }
    let online = hosts.iter().filter(|h| h.online).count();
    // Who is signed in, and a way out (the form carries the session's CSRF token).
    let who = match &c.csrf {
        Some(csrf) => format!(
            "<form method=\"post\" action=\"/logout\" style=\"float:right\">{} ({}) \
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Keluar</button></form>",
            esc(c.name()),
            c.user.role.name(),
            esc(csrf)
        ),
        None => String::new(),
    };
    Ok(Html(format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Pantau</title>\
<style>body{{font-family:sans-serif;margin:1rem}}table{{border-collapse:collapse;width:100%}}\
td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}}</style></head><body>{who}\
<h1>Pantau: perangkat terpantau</h1><p>{online} dari {} host daring. \
API: <a href=\"/api/v1/hosts\">/api/v1/hosts</a> · metrik: <a href=\"/metrics\">/metrics</a></p>\
<table><thead><tr><th>OPD</th><th>Host</th><th>Status</th><th>IP</th><th>Sistem operasi</th>\
<th>CPU</th><th>Memori</th><th>Disk</th></tr></thead><tbody>\n{rows}</tbody></table></body></html>",
        hosts.len()
    )))
}
