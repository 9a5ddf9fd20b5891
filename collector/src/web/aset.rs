//! `/aset`: the register and its reconciliation for the people who keep it. Every register
//! asset with its match state (matched, in review, silent, not seen), the host and the rule
//! that matched it, register condition beside the suggested one; the reporting hosts no asset
//! matches (unregistered); and the review queue, where an operator links a host to one of its
//! candidate assets. A matched pair can be unlinked. Decisions go through the same store call
//! and audit as `POST /api/v1/reconciliation/*` and trigger a reconciliation.

use super::access::Caller;
use super::layout::{self, csrf_field, href, FormCommon, Nav, Page};
use super::reconcile::apply_decision;
use super::{ApiError, ApiResult, AppState};
use crate::i18n::Lang;
use crate::reconcile::DecisionKind;
use crate::store::accounts::Role;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/aset", get(page))
        .route("/aset/keputusan", post(decide))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Filters {
    opd: Option<String>,
    /// `matched`, `review`, `silent`, `not_seen`; all when absent.
    state: Option<String>,
    lang: Option<String>,
}

const STATES: [&str; 4] = ["matched", "review", "silent", "not_seen"];

fn state_label(l: Lang, s: &str) -> &'static str {
    match s {
        "matched" => l.t("cocok", "matched"),
        "review" => l.t("ditinjau", "in review"),
        "silent" => l.t("senyap", "silent"),
        "not_seen" => l.t("tidak dipantau", "not monitored"),
        _ => "?",
    }
}

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(f): Query<Filters>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let l = layout::lang(f.lang.as_deref(), &headers);
    if let Some(st) = f.state.as_deref().filter(|s| !s.is_empty()) {
        if !STATES.contains(&st) {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("query parameter `state`: {st:?} is not one of {STATES:?}"),
            ));
        }
    }
    let opd = f.opd.clone().filter(|o| !o.is_empty());
    let mut lines = s.store.register_lines(opd.as_deref()).await?;
    lines.retain(|r| c.sees(&r.kode_lokasi));
    let matched: BTreeSet<String> = lines.iter().filter_map(|r| r.agent_id.clone()).collect();
    let all = lines.clone();
    if let Some(st) = f.state.as_deref().filter(|s| !s.is_empty()) {
        lines.retain(|r| r.match_state == st);
    }
    let mut queue = s.store.review_queue(opd.as_deref()).await?;
    queue.retain(|i| c.sees(&i.opd));
    let in_review: BTreeSet<&str> = queue.iter().map(|i| i.agent_id.as_str()).collect();
    let mut unregistered = s.store.hosts().await?;
    unregistered.retain(|h| {
        c.sees(&h.opd)
            && opd.as_ref().is_none_or(|o| *o == h.opd)
            && !matched.contains(&h.agent_id)
            && !in_review.contains(h.agent_id.as_str())
    });
    let can_decide = c.user.role != Role::Auditor;
    // Assets an unregistered host may be linked to: its OPD's, not matched to another host.
    let mut free: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in &all {
        if r.agent_id.is_none() {
            let label = format!("{} — {} {} {}", r.key, r.nama_barang, r.merk, r.tipe);
            free.entry(r.kode_lokasi.clone())
                .or_default()
                .push((r.key.clone(), label));
        }
    }
    let mut here = String::from("/aset");
    let query = serde_urlencoded::to_string(
        [("opd", opd.clone()), ("state", f.state.clone())]
            .into_iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default();
    if !query.is_empty() {
        here = format!("/aset?{query}");
    }
    let decision = |kind: &str, agent: &str, asset: &str, label: &str| -> Markup {
        html! {
            form.act method="post" action="/aset/keputusan" {
                (csrf_field(&c))
                input type="hidden" name="kind" value=(kind);
                input type="hidden" name="agent_id" value=(agent);
                input type="hidden" name="asset_key" value=(asset);
                input type="hidden" name="back" value=(here);
                @if l == Lang::En { input type="hidden" name="lang" value="en"; }
                input type="text" name="note" placeholder=(l.t("catatan", "note"));
                button type="submit" { (label) }
            }
        }
    };
    let body = html! {
        form.filters method="get" action="/aset" {
            @if l == Lang::En { input type="hidden" name="lang" value="en"; }
            label { "OPD " input type="text" name="opd" value=(opd.as_deref().unwrap_or("")) size="16"; }
            label { (l.t("Status", "State")) " "
                select name="state" {
                    option value="" { (l.t("semua", "all")) }
                    @for st in STATES {
                        option value=(st) selected[f.state.as_deref() == Some(st)] { (state_label(l, st)) }
                    }
                }
            }
            button type="submit" { (l.t("Saring", "Filter")) }
        }
        h2 { (l.t("Antrean tinjauan", "Review queue")) " (" (queue.len()) ")" }
        @if queue.is_empty() { p { (l.t("Kosong.", "Empty.")) } }
        div.scroll { table #review { @for item in &queue {
            tr data-agent=(item.agent_id) {
                td { a href=(href(l, &format!("/host/{}", item.agent_id))) { (item.hostname.as_deref().unwrap_or(&item.agent_id)) } br; small { (item.opd) } }
                td { (format!("{:?}", item.reason)) }
                td { @for cand in &item.candidates {
                    div {
                        (cand.asset_key) " — " (format!("{:?}", cand.evidence.rule)) ": " (cand.evidence.value)
                        @if can_decide { (decision("confirm", &item.agent_id, &cand.asset_key, l.t("Tautkan", "Link"))) }
                    }
                } }
            }
        } } }
        h2 { (l.t("Host tak terdaftar", "Unregistered hosts")) " (" (unregistered.len()) ")" }
        div.scroll { table #unregistered { @for h in &unregistered {
            tr data-agent=(h.agent_id) {
                td { a href=(href(l, &format!("/host/{}", h.agent_id))) { (h.hostname.as_deref().unwrap_or(&h.agent_id)) } }
                td { (h.opd) } td { (h.ip.as_deref().unwrap_or("-")) }
                td { @if let (Some(assets), true) = (free.get(&h.opd), can_decide) {
                    form.act method="post" action="/aset/keputusan" {
                        (csrf_field(&c))
                        input type="hidden" name="kind" value="link";
                        input type="hidden" name="agent_id" value=(h.agent_id);
                        input type="hidden" name="back" value=(here);
                        @if l == Lang::En { input type="hidden" name="lang" value="en"; }
                        select name="asset_key" { @for (key, label) in assets { option value=(key) { (label) } } }
                        input type="text" name="note" placeholder=(l.t("catatan", "note"));
                        button type="submit" { (l.t("Tautkan", "Link")) }
                    }
                } }
            }
        } } }
        h2 { (l.t("Register", "Register")) " (" (lines.len()) ")" }
        div.scroll { table #register {
            tr { th { (l.t("Kunci", "Key")) } th { "OPD" } th { (l.t("Barang", "Item")) } th { (l.t("Nomor pabrik", "Serial")) }
                 th { (l.t("Kondisi / saran", "Condition / suggested")) } th { (l.t("Status", "State")) }
                 th { "Host" } th { (l.t("Aturan", "Rule")) } th { (l.t("Temuan", "Flags")) } th {} }
            @for r in &lines {
                tr data-asset=(r.key) {
                    td { (r.key) }
                    td { (r.kode_lokasi) }
                    td { (r.nama_barang) " " small { (r.merk) " " (r.tipe) } }
                    td { (r.nomor_pabrik.as_deref().unwrap_or("-")) }
                    td { (r.kondisi.map_or("-".into(), |k| format!("{k:?}"))) " / " (r.suggested_kondisi.map_or("-".into(), |k| format!("{k:?}"))) }
                    td { (state_label(l, &r.match_state)) }
                    td { @if let Some(a) = &r.agent_id { a href=(href(l, &format!("/host/{a}"))) { (r.hostname.as_deref().unwrap_or(a)) } } }
                    td { (r.match_rule.as_deref().unwrap_or("")) }
                    td { (r.open_flags.join(", ")) }
                    td { @if let (Some(a), true) = (&r.agent_id, can_decide) { (decision("unlink", a, &r.key, l.t("Lepas", "Unlink"))) } }
                }
            }
        } }
    };
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: l.t("Register dan rekonsiliasi", "Register and reconciliation"),
            nav: Nav::Aset,
            here: &here,
            caller: &c,
        },
        body,
    )))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    kind: String,
    agent_id: String,
    asset_key: String,
    #[serde(flatten)]
    common: FormCommon,
}

async fn decide(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<DecisionForm>,
) -> ApiResult<impl IntoResponse> {
    let kind = match f.kind.as_str() {
        "link" => DecisionKind::Link,
        "confirm" => DecisionKind::Confirm,
        "unlink" => DecisionKind::Unlink,
        other => {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("form field `kind`: {other:?} is not link, confirm or unlink"),
            ))
        }
    };
    let note = f.common.note();
    let (_, audit) = apply_decision(&s, &c, kind, f.agent_id, f.asset_key, note).await?;
    Ok((Extension(audit), f.common.back_to("/aset")))
}
