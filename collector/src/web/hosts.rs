//! Hosts: the list, one host, its metrics; `/`, `/api/v1/health` and `/metrics`.

use super::access::Caller;
use super::{ApiError, ApiResult, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/api/v1/health", get(health))
        .route("/api/v1/hosts", get(hosts))
        .route("/api/v1/hosts/{agent_id}", get(host))
        .route("/api/v1/hosts/{agent_id}/metrics", get(metrics))
        .route("/metrics", get(prometheus))
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabels {
    opd: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FlagLabels {
    opd: String,
    kind: String,
}

async fn prometheus(State(s): State<AppState>) -> ApiResult<impl IntoResponse> {
    let mut text = String::new();
    encode(&mut text, &s.telemetry.registry)
        .map_err(|e| anyhow::anyhow!("encoding metrics: {e}"))?;
    // Per-OPD host counts come from the store at scrape time, so they are never stale.
    let hosts = Family::<HostLabels, Gauge>::default();
    for o in s.store.hosts_by_opd().await? {
        hosts
            .get_or_create(&HostLabels {
                opd: o.opd.clone(),
                state: "online".into(),
            })
            .set(o.online as i64);
        hosts
            .get_or_create(&HostLabels {
                opd: o.opd,
                state: "offline".into(),
            })
            .set(o.offline as i64);
    }
    let mut reg = Registry::with_prefix("pantau");
    reg.register("hosts", "Enrolled hosts by OPD and connection state", hosts);
    // Reconciliation figures from the last stored run, for alerting on silent assets and
    // open flags per OPD.
    let summary = s
        .store
        .reconcile_summary(&s.reconcile.rules.ict_prefix)
        .await?;
    let assets = Family::<HostLabels, Gauge>::default();
    let flags = Family::<FlagLabels, Gauge>::default();
    for o in &summary.opds {
        for (state, n) in [
            ("registered", o.registered_ict),
            ("matched", o.matched),
            ("silent", o.silent),
            ("unregistered", o.unregistered),
            ("review", o.in_review),
        ] {
            assets
                .get_or_create(&HostLabels {
                    opd: o.kode_lokasi.clone(),
                    state: state.into(),
                })
                .set(n as i64);
        }
        for (kind, n) in &o.open_flags {
            flags
                .get_or_create(&FlagLabels {
                    opd: o.kode_lokasi.clone(),
                    kind: kind.clone(),
                })
                .set(*n as i64);
        }
    }
    reg.register(
        "reconcile_assets",
        "ICT assets and hosts by OPD and reconciliation state (registered, matched, silent, unregistered, review)",
        assets,
    );
    reg.register(
        "flags_open",
        "Open or acknowledged flags by OPD and kind",
        flags,
    );
    let mut more = String::new();
    encode(&mut more, &reg).map_err(|e| anyhow::anyhow!("encoding metrics: {e}"))?;
    // Both encodings end with "# EOF"; keep one, at the very end.
    let text = text.trim_end().trim_end_matches("# EOF").to_owned() + &more;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
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
