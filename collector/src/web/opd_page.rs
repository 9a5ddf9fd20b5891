//! `GET /opd/{kode}`: one OPD on one page — its hosts, its register coverage and assets in
//! trouble, its open flags and its network — with links to the full lists. An operator may
//! open only their own OPDs; another's is "not found", as everywhere.

use super::access::Caller;
use super::layout::{self, href, Nav, Page};
use super::ringkasan::host_table;
use super::{ApiError, ApiResult, AppState};
use crate::network::health;
use crate::store::FlagFilter;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Utc;
use maud::html;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/opd/{kode}", get(page))
}

#[derive(Deserialize)]
pub struct Params {
    lang: Option<String>,
}

/// Flags and assets shown here before "see all".
const TOP: usize = 20;

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(kode): Path<String>,
    Query(p): Query<Params>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let l = layout::lang(p.lang.as_deref(), &headers);
    let not_found = || ApiError(StatusCode::NOT_FOUND, format!("no OPD {kode}"));
    if !c.sees(&kode) {
        return Err(not_found());
    }
    let mut hosts = s.store.hosts().await?;
    hosts.retain(|h| h.opd == kode);
    hosts.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    let lines = s.store.register_lines(Some(&kode)).await?;
    if hosts.is_empty() && lines.is_empty() {
        return Err(not_found());
    }
    let summary = s
        .store
        .reconcile_summary(&s.reconcile.rules.ict_prefix)
        .await?;
    let counts = summary.opds.into_iter().find(|o| o.kode_lokasi == kode);
    let flags = s
        .store
        .flags(FlagFilter {
            opd: Some(kode.clone()),
            ..Default::default()
        })
        .await?;
    let latest = s.store.latest_net().await?;
    let net = health::opd_views(&latest, Utc::now(), &s.network)
        .into_iter()
        .find(|v| v.opd == kode);
    let trouble: Vec<_> = lines
        .iter()
        .filter(|r| r.match_state == "silent" || !r.open_flags.is_empty())
        .take(TOP)
        .collect();
    let online = hosts.iter().filter(|h| h.online).count();
    let body = html! {
        @if let Some(n) = counts.as_ref().and_then(|c| c.nama_opd.as_deref()) { p { (n) } }
        div.cards {
            div.card { (l.t("Host daring", "Hosts online")) b { (online) " / " (hosts.len()) } }
            @if let Some(rc) = &counts {
                div.card { (l.t("Aset TIK", "ICT assets")) b { (rc.registered_ict) } }
                div.card { (l.t("Cocok", "Matched")) b { (rc.matched) " / " (rc.expected_agents) } }
                div.card { (l.t("Senyap", "Silent")) b { (rc.silent) } }
            }
            div.card { (l.t("Temuan terbuka", "Open flags")) b { (flags.len()) } }
            @if let Some(n) = &net {
                div.card { (l.t("Gateway: hilang / RTT", "Gateway: loss / RTT")) b {
                    (n.gateway_loss_pct.map_or("-".into(), |v| format!("{v:.0}%"))) " / "
                    (n.gateway_rtt_ms.map_or("-".into(), |v| format!("{v:.0} ms"))) } }
            }
        }
        h2 { (l.t("Temuan terbuka", "Open flags")) " · " a href=(href(l, &format!("/temuan?opd={kode}"))) { (l.t("semua", "all")) } }
        table #opd-flags { @for f in flags.iter().take(TOP) {
            tr { td { a href=(href(l, &format!("/temuan/{}", f.id))) { "#" (f.id) } } td { (f.kind) } td { (f.summary) } }
        } }
        h2 { (l.t("Aset bermasalah", "Assets needing attention")) " · " a href=(href(l, &format!("/aset?opd={kode}"))) { (l.t("register lengkap", "full register")) } }
        @if trouble.is_empty() { p { (l.t("Tidak ada.", "None.")) } }
        table #opd-assets { @for r in &trouble {
            tr { td { (r.key) } td { (r.nama_barang) " " (r.merk) " " (r.tipe) } td { (r.match_state) } td { (r.open_flags.join(", ")) } }
        } }
        h2 { (l.t("Host", "Hosts")) " · " a href=(href(l, "/jaringan")) { (l.t("jaringan", "network")) } }
        (host_table(l, &hosts.iter().collect::<Vec<_>>()))
    };
    let title = format!("OPD {kode}");
    let here = format!("/opd/{kode}");
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: &title,
            nav: Nav::Ringkasan,
            here: &here,
            caller: &c,
        },
        body,
    )))
}
