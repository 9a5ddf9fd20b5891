//! `GET /`: Ringkasan, the overview a Diskominfo operator keeps open all day. Hosts online and
//! reporting coverage per OPD, open flags by kind, register condition beside the suggested
//! one, network health per OPD and the e-Gov services. An operator sees their OPDs only.

use super::access::Caller;
use super::layout::{self, href, Nav, Page};
use super::snapshot::City;
use super::{ApiResult, AppState};
use crate::i18n::Lang;
use crate::network::health;
use crate::store::ReconcileCounts;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Utc;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(page))
}

#[derive(Deserialize)]
pub struct Params {
    lang: Option<String>,
}

/// The host table is for a quick look, not the whole city: beyond this many rows it says how
/// many more there are and points at the API.
const HOST_ROWS: usize = 300;

/// Condition codes of the register (Permendagri 19/2016) in the order a report shows them.
const CONDITIONS: [&str; 5] = ["B", "KB", "RR", "RB", "-"];

fn ratio(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

fn num(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".into(), |v| format!("{v:.1}{unit}"))
}

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let l = layout::lang(p.lang.as_deref(), &headers);
    let city = s
        .snapshots
        .city(|| async {
            Ok(City {
                hosts_by_opd: s.store.hosts_by_opd().await?,
                summary: s
                    .store
                    .reconcile_summary(&s.reconcile.rules.ict_prefix)
                    .await?,
                latest_net: s.store.latest_net().await?,
                hosts: {
                    let mut hosts = s.store.hosts().await?;
                    hosts.sort_by(|a, b| (&a.opd, &a.hostname).cmp(&(&b.opd, &b.hostname)));
                    hosts
                },
            })
        })
        .await?;
    let mut by_opd: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for o in &city.hosts_by_opd {
        if c.sees(&o.opd) {
            by_opd.insert(o.opd.clone(), (o.online, o.offline));
        }
    }
    let opds: Vec<&ReconcileCounts> = city
        .summary
        .opds
        .iter()
        .filter(|o| c.sees(&o.kode_lokasi))
        .collect();
    for o in &opds {
        by_opd.entry(o.kode_lokasi.clone()).or_default();
    }
    let now = Utc::now();
    let nets: BTreeMap<String, health::OpdNet> =
        health::opd_views(&city.latest_net, now, &s.network)
            .into_iter()
            .filter(|v| c.sees(&v.opd))
            .map(|v| (v.opd.clone(), v))
            .collect();
    let services = health::services(&city.latest_net, now, &s.network);
    let hosts: Vec<&crate::store::HostSummary> =
        city.hosts.iter().filter(|h| c.sees(&h.opd)).collect();

    // City totals from what this caller may see.
    let mut flags: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut register, mut suggested) = (BTreeMap::new(), BTreeMap::new());
    let (mut expected, mut matched) = (0, 0);
    for o in &opds {
        expected += o.expected_agents;
        matched += o.matched;
        for (k, n) in &o.open_flags {
            *flags.entry(k).or_default() += n;
        }
        for (k, n) in &o.register_condition {
            *register.entry(k.as_str()).or_insert(0u64) += n;
        }
        for (k, n) in &o.suggested_condition {
            *suggested.entry(k.as_str()).or_insert(0u64) += n;
        }
    }
    let online: u64 = by_opd.values().map(|v| v.0).sum();
    let total: u64 = by_opd.values().map(|v| v.0 + v.1).sum();
    let down = services.iter().filter(|s| s.down).count();
    let counts: BTreeMap<&str, &ReconcileCounts> =
        opds.iter().map(|o| (o.kode_lokasi.as_str(), *o)).collect();

    let body = html! {
        div.cards {
            div.card { (l.t("Host daring", "Hosts online")) b #online { (online) " / " (total) } }
            div.card { (l.t("Cakupan pelaporan", "Reporting coverage")) b { (ratio(matched, expected)) } }
            div.card { (l.t("Temuan terbuka", "Open flags")) b { (flags.values().sum::<u64>()) } }
            div.card { (l.t("Layanan e-Gov terganggu", "e-Gov services down")) b { (down) " / " (services.len()) } }
        }
        h2 { (l.t("Per OPD", "Per OPD")) }
        div.scroll { table #opds {
            thead { tr {
                th { "OPD" } th { (l.t("Daring", "Online")) } th { (l.t("Luring", "Offline")) }
                th { (l.t("Aset TIK", "ICT assets")) } th { (l.t("Cocok", "Matched")) }
                th { (l.t("Cakupan", "Coverage")) } th { (l.t("Senyap", "Silent")) }
                th { (l.t("Tak terdaftar", "Unregistered")) } th { (l.t("Temuan", "Flags")) }
                th { (l.t("Hilang paket gateway", "Gateway loss")) } th { "RTT" }
            } }
            tbody { @for (opd, (on, off)) in &by_opd {
                @let rc = counts.get(opd.as_str());
                @let net = nets.get(opd);
                tr data-opd=(opd) {
                    td { a href=(href(l, &format!("/opd/{opd}"))) { (opd) } @if let Some(n) = rc.and_then(|r| r.nama_opd.as_deref()) { br; small { (n) } } }
                    td.n { (on) } td.n { (off) }
                    td.n { (rc.map_or(0, |r| r.registered_ict)) }
                    td.n { (rc.map_or(0, |r| r.matched)) }
                    td.n { (rc.map_or("-".into(), |r| ratio(r.matched, r.expected_agents))) }
                    td.n { (rc.map_or(0, |r| r.silent)) }
                    td.n { (rc.map_or(0, |r| r.unregistered)) }
                    td.n { a href=(href(l, &format!("/temuan?opd={opd}"))) { (rc.map_or(0, |r| r.open_flags.values().sum::<u64>())) } }
                    td.n { (num(net.and_then(|n| n.gateway_loss_pct), " %")) }
                    td.n { (num(net.and_then(|n| n.gateway_rtt_ms), " ms")) }
                }
            } }
        } }
        div.cards {
            div { h2 { (l.t("Temuan terbuka per jenis", "Open flags by kind")) }
                @if flags.is_empty() { p { (l.t("Tidak ada.", "None.")) } }
                table #flags { @for (kind, n) in &flags {
                    tr { td { a href=(href(l, &format!("/temuan?kind={kind}"))) { (kind) } } td.n { (n) } }
                } }
            }
            div { h2 { (l.t("Kondisi aset TIK", "ICT asset condition")) }
                table #kondisi {
                    tr { th { (l.t("Kode", "Code")) } th { (l.t("Register", "Register")) } th { (l.t("Saran Pantau", "Pantau suggests")) } }
                    @for k in CONDITIONS {
                        tr { td { (k) } td.n { (register.get(k).copied().unwrap_or(0)) } td.n { (suggested.get(k).copied().unwrap_or(0)) } }
                    }
                }
            }
        }
        h2 { (l.t("Layanan e-Gov", "e-Gov services")) }
        @if services.is_empty() { p { (l.t("Belum ada pemeriksaan layanan.", "No service checks yet.")) } }
        @else { div.scroll { table #services {
            tr { th { (l.t("Layanan", "Service")) } th { (l.t("Status", "State")) }
                 th { (l.t("OPD gagal", "OPDs failing")) } th { (l.t("Waktu tanggap", "Response")) }
                 th { (l.t("Sertifikat (hari)", "Certificate (days)")) } }
            @for svc in &services {
                tr data-service=(svc.name) {
                    td { (svc.name) }
                    td { @if svc.down { span.bad { (l.t("terganggu", "down")) } } @else { span.ok { (l.t("normal", "up")) } } }
                    td { (svc.opds_failing.iter().filter(|o| c.sees(o)).cloned().collect::<Vec<_>>().join(", ")) }
                    td.n { (num(svc.median_ms, " ms")) }
                    td.n { (svc.cert_days_left.map_or("-".into(), |d| d.to_string())) }
                }
            }
        } } }
        h2 { (l.t("Host", "Hosts")) }
        (host_table(l, &hosts))
    };
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: l.t("Ringkasan", "Overview"),
            nav: Nav::Ringkasan,
            here: "/",
            caller: &c,
        },
        body,
    )))
}

pub fn host_table(l: Lang, hosts: &[&crate::store::HostSummary]) -> Markup {
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}%"));
    html! {
        div.scroll { table #hosts {
            tr { th { "OPD" } th { "Host" } th { (l.t("Status", "State")) } th { "IP" }
                 th { (l.t("Sistem operasi", "Operating system")) } th { "CPU" } th { (l.t("Memori", "Memory")) } th { "Disk" } }
            @for h in hosts.iter().take(HOST_ROWS) {
                tr {
                    td { (h.opd) }
                    td { a href=(href(l, &format!("/host/{}", h.agent_id))) { (h.hostname.as_deref().unwrap_or(&h.agent_id)) } }
                    td { @if h.online { span.ok { (l.t("daring", "online")) } } @else { span.bad { (l.t("luring", "offline")) } } }
                    td { (h.ip.as_deref().unwrap_or("-")) }
                    td { (h.os.as_deref().unwrap_or("-")) }
                    td.n { (pct(h.cpu_pct)) } td.n { (pct(h.mem_pct)) } td.n { (pct(h.disk_pct)) }
                }
            }
        } }
        @if hosts.len() > HOST_ROWS {
            p { (hosts.len() - HOST_ROWS) " " (l.t("host lagi: lihat", "more hosts: see")) " " a href="/api/v1/hosts" { "/api/v1/hosts" } }
        }
    }
}
