//! Periodic reports (issue 8): `GET /api/v1/reports` (the archive), `GET
//! /api/v1/reports/{id}/download`, `POST /api/v1/reports` (generate now) and the `/laporan`
//! page. An operator sees, fetches and generates their own OPDs' reports only; city-wide
//! reports are for admins and auditors (an operator's "not found" hides that they exist).

use super::access::{AuditNote, Caller};
use super::layout::{self, csrf_field, FormCommon, Nav, Page};
use super::{ApiError, ApiResult, AppState};
use crate::i18n::Lang;
use crate::report::period::Period;
use crate::report::{Format, Request};
use crate::store::accounts::Role;
use crate::store::sqlite::report_archive::ReportFile;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Form, Json, Router};
use maud::html;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/reports", get(list).post(generate))
        .route("/api/v1/reports/{id}/download", get(download))
        .route("/laporan", get(page).post(generate_form))
}

async fn visible(s: &AppState, c: &Caller) -> ApiResult<Vec<ReportFile>> {
    let mut all = s.store.reports().await?;
    all.retain(|r| c.sees(&r.opd));
    Ok(all)
}

#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "reports",
    summary = "Archived reports the caller may fetch.",
    responses((status = 200, description = "Reports", body = serde_json::Value))
)]
async fn list(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(visible(&s, &c).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{id}/download",
    tag = "reports",
    summary = "One report file (PDF, XLSX or HTML).",
    params(("id" = i64, Path, description = "Report file id")),
    responses((status = 200, description = "The file"))
)]
async fn download(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    let f = match s.store.report(id).await? {
        Some(f) if c.sees(&f.opd) => f,
        _ => return Err(ApiError(StatusCode::NOT_FOUND, format!("no report {id}"))),
    };
    let bytes = s.reports.read(&f)?;
    let mime = match f.format.as_str() {
        "pdf" => Format::Pdf.mime(),
        "html" => Format::Html.mime(),
        _ => Format::Xlsx.mime(),
    };
    let name = f.path.rsplit('/').next().unwrap_or(&f.path).to_string();
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, mime.parse().expect("static mime"));
    let disposition = format!("attachment; filename=\"{name}\"");
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition
            .parse()
            .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "file name".into()))?,
    );
    Ok((h, bytes))
}

/// Body of "generate now".
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// `2026-10` or `2026-Q4`.
    pub period: String,
    /// Kode lokasi; absent for city-wide (admins only).
    pub opd: Option<String>,
    /// `["pdf", "html", "xlsx"]`; default `[reports] formats`.
    pub formats: Option<Vec<String>>,
    /// `id` (default) or `en`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub lang: Lang,
}

/// Generate now as the caller, and what the audit log records of it; shared by the API and
/// the page's form.
async fn make(
    s: &AppState,
    c: &Caller,
    b: GenerateBody,
) -> ApiResult<(Vec<ReportFile>, AuditNote)> {
    let unprocessable = |m: String| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m);
    let period = Period::parse(&b.period, s.reports.config.zone).map_err(unprocessable)?;
    let scope = b.opd.clone().unwrap_or_else(|| "*".into());
    if !c.sees(&scope) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            match &b.opd {
                Some(o) => format!("opd: {o:?} is not one of your OPDs"),
                None => "opd: a city-wide report needs an admin; name your OPD".into(),
            },
        ));
    }
    let formats = match &b.formats {
        Some(list) => Format::parse_list(&list.join(",")).map_err(unprocessable)?,
        None => s.reports.config.formats.clone(),
    };
    let req = Request {
        period,
        opd: b.opd.clone(),
        lang: b.lang,
    };
    let files = s
        .reports
        .generate(&*s.store, &req, &formats, c.name(), chrono::Utc::now())
        .await?;
    let note = AuditNote {
        target: Some(format!("report {} {}", req.period, scope)),
        detail: Some(serde_json::json!({ "formats": b.formats, "lang": b.lang })),
    };
    Ok((files, note))
}

#[utoipa::path(
    post,
    path = "/api/v1/reports",
    tag = "reports",
    summary = "Generate a report now.",
    request_body = GenerateBody,
    responses((status = 200, description = "The files made", body = serde_json::Value))
)]
async fn generate(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Json(b): Json<GenerateBody>,
) -> ApiResult<impl IntoResponse> {
    let (files, note) = make(&s, &c, b).await?;
    Ok((StatusCode::CREATED, Extension(note), Json(files)))
}

/// The page's "generate now" form: period, OPD (empty for city-wide), language.
#[derive(Deserialize)]
struct GenerateForm {
    period: String,
    #[serde(default)]
    opd: String,
    #[serde(flatten)]
    common: FormCommon,
}

async fn generate_form(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Form(f): Form<GenerateForm>,
) -> ApiResult<impl IntoResponse> {
    let l = f.common.lang();
    let body = GenerateBody {
        period: f.period.trim().to_owned(),
        opd: Some(f.opd.trim().to_owned()).filter(|o| !o.is_empty()),
        formats: None,
        lang: l,
    };
    let (_, note) = make(&s, &c, body).await?;
    Ok((Extension(note), f.common.back_to("/laporan")))
}

#[derive(Deserialize)]
struct PageQuery {
    lang: Option<String>,
}

async fn page(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let l = layout::lang(q.lang.as_deref(), &headers);
    let files = visible(&s, &c).await?;
    let last_month = (chrono::Utc::now() - chrono::Duration::days(28)).format("%Y-%m");
    let can_make = c.user.role != Role::Auditor;
    let body = html! {
        @if can_make {
            h2 { (l.t("Buat sekarang", "Generate now")) }
            form.filters method="post" action="/laporan" {
                (csrf_field(&c))
                @if l == Lang::En { input type="hidden" name="lang" value="en"; }
                label { (l.t("Periode", "Period")) " " input type="text" name="period" value=(last_month) size="8" required placeholder="2026-10 / 2026-Q4"; }
                label { "OPD " input type="text" name="opd" size="16" placeholder=(l.t("kosong = seluruh kota", "empty = city-wide")); }
                button type="submit" { (l.t("Buat", "Generate")) }
            }
        }
        h2 { (l.t("Arsip", "Archive")) }
        @if files.is_empty() { p { (l.t("Belum ada laporan.", "No reports yet.")) } }
        @else {
            div.scroll { table #reports {
                tr { th { (l.t("Periode", "Period")) } th { "OPD" } th { (l.t("Bahasa", "Language")) } th { (l.t("Berkas", "File")) } th { (l.t("Dibuat", "Generated")) } th { (l.t("Oleh", "By")) } }
                @for f in &files {
                    tr { td { (f.period) } td { @if f.opd == "*" { (l.t("Kota", "City")) } @else { (f.opd) } } td { (f.lang) }
                         td { a href={ "/api/v1/reports/" (f.id) "/download" } { (f.format.to_uppercase()) } " (" (f.bytes / 1024) " KiB)" }
                         td { (f.generated_at) } td { (f.generated_by) } }
                }
            } }
        }
    };
    Ok(Html(layout::render(
        Page {
            lang: l,
            title: l.t(
                "Laporan berkala kondisi perangkat TIK",
                "Periodic ICT condition reports",
            ),
            nav: Nav::Laporan,
            here: "/laporan",
            caller: &c,
        },
        body,
    )))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, download, generate))]
pub struct Api;
