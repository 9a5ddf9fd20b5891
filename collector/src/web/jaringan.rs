//! Network health over time (issues 4 and 7): the page `GET /jaringan` draws, per OPD the
//! caller may see, gateway loss and RTT, and per e-Gov service its availability in every
//! OPD that checks it; `GET /api/v1/network/opd/{opd}/history` returns the same data as
//! JSON. Charts are SVG drawn here (`chart`), so the page needs no JavaScript.

use super::access::Caller;
use super::chart::{self, Chart};
use super::layout::{self, href, Nav, Page};
use super::{ApiError, ApiResult, AppState};
use crate::i18n::Lang;
use crate::store::{Resolution, Series};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use maud::{html, PreEscaped};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jaringan", get(page))
        .route("/api/v1/network/opd/{opd}/history", get(history))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    window: Option<String>,
    lang: Option<String>,
}

/// The two windows: a day in 15-minute buckets (raw points), a week in hourly rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    Day,
    Week,
}

impl Window {
    fn parse(s: Option<&str>) -> Result<Window, ApiError> {
        match s.unwrap_or("24h") {
            "24h" => Ok(Window::Day),
            "7d" => Ok(Window::Week),
            other => Err(ApiError(
                StatusCode::BAD_REQUEST,
                format!("window: {other:?} is not one of \"24h\", \"7d\""),
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Window::Day => "24h",
            Window::Week => "7d",
        }
    }

    fn step(self) -> i64 {
        match self {
            Window::Day => 900,
            Window::Week => 3600,
        }
    }

    /// `[from, to)`, ending at the end of the current bucket so the newest data shows.
    fn range(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let step = self.step();
        let span = match self {
            Window::Day => 86_400,
            Window::Week => 7 * 86_400,
        };
        let to = now.timestamp() - now.timestamp().rem_euclid(step) + step;
        let at = |s| DateTime::from_timestamp(s, 0).unwrap_or(now);
        (at(to - span), at(to))
    }
}

fn lang(p: &Params, headers: &HeaderMap) -> Lang {
    super::layout::lang(p.lang.as_deref(), headers)
}

#[derive(Debug, Serialize)]
struct History {
    opd: String,
    window: &'static str,
    step: i64,
    from: i64,
    to: i64,
    resolution: Resolution,
    series: Vec<Series>,
}

async fn load(s: &AppState, opd: &str, w: Window) -> anyhow::Result<History> {
    let (from, to) = w.range(Utc::now());
    let (resolution, series) = s.store.net_history(opd, from, to, w.step()).await?;
    Ok(History {
        opd: opd.to_owned(),
        window: w.as_str(),
        step: w.step(),
        from: from.timestamp(),
        to: to.timestamp(),
        resolution,
        series,
    })
}

/// JSON of one OPD's history. An OPD the caller may not see answers 404, like one that
/// does not exist, so an operator cannot probe other OPDs' codes.
#[utoipa::path(
    get,
    path = "/api/v1/network/opd/{opd}/history",
    tag = "network",
    summary = "An OPD's network health over time.",
    params(("opd" = String, Path, description = "Kode lokasi"), ("window" = Option<String>, Query, description = "`24h` (default) or `7d`"), ("lang" = Option<String>, Query, description = "`id` or `en`")),
    responses((status = 200, description = "Series", body = serde_json::Value))
)]
async fn history(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(opd): Path<String>,
    Query(p): Query<Params>,
) -> ApiResult<impl IntoResponse> {
    let w = Window::parse(p.window.as_deref())?;
    if !c.sees(&opd) {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("opd {opd:?}: not found"),
        ));
    }
    Ok(Json(load(&s, &opd, w).await?))
}

/// Every bucket of the window, `None` where no agent reported, so the chart breaks there.
fn filled(
    h: &History,
    points: &[(i64, f64, f64, f64)],
    pick: fn(&(i64, f64, f64, f64)) -> f64,
) -> Vec<(i64, Option<f64>)> {
    let by_ts: BTreeMap<i64, f64> = points.iter().map(|p| (p.0, pick(p))).collect();
    (h.from..h.to)
        .step_by(h.step as usize)
        .map(|t| (t, by_ts.get(&t).copied()))
        .collect()
}

fn avg(p: &(i64, f64, f64, f64)) -> f64 {
    p.1
}
fn worst(p: &(i64, f64, f64, f64)) -> f64 {
    p.3
}
fn pct(p: &(i64, f64, f64, f64)) -> f64 {
    p.1 * 100.0
}

fn gateway_chart(h: &History, name: &str, title: &str, unit: &str, l: Lang) -> String {
    let none = Vec::new();
    let pts = h
        .series
        .iter()
        .find(|s| s.name == name)
        .map(|s| &s.points)
        .unwrap_or(&none);
    let series = [
        chart::Series {
            name: l.t("rata-rata", "average").into(),
            points: filled(h, pts, avg),
        },
        chart::Series {
            name: l.t("terburuk", "worst").into(),
            points: filled(h, pts, worst),
        },
    ];
    Chart {
        title,
        unit,
        from: h.from,
        to: h.to,
        series: &series,
        empty_text: l.t("Belum ada data", "No data yet"),
        min_max: (unit == "%").then_some(100.0),
    }
    .render()
}

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let l = lang(&p, &headers);
    let w = Window::parse(p.window.as_deref())?;
    let mut opds: Vec<String> = s
        .store
        .hosts_by_opd()
        .await?
        .into_iter()
        .map(|o| o.opd)
        .filter(|o| c.sees(o))
        .collect();
    opds.sort();
    opds.dedup();
    let mut histories = Vec::new();
    for opd in &opds {
        histories.push(load(&s, opd, w).await?);
    }
    // Per service: one line per OPD that checks it.
    let mut services: BTreeMap<String, Vec<chart::Series>> = BTreeMap::new();
    for h in &histories {
        for sr in &h.series {
            if let Some(check) = sr.name.strip_prefix("http_up:") {
                services
                    .entry(check.to_owned())
                    .or_default()
                    .push(chart::Series {
                        name: h.opd.clone(),
                        points: filled(h, &sr.points, pct),
                    });
            }
        }
    }
    let lan = super::lan_section::render(&s, &c, l).await?;
    let mut snmp_devices = s.store.snmp_devices(None).await?;
    snmp_devices.retain(|d| c.sees(&d.opd));
    let (from, to) = w.range(Utc::now());
    let (from, to) = (from.timestamp(), to.timestamp());
    let other = match w {
        Window::Day => Window::Week,
        Window::Week => Window::Day,
    };
    let loss_t = l.t("Kehilangan paket ke gateway", "Packet loss to the gateway");
    let rtt_t = l.t(
        "Waktu tempuh (RTT) ke gateway",
        "Round-trip time (RTT) to the gateway",
    );
    let body = html! {
        nav {
            strong { (w.as_str()) }
            " · "
            a href=(href(l, &format!("/jaringan?window={}", other.as_str()))) { (other.as_str()) }
        }
        @if opds.is_empty() {
            p { (l.t("Belum ada OPD dengan agen.", "No OPD has agents yet.")) }
        }
        @for h in &histories {
            section.opd data-opd=(h.opd) {
                h2 { "OPD " (h.opd) }
                div.charts {
                    (PreEscaped(gateway_chart(h, "net_loss:gateway", loss_t, "%", l)))
                    (PreEscaped(gateway_chart(h, "net_rtt:gateway", rtt_t, "ms", l)))
                }
            }
        }
        (lan)
        @if !snmp_devices.is_empty() {
            h2 { (l.t("Perangkat SNMP", "SNMP devices")) }
            ul.snmp {
                @for d in &snmp_devices {
                    li {
                        a href=(href(l, &format!("/jaringan/snmp/{}", d.id))) { (d.target) }
                        " — OPD " (d.opd) ", " (d.address) ", "
                        @if d.reachable { (l.t("terjangkau", "reachable")) } @else { strong { (l.t("tidak terjangkau", "unreachable")) } }
                    }
                }
            }
        }
        @if !services.is_empty() {
            h2 { (l.t("Ketersediaan layanan e-Gov", "e-Gov service availability")) }
        }
        @for (check, series) in &services {
            section.service data-service=(check) {
                (PreEscaped(Chart {
                    title: check,
                    unit: "%",
                    from,
                    to,
                    series,
                    empty_text: l.t("Belum ada data", "No data yet"),
                    min_max: Some(100.0),
                }.render()))
            }
        }
    };
    let here = format!("/jaringan?window={}", w.as_str());
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: l.t("Kesehatan jaringan", "Network health"),
            nav: Nav::Jaringan,
            here: &here,
            caller: &c,
        },
        body,
    )))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(history))]
pub struct Api;
