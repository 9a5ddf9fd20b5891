//! The report archive through the API with real accounts: an operator lists, fetches and
//! generates their own OPD's reports only; the city-wide report is not theirs either.

use super::access::test_bearer;
use super::*;
use crate::report::archive::Archive;
use crate::report::tests::fleet::{Fleet, OPDS};
use crate::store::accounts::Role;
use crate::telemetry::Telemetry;
use axum::body::Body;
use axum::http::{header, Request};
use serde_json::{json, Value};
use tower::ServiceExt;

struct Api {
    router: Router,
    archive: tempfile::TempDir,
    admin: String,
    op: String,
    _fleet: Fleet,
}

async fn api() -> Api {
    let fleet = Fleet::build().await;
    let store = Arc::new(fleet.store.clone());
    let admin = test_bearer(&*store, "admin", Role::Admin, &[]).await;
    let op = test_bearer(&*store, "op-dinkes", Role::Operator, &[OPDS[1].0.into()]).await;
    let archive = tempfile::tempdir().unwrap();
    let router = router(AppState {
        store,
        telemetry: Arc::new(Telemetry::new()),
        reconcile: Default::default(),
        reconcile_now: Default::default(),
        network: Default::default(),
        config_now: Default::default(),
        auth: Default::default(),
        snmp_profiles: Default::default(),
        policy_now: Default::default(),
        snapshots: Default::default(),
        reports: Arc::new(Archive {
            config: Default::default(),
            dir: archive.path().to_path_buf(),
        }),
    });
    Api {
        router,
        archive,
        admin,
        op,
        _fleet: fleet,
    }
}

impl Api {
    async fn call(&self, who: &str, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let mut req = req;
        req.headers_mut()
            .insert(header::AUTHORIZATION, who.parse().unwrap());
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, body.to_vec())
    }

    async fn generate(&self, who: &str, body: Value) -> (StatusCode, Value) {
        let req = Request::post("/api/v1/reports")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let (s, b) = self.call(who, req).await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    async fn list(&self, who: &str) -> Vec<Value> {
        let (s, b) = self
            .call(
                who,
                Request::get("/api/v1/reports").body(Body::empty()).unwrap(),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        serde_json::from_slice::<Vec<Value>>(&b).unwrap()
    }

    async fn download(&self, who: &str, id: &Value) -> (StatusCode, Vec<u8>) {
        let uri = format!("/api/v1/reports/{id}/download");
        self.call(who, Request::get(uri).body(Body::empty()).unwrap())
            .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_sees_and_fetches_only_their_opds_reports() {
    let api = api().await;
    let html = json!(["html"]);
    for opd in [Some(OPDS[1].0), Some(OPDS[2].0), None] {
        let (s, b) = api
            .generate(
                &api.admin,
                json!({ "period": "2026-10", "opd": opd, "formats": html }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    assert_eq!(api.list(&api.admin).await.len(), 3);
    let mine = api.list(&api.op).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["opd"], OPDS[1].0);

    // Their own file, as written to the archive.
    let (s, bytes) = api.download(&api.op, &mine[0]["id"]).await;
    assert_eq!(s, StatusCode::OK);
    let on_disk =
        std::fs::read(api.archive.path().join(mine[0]["path"].as_str().unwrap())).unwrap();
    assert_eq!(bytes, on_disk);
    assert!(String::from_utf8(bytes)
        .unwrap()
        .contains("Dinas Kesehatan"));

    // Another OPD's report and the city-wide one are "not found" for them.
    for r in api.list(&api.admin).await {
        if r["opd"] != OPDS[1].0 {
            assert_eq!(
                api.download(&api.op, &r["id"]).await.0,
                StatusCode::NOT_FOUND,
                "{r}"
            );
            assert_eq!(
                api.download(&api.admin, &r["id"]).await.0,
                StatusCode::OK,
                "{r}"
            );
        }
    }

    // They may generate their own, not another OPD's nor the city's.
    let (s, b) = api
        .generate(
            &api.op,
            json!({ "period": "2026-10", "opd": OPDS[2].0, "formats": html }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, _) = api
        .generate(&api.op, json!({ "period": "2026-10", "formats": html }))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = api
        .generate(&api.op, json!({ "period": "2026-13", "opd": OPDS[1].0 }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("month must be 01 to 12"),
        "{b}"
    );
    let (s, b) = api
        .generate(
            &api.op,
            json!({ "period": "2026-10", "opd": OPDS[1].0, "formats": ["xlsx"] }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b[0]["generated_by"], "op-dinkes");
    assert_eq!(api.list(&api.op).await.len(), 2);

    // The page lists the same.
    let (s, page) = api
        .call(
            &api.op,
            Request::get("/laporan").body(Body::empty()).unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains(OPDS[1].0) && !page.contains(OPDS[2].0),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_schedule_generates_the_previous_period_once() {
    let fleet = Fleet::build().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::report::config::ReportConfig::default();
    config.schedule = Some(crate::report::config::Schedule::Monthly);
    config.formats = vec![crate::report::Format::Html];
    let archive = Archive {
        config,
        dir: dir.path().to_path_buf(),
    };
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-03T00:00:00Z")
        .unwrap()
        .to_utc();
    // City-wide and three OPDs, for October.
    assert_eq!(archive.run_due(&fleet.store, now).await.unwrap(), 4);
    assert_eq!(archive.run_due(&fleet.store, now).await.unwrap(), 0);
    let files = fleet.store.reports().await.unwrap();
    assert!(files
        .iter()
        .all(|f| f.period == "2026-10" && f.generated_by == "pantau"));
    assert!(dir
        .path()
        .join("2026-10/laporan-kota-2026-10.html")
        .exists());
}
