//! The page of one SNMP device, `GET /jaringan/snmp/{id}` (linked from `/jaringan`): what
//! the device is, which register asset it was matched to and by which rule, its interfaces
//! with utilization and errors, and a utilization chart of its uplinks and busiest
//! interfaces over 24 hours or 7 days. Server-rendered like `/jaringan`, no JavaScript; an
//! operator sees only their OPDs' devices (another's is 404).

use super::access::Caller;
use super::chart::{self, Chart};
use super::layout::{self, href, Nav, Page};
use super::{ApiResult, AppState};
use crate::i18n::Lang;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Router};
use maud::{html, Markup, PreEscaped};
use pantau_proto::body::snmp::SnmpInterface;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Interfaces drawn on the chart: uplinks first, then the busiest, this many at most.
const CHARTED: usize = 6;

pub fn routes() -> Router<AppState> {
    Router::new().route("/jaringan/snmp/{id}", get(page))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    window: Option<String>,
    lang: Option<String>,
}

fn lang(p: &Params, headers: &HeaderMap) -> Lang {
    layout::lang(p.lang.as_deref(), headers)
}

/// How the match was made, in words.
fn rule_text(rule: &str, l: Lang) -> &'static str {
    match (rule, l) {
        ("target", Lang::Id) => "nama target = kunci register",
        ("target", Lang::En) => "target name = register key",
        ("serial", Lang::Id) => "nomor seri (ENTITY-MIB/Printer-MIB) = nomor pabrik",
        ("serial", Lang::En) => "serial number (ENTITY-MIB/Printer-MIB) = nomor pabrik",
        ("mac", Lang::Id) => "alamat MAC antarmuka = nomor pabrik atau MAC aset",
        ("mac", Lang::En) => "interface MAC = nomor pabrik or the asset's MAC",
        ("ip", Lang::Id) => "alamat IP = pemetaan perangkat SNMP",
        ("ip", Lang::En) => "IP address = SNMP equipment mapping",
        (_, _) => "",
    }
}

fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.decimals$}"))
}

fn speed(bps: Option<u64>) -> String {
    match bps {
        Some(b) if b >= 1_000_000_000 => format!("{} Gbit/s", b / 1_000_000_000),
        Some(b) if b >= 1_000_000 => format!("{} Mbit/s", b / 1_000_000),
        Some(b) => format!("{b} bit/s"),
        None => "–".into(),
    }
}

/// Uplinks, then the busiest interfaces, up to [`CHARTED`].
fn charted(ifs: &[SnmpInterface]) -> Vec<&SnmpInterface> {
    let mut v: Vec<&SnmpInterface> = ifs.iter().collect();
    v.sort_by(|a, b| {
        b.uplink.cmp(&a.uplink).then(
            b.utilization_pct
                .unwrap_or(-1.0)
                .total_cmp(&a.utilization_pct.unwrap_or(-1.0)),
        )
    });
    v.truncate(CHARTED);
    v
}

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let l = lang(&p, &headers);
    let (span, step) = super::snmp::window(p.window.as_deref())
        .map_err(|e| super::ApiError(StatusCode::BAD_REQUEST, e))?;
    let d = super::snmp::visible_device(&s, &c, &id).await?;
    let ifs = s.store.snmp_interfaces(d.id).await?.unwrap_or_default();
    let now = chrono::Utc::now();
    let (from, to) = (now - span, now + chrono::Duration::seconds(1));
    // Utilization per bucket: the larger of in and out, as on the table.
    let mut lines = Vec::new();
    for i in charted(&ifs) {
        let (_, series) = s.store.snmp_history(d.id, i.index, from, to, step).await?;
        let mut by_ts: BTreeMap<i64, f64> = BTreeMap::new();
        for sr in series.iter().filter(|x| x.name != "err_per_s") {
            for pt in &sr.points {
                let e = by_ts.entry(pt.0).or_insert(pt.1);
                *e = e.max(pt.1);
            }
        }
        lines.push(chart::Series {
            name: if i.name.is_empty() {
                i.index.to_string()
            } else {
                i.name.clone()
            },
            points: by_ts.into_iter().map(|(t, v)| (t, Some(v))).collect(),
        });
    }
    let title = l.t(
        "Utilisasi antarmuka (maks. masuk/keluar)",
        "Interface utilization (max of in/out)",
    );
    let svg = Chart {
        title,
        unit: "%",
        from: from.timestamp(),
        to: to.timestamp(),
        series: &lines,
        empty_text: l.t("Belum ada data", "No data yet"),
        min_max: Some(100.0),
    }
    .render();
    let dev = &d.device;
    let text = |k: &str| {
        dev.pointer(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let sys_name = text("/system/name");
    let heading = if sys_name.is_empty() {
        d.target.clone()
    } else {
        sys_name
    };
    let window = p.window.as_deref().unwrap_or("24h");
    let other = if window == "7d" { "24h" } else { "7d" };
    let yes_no = |b: bool| {
        if b {
            l.t("ya", "yes")
        } else {
            l.t("tidak", "no")
        }
    };
    let summary: Markup = html! {
        table.summary {
            tr { th { "OPD" } td { (d.opd) } }
            tr { th { (l.t("Target", "Target")) } td { (d.target) } }
            tr { th { (l.t("Alamat", "Address")) } td { (d.address) } }
            tr { th { (l.t("Poller", "Poller")) } td { (d.agent_id) } }
            tr { th { (l.t("Deskripsi", "Description")) } td { (text("/system/descr")) } }
            tr { th { (l.t("Lokasi", "Location")) } td { (text("/system/location")) } }
            tr { th { (l.t("Terjangkau", "Reachable")) } td.reachable { (yes_no(d.reachable)) } }
            tr { th { (l.t("Dipantau pada", "Polled at")) } td { (d.polled_at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()) } }
            tr {
                th { (l.t("Aset register", "Register asset")) }
                td.match {
                    @match (&d.asset_key, &d.match_rule) {
                        (Some(k), Some(r)) => {
                            strong { (k) } " — " (rule_text(r, l))
                            @if let Some(v) = &d.match_value { " (" code { (v) } ")" }
                        },
                        _ => (l.t("belum cocok dengan register", "not matched with the register")),
                    }
                }
            }
        }
    };
    let body = html! {
        nav {
            a href=(href(l, "/jaringan")) { (l.t("← Kesehatan jaringan", "← Network health")) }
            " · "
            strong { (window) }
            " · "
            a href=(href(l, &format!("/jaringan/snmp/{id}?window={other}"))) { (other) }
        }
        (summary)
        div.charts { (PreEscaped(svg)) }
        h2 { (l.t("Antarmuka", "Interfaces")) " (" (ifs.len()) ")" }
        div.scroll { table.interfaces {
            tr {
                th { "ifIndex" } th { (l.t("Nama", "Name")) } th { "Alias" }
                th { "Status" } th { (l.t("Kecepatan", "Speed")) }
                th { (l.t("Utilisasi %", "Utilization %")) }
                th { (l.t("Masuk bit/s", "In bit/s")) } th { (l.t("Keluar bit/s", "Out bit/s")) }
                th { (l.t("Galat/detik", "Errors/s")) } th { (l.t("Buang/detik", "Discards/s")) }
            }
            @for i in &ifs {
                tr data-ifindex=(i.index) {
                    td { (i.index) }
                    td { (i.name) @if i.uplink { " (uplink)" } }
                    td { (i.alias) }
                    td { (i.oper_status) }
                    td { (speed(i.speed_bps)) }
                    td { (num(i.utilization_pct, 1)) }
                    td { (num(i.in_bps, 0)) }
                    td { (num(i.out_bps, 0)) }
                    td { (num(i.errors_per_s, 2)) }
                    td { (num(i.discards_per_s, 2)) }
                }
            }
        } }
    };
    let title = format!("{}: {heading}", l.t("Perangkat SNMP", "SNMP device"));
    let here = format!("/jaringan/snmp/{id}?window={window}");
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: &title,
            nav: Nav::Jaringan,
            here: &here,
            caller: &c,
        },
        body,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uplinks_then_the_busiest_are_charted() {
        let i = |n: &str, up: bool, u: Option<f64>| SnmpInterface {
            name: n.into(),
            uplink: up,
            utilization_pct: u,
            ..Default::default()
        };
        let ifs: Vec<_> = (0..8)
            .map(|n| i(&format!("p{n}"), false, Some(n as f64)))
            .chain([i("up", true, None), i("none", false, None)])
            .collect();
        let names: Vec<_> = charted(&ifs).iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["up", "p7", "p6", "p5", "p4", "p3"]);
        assert_eq!(speed(Some(10_000_000_000)), "10 Gbit/s");
        assert_eq!(
            rule_text("mac", Lang::En),
            "interface MAC = nomor pabrik or the asset's MAC"
        );
    }
}
