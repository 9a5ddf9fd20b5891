//! `GET /openapi.json`: the API described by OpenAPI 3.1, generated from the handlers'
//! `#[utoipa::path]` annotations (each API module contributes its `Api`). What the
//! annotations do not repeat is filled in here from the one source that already knows it:
//! who may call each route ([`access::ROUTES`]) becomes the operation's security, and the
//! error answers every route can give (all `{"error": "..."}`) are added to each operation.
//! A test checks that the document and the router list the same operations, so neither can
//! drift from the other.

use super::access::{self, Access};
use super::AppState;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::OnceLock;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder, SecurityRequirement};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(document().clone()) }))
}

/// The body of every error answer.
#[derive(ToSchema)]
#[allow(dead_code)] // Described, never built: errors are written by `ApiError` and `deny`.
struct Error {
    /// What went wrong, and where (field, line, column) when the input was at fault.
    error: String,
}

/// Error answers any operation may give, with why.
const ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "Malformed request: a query or path parameter of the wrong form",
    ),
    ("401", "No or wrong credentials"),
    (
        "403",
        "Not allowed for this role, or CSRF token missing on a cookie session",
    ),
    (
        "404",
        "No such object, or one in an OPD the caller may not see",
    ),
    ("413", "Body too large"),
    ("415", "Wrong content type"),
    (
        "422",
        "The body or a parameter is refused: the message says which field and why",
    ),
    ("429", "Too many attempts; wait"),
];

pub fn document() -> &'static OpenApi {
    static DOC: OnceLock<OpenApi> = OnceLock::new();
    DOC.get_or_init(build)
}

fn build() -> OpenApi {
    let mut doc = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Pantau collector API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Every dashboard page's data. Authenticate with `Authorization: Bearer` (an \
                     API token from `pantau-collector user token`), HTTP Basic, or the \
                     `pantau_session` cookie plus the `X-CSRF-Token` header for changes. An \
                     operator sees and changes their OPDs only: another OPD's objects answer 404.",
                ))
                .build(),
        )
        .build();
    for part in [
        super::hosts::Api::openapi(),
        super::flags::Api::openapi(),
        super::login::Api::openapi(),
        super::reconcile::Api::openapi(),
        super::assets::Api::openapi(),
        super::network::Api::openapi(),
        super::jaringan::Api::openapi(),
        super::snmp::Api::openapi(),
        super::snmp_equipment::Api::openapi(),
        super::agent_config::Api::openapi(),
        super::policy::Api::openapi(),
        super::reports::Api::openapi(),
        crate::enroll::api::Api::openapi(),
    ] {
        doc.merge(part);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert("Error".into(), <Error as PartialSchema>::schema());
    for (name, scheme) in [
        (
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        ),
        (
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        ),
        (
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(access::SESSION_COOKIE))),
        ),
    ] {
        components.security_schemes.insert(name.into(), scheme);
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
        ] {
            if let Some(op) = op {
                complete(op, method, path);
            }
        }
    }
    doc
}

/// Security from the access table, and the common error answers.
fn complete(op: &mut Operation, method: &str, path: &str) {
    let access = access::ROUTES
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map(|r| r.access);
    if !matches!(access, Some(Access::Open | Access::Login)) {
        op.security = Some(
            ["bearer", "basic", "session"]
                .into_iter()
                .map(|s| SecurityRequirement::new::<_, _, &str>(s, []))
                .collect(),
        );
    }
    for (status, why) in ERRORS {
        if !op.responses.responses.contains_key(*status) {
            let answer = ResponseBuilder::new()
                .description(*why)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "Error",
                        ))))
                        .build(),
                )
                .build();
            op.responses
                .responses
                .insert((*status).into(), RefOr::T(answer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The document lists exactly the API routes the router serves (the access table is
    /// checked against the router by `access_tests`).
    #[test]
    fn every_api_route_is_described_and_nothing_else() {
        let doc = document();
        let mut described = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            for (m, op) in [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ] {
                if op.is_some() {
                    described.insert((m.to_string(), path.clone()));
                }
            }
        }
        let served: BTreeSet<(String, String)> = access::ROUTES
            .iter()
            .filter(|r| r.path.starts_with("/api/"))
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        let missing: Vec<_> = served.difference(&described).collect();
        let extra: Vec<_> = described.difference(&served).collect();
        assert!(
            missing.is_empty(),
            "routes without an OpenAPI operation: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "OpenAPI operations the router lacks: {extra:?}"
        );
    }

    #[test]
    fn open_routes_need_no_credentials_and_errors_are_described() {
        let doc = serde_json::to_value(document()).unwrap();
        let health = &doc["paths"]["/api/v1/health"]["get"];
        assert!(health.get("security").is_none(), "{health}");
        let hosts = &doc["paths"]["/api/v1/hosts"]["get"];
        assert_eq!(hosts["security"].as_array().unwrap().len(), 3);
        assert_eq!(
            hosts["responses"]["404"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Error"
        );
        assert!(doc["components"]["schemas"]["ActionBody"].is_object());
    }
}
