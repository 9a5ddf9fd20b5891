//! The SNMP equipment API and agent-config audit in process: operators are kept to their
//! OPDs, unknown profiles get 422, and the audit log shows no credential.

use super::*;
use crate::snmp::profiles::{ProfileConfig, Profiles};
use crate::store::accounts::Role;
use crate::store::sqlite::SqliteStore;
use crate::store::EnrolledAgent;
use crate::telemetry::Telemetry;
use axum::body::Body;
use axum::http::{header, Request};
use serde_json::{json, Value};
use tower::ServiceExt;

async fn call(
    router: &Router,
    bearer: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, bearer)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn equipment_is_scoped_checked_and_audited_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("pantau.db")).unwrap());
    store
        .enroll(&EnrolledAgent {
            agent_id: "poller".into(),
            opd: "1.02".into(),
            public_key: pantau_proto::AgentKey::generate().public(),
            enrolled_at: chrono::Utc::now(),
        })
        .await
        .unwrap();
    store
        .import_register(
            &[crate::store::sqlite::equipment_tests::asset(
                "1.02", "SW-INTI", None,
            )],
            "kib-b.csv",
            false,
        )
        .await
        .unwrap();
    let raw = [(
        "kantor".to_string(),
        ProfileConfig {
            version: "v2c".into(),
            community: Some(pantau_proto::body::snmp_config::Secret(
                "komunitas-profil".into(),
            )),
            ..Default::default()
        },
    )]
    .into();
    let profiles = Profiles::resolve(&raw, &|_| None, std::path::Path::new(".")).unwrap();
    let admin = access::test_bearer(&*store, "admin", Role::Admin, &[]).await;
    let other = access::test_bearer(&*store, "op-lain", Role::Operator, &["2.02".into()]).await;
    let router = router(AppState {
        store: store.clone(),
        telemetry: Arc::new(Telemetry::new()),
        reconcile: Default::default(),
        reconcile_now: Default::default(),
        network: Default::default(),
        config_now: Default::default(),
        snmp_profiles: Arc::new(profiles),
        policy_now: Default::default(),
        reports: Default::default(),
        snapshots: Default::default(),
        auth: Default::default(),
    });
    let row = |profile: &str| json!([{"asset_key": "SW-INTI", "ip": "10.0.0.2", "profile": profile, "agent_id": "poller"}]);
    let url = "/api/v1/snmp/equipment";

    let (st, body) = call(&router, &other, "PUT", url, Some(row("kantor"))).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body["error"],
        "[0].asset_key: no asset \"SW-INTI\" in your OPDs"
    );
    let (st, body) = call(&router, &admin, "PUT", url, Some(row("hilang"))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("[0].profile: no SNMP profile \"hilang\""),
        "{body}"
    );
    let (st, body) = call(&router, &admin, "PUT", url, Some(json!({"asset_key": "x"}))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("body: line 1 column"),
        "{body}"
    );
    let (st, body) = call(&router, &admin, "PUT", url, Some(row("kantor"))).await;
    assert_eq!((st, &body["stored"]), (StatusCode::OK, &json!(1)), "{body}");

    let (_, mine) = call(&router, &admin, "GET", url, None).await;
    assert_eq!(mine[0]["opd"], "1.02");
    let (_, theirs) = call(&router, &other, "GET", url, None).await;
    assert_eq!(theirs, json!([]));
    let del = format!("{url}?asset_key=SW-INTI");
    let (st, _) = call(&router, &other, "DELETE", &del, None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // An agent layer with an inline community: stored, but `***` in the audit detail.
    let layer = json!({"snmp": {"targets": [{"name": "ekstra", "host": "10.0.0.9",
        "credentials": {"version": "v2c", "community": "komunitas-inline"}}]}});
    let (st, body) = call(
        &router,
        &admin,
        "PUT",
        "/api/v1/agent-config/agent/poller",
        Some(layer),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{body}");
    let (_, audit) = call(&router, &admin, "GET", "/api/v1/audit", None).await;
    let audit = audit.to_string();
    assert!(
        audit.contains("snmp_equipment.put") && audit.contains("agent_config.set"),
        "{audit}"
    );
    for secret in ["komunitas-inline", "komunitas-profil"] {
        assert!(!audit.contains(secret), "{secret} in {audit}");
    }
    let (st, _) = call(&router, &admin, "DELETE", &del, None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
}
