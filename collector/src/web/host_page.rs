//! `GET /host/{agent_id}`: one host for the person answering a flag about it. Inventory,
//! utilization over 24 hours, 7 or 30 days (`?window=`), its network view, its flags, and the
//! register entry it matched with the rule and values that made the match.

use super::access::Caller;
use super::chart::{Chart, Series};
use super::hosts::visible_agent;
use super::layout::{self, href, Nav, Page};
use super::{ApiError, ApiResult, AppState};
use crate::i18n::Lang;
use crate::store::FlagFilter;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Utc;
use maud::{html, Markup, PreEscaped};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/host/{agent_id}", get(page))
}

#[derive(Deserialize)]
pub struct Params {
    window: Option<String>,
    lang: Option<String>,
}

/// (name, span in seconds, step in seconds): about 288, 168 and 120 points.
const WINDOWS: [(&str, i64, i64); 3] = [
    ("24h", 86_400, 300),
    ("7d", 7 * 86_400, 3_600),
    ("30d", 30 * 86_400, 21_600),
];

fn text(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "-".into(),
    }
}

fn gib(v: &Value) -> String {
    v.as_f64()
        .map_or("-".into(), |b| format!("{:.1} GiB", b / 1_073_741_824.0))
}

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let l = layout::lang(p.lang.as_deref(), &headers);
    let window = p.window.as_deref().unwrap_or("24h");
    let Some(&(wname, span, step)) = WINDOWS.iter().find(|w| w.0 == window) else {
        return Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("query parameter `window`: {window:?} is not 24h, 7d or 30d"),
        ));
    };
    let agent = visible_agent(&s, &c, &id).await?;
    let Some(host) = s.store.host(&id).await? else {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("no host {id}")));
    };
    // Whole steps, so each point is one rollup bucket.
    let to = Utc::now().timestamp() / step * step + step;
    let from = to - span;
    let at = |t: i64| chrono::DateTime::from_timestamp(t, 0).unwrap_or_default();
    let names = ["cpu", "mem", "disk"].map(String::from);
    let (_, series) = s.store.series(&id, at(from), at(to), step, &names).await?;
    let by_name: BTreeMap<&str, BTreeMap<i64, f64>> = series
        .iter()
        .map(|sr| {
            (
                sr.name.as_str(),
                sr.points.iter().map(|p| (p.0, p.1)).collect(),
            )
        })
        .collect();
    let lines: Vec<Series> = [
        ("cpu", "CPU"),
        ("mem", l.t("Memori", "Memory")),
        ("disk", l.t("Disk terpenuh", "Fullest disk")),
    ]
    .iter()
    .map(|(key, label)| Series {
        name: label.to_string(),
        points: (from..to)
            .step_by(step as usize)
            .map(|t| (t, by_name.get(key).and_then(|m| m.get(&t).copied())))
            .collect(),
    })
    .collect();
    let chart = Chart {
        title: l.t("Pemakaian (%)", "Utilization (%)"),
        unit: "%",
        from,
        to,
        series: &lines,
        empty_text: l.t("Belum ada data", "No data yet"),
        min_max: Some(100.0),
    }
    .render();
    let flags = s
        .store
        .flags(FlagFilter {
            subject: Some(id.clone()),
            state: Some("open,acknowledged,resolved".into()),
            ..Default::default()
        })
        .await?;
    let register = s
        .store
        .register_lines(Some(&agent.opd))
        .await?
        .into_iter()
        .find(|r| r.agent_id.as_deref() == Some(id.as_str()));
    let net = s
        .store
        .latest_net()
        .await?
        .into_iter()
        .find(|n| n.agent_id == id);
    let inv = host.inventory.clone().unwrap_or(Value::Null);
    let here = format!("/host/{id}?window={wname}");
    let sm = &host.summary;
    let body = html! {
        p {
            "OPD " (sm.opd) " · "
            @if sm.online { span.ok { (l.t("daring", "online")) } } @else { span.bad { (l.t("luring", "offline")) } }
            " · " (l.t("terakhir terlihat", "last seen")) " "
            (sm.last_seen.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string()))
        }
        h2 { (l.t("Pemakaian", "Utilization")) }
        nav {
            @for (w, _, _) in WINDOWS {
                @if w == wname { strong { (w) } } @else { a href=(href(l, &format!("/host/{id}?window={w}"))) { (w) } }
                " "
            }
        }
        div.charts #utilization { (PreEscaped(chart)) }
        h2 { (l.t("Inventaris", "Inventory")) }
        (inventory(l, &inv))
        h2 { (l.t("Kecocokan register", "Register match")) }
        @match &register {
            Some(r) => table #register {
                tr { th { (l.t("Kunci register", "Register key")) } td { (r.key) } }
                tr { th { (l.t("Barang", "Item")) } td { (r.kode_barang) " " (r.nama_barang) " — " (r.merk) " " (r.tipe) } }
                tr { th { (l.t("Nomor pabrik", "Serial (register)")) } td { (r.nomor_pabrik.as_deref().unwrap_or("-")) } }
                tr { th { (l.t("Aturan", "Rule")) } td { (r.match_rule.as_deref().unwrap_or("-")) } }
                tr { th { (l.t("Teramati", "Observed")) } td {
                    (r.observed_vendor.as_deref().unwrap_or("-")) " " (r.observed_model.as_deref().unwrap_or("")) " · "
                    (r.observed_serial.as_deref().unwrap_or("-")) } }
                tr { th { (l.t("Kondisi register / saran", "Register / suggested condition")) } td {
                    (r.kondisi.map_or("-".to_string(), |k| format!("{k:?}"))) " / "
                    (r.suggested_kondisi.map_or("-".to_string(), |k| format!("{k:?}")))
                    @for e in &r.suggestion_evidence { br; small { (e) } } } }
            },
            None => p { (l.t("Belum cocok dengan aset register mana pun.", "Not matched with any register asset.")) },
        }
        h2 { (l.t("Jaringan", "Network")) }
        @match &net {
            Some(n) => table #net {
                tr { th { (l.t("Target", "Target")) } th { (l.t("Hilang", "Loss")) } th { "RTT" } }
                @for pr in &n.report.probes {
                    tr { td { (pr.name) " (" (pr.target) ")" } td.n { (format!("{:.0} %", pr.loss_pct)) }
                         td.n { (pr.rtt_median_ms.map_or("-".into(), |v| format!("{v:.1} ms"))) } }
                }
                @for h in &n.report.http {
                    tr { td { (h.name) } td { (h.status.map_or("-".into(), |s| s.to_string())) }
                         td.n { (h.ms.map_or("-".into(), |v| format!("{v:.0} ms"))) } }
                }
            },
            None => p { (l.t("Belum ada laporan jaringan.", "No network report yet.")) },
        }
        h2 { (l.t("Temuan", "Flags")) }
        @if flags.is_empty() { p { (l.t("Tidak ada.", "None.")) } }
        table #host-flags { @for f in &flags {
            tr { td { a href=(href(l, &format!("/temuan/{}", f.id))) { "#" (f.id) } } td { (f.kind) } td { (f.state) } td { (f.summary) } }
        } }
    };
    let title = format!("Host {}", sm.hostname.as_deref().unwrap_or(&id));
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: &title,
            nav: Nav::Host,
            here: &here,
            caller: &c,
        },
        body,
    )))
}

fn inventory(l: Lang, inv: &Value) -> Markup {
    if inv.is_null() {
        return html! { p { (l.t("Belum ada inventaris.", "No inventory yet.")) } };
    }
    html! {
        table #inventory {
            tr { th { (l.t("Perangkat", "Machine")) } td { (text(inv, &["system", "vendor"])) " " (text(inv, &["system", "model"])) } }
            tr { th { (l.t("Nomor seri", "Serial")) } td { (text(inv, &["system", "serial"])) } }
            tr { th { "CPU" } td { (text(inv, &["cpu", "model"])) " (" (text(inv, &["cpu", "threads"])) " thread)" } }
            tr { th { (l.t("Memori", "Memory")) } td { (gib(&inv["memory"]["total_bytes"])) } }
            tr { th { (l.t("Sistem operasi", "Operating system")) } td { (text(inv, &["os", "pretty_name"])) } }
            @for d in inv["disks"].as_array().into_iter().flatten() {
                tr { th { "Disk " (text(d, &["name"])) } td { (text(d, &["model"])) " · " (gib(&d["size_bytes"])) " · " (text(d, &["serial"])) } }
            }
            @for n in inv["nics"].as_array().into_iter().flatten().filter(|n| n["physical"] == true) {
                tr { th { "NIC " (text(n, &["name"])) } td { (text(n, &["mac"])) } }
            }
        }
    }
}
