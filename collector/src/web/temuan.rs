//! The flags inbox (`/temuan`): filter by OPD, kind, state and age; open one flag for its
//! evidence, article and history; acknowledge or resolve it with a note. The forms post to
//! `POST /temuan/{id}` with the session's `_csrf` field and come back to the same list, so
//! the page works without JavaScript. An operator sees and acts on their OPDs' flags only.

use super::access::Caller;
use super::flags::{apply, visible};
use super::layout::{self, csrf_field, href, FormCommon, Nav, Page};
use super::{ApiError, ApiResult, AppState};
use crate::i18n::Lang;
use crate::store::{Flag, FlagAction, FlagFilter};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Form, Router};
use chrono::{Duration, Utc};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/temuan", get(list))
        .route("/temuan/{id}", get(one).post(act))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Filters {
    opd: Option<String>,
    kind: Option<String>,
    /// `open` (open and acknowledged, the default), `resolved`, or `all`.
    state: Option<String>,
    /// Only flags opened at least this many days ago.
    age: Option<u32>,
    /// 1-based page of [`PAGE`] flags, newest first.
    page: Option<usize>,
    lang: Option<String>,
}

/// Flags per page: a list one can act on, and a page that stays fast with a city's backlog.
const PAGE: usize = 100;

impl Filters {
    /// The query string of these filters (without `lang`), to come back to the same list.
    fn query(&self) -> String {
        let pairs: Vec<(&str, String)> = [
            ("opd", self.opd.clone()),
            ("kind", self.kind.clone()),
            ("state", self.state.clone()),
            ("age", self.age.map(|a| a.to_string())),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn state_filter(state: Option<&str>) -> Result<Option<String>, ApiError> {
    match state.unwrap_or("open") {
        "" | "open" => Ok(None),
        "resolved" => Ok(Some("resolved".into())),
        "all" => Ok(Some("open,acknowledged,resolved".into())),
        other => Err(ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("query parameter `state`: {other:?} is not open, resolved or all"),
        )),
    }
}

fn state_label(l: Lang, state: &str) -> &'static str {
    match state {
        "open" => l.t("terbuka", "open"),
        "acknowledged" => l.t("diakui", "acknowledged"),
        "resolved" => l.t("selesai", "resolved"),
        _ => "?",
    }
}

async fn list(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(f): Query<Filters>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let l = layout::lang(f.lang.as_deref(), &headers);
    let filter = FlagFilter {
        state: state_filter(f.state.as_deref())?,
        kind: f.kind.clone().filter(|k| !k.is_empty()),
        opd: f.opd.clone().filter(|o| !o.is_empty()),
        ..Default::default()
    };
    let key = (
        filter.state.clone(),
        filter.kind.clone(),
        filter.opd.clone(),
    );
    let all = s
        .snapshots
        .flags(&key, || async { s.store.flags(filter).await })
        .await?;
    let before = f.age.map(|days| Utc::now() - Duration::days(days.into()));
    let flags: Vec<&Flag> = all
        .iter()
        .filter(|x| c.sees(&x.opd) && before.is_none_or(|b| x.opened_at <= b))
        .collect();
    let total = flags.len();
    let pages = total.div_ceil(PAGE).max(1);
    let page = f.page.unwrap_or(1).clamp(1, pages);
    let shown = flags.iter().skip((page - 1) * PAGE).take(PAGE);
    let query = f.query();
    let at_page = |n: usize| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!("/temuan?{query}{sep}page={n}")
    };
    let back = if page > 1 {
        at_page(page)
    } else if query.is_empty() {
        "/temuan".to_owned()
    } else {
        format!("/temuan?{query}")
    };
    let body = html! {
        (filters(l, &f))
        p #count {
            (total) " " (l.t("temuan", "flags"))
            @if pages > 1 {
                " · " (l.t("halaman", "page")) " " (page) " / " (pages) " · "
                @if page > 1 { a href=(href(l, &at_page(page - 1))) { "‹ " (l.t("sebelumnya", "previous")) } " " }
                @if page < pages { a href=(href(l, &at_page(page + 1))) { (l.t("berikutnya", "next")) " ›" } }
            }
        }
        div.scroll { table #temuan {
            tr { th { "#" } th { (l.t("Jenis", "Kind")) } th { "OPD" } th { (l.t("Ringkasan", "Summary")) }
                 th { (l.t("Pasal", "Article")) } th { (l.t("Dibuka", "Opened")) } th { (l.t("Status", "State")) }
                 th { (l.t("Tindakan", "Action")) } }
            @for x in shown {
                tr data-flag=(x.id) {
                    td { a href=(href(l, &format!("/temuan/{}", x.id))) { (x.id) } }
                    td { (x.kind) }
                    td { (x.opd) }
                    td { (x.summary) }
                    td { small { (x.article) } }
                    td { (x.opened_at.format("%Y-%m-%d %H:%M")) }
                    td { (state_label(l, &x.state)) }
                    td { (actions(l, &c, x, &back)) }
                }
            }
        } }
    };
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: l.t("Temuan", "Flags"),
            nav: Nav::Temuan,
            here: &back,
            caller: &c,
        },
        body,
    )))
}

fn filters(l: Lang, f: &Filters) -> Markup {
    let state = f.state.as_deref().unwrap_or("open");
    html! {
        form.filters method="get" action="/temuan" {
            @if l == Lang::En { input type="hidden" name="lang" value="en"; }
            label { "OPD " input type="text" name="opd" value=(f.opd.as_deref().unwrap_or("")) size="16"; }
            label { (l.t("Jenis", "Kind")) " " input type="text" name="kind" value=(f.kind.as_deref().unwrap_or("")) size="18"; }
            label { (l.t("Status", "State")) " "
                select name="state" {
                    @for (v, label) in [("open", l.t("terbuka", "open")), ("resolved", l.t("selesai", "resolved")), ("all", l.t("semua", "all"))] {
                        option value=(v) selected[v == state] { (label) }
                    }
                }
            }
            label { (l.t("Umur minimal (hari)", "At least (days) old")) " " input type="number" min="0" name="age" value=(f.age.map(|a| a.to_string()).unwrap_or_default()) size="4"; }
            button type="submit" { (l.t("Saring", "Filter")) }
        }
    }
}

/// Acknowledge / resolve with a note; auditors read only, resolved flags have nothing to do.
fn actions(l: Lang, c: &Caller, x: &Flag, back: &str) -> Markup {
    let can = c.user.role != crate::store::accounts::Role::Auditor && x.state != "resolved";
    html! {
        @if can {
            form.act method="post" action={ "/temuan/" (x.id) } {
                (csrf_field(c))
                input type="hidden" name="back" value=(back);
                @if l == Lang::En { input type="hidden" name="lang" value="en"; }
                input type="text" name="note" placeholder=(l.t("catatan", "note"));
                @if x.state == "open" {
                    button type="submit" name="action" value="ack" { (l.t("Akui", "Acknowledge")) }
                }
                button type="submit" name="action" value="resolve" { (l.t("Selesaikan", "Resolve")) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct LangOnly {
    lang: Option<String>,
}

async fn one(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<LangOnly>,
    headers: HeaderMap,
) -> ApiResult<Html<String>> {
    let l = layout::lang(q.lang.as_deref(), &headers);
    let x = visible(&s, &c, id).await?;
    let history = s.store.flag_history(id).await?;
    let here = format!("/temuan/{id}");
    let evidence = serde_json::to_string_pretty(&x.evidence).unwrap_or_default();
    let body = html! {
        table #flag {
            tr { th { (l.t("Jenis", "Kind")) } td { (x.kind) } }
            tr { th { "OPD" } td { (x.opd) } }
            tr { th { (l.t("Subjek", "Subject")) } td { (x.subject_kind) ": " (x.subject) } }
            tr { th { (l.t("Ringkasan", "Summary")) } td { (x.summary) } }
            tr { th { (l.t("Pasal", "Article")) } td { (x.article) } }
            tr { th { (l.t("Status", "State")) } td { (state_label(l, &x.state)) } }
            tr { th { (l.t("Terakhir ditemukan", "Last found")) } td { (x.last_found_at.format("%Y-%m-%d %H:%M UTC")) } }
        }
        (actions(l, &c, &x, &here))
        h2 { (l.t("Bukti", "Evidence")) }
        pre.scroll { (evidence) }
        h2 { (l.t("Riwayat", "History")) }
        table #history {
            tr { th { (l.t("Waktu", "When")) } th { (l.t("Kejadian", "Event")) } th { (l.t("Oleh", "By")) } th { (l.t("Catatan", "Note")) } }
            @for e in &history {
                tr { td { (e.at.format("%Y-%m-%d %H:%M UTC")) } td { (e.event) } td { (e.by) } td { (e.note.as_deref().unwrap_or("")) } }
            }
        }
    };
    let title = format!("{} #{id}", l.t("Temuan", "Flag"));
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: &title,
            nav: Nav::Temuan,
            here: &here,
            caller: &c,
        },
        body,
    )))
}

#[derive(Deserialize)]
pub struct ActForm {
    action: String,
    #[serde(flatten)]
    common: FormCommon,
}

async fn act(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> ApiResult<impl IntoResponse> {
    let action = match f.action.as_str() {
        "ack" => FlagAction::Ack,
        "resolve" => FlagAction::Resolve,
        other => {
            return Err(ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("form field `action`: {other:?} is not ack or resolve"),
            ))
        }
    };
    let note = f.common.note();
    let (_, mut audit) = apply(&s, &c, id, action, note.as_deref()).await?;
    if let Some(Value::Object(detail)) = &mut audit.detail {
        detail.insert("action".into(), Value::from(f.action.as_str()));
        detail.insert("via".into(), Value::from("page"));
    }
    Ok((Extension(audit), f.common.back_to("/temuan")))
}
