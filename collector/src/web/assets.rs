//! The asset register over HTTP: `GET /api/v1/assets` (the register with reconciliation
//! state), `POST /api/v1/assets/import` (a register file, all or nothing, as
//! `register import` does) and `GET /api/v1/assets/export` (XLSX or CSV, as
//! `register export` writes). Import replaces the whole city's register, so it is for
//! admins; an operator lists and exports their OPDs' assets only.

use super::access::{AuditNote, Caller};
use super::{ApiError, ApiResult, AppState};
use crate::i18n::Lang;
use crate::register::export::{self, Format, Options};
use crate::register::import::{self, ImportError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Local;
use serde::Deserialize;
use serde_json::json;

/// Largest register file accepted. A city's full KIB B export is a few MiB; this leaves room
/// for big workbooks while keeping one upload from exhausting the collector's memory.
pub const IMPORT_LIMIT: usize = 50 * 1024 * 1024;

const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/assets", get(list))
        .route("/api/v1/assets/export", get(export_file))
        .route(
            "/api/v1/assets/import",
            post(import_file).layer(DefaultBodyLimit::max(IMPORT_LIMIT)),
        )
}

/// `?opd=` as the store wants it: absent or empty is every OPD.
fn opd_filter(opd: &Option<String>) -> Option<&str> {
    opd.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
struct ListQuery {
    opd: Option<String>,
}

/// Register lines of one OPD or all, of the OPDs the caller may see.
async fn visible_lines(
    s: &AppState,
    c: &Caller,
    opd: Option<&str>,
) -> anyhow::Result<Vec<crate::store::RegisterLine>> {
    let mut lines = s.store.register_lines(opd).await?;
    lines.retain(|l| c.sees(&l.kode_lokasi));
    Ok(lines)
}

#[utoipa::path(
    get,
    path = "/api/v1/assets",
    tag = "register",
    summary = "The register (KIB B) with reconciliation state.",
    params(("opd" = Option<String>, Query, description = "Kode lokasi")),
    responses((status = 200, description = "Register lines", body = serde_json::Value))
)]
async fn list(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    Ok(Json(visible_lines(&s, &c, opd_filter(&q.opd)).await?).into_response())
}

#[derive(Deserialize)]
struct ImportQuery {
    filename: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// The body is the file itself (any content type; curl's `--data-binary` default works), or
/// `multipart/form-data` with the file in a field named `file`.
#[utoipa::path(
    post,
    path = "/api/v1/assets/import",
    tag = "register",
    summary = "Import a full register export (admin): all rows or none.",
    params(("filename" = Option<String>, Query, description = "File name, for its format"), ("dry_run" = Option<bool>, Query, description = "Only report what would change")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The register file (CSV or XLSX), raw or as multipart field `file`"),
    responses((status = 200, description = "What the import did", body = serde_json::Value))
)]
async fn import_file(
    State(s): State<AppState>,
    Query(q): Query<ImportQuery>,
    request: Request,
) -> Response {
    match import_inner(s, q, request).await {
        Ok(r) | Err(r) => r,
    }
}

async fn import_inner(s: AppState, q: ImportQuery, request: Request) -> Result<Response, Response> {
    let content_type = header_str(request.headers(), header::CONTENT_TYPE).map(str::to_owned);
    let (bytes, field_name, field_type) = if content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("multipart/form-data"))
    {
        file_field(
            Multipart::from_request(request, &s)
                .await
                .map_err(IntoResponse::into_response)?,
        )
        .await?
    } else {
        let bytes = Bytes::from_request(request, &s)
            .await
            .map_err(|e| too_large_or(e.status(), e.body_text()))?;
        (bytes, None, content_type)
    };
    let name = upload_name(
        q.filename.as_deref().or(field_name.as_deref()),
        field_type.as_deref(),
        &bytes,
    );
    let parse_name = name.clone();
    let parsed = tokio::task::spawn_blocking(move || import::parse(&parse_name, &bytes))
        .await
        .map_err(|e| ApiError::from(anyhow::anyhow!("parsing the upload: {e}")).into_response())?;
    let result = match parsed {
        Ok(parsed) => import::apply(&*s.store, &name, parsed, q.dry_run).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(outcome) => {
            if !q.dry_run {
                // The register changed: reconcile now rather than at the next interval.
                s.reconcile_now.notify_one();
            }
            let note = AuditNote {
                target: Some(name.clone()),
                detail: serde_json::to_value(&outcome).ok(),
            };
            Ok((Extension(note), Json(outcome)).into_response())
        }
        Err(ImportError::Refused(errors)) => {
            let body = json!({
                "error": ImportError::Refused(errors.clone()).to_string(),
                "diagnostics": errors.0,
            });
            Err((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response())
        }
        Err(ImportError::Store(e)) => Err(ApiError::from(e).into_response()),
    }
}

/// The `file` field of a multipart upload: its bytes, file name and content type.
async fn file_field(
    mut form: Multipart,
) -> Result<(Bytes, Option<String>, Option<String>), Response> {
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| too_large_or(e.status(), e.body_text()))?;
        let Some(field) = field else {
            let message = "multipart upload without a `file` field";
            return Err(ApiError(StatusCode::BAD_REQUEST, message.into()).into_response());
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        let kind = field.content_type().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| too_large_or(e.status(), e.body_text()))?;
        return Ok((bytes, name, kind));
    }
}

/// A body rejection as JSON; for an upload over [`IMPORT_LIMIT`], a message saying so.
fn too_large_or(status: StatusCode, text: String) -> Response {
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "berkas lebih dari {} MiB (file larger than {} MiB)",
            IMPORT_LIMIT >> 20,
            IMPORT_LIMIT >> 20
        )
    } else {
        text
    };
    ApiError(status, message).into_response()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The name an upload is parsed and recorded under. The given file name (its last path
/// component: browsers may send `C:\...\KIB.xlsx`) wins; otherwise the content decides, since
/// a workbook is a ZIP (xlsx, ods) or OLE (xls) file and a CSV is neither; the content type
/// is the last resort, and plain CSV the default.
pub fn upload_name(filename: Option<&str>, content_type: Option<&str>, bytes: &[u8]) -> String {
    let given = filename
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if let Some(name) = given {
        return name.chars().take(255).collect();
    }
    let kind = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    let name = if bytes.starts_with(b"PK\x03\x04") {
        "upload.xlsx"
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        "upload.xls"
    } else {
        match kind.as_deref() {
            Some(XLSX_MIME) => "upload.xlsx",
            Some("application/vnd.ms-excel") => "upload.xls",
            Some("application/vnd.oasis.opendocument.spreadsheet") => "upload.ods",
            _ => "upload.csv",
        }
    };
    name.to_string()
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
    opd: Option<String>,
    lang: Option<String>,
    delimiter: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/assets/export",
    tag = "register",
    summary = "The register as XLSX or CSV, in the export's column order.",
    params(("format" = Option<String>, Query, description = "`xlsx` (default) or `csv`"), ("opd" = Option<String>, Query, description = "Kode lokasi"), ("lang" = Option<String>, Query, description = "`id` (default) or `en`"), ("delimiter" = Option<String>, Query, description = "CSV delimiter: `,` or `;`")),
    responses((status = 200, description = "The file"))
)]
async fn export_file(
    State(s): State<AppState>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ExportQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let bad = |m: String| ApiError(StatusCode::BAD_REQUEST, m);
    let format = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => Format::Xlsx,
        "csv" => Format::Csv,
        other => return Err(bad(format!("format {other:?}: use xlsx or csv"))),
    };
    let delimiter = match q.delimiter.as_deref() {
        Some(d) => export::parse_delimiter(d).map_err(bad)?,
        None => b';',
    };
    let lang = q
        .lang
        .as_deref()
        .or_else(|| header_str(&headers, header::ACCEPT_LANGUAGE))
        .map(Lang::parse)
        .unwrap_or_default();
    let opd = opd_filter(&q.opd);
    let lines = visible_lines(&s, &c, opd).await?;
    if let (Some(opd), true) = (opd, lines.is_empty()) {
        let message = format!(
            "{} {opd:?}",
            lang.t(
                "tidak ada aset dengan kode lokasi",
                "no assets with kode lokasi"
            )
        );
        return Err(ApiError(StatusCode::NOT_FOUND, message));
    }
    let options = Options {
        lang,
        delimiter,
        ..Default::default()
    };
    let bytes = tokio::task::spawn_blocking(move || export::write(format, &lines, &options))
        .await
        .map_err(|e| anyhow::anyhow!("writing the export: {e}"))??;
    let file = format.default_file_name(Local::now().date_naive());
    Ok((
        [
            (header::CONTENT_TYPE, format.mime().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
#[path = "assets_tests.rs"]
mod tests;

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, export_file, import_file))]
pub struct Api;
