//! The network API in process: the IP plan round trip and its 422, and the views.

use super::*;
use crate::store::sqlite::SqliteStore;
use crate::store::{Accepted, EnrolledAgent};
use crate::telemetry::Telemetry;
use axum::body::Body;
use axum::http::{header, Request};
use pantau_proto::body::net::HttpResult;
use pantau_proto::body::{DiscoveryReport, NetReport};
use pantau_proto::{AgentKey, Envelope, Kind};
use serde_json::Value;
use tower::ServiceExt;

struct Api {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    router: Router,
    bearer: String,
}

impl Api {
    async fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("pantau.db")).unwrap());
        let bearer =
            access::test_bearer(&*store, "admin", crate::store::accounts::Role::Admin, &[]).await;
        let router = router(AppState {
            store: store.clone(),
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
        });
        Api {
            _dir: dir,
            store,
            router,
            bearer,
        }
    }

    async fn call(&self, mut req: Request<Body>) -> (StatusCode, Value) {
        req.headers_mut()
            .insert(header::AUTHORIZATION, self.bearer.parse().unwrap());
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.call(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn put(&self, uri: &str, body: &str) -> (StatusCode, Value) {
        self.call(
            Request::put(uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn agent(&self, id: &str, opd: &str, kind: Kind, body: pantau_proto::body::Body) {
        let key = AgentKey::generate();
        self.store
            .enroll(&EnrolledAgent {
                agent_id: id.into(),
                opd: opd.into(),
                public_key: key.public(),
                enrolled_at: chrono::Utc::now(),
            })
            .await
            .unwrap();
        let json = match &body {
            pantau_proto::body::Body::Net(n) => serde_json::to_value(n).unwrap(),
            pantau_proto::body::Body::Discovery(d) => serde_json::to_value(d).unwrap(),
            _ => unreachable!(),
        };
        self.store
            .commit(&[Accepted {
                envelope: Envelope::sign(&key, id, 1, chrono::Utc::now(), kind, &json),
                body,
                received_at: chrono::Utc::now(),
            }])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_ip_plan_round_trips_and_bad_entries_get_422() {
    let api = Api::new().await;
    let (status, body) = api.get("/api/v1/ipplan").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["range"], serde_json::json!([]));
    let good = r#"{"range": [{"opd": "0101", "cidr": "10.1.0.0/24", "note": "kantor"}]}"#;
    let (status, body) = api.put("/api/v1/ipplan", good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["range"][0]["cidr"], "10.1.0.0/24");
    let bad = r#"{"range": [{"opd": "0101", "cidr": "10.1.0.0/24"}, {"opd": "0102", "cidr": "10.2.0.0/33"}]}"#;
    let (status, body) = api.put("/api/v1/ipplan", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("range[1]: cidr:"),
        "{body}"
    );
    let (status, body) = api.put("/api/v1/ipplan", r#"{"ranges": []}"#).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"].as_str().unwrap().contains("ranges"), "{body}");
    // Nothing changed.
    let (_, body) = api.get("/api/v1/ipplan").await;
    assert_eq!(body["range"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn opd_services_and_devices_views() {
    let api = Api::new().await;
    let report = |up: bool| NetReport {
        ts: Some(chrono::Utc::now()),
        probes: vec![pantau_proto::body::net::ProbeResult {
            name: "gateway".into(),
            loss_pct: 10.0,
            rtt_median_ms: Some(12.0),
            ..Default::default()
        }],
        http: vec![HttpResult {
            name: "sipd".into(),
            url: "https://sipd.example.go.id/".into(),
            status: Some(if up { 200 } else { 500 }),
            ms: Some(90.0),
            cert_days_left: Some(12),
            ..Default::default()
        }],
        ..Default::default()
    };
    api.agent(
        "a",
        "0101",
        Kind::Net,
        pantau_proto::body::Body::Net(Box::new(report(true))),
    )
    .await;
    api.agent(
        "b",
        "0102",
        Kind::Net,
        pantau_proto::body::Body::Net(Box::new(report(false))),
    )
    .await;
    let d = DiscoveryReport {
        devices: vec![pantau_proto::body::discovery::SeenDevice {
            ip: "10.1.0.9".into(),
            mac: "00:00:00:01:02:03".into(),
            ..Default::default()
        }],
        ..Default::default()
    };
    api.agent(
        "scout",
        "0101",
        Kind::Discovery,
        pantau_proto::body::Body::Discovery(d),
    )
    .await;
    crate::netwatch::run_once(&*api.store, &Default::default(), chrono::Utc::now())
        .await
        .unwrap();

    let (status, body) = api.get("/api/v1/network/opd").await;
    assert_eq!(status, StatusCode::OK);
    let opds = body.as_array().unwrap();
    assert_eq!(opds.len(), 2, "{body}");
    assert_eq!(opds[0]["opd"], "0101");
    assert_eq!(opds[0]["gateway_loss_pct"], 10.0);
    assert_eq!(opds[0]["degraded"], false);

    let (_, body) = api.get("/api/v1/network/services").await;
    assert_eq!(body[0]["name"], "sipd");
    assert_eq!(body[0]["opds_ok"], serde_json::json!(["0101"]));
    assert_eq!(body[0]["opds_failing"], serde_json::json!(["0102"]));
    assert_eq!(body[0]["cert_days_left"], 12);
    assert_eq!(body[0]["down"], false);

    let (_, body) = api.get("/api/v1/network/devices?opd=0101").await;
    assert_eq!(body[0]["mac"], "00:00:00:01:02:03");
    assert_eq!(body[0]["vendor"], "XEROX CORPORATION");
    assert_eq!(body[0]["status"], "rogue");
    let (_, body) = api.get("/api/v1/network/devices?opd=0102").await;
    assert_eq!(body, serde_json::json!([]));
}

#[tokio::test]
async fn agent_config_layers_through_the_api() {
    let api = Api::new().await;
    api.agent(
        "a",
        "0101",
        Kind::Net,
        pantau_proto::body::Body::Net(Box::default()),
    )
    .await;
    let (status, _) = api
        .put(
            "/api/v1/agent-config/global?by=ops",
            r#"{"net": {"interval_s": 120}}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .put(
            "/api/v1/agent-config/opd/0101?by=ops",
            r#"{"discovery": {"enabled": true}}"#,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api
        .put(
            "/api/v1/agent-config/agent/a?by=ops",
            r#"{"net": {"interval_s": 3}}"#,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap().contains("net.interval_s"),
        "{body}"
    );
    // The signed-in user is the actor; a `by` in the query is ignored.
    let layers = api.store.config_layers().await.unwrap();
    assert!(layers.iter().all(|l| l.updated_by == "admin"), "{layers:?}");
    let (status, body) = api.get("/api/v1/hosts/a/config").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["net"]["interval_s"], 120);
    assert_eq!(body["discovery"]["enabled"], true);
    let (_, body) = api.get("/api/v1/agent-config").await;
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (status, _) = api.get("/api/v1/hosts/nobody/config").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
