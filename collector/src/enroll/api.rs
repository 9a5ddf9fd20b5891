//! `POST /api/v1/enroll`: an agent trades an enrollment token for its identity. Open (the
//! token is the credential), HTTPS only unless `[enroll] allow_plain_http`, limited per
//! source address like logins. The token's use is counted in the transaction that records the
//! agent, so a single-use token enrolls one agent even when two race for it. Every attempt,
//! accepted or refused, is in the audit log as `agent.enroll`.

use crate::config::EnrollConfig;
use crate::pki::{Ca, Pki};
use crate::store::accounts::AuditEntry;
use crate::store::enrollment::{AgentCert, TokenProblem};
use crate::store::{EnrolledAgent, Store};
use crate::web::access::ClientIp;
use crate::web::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use pantau_proto::enrollment::{EnrollError, EnrollRequest, EnrollResponse, PATH};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Largest request body: a key, a CSR and a host name fit in a few KiB.
const BODY_MAX: usize = 16 * 1024;

/// What the route needs, built by `serve` from `[enroll]`; absent when not configured.
pub struct EnrollService {
    pub config: EnrollConfig,
    /// Whether this collector serves HTTPS itself.
    pub tls: bool,
    ca: Ca,
    per_ip: DefaultKeyedRateLimiter<String>,
}

impl EnrollService {
    /// Load the CA of `config.pki_dir`; errors name the file.
    pub fn new(config: EnrollConfig, tls: bool) -> anyhow::Result<EnrollService> {
        let ca = Pki::new(&config.pki_dir)
            .load()
            .map_err(|e| anyhow::anyhow!("[enroll] pki_dir: {e:#}"))?;
        let quota = Quota::per_minute(NonZeroU32::new(config.per_minute_ip.max(1)).expect("≥1"));
        Ok(EnrollService {
            config,
            tls,
            ca,
            per_ip: RateLimiter::keyed(quota),
        })
    }
}

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, post(enroll))
}

fn refuse(status: StatusCode, code: &str, error: impl Into<String>) -> Response {
    (
        status,
        Json(EnrollError {
            error: error.into(),
            code: code.into(),
        }),
    )
        .into_response()
}

fn token_refusal(p: TokenProblem) -> Response {
    let (status, text) = match p {
        TokenProblem::Unknown => (StatusCode::UNAUTHORIZED, "unknown enrollment token"),
        TokenProblem::Expired => (StatusCode::FORBIDDEN, "the enrollment token has expired"),
        TokenProblem::UsedUp => (
            StatusCode::FORBIDDEN,
            "the enrollment token has been used up",
        ),
        TokenProblem::Revoked => (StatusCode::FORBIDDEN, "the enrollment token was revoked"),
    };
    refuse(status, p.code(), text)
}

#[utoipa::path(
    post,
    path = "/api/v1/enroll",
    tag = "enrollment",
    summary = "An agent trades an enrollment token and its public keys (ed25519, CSR) for its identity: agent id, client certificate, CA, broker URL. HTTPS only; the token is the credential.",
    request_body(content = serde_json::Value, content_type = "application/json", description = "`{token, public_key, csr, hostname}` (proto/src/enrollment.rs)"),
    responses(
        (status = 200, description = "`{agent_id, opd, certificate, ca, broker_url}`", body = serde_json::Value),
        (status = 404, description = "Enrollment is not configured on this collector (`[enroll]`): `{error, code: \"not_configured\"}`", body = serde_json::Value)
    )
)]
async fn enroll(
    State(s): State<AppState>,
    svc: Option<Extension<Arc<EnrollService>>>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let Some(Extension(svc)) = svc else {
        return refuse(
            StatusCode::NOT_FOUND,
            "not_configured",
            "enrollment is not configured on this collector ([enroll] in collector.toml)",
        );
    };
    if !svc.tls && !svc.config.allow_plain_http {
        return refuse(
            StatusCode::FORBIDDEN,
            "plain_http",
            "enrollment is served over HTTPS only: the token would travel in clear text",
        );
    }
    if svc.per_ip.len() > 10_000 {
        svc.per_ip.retain_recent();
    }
    if let Some(ip) = &ip {
        if svc.per_ip.check_key(ip).is_err() {
            audit(
                &*s.store,
                "-",
                "-",
                "rate_limited",
                ip,
                serde_json::json!({}),
            )
            .await;
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many enrollment attempts from this address; wait a minute",
            );
        }
    }
    match handle(&s, &svc, &body, ip.as_deref()).await {
        Ok(Ok(r)) => Json(r).into_response(),
        Ok(Err(refusal)) => refusal,
        Err(e) => {
            tracing::error!("enrollment failed: {e:#}");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error",
                format!("enrollment failed on the collector: {e:#}"),
            )
        }
    }
}

async fn handle(
    s: &AppState,
    svc: &EnrollService,
    body: &[u8],
    ip: Option<&str>,
) -> anyhow::Result<Result<EnrollResponse, Response>> {
    let ip = ip.unwrap_or("-").to_owned();
    if body.len() > BODY_MAX {
        return Ok(Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "bad_request",
            format!("request of {} bytes, more than {BODY_MAX}", body.len()),
        )));
    }
    let req: EnrollRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Err(refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("body:{}:{}: {e}", e.line(), e.column()),
            )))
        }
    };
    let hostname = req
        .hostname
        .as_deref()
        .map(|h| h.chars().take(128).collect::<String>());
    let public_key = match pantau_proto::PublicKey::from_base64(&req.public_key) {
        Ok(k) => k,
        Err(e) => {
            return Ok(Err(refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("public_key: {e}"),
            )))
        }
    };
    let hash = super::token::hash(&req.token);
    let now = chrono::Utc::now();
    // A cheap check first, so a wrong token costs no signature.
    let token = s.store.enroll_token_by_hash(&hash).await?;
    let problem = match &token {
        None => Some(TokenProblem::Unknown),
        Some(t) => t.problem(now),
    };
    if let Some(p) = problem {
        let target = token
            .as_ref()
            .map_or("-".into(), |t| format!("token {}", t.id));
        let detail = serde_json::json!({ "code": p.code(), "hostname": hostname });
        audit(&*s.store, "-", &target, "refused", &ip, detail).await;
        return Ok(Err(token_refusal(p)));
    }
    let token = token.expect("checked above");
    let agent_id = new_agent_id(&token.opd);
    let issued = match svc.ca.sign_agent(&agent_id, &req.csr, svc.config.cert_days) {
        Ok(i) => i,
        Err(e) => {
            return Ok(Err(refuse(StatusCode::BAD_REQUEST, "bad_request", e)));
        }
    };
    let agent = EnrolledAgent {
        agent_id: agent_id.clone(),
        opd: token.opd.clone(),
        public_key,
        enrolled_at: now,
    };
    let cert = AgentCert {
        serial: issued.serial.clone(),
        not_after: issued.not_after,
    };
    let actor = format!("token {}", token.id);
    match s.store.enroll_with_token(&hash, now, &agent, &cert).await? {
        Ok(_) => {}
        Err(p) => {
            let detail = serde_json::json!({ "code": p.code(), "hostname": hostname });
            audit(&*s.store, &actor, &actor, "refused", &ip, detail).await;
            return Ok(Err(token_refusal(p)));
        }
    }
    let detail = serde_json::json!({
        "opd": token.opd, "hostname": hostname, "cert_serial": issued.serial,
    });
    audit(&*s.store, &actor, &agent_id, "ok", &ip, detail).await;
    tracing::info!(agent = %agent_id, opd = %token.opd, token = token.id, "agent enrolled");
    Ok(Ok(EnrollResponse {
        agent_id,
        opd: token.opd,
        client_cert: issued.cert_pem,
        ca: svc.ca.pem.clone(),
        broker_url: svc.config.broker_url.clone(),
    }))
}

async fn audit(
    store: &dyn Store,
    actor: &str,
    target: &str,
    outcome: &str,
    ip: &str,
    detail: serde_json::Value,
) {
    let mut e = AuditEntry::new(actor, "agent.enroll", target, outcome);
    e.ip = Some(ip.to_owned());
    e.detail = Some(detail);
    if let Err(err) = store.append_audit(e).await {
        tracing::error!("audit log: {err:#}");
    }
}

/// `{opd}-{8 hex}`: the OPD's code (characters an id allows) and 32 random bits, so ids say
/// where a PC belongs without revealing how many there are. At most 64 characters.
pub fn new_agent_id(opd: &str) -> String {
    let mut prefix: String = opd
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(48)
        .collect();
    prefix = prefix.trim_matches('.').to_owned();
    if prefix.is_empty() {
        prefix = "agent".into();
    }
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).expect("OS random numbers");
    format!("{prefix}-{}", crate::pki::hex(&b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn agent_ids_are_valid_and_carry_the_opd() {
        for opd in ["82.71.03.02.01", "Dinas Kesehatan/2", "...", "ä"] {
            let id = super::new_agent_id(opd);
            assert!(pantau_proto::topic::valid_agent_id(&id), "{opd} -> {id}");
        }
        assert!(super::new_agent_id("82.71.03").starts_with("82.71.03-"));
        assert_ne!(super::new_agent_id("x"), super::new_agent_id("x"));
    }
}

/// This module's part of `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(enroll))]
pub struct Api;
