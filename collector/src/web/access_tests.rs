//! Access in process: login, sessions and CSRF, lockout, Bearer and Basic, roles, and the
//! audit log, through the router as the server builds it.

use super::access::test_bearer;
use super::*;
use crate::auth::{secret, Auth, AuthConfig};
use crate::store::accounts::{AccountStore, Role};
use crate::store::sqlite::SqliteStore;
use crate::telemetry::Telemetry;
use axum::body::Body;
use axum::http::{header, Request};
use base64::Engine;
use serde_json::Value;
use tower::ServiceExt;

struct Api {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    router: Router,
}

impl Api {
    async fn new(config: AuthConfig) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("pantau.db")).unwrap());
        let hash = secret::hash_password("rahasia-admin-1").unwrap();
        store
            .add_user("admin", Role::Admin, &[], &hash)
            .await
            .unwrap();
        let router = router(AppState {
            store: store.clone(),
            telemetry: Arc::new(Telemetry::new()),
            reconcile: Default::default(),
            reconcile_now: Default::default(),
            network: Default::default(),
            config_now: Default::default(),
            snmp_profiles: Default::default(),
            policy_now: Default::default(),
            auth: Arc::new(Auth::new(config)),
            reports: Default::default(),
            snapshots: Default::default(),
        });
        Api {
            _dir: dir,
            store,
            router,
        }
    }

    async fn call(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            headers,
            serde_json::from_slice(&body).unwrap_or(Value::Null),
        )
    }

    async fn html(&self, req: Request<Body>) -> String {
        let res = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    async fn login(&self, name: &str, password: &str) -> (StatusCode, Option<String>, Value) {
        let req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                serde_json::json!({ "name": name, "password": password }).to_string(),
            ))
            .unwrap();
        let (status, headers, body) = self.call(req).await;
        let cookie = headers
            .get(header::SET_COOKIE)
            .map(|c| c.to_str().unwrap().to_owned());
        (status, cookie, body)
    }
}

fn put_plan(auth: (&str, &str)) -> Request<Body> {
    Request::put("/api/v1/ipplan")
        .header(auth.0, auth.1)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"range":[{"opd":"1.2","cidr":"10.1.0.0/24"}]}"#,
        ))
        .unwrap()
}

#[tokio::test]
async fn a_cookie_session_needs_its_csrf_token_to_change_anything() {
    let api = Api::new(AuthConfig::default()).await;
    let (status, cookie, body) = api.login("admin", "rahasia-admin-1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = cookie.expect("a session cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let (status, _, _) = api.call(put_plan((header::COOKIE.as_str(), &pair))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "cookie POST without the token"
    );
    let mut req = put_plan((header::COOKIE.as_str(), &pair));
    req.headers_mut()
        .insert("x-csrf-token", "not-the-token".parse().unwrap());
    assert_eq!(api.call(req).await.0, StatusCode::FORBIDDEN);
    assert!(
        api.store.ip_plan().await.unwrap().is_empty(),
        "nothing changed"
    );

    let mut req = put_plan((header::COOKIE.as_str(), &pair));
    req.headers_mut()
        .insert("x-csrf-token", csrf.parse().unwrap());
    let (status, _, body) = api.call(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Reading needs no token.
    let req = Request::get("/api/v1/me")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    let (status, _, me) = api.call(req).await;
    assert_eq!(
        (status, me["user"]["name"].as_str()),
        (StatusCode::OK, Some("admin"))
    );

    let audit = api.store.audit(Default::default()).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert!(actions.contains(&("ipplan.replace", "ok")), "{actions:?}");
    assert!(
        actions.contains(&("ipplan.replace", "denied")),
        "{actions:?}"
    );
    assert!(actions.contains(&("login", "ok")), "{actions:?}");
    assert!(audit.iter().all(|e| e.actor == "admin"), "{audit:?}");
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_even_for_the_right_one() {
    let config = AuthConfig {
        max_failures: 3,
        lockout_minutes: 10,
        ..Default::default()
    };
    let api = Api::new(config).await;
    for _ in 0..3 {
        let (status, cookie, _) = api.login("admin", "salah-salah-salah").await;
        assert_eq!((status, cookie), (StatusCode::UNAUTHORIZED, None));
    }
    let (status, cookie, body) = api.login("admin", "rahasia-admin-1").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "locked: {body}");
    assert!(cookie.is_none());
    // Basic is the same door: locked too.
    let basic = base64::engine::general_purpose::STANDARD.encode("admin:rahasia-admin-1");
    let req = Request::get("/api/v1/hosts")
        .header(header::AUTHORIZATION, format!("Basic {basic}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.call(req).await.0, StatusCode::FORBIDDEN);
    let outcomes: Vec<String> = api
        .store
        .audit(Default::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "failed").count(), 3);
    assert!(outcomes.iter().any(|o| o == "locked"), "{outcomes:?}");
}

#[tokio::test]
async fn bearer_and_basic_work_and_wrong_ones_do_not() {
    let api = Api::new(AuthConfig::default()).await;
    let bearer = test_bearer(&*api.store, "robot", Role::Auditor, &[]).await;
    let get = |auth: String| {
        Request::get("/api/v1/hosts")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(api.call(get(bearer)).await.0, StatusCode::OK);
    assert_eq!(
        api.call(get("Bearer pantau_nope".into())).await.0,
        StatusCode::UNAUTHORIZED
    );
    let basic = |up: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(up)
        )
    };
    assert_eq!(
        api.call(get(basic("admin:rahasia-admin-1"))).await.0,
        StatusCode::OK
    );
    // Again: answered from the cache of verified credentials, same result.
    assert_eq!(
        api.call(get(basic("admin:rahasia-admin-1"))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        api.call(get(basic("admin:wrong-password"))).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, headers, _) = api
        .call(Request::get("/api/v1/hosts").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Never a Basic challenge: a browser would cache the password and send it ambiently.
    let challenge = headers
        .get(header::WWW_AUTHENTICATE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(!challenge.contains("Basic"), "{challenge}");
    // The page sends a browser to the login form instead.
    let (status, headers, _) = api
        .call(Request::get("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/login?next=/");
    // Open routes stay open.
    let (status, _, _) = api
        .call(Request::get("/api/v1/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_auditor_reads_everything_and_changes_nothing() {
    let api = Api::new(AuthConfig::default()).await;
    let auditor = test_bearer(&*api.store, "inspektorat", Role::Auditor, &[]).await;
    let (status, _, _) = api
        .call(put_plan((header::AUTHORIZATION.as_str(), &auditor)))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let req = Request::post("/api/v1/flags/1/ack")
        .header(header::AUTHORIZATION, &auditor)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(api.call(req).await.0, StatusCode::FORBIDDEN);
    let req = Request::get("/api/v1/audit")
        .header(header::AUTHORIZATION, &auditor)
        .body(Body::empty())
        .unwrap();
    let (status, _, lines) = api.call(req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(lines
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["actor"] == "inspektorat" && l["outcome"] == "denied"));
    // An operator may not read the audit log.
    let op = test_bearer(&*api.store, "op", Role::Operator, &["1.2".into()]).await;
    let req = Request::get("/api/v1/audit")
        .header(header::AUTHORIZATION, &op)
        .body(Body::empty())
        .unwrap();
    assert_eq!(api.call(req).await.0, StatusCode::FORBIDDEN);
}

#[test]
fn every_route_has_one_rule() {
    let mut seen = std::collections::HashSet::new();
    for r in access::ROUTES {
        assert!(
            seen.insert((r.method, r.path)),
            "{} {} twice",
            r.method,
            r.path
        );
        let writes = r.method != "GET";
        if writes && r.access != access::Access::Login {
            assert!(
                !r.action.is_empty(),
                "{} {}: a write needs an audit action",
                r.method,
                r.path
            );
        }
    }
}

#[tokio::test]
async fn a_route_missing_from_the_table_is_refused() {
    let api = Api::new(AuthConfig::default()).await;
    let state = AppState {
        store: api.store.clone(),
        telemetry: Arc::new(Telemetry::new()),
        reconcile: Default::default(),
        reconcile_now: Default::default(),
        network: Default::default(),
        config_now: Default::default(),
        snmp_profiles: Default::default(),
        policy_now: Default::default(),
        auth: Default::default(),
        reports: Default::default(),
        snapshots: Default::default(),
    };
    let app: Router = Router::new()
        .route(
            "/api/v1/undeclared",
            axum::routing::get(|| async { "secret" }),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::guard,
        ))
        .with_state(state);
    let res = app
        .oneshot(
            Request::get("/api/v1/undeclared")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn the_login_form_signs_in_and_the_page_signs_out() {
    let api = Api::new(AuthConfig::default()).await;
    for (lang, word) in [("id", "Kata sandi"), ("en", "Password")] {
        let req = Request::get(format!("/login?lang={lang}"))
            .body(Body::empty())
            .unwrap();
        assert!(api.html(req).await.contains(word), "{lang}");
    }

    let form = |origin: Option<&str>| {
        let mut req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "pantau.example");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        req.body(Body::from(
            "name=admin&password=rahasia-admin-1&next=%2Fapi%2Fv1%2Fhosts",
        ))
        .unwrap()
    };
    let (status, _, _) = api.call(form(Some("https://evil.example"))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "login CSRF from another site"
    );
    let (status, headers, _) = api.call(form(Some("http://pantau.example"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/api/v1/hosts");
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();

    let req = Request::get("/")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    let html = api.html(req).await;
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a logout form with the CSRF token")
        .to_owned();

    let logout = |field: String| {
        Request::post("/logout")
            .header(header::COOKIE, &pair)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(field))
            .unwrap()
    };
    assert_eq!(
        api.call(logout(String::new())).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.call(logout(format!("_csrf={csrf}"))).await.0,
        StatusCode::SEE_OTHER
    );
    let req = Request::get("/api/v1/hosts")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        api.call(req).await.0,
        StatusCode::UNAUTHORIZED,
        "the session is gone"
    );
}

#[tokio::test]
async fn password_attempts_over_the_rate_limit_get_429() {
    let config = AuthConfig {
        login_per_minute_user: 2,
        max_failures: 100,
        ..Default::default()
    };
    let api = Api::new(config).await;
    for _ in 0..2 {
        assert_eq!(
            api.login("admin", "salah-salah-salah").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Over the limit even the right password is not tried.
    let (status, cookie, _) = api.login("admin", "rahasia-admin-1").await;
    assert_eq!((status, cookie), (StatusCode::TOO_MANY_REQUESTS, None));
    let audit = api.store.audit(Default::default()).await.unwrap();
    assert_eq!(audit[0].outcome, "rate_limited");
}

/// A method the table does not list for a path is 405 with `Allow`, before any handler or
/// credential check (found by schemathesis: TRACE used to answer 500).
#[tokio::test]
async fn an_unlisted_method_is_405_not_500() {
    let api = Api::new(AuthConfig::default()).await;
    let req = Request::builder()
        .method("TRACE")
        .uri("/api/v1/flags")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = api.call(req).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(headers.get(header::ALLOW).unwrap(), "GET");
    assert!(body["error"].is_string(), "{body}");
}

/// axum's own rejections (a query parameter of the wrong type) are JSON like every other
/// API error, as `/openapi.json` describes them.
#[tokio::test]
async fn a_malformed_query_is_a_json_error() {
    let api = Api::new(AuthConfig::default()).await;
    let req = Request::get("/api/v1/flags?limit=many")
        .header(
            header::AUTHORIZATION,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("admin:rahasia-admin-1")
            ),
        )
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = api.call(req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"].as_str().unwrap().contains("limit"), "{body}");
}
