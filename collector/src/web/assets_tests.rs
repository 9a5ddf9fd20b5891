//! The asset API in process: the router as the server builds it, requests through
//! `tower::ServiceExt::oneshot`, a real SqliteStore in a temporary folder.

use super::*;
use crate::store::sqlite::SqliteStore;
use crate::telemetry::Telemetry;
use axum::body::Body;
use axum::http::Request;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

const SAMPLE: &[u8] = include_bytes!("../register/testdata/register-sample.csv");
const BAD: &[u8] = include_bytes!("../register/testdata/bad-rows.csv");

struct Api {
    _dir: tempfile::TempDir,
    router: Router,
    bearer: String,
}

impl Api {
    async fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("pantau.db")).unwrap());
        let bearer = super::super::access::test_bearer(
            &*store,
            "admin",
            crate::store::accounts::Role::Admin,
            &[],
        )
        .await;
        let router = super::super::router(AppState {
            store,
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
            router,
            bearer,
        }
    }

    async fn send(&self, mut request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, self.bearer.parse().unwrap());
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, headers, body.to_vec())
    }

    async fn post(&self, uri: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, _, body) = self.send(request).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    async fn get(&self, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn assets(&self, query: &str) -> Vec<Value> {
        let (status, _, body) = self.get(&format!("/api/v1/assets{query}")).await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_slice::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

fn sample_rows() -> usize {
    crate::register::parse_csv("s.csv", SAMPLE)
        .unwrap()
        .rows
        .len()
}

#[tokio::test]
async fn a_good_csv_is_stored_and_listed() {
    let api = Api::new().await;
    let (status, body) = api
        .post(
            "/api/v1/assets/import?filename=register.csv",
            "text/csv",
            SAMPLE.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let n = sample_rows();
    assert_eq!(body["source"], "register.csv");
    assert_eq!(body["dry_run"], false);
    assert_eq!(body["rows"], n);
    assert_eq!(body["added"].as_array().unwrap().len(), n);
    assert_eq!(body["unchanged"], 0);
    assert!(body["warnings"].is_array());

    let all = api.assets("").await;
    assert_eq!(all.len(), n);
    assert_eq!(all[0]["match_state"], "not_seen");
    let dinkes = api.assets("?opd=82.71.03.02.01").await;
    assert!(!dinkes.is_empty() && dinkes.len() < n);
    assert!(dinkes.iter().all(|l| l["kode_lokasi"] == "82.71.03.02.01"));

    // The same file again: nothing changes.
    let (_, again) = api
        .post(
            "/api/v1/assets/import",
            "application/octet-stream",
            SAMPLE.to_vec(),
        )
        .await;
    assert_eq!(again["source"], "upload.csv");
    assert_eq!(again["unchanged"], n);
}

#[tokio::test]
async fn a_bad_csv_is_refused_with_every_place_and_stores_nothing() {
    let api = Api::new().await;
    let (status, body) = api
        .post(
            "/api/v1/assets/import?filename=bad.csv",
            "text/csv",
            BAD.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"].as_str().unwrap().contains("nothing imported"));
    let diagnostics = body["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 6);
    let first = &diagnostics[0];
    assert_eq!(first["file"], "bad.csv");
    // bad-rows.csv:3:2, the six-level kode barang (docs/register-format.md#errors-and-warnings).
    assert_eq!(first["line"], 3);
    assert_eq!(first["column"], 2);
    assert_eq!(first["column_name"], "kode_barang");
    assert!(first["message"].as_str().unwrap().contains("has 6 levels"));
    assert!(api.assets("").await.is_empty());
}

#[tokio::test]
async fn a_dry_run_reports_and_stores_nothing() {
    let api = Api::new().await;
    let (status, body) = api
        .post(
            "/api/v1/assets/import?dry_run=true",
            "text/csv",
            SAMPLE.to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(body["added"].as_array().unwrap().len(), sample_rows());
    assert!(api.assets("").await.is_empty());
}

/// The workbook the export API writes is a valid upload: by sniffing, and by multipart.
#[tokio::test]
async fn xlsx_uploads_raw_and_multipart() {
    let source = Api::new().await;
    source
        .post("/api/v1/assets/import", "text/csv", SAMPLE.to_vec())
        .await;
    let (status, headers, xlsx) = source.get("/api/v1/assets/export?format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], XLSX_MIME);
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"register-pantau-")
            && disposition.ends_with(".xlsx\""),
        "{disposition}"
    );
    assert!(xlsx.starts_with(b"PK\x03\x04"));

    let api = Api::new().await;
    let (status, body) = api
        .post(
            "/api/v1/assets/import",
            "application/octet-stream",
            xlsx.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], "upload.xlsx");
    assert_eq!(body["rows"], sample_rows());

    let boundary = "pantau-test-boundary";
    let mut form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"C:\\\\Data\\\\KIB B 2025.xlsx\"\r\nContent-Type: {XLSX_MIME}\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(&xlsx);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, body) = api
        .post(
            "/api/v1/assets/import",
            &format!("multipart/form-data; boundary={boundary}"),
            form,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["source"], "KIB B 2025.xlsx");
    assert_eq!(body["unchanged"], sample_rows());
}

#[tokio::test]
async fn uploads_over_the_limit_are_refused() {
    let api = Api::new().await;
    let (status, body) = api
        .post(
            "/api/v1/assets/import",
            "text/csv",
            vec![b'x'; IMPORT_LIMIT + 1],
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"].as_str().unwrap().contains("50 MiB"), "{body}");
}

#[tokio::test]
async fn csv_export_in_english_and_its_errors() {
    let api = Api::new().await;
    api.post("/api/v1/assets/import", "text/csv", SAMPLE.to_vec())
        .await;
    let (status, headers, csv) = api
        .get("/api/v1/assets/export?format=csv&opd=82.71.03.02.01&lang=en")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(csv.starts_with(b"\xEF\xBB\xBFLocation Code;OPD Name;"));
    let text = String::from_utf8(csv).unwrap();
    assert!(text
        .lines()
        .skip(1)
        .all(|l| l.starts_with("82.71.03.02.01;")));

    let (status, _, _) = api.get("/api/v1/assets/export?opd=99.99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = api.get("/api/v1/assets/export?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("use xlsx or csv"));
    let (status, _, _) = api
        .get("/api/v1/assets/export?format=csv&delimiter=|")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn upload_names() {
    assert_eq!(upload_name(Some("r.xlsx"), None, b"a,b"), "r.xlsx");
    assert_eq!(upload_name(Some("/tmp/x/r.csv"), None, b""), "r.csv");
    assert_eq!(
        upload_name(Some("  "), None, b"PK\x03\x04.."),
        "upload.xlsx"
    );
    assert_eq!(upload_name(None, None, b"\xD0\xCF\x11\xE0"), "upload.xls");
    assert_eq!(upload_name(None, Some(XLSX_MIME), b"??"), "upload.xlsx");
    assert_eq!(upload_name(None, Some("text/csv"), b"a;b"), "upload.csv");
}
