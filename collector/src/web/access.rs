//! Who may call what. Every route is declared in [`ROUTES`] with its access class; the
//! [`guard`] middleware runs before every handler, authenticates the caller (session
//! cookie, `Authorization: Bearer`, or HTTP Basic), applies the class (auditors never
//! write, operators never reach admin routes), checks CSRF on cookie-authenticated changes,
//! and appends every change to the audit log. A route missing from the table answers 500:
//! a new route cannot be reachable without someone deciding who may use it. Scoping an
//! operator to their OPDs is the handler's part, through [`Caller`].

use super::AppState;
use crate::auth::{secret, Denied};
use crate::store::accounts::{AuditEntry, Role, User};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use base64::Engine;
use serde::Serialize;
use serde_json::json;
use std::net::SocketAddr;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pantau_session";
/// Header carrying the CSRF token of a cookie session.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// No credentials: liveness and (by default) Prometheus.
    Open,
    /// The login page and its form: no credentials, they are how one gets them.
    Login,
    /// Any signed-in user; the handler limits an operator to their OPDs.
    Read,
    /// Admin, or an operator within their OPDs (checked by the handler); never an auditor.
    Write,
    /// Admin only.
    Admin,
    /// Admin and auditor (the audit log).
    Audit,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    /// Name of the change in the audit log (writes only).
    pub action: &'static str,
}

const fn r(
    method: &'static str,
    path: &'static str,
    access: Access,
    action: &'static str,
) -> Route {
    Route {
        method,
        path,
        access,
        action,
    }
}

use Access::*;

/// Every route of the server, as registered in the router.
pub const ROUTES: &[Route] = &[
    r("GET", "/", Read, ""),
    r("GET", "/login", Login, ""),
    r("GET", "/jaringan", Read, ""),
    r("GET", "/temuan", Read, ""),
    r("GET", "/temuan/{id}", Read, ""),
    r("POST", "/temuan/{id}", Write, "flag.form"),
    r("GET", "/host/{agent_id}", Read, ""),
    r("GET", "/aset", Read, ""),
    r("GET", "/opd/{kode}", Read, ""),
    r("POST", "/aset/keputusan", Write, "decision.form"),
    r("POST", "/login", Login, "login"),
    r("POST", "/logout", Login, "logout"),
    r("GET", "/metrics", Open, ""),
    r("GET", "/api/v1/health", Open, ""),
    r("GET", "/openapi.json", Open, ""),
    // The token is the credential; the handler audits every attempt itself.
    r("POST", "/api/v1/enroll", Open, "agent.enroll"),
    r("GET", "/install.sh", Open, ""),
    r("GET", "/api/v1/me", Read, ""),
    r("GET", "/api/v1/audit", Audit, ""),
    r("GET", "/api/v1/hosts", Read, ""),
    r("GET", "/api/v1/hosts/{agent_id}", Read, ""),
    r("GET", "/api/v1/hosts/{agent_id}/metrics", Read, ""),
    r("GET", "/api/v1/hosts/{agent_id}/config", Read, ""),
    r("GET", "/api/v1/assets", Read, ""),
    r("GET", "/api/v1/assets/export", Read, ""),
    r("POST", "/api/v1/assets/import", Admin, "register.import"),
    r("GET", "/api/v1/reconciliation", Read, ""),
    r("GET", "/api/v1/reconciliation/review", Read, ""),
    r("POST", "/api/v1/reconciliation/run", Admin, "reconcile.run"),
    r(
        "POST",
        "/api/v1/reconciliation/link",
        Write,
        "decision.link",
    ),
    r(
        "POST",
        "/api/v1/reconciliation/confirm",
        Write,
        "decision.confirm",
    ),
    r(
        "POST",
        "/api/v1/reconciliation/unlink",
        Write,
        "decision.unlink",
    ),
    r("GET", "/api/v1/flags", Read, ""),
    r("GET", "/api/v1/flags/{id}", Read, ""),
    r("POST", "/api/v1/flags/{id}/ack", Write, "flag.ack"),
    r("POST", "/api/v1/flags/{id}/resolve", Write, "flag.resolve"),
    r("GET", "/api/v1/ipplan", Read, ""),
    r("PUT", "/api/v1/ipplan", Admin, "ipplan.replace"),
    r("GET", "/api/v1/network/opd", Read, ""),
    r("GET", "/api/v1/network/services", Read, ""),
    r("GET", "/api/v1/network/devices", Read, ""),
    r("GET", "/api/v1/network/opd/{opd}/history", Read, ""),
    r("GET", "/api/v1/snmp/devices", Read, ""),
    r("GET", "/laporan", Read, ""),
    r("POST", "/laporan", Write, "report.form"),
    r("GET", "/api/v1/reports", Read, ""),
    r("GET", "/api/v1/reports/{id}/download", Read, ""),
    r("POST", "/api/v1/reports", Write, "report.generate"),
    r("GET", "/api/v1/snmp/devices/{id}/interfaces", Read, ""),
    r(
        "GET",
        "/api/v1/snmp/devices/{id}/interfaces/{ifindex}/history",
        Read,
        "",
    ),
    r("GET", "/api/v1/snmp/equipment", Read, ""),
    r("PUT", "/api/v1/snmp/equipment", Write, "snmp_equipment.put"),
    r(
        "DELETE",
        "/api/v1/snmp/equipment",
        Write,
        "snmp_equipment.remove",
    ),
    r("GET", "/jaringan/snmp/{id}", Read, ""),
    r("GET", "/api/v1/agent-config", Read, ""),
    r(
        "PUT",
        "/api/v1/agent-config/global",
        Admin,
        "agent_config.set",
    ),
    r(
        "DELETE",
        "/api/v1/agent-config/global",
        Admin,
        "agent_config.unset",
    ),
    r(
        "PUT",
        "/api/v1/agent-config/{scope}/{key}",
        Write,
        "agent_config.set",
    ),
    r(
        "DELETE",
        "/api/v1/agent-config/{scope}/{key}",
        Write,
        "agent_config.unset",
    ),
    r("GET", "/api/v1/policy", Read, ""),
    r("PUT", "/api/v1/policy", Admin, "policy.apply"),
    r("GET", "/api/v1/policy/versions", Read, ""),
    r("GET", "/api/v1/usage/{agent_id}", Read, ""),
];

pub fn route(method: &Method, path: &str) -> Option<&'static Route> {
    let m = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    ROUTES.iter().find(|r| r.method == m && r.path == path)
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Session,
    Token,
    Basic,
}

/// The authenticated caller, for handlers (`Extension<Caller>`).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
    /// The session's CSRF token (cookie sessions only).
    pub csrf: Option<String>,
    pub ip: Option<String>,
}

impl Caller {
    pub fn sees(&self, opd: &str) -> bool {
        self.user.sees_opd(opd)
    }

    /// The name decisions and flag actions are recorded under.
    pub fn name(&self) -> &str {
        &self.user.name
    }
}

/// The peer address, for handlers that run before anyone is signed in (login).
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

/// What a handler adds to the audit line of its change (a response extension).
#[derive(Debug, Clone, Default)]
pub struct AuditNote {
    pub target: Option<String>,
    pub detail: Option<serde_json::Value>,
}

fn deny(status: StatusCode, message: &str) -> Response {
    let mut res = (status, Json(json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        // Bearer, not Basic: a Basic challenge makes browsers prompt and then send the
        // password with every request on their own, which would make Basic ambient (CSRF).
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer realm=\"pantau\""),
        );
    }
    res
}

pub fn client_ip(req: &Request) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// Who is calling, if anyone: `Err` is the response to send (bad credentials).
async fn authenticate(
    s: &AppState,
    headers: &HeaderMap,
    ip: Option<String>,
) -> anyhow::Result<Result<Option<Caller>, Response>> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Some(auth) = auth {
        let (scheme, value) = auth.split_once(' ').unwrap_or((auth, ""));
        if scheme.eq_ignore_ascii_case("bearer") {
            let hash = secret::sha256_hex(value.trim().as_bytes());
            return Ok(
                match s.store.user_by_token(&hash, chrono::Utc::now()).await? {
                    Some(user) => Ok(Some(Caller {
                        user,
                        via: Via::Token,
                        csrf: None,
                        ip,
                    })),
                    None => Err(deny(
                        StatusCode::UNAUTHORIZED,
                        "unknown or revoked API token",
                    )),
                },
            );
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let Some((name, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
                return Ok(Err(deny(
                    StatusCode::UNAUTHORIZED,
                    "Authorization: Basic is not base64 of name:password",
                )));
            };
            let checked = s
                .auth
                .check_password(&*s.store, name, password, ip.as_deref(), "basic")
                .await?;
            return Ok(match checked {
                Ok(user) => Ok(Some(Caller {
                    user,
                    via: Via::Basic,
                    csrf: None,
                    ip,
                })),
                Err(Denied::RateLimited) => Err(deny(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many password attempts; wait a minute",
                )),
                Err(Denied::Locked(until)) => Err(deny(
                    StatusCode::FORBIDDEN,
                    &format!("account locked until {until}"),
                )),
                Err(Denied::BadCredentials) => Err(deny(
                    StatusCode::UNAUTHORIZED,
                    "wrong user name or password",
                )),
            });
        }
        return Ok(Err(deny(
            StatusCode::UNAUTHORIZED,
            "Authorization: use Bearer or Basic",
        )));
    }
    if let Some(id) = session_cookie(headers) {
        let hash = secret::sha256_hex(id.as_bytes());
        if let Some((user, csrf)) = s.store.session(&hash, chrono::Utc::now()).await? {
            return Ok(Ok(Some(Caller {
                user,
                via: Via::Session,
                csrf: Some(csrf),
                ip,
            })));
        }
    }
    Ok(Ok(None))
}

fn outcome(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=399 => "ok",
        401 => "unauthenticated",
        403 => "denied",
        404 => "not_found",
        400..=499 => "refused",
        _ => "error",
    }
}

/// The middleware in front of every route.
pub async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
    else {
        // No route matched: the router's 404 (or 405) follows.
        return next.run(req).await;
    };
    let Some(route) = route(req.method(), &path) else {
        let allowed: Vec<&str> = ROUTES
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.method)
            .collect();
        if !allowed.is_empty() {
            // A method this path does not serve (TRACE, PATCH, ...): 405, and no handler
            // runs, even one someone registered without a rule.
            let mut res = deny(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here");
            if let Ok(v) = header::HeaderValue::from_str(&allowed.join(", ")) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            return res;
        }
        tracing::error!(method = %req.method(), path, "route missing from web::access::ROUTES");
        return deny(
            StatusCode::INTERNAL_SERVER_ERROR,
            "route without an access rule",
        );
    };
    let access = match route.access {
        Open if path == "/metrics" && !s.auth.config.metrics_public => Read,
        a => a,
    };
    let ip = client_ip(&req);
    req.extensions_mut().insert(ClientIp(ip.clone()));
    if matches!(access, Open | Login) {
        return next.run(req).await;
    }
    let headers = req.headers().clone();
    let caller = match authenticate(&s, &headers, ip).await {
        Ok(Ok(c)) => c,
        Ok(Err(res)) => return res,
        Err(e) => {
            tracing::error!("authentication: {e:#}");
            return deny(StatusCode::INTERNAL_SERVER_ERROR, "authentication failed");
        }
    };
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let uri = req.uri().path().to_owned();
    let Some(caller) = caller else {
        if !path.starts_with("/api/") && !writes {
            // A browser on a page: to the login form, and back here afterwards.
            return Redirect::to(&format!("/login?next={}", urlencode(&uri))).into_response();
        }
        return deny(
            StatusCode::UNAUTHORIZED,
            "sign in: session cookie, Authorization: Bearer TOKEN, or Basic",
        );
    };
    let role = caller.user.role;
    let refused = match access {
        Write if role == Role::Auditor => Some("auditors read only"),
        Admin if role != Role::Admin => Some("admin only"),
        Audit if role == Role::Operator => Some("admin and auditor only"),
        _ if writes && role == Role::Auditor => Some("auditors read only"),
        _ => None,
    };
    let refused = match refused {
        Some(why) => Some(why),
        None if caller.via == Via::Session && writes => {
            let (back, token) = csrf_token(req).await;
            req = back;
            let good = matches!((&caller.csrf, &token), (Some(c), Some(t)) if secret::same(c, t));
            (!good).then_some(
                "CSRF token missing or wrong: send the X-CSRF-Token header (or the _csrf form field) of this session",
            )
        }
        None => None,
    };
    let res = match refused {
        Some(why) => deny(StatusCode::FORBIDDEN, why),
        None => {
            req.extensions_mut().insert(caller.clone());
            next.run(req).await
        }
    };
    if writes {
        // Whatever the outcome: the viewer's next page must show their change, never a
        // snapshot from before it.
        s.snapshots.changed();
        let note = res
            .extensions()
            .get::<AuditNote>()
            .cloned()
            .unwrap_or_default();
        let mut e = AuditEntry::new(
            caller.name(),
            route.action,
            note.target.as_deref().unwrap_or(&uri),
            outcome(res.status()),
        );
        e.ip = caller.ip.clone();
        e.detail = note.detail;
        if let Err(err) = s.store.append_audit(e).await {
            // The change is made; losing its audit line is an error an operator must see.
            tracing::error!("audit log: {err:#}");
        }
    }
    res
}

/// Largest form body read for its `_csrf` field; the dashboard's forms are a note and a few
/// hidden fields.
const FORM_LIMIT: usize = 64 * 1024;

/// The CSRF token of a request: the `X-CSRF-Token` header (API clients), or the `_csrf`
/// field of an HTML form (`application/x-www-form-urlencoded`; pages use no JavaScript). The
/// form body is read and put back for the handler.
async fn csrf_token(req: Request) -> (Request, Option<String>) {
    if let Some(t) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        let t = t.to_owned();
        return (req, Some(t));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return (Request::from_parts(parts, axum::body::Body::empty()), None);
    };
    let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .ok()
        .and_then(|fields| fields.into_iter().find(|(k, _)| k == "_csrf"))
        .map(|(_, v)| v);
    (
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        token,
    )
}

/// Percent-encode a path for a query parameter.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A 404 that says the same whether the thing is in another OPD or does not exist.
pub fn not_found(what: String) -> super::ApiError {
    super::ApiError(StatusCode::NOT_FOUND, what)
}

/// `Authorization` header value of a new user with an API token (in-process tests).
#[cfg(test)]
pub async fn test_bearer(
    store: &dyn crate::store::Store,
    name: &str,
    role: Role,
    opds: &[String],
) -> String {
    store
        .add_user(name, role, opds, &secret::dummy_hash())
        .await
        .unwrap();
    let token = secret::new_api_token();
    store
        .add_token(name, "test", &secret::sha256_hex(token.as_bytes()))
        .await
        .unwrap();
    format!("Bearer {token}")
}
