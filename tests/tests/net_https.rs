//! An e-Gov service whose certificate expires in 5 days, checked across namespaces (issue 4:
//! "an HTTPS service with a certificate expiring in 5 days is reported as such").
//!
//! A test CA issues a certificate for the far end of a (clean) namespaced link that expires
//! 5 days from now; a rustls server in the far namespace serves it. `pantau-agent probe
//! --http` in the near namespace, trusting that CA through `SSL_CERT_FILE`, must report the
//! check as passing with 4 whole days left (5 days less the seconds since issue, floored) and
//! the certificate's exact notAfter. Without the CA the check fails on TLS but the days are
//! still reported, so an operator sees an untrusted and an expiring certificate alike.

use chrono::{DateTime, NaiveDateTime, Utc};
use pantau_tests::bin;
use pantau_tests::impair::{ImpairedLink, Impairment};
use pantau_tests::netns::{in_ns, Lan};
use pantau_tests::tls::TestPki;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

/// Serve `GET` with `200 ok` over TLS on `listener`, a connection at a time, until the
/// process ends. Handshakes that the client drops (the agent's certificate reading) are fine.
fn serve(listener: TcpListener, pki: &TestPki) {
    let chain = vec![CertificateDer::from_pem_file(&pki.server_cert).expect("server cert")];
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).expect("server key");
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("certificate and key match"),
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
}

/// The certificate's notAfter as `openssl x509 -enddate` prints it.
fn not_after(cert: &Path) -> DateTime<Utc> {
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-in"])
        .arg(cert)
        .output()
        .expect("run openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    let date = text.trim().strip_prefix("notAfter=").expect("notAfter=");
    NaiveDateTime::parse_from_str(date, "%b %e %H:%M:%S %Y GMT")
        .unwrap_or_else(|e| panic!("{date}: {e}"))
        .and_utc()
}

fn check(lan: &Lan, url: &str, ca: Option<&Path>) -> Value {
    let mut cmd = lan.exec(&lan.scout_ns, bin("pantau-agent").to_str().unwrap());
    cmd.args(["probe", "--no-gateway", "--http"])
        .arg(format!("egov={url}"))
        .env_remove("SSL_CERT_DIR");
    match ca {
        Some(ca) => cmd.env("SSL_CERT_FILE", ca),
        None => cmd.env_remove("SSL_CERT_FILE"),
    };
    let out = cmd.output().expect("run pantau-agent probe");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe failed: {}{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        report["http"].as_array().map(Vec::len),
        Some(1),
        "{report:#}"
    );
    report["http"][0].clone()
}

#[test]
fn certificate_expiring_in_5_days_is_reported() {
    let Some(lan) = Lan::build(0) else {
        return;
    };
    let link = ImpairedLink::build(
        &lan.scout_ns,
        Impairment::default(),
        Impairment::default(),
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::issue(dir.path(), "egov", &format!("IP:{}", link.far_ip), 5);
    let expires = not_after(&pki.server_cert);
    let far_ip = link.far_ip;
    // Bound from a thread inside the far namespace: the socket lives there.
    let listener = in_ns(&link.far_ns, move || {
        TcpListener::bind((far_ip, 0)).unwrap()
    });
    let url = format!("https://{}/", listener.local_addr().unwrap());
    serve(listener, &pki);

    let h = check(&lan, &url, Some(&pki.ca_cert));
    assert_eq!(h["status"], 200, "trusted through SSL_CERT_FILE: {h:#}");
    assert!(h["error"].is_null(), "{h:#}");
    assert_eq!(h["cert_days_left"], 4, "5 days less a few seconds: {h:#}");
    let reported: DateTime<Utc> = serde_json::from_value(h["cert_not_after"].clone()).unwrap();
    assert_eq!(reported, expires, "{h:#}");

    // The system's roots do not know the test CA: the check fails, the date is still read.
    let h = check(&lan, &url, None);
    assert!(h["status"].is_null(), "{h:#}");
    let error = h["error"].as_str().unwrap_or_else(|| panic!("{h:#}"));
    assert!(error.contains("certificate"), "a TLS error: {h:#}");
    assert_eq!(h["cert_days_left"], 4, "{h:#}");
}
