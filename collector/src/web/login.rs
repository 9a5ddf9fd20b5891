//! Signing in and out: the login page (`GET /login`, Bahasa Indonesia, `?lang=en`), `POST
//! /login` (an HTML form, or JSON `{name, password}` answered with the CSRF token),
//! `POST /logout`, `GET /api/v1/me`, and the audit log (`GET /api/v1/audit`).

use super::access::{self, Caller, ClientIp, CSRF_HEADER, SESSION_COOKIE};
use super::{ApiError, ApiResult, AppState};
use crate::auth::{secret, Denied};
use crate::i18n::Lang;
use crate::store::accounts::{AuditEntry, AuditFilter};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(page).post(login))
        .route("/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/audit", get(audit))
}

#[derive(Deserialize, Default)]
struct PageQuery {
    lang: Option<String>,
    next: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Only a path on this server: never `//host` or `https://...` (an open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

fn render(lang: Lang, next: &str, error: Option<&str>) -> String {
    let t = |id, en| lang.t(id, en);
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"err\">{}</p>", esc(e)))
        .unwrap_or_default();
    let other = match lang {
        Lang::Id => "<a href=\"/login?lang=en\">English</a>",
        Lang::En => "<a href=\"/login?lang=id\">Bahasa Indonesia</a>",
    };
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Pantau: {title}</title><link rel=\"icon\" href=\"{icon}\">\
<style>body{{font-family:sans-serif;max-width:22rem;margin:3rem auto;padding:0 1rem}}\
label,input,button{{display:block;width:100%;margin:.3rem 0;box-sizing:border-box}}\
input,button{{padding:.5rem;font-size:1rem}}.err{{color:#b00020}}</style></head><body>\
<h1>Pantau</h1><h2>{title}</h2>{error}\
<form method=\"post\" action=\"/login\">\
<input type=\"hidden\" name=\"next\" value=\"{next}\"><input type=\"hidden\" name=\"lang\" value=\"{code}\">\
<label for=\"name\">{user}</label><input id=\"name\" name=\"name\" autocomplete=\"username\" required autofocus>\
<label for=\"password\">{pass}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
<button type=\"submit\">{go}</button></form><p>{other}</p></body></html>",
        code = match lang {
            Lang::Id => "id",
            Lang::En => "en",
        },
        title = t("Masuk", "Sign in"),
        icon = super::layout::FAVICON,
        user = t("Nama pengguna", "User name"),
        pass = t("Kata sandi", "Password"),
        go = t("Masuk", "Sign in"),
        next = esc(next),
    )
}

async fn page(Query(q): Query<PageQuery>, headers: HeaderMap) -> Html<String> {
    let lang = pick_lang(q.lang.as_deref(), &headers);
    Html(render(lang, &safe_next(q.next.as_deref()), None))
}

fn pick_lang(given: Option<&str>, headers: &HeaderMap) -> Lang {
    super::layout::lang(given, headers)
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    next: Option<String>,
    lang: Option<String>,
}

/// A browser's `Origin` naming another host than the one it asked (`Host`). Clients that
/// send no `Origin` (curl, scripts) are not browsers posting on another site's behalf.
fn cross_origin(headers: &HeaderMap) -> bool {
    let get = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
    match (get(header::ORIGIN), get(header::HOST)) {
        (Some(origin), Some(host)) => {
            origin == "null" || origin.split_once("://").map(|(_, h)| h) != Some(host)
        }
        _ => false,
    }
}

fn cookie_header(s: &AppState, headers: &HeaderMap, value: &str, max_age_s: i64) -> String {
    let forwarded_tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let secure = if s.auth.config.secure_cookie || forwarded_tls {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_s}{secure}"
    )
}

/// `POST /login`: a form (redirect to `next`, or the page again with the reason) or JSON
/// (`{name, password}` -> `{user, csrf_token}`); either way a session cookie.
async fn login(
    State(s): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let form: Result<LoginForm, String> = if json_body {
        serde_json::from_slice(&body).map_err(|e| format!("body: {e}"))
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|e| format!("form: {e}"))
    };
    let form = match form {
        Ok(f) => f,
        Err(e) => return ApiError(StatusCode::BAD_REQUEST, e).into_response(),
    };
    let lang = pick_lang(form.lang.as_deref(), &headers);
    if cross_origin(&headers) {
        // Login CSRF: another site signing the victim into the attacker's account.
        return ApiError(StatusCode::FORBIDDEN, "login from another site".into()).into_response();
    }
    let checked = s
        .auth
        .check_password(
            &*s.store,
            form.name.trim(),
            &form.password,
            ip.as_deref(),
            "login",
        )
        .await;
    let (status, message) = match checked {
        Ok(Ok(user)) => {
            return match start_session(&s, &headers, &user, json_body, form.next.as_deref()).await {
                Ok(r) => r,
                Err(e) => ApiError::from(e).into_response(),
            }
        }
        Ok(Err(Denied::BadCredentials)) => (
            StatusCode::UNAUTHORIZED,
            lang.t(
                "Nama pengguna atau kata sandi salah.",
                "Wrong user name or password.",
            )
            .to_owned(),
        ),
        Ok(Err(Denied::Locked(until))) => (
            StatusCode::FORBIDDEN,
            format!(
                "{} {}",
                lang.t("Akun dikunci sampai", "Account locked until"),
                until.format("%Y-%m-%d %H:%M UTC")
            ),
        ),
        Ok(Err(Denied::RateLimited)) => (
            StatusCode::TOO_MANY_REQUESTS,
            lang.t(
                "Terlalu banyak percobaan; tunggu satu menit.",
                "Too many attempts; wait a minute.",
            )
            .to_owned(),
        ),
        Err(e) => return ApiError::from(e).into_response(),
    };
    if json_body {
        return ApiError(status, message).into_response();
    }
    let next = safe_next(form.next.as_deref());
    (status, Html(render(lang, &next, Some(&message)))).into_response()
}

async fn start_session(
    s: &AppState,
    headers: &HeaderMap,
    user: &crate::store::accounts::User,
    json_body: bool,
    next: Option<&str>,
) -> anyhow::Result<Response> {
    let id = secret::random_token();
    let csrf = secret::random_token();
    let now = Utc::now();
    let hours = s.auth.config.session_hours.max(1) as i64;
    s.store
        .create_session(
            &secret::sha256_hex(id.as_bytes()),
            user.id,
            &csrf,
            now,
            now + chrono::Duration::hours(hours),
        )
        .await?;
    let cookie = cookie_header(s, headers, &id, hours * 3600);
    let mut res = if json_body {
        Json(json!({ "user": user, "csrf_token": csrf })).into_response()
    } else {
        Redirect::to(&safe_next(next)).into_response()
    };
    res.headers_mut()
        .insert(header::SET_COOKIE, cookie.parse()?);
    Ok(res)
}

#[derive(Deserialize, Default)]
struct LogoutForm {
    /// `_csrf` is what every dashboard form sends; `csrf` is kept for older pages.
    #[serde(alias = "_csrf")]
    csrf: Option<String>,
}

/// `POST /logout`: ends the session. It needs the session's CSRF token (form field `csrf`
/// or the header), so another site cannot sign a user out.
async fn logout(
    State(s): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let Some(id) = access::session_cookie(&headers) else {
        return Err(ApiError(StatusCode::UNAUTHORIZED, "no session".into()));
    };
    let hash = secret::sha256_hex(id.as_bytes());
    let Some((user, csrf)) = s.store.session(&hash, Utc::now()).await? else {
        return Err(ApiError(StatusCode::UNAUTHORIZED, "no session".into()));
    };
    let form: LogoutForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(form.csrf);
    if !given.is_some_and(|g| secret::same(&g, &csrf)) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "CSRF token missing or wrong".into(),
        ));
    }
    s.store.delete_session(&hash).await?;
    let mut e = AuditEntry::new(&user.name, "logout", &user.name, "ok");
    e.ip = ip;
    s.store.append_audit(e).await?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        cookie_header(&s, &headers, "", 0)
            .parse()
            .map_err(anyhow::Error::from)?,
    );
    Ok(res)
}

/// `GET /api/v1/me`: who is signed in, how, and (for a session) its CSRF token.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    summary = "Who the caller is: name, role, OPDs.",
    responses((status = 200, description = "The caller", body = serde_json::Value))
)]
async fn me(Extension(c): Extension<Caller>) -> impl IntoResponse {
    Json(json!({ "user": c.user, "via": c.via, "csrf_token": c.csrf }))
}

/// `GET /api/v1/audit?actor=&action=&since=&limit=`, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "accounts",
    summary = "The audit log (admin and auditor).",
    params(("actor" = Option<String>, Query, description = "User name"), ("action" = Option<String>, Query, description = "Exact action, or a prefix ending in `.`"), ("since" = Option<String>, Query, description = "RFC 3339 time"), ("limit" = Option<u32>, Query, minimum = 0, maximum = 4294967295.0, description = "Most rows returned")),
    responses((status = 200, description = "Audit entries, newest first", body = serde_json::Value))
)]
async fn audit(
    State(s): State<AppState>,
    Query(filter): Query<AuditFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.store.audit(filter).await?))
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(me, audit))]
pub struct Api;
