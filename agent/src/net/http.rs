//! HTTP(S) checks of e-Gov services: status, time to the full response, whether the expected
//! text is in the body, and for HTTPS the days left on the server certificate.
//!
//! TLS is rustls with the ring provider, as for the broker link, trusting the platform's root
//! certificates (what the PC's browser trusts). The certificate's expiry is read in a separate
//! handshake that accepts any certificate and sends nothing, so an expired or self-signed
//! certificate still shows its date; the check itself verifies normally and reports the TLS
//! error.

use chrono::{DateTime, Utc};
use pantau_proto::body::config::HttpCheck;
use pantau_proto::body::net::HttpResult;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Per-check timeout when the check names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this much of a body is read to look for the expected text.
const MAX_BODY: usize = 2 * 1024 * 1024;

pub struct HttpChecker {
    client: reqwest::Client,
    /// For reading the server certificate only; see the module documentation.
    cert_tls: tokio_rustls::TlsConnector,
}

impl HttpChecker {
    pub fn new() -> anyhow::Result<HttpChecker> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for e in &native.errors {
            tracing::debug!("platform root certificates: {e}");
        }
        let (added, _ignored) = roots.add_parsable_certificates(native.certs);
        if added == 0 {
            tracing::warn!("no platform root certificates found; HTTPS checks will fail");
        }
        let verified = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(verified)
            .user_agent(concat!("pantau-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let any_cert = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        Ok(HttpChecker {
            client,
            cert_tls: tokio_rustls::TlsConnector::from(Arc::new(any_cert)),
        })
    }

    pub async fn check(&self, c: &HttpCheck) -> HttpResult {
        let timeout = c
            .timeout_s
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TIMEOUT);
        let mut r = HttpResult {
            name: c.name.clone(),
            url: c.url.clone(),
            ..HttpResult::default()
        };
        let url = match reqwest::Url::parse(&c.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => u,
            Ok(_) => {
                r.error = Some("not an http:// or https:// URL".into());
                return r;
            }
            Err(e) => {
                r.error = Some(format!("bad URL: {e}"));
                return r;
            }
        };
        let cert = async {
            if url.scheme() != "https" {
                return None;
            }
            let host = url.host_str()?.to_owned();
            let port = url.port_or_known_default()?;
            tokio::time::timeout(timeout, self.not_after(host, port))
                .await
                .ok()
                .flatten()
        };
        let (fetched, not_after) =
            tokio::join!(self.fetch(&url, c.expect.as_deref(), timeout), cert);
        match fetched {
            Ok((status, ms, found)) => {
                r.status = Some(status);
                r.ms = Some(ms);
                r.expected_found = found;
            }
            Err(e) => r.error = Some(e),
        }
        if let Some(t) = not_after {
            r.cert_not_after = Some(t);
            r.cert_days_left = Some((t - Utc::now()).num_seconds().div_euclid(86_400));
        }
        r
    }

    async fn fetch(
        &self,
        url: &reqwest::Url,
        expect: Option<&str>,
        timeout: Duration,
    ) -> Result<(u16, f64, Option<bool>), String> {
        let start = Instant::now();
        let run = async {
            let mut resp = self.client.get(url.clone()).send().await?;
            let status = resp.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await? {
                if body.len() < MAX_BODY {
                    body.extend_from_slice(&chunk[..chunk.len().min(MAX_BODY - body.len())]);
                }
            }
            Ok::<_, reqwest::Error>((status, body))
        };
        let (status, body) = tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| format!("timed out after {} s", timeout.as_secs()))?
            .map_err(|e| error_chain(&e))?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let found = expect.map(|t| {
            let t = t.as_bytes();
            t.is_empty() || body.windows(t.len()).any(|w| w == t)
        });
        Ok((status, ms, found))
    }

    /// The leaf certificate's notAfter, from a handshake that sends no data.
    async fn not_after(&self, host: String, port: u16) -> Option<DateTime<Utc>> {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .ok()?;
        let name = ServerName::try_from(host).ok()?;
        let tls = self.cert_tls.connect(name, tcp).await.ok()?;
        let der = tls.get_ref().1.peer_certificates()?.first()?.clone();
        not_after_of(&der)
    }
}

pub(crate) fn not_after_of(der: &[u8]) -> Option<DateTime<Utc>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
}

/// reqwest's errors say "error sending request"; the cause (refused, TLS) is further down.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Accepts every certificate but still checks the handshake signatures. Used only to read a
/// certificate's dates; nothing is sent over such a connection.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A server on 127.0.0.1 answering every connection with `response` (or, when `None`,
    /// reading the request and never answering).
    fn server(response: Option<&'static str>) -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for s in l.incoming() {
                let mut s = s.unwrap();
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                match response {
                    Some(r) => {
                        let _ = s.write_all(r.as_bytes());
                    }
                    None => held.push(s),
                }
            }
        });
        format!("http://{addr}/status")
    }

    fn check(url: &str, expect: Option<&str>, timeout_s: u64) -> HttpCheck {
        HttpCheck {
            name: "sipd".into(),
            url: url.into(),
            expect: expect.map(Into::into),
            timeout_s: Some(timeout_s),
        }
    }

    #[tokio::test]
    async fn status_time_and_expected_text() {
        let url = server(Some(
            "HTTP/1.1 200 OK\r\nContent-Length: 16\r\nConnection: close\r\n\r\nlayanan tersedia",
        ));
        let h = HttpChecker::new().unwrap();
        let r = h.check(&check(&url, Some("tersedia"), 5)).await;
        assert_eq!(r.status, Some(200), "{r:?}");
        assert!(r.ms.is_some());
        assert_eq!(r.expected_found, Some(true));
        assert_eq!(r.cert_days_left, None, "plain HTTP has no certificate");
        let r = h.check(&check(&url, Some("gangguan"), 5)).await;
        assert_eq!(r.expected_found, Some(false));
        let r = h.check(&check(&url, None, 5)).await;
        assert_eq!(r.expected_found, None);
    }

    #[tokio::test]
    async fn error_status_is_reported_not_an_error() {
        let url = server(Some(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        ));
        let r = HttpChecker::new()
            .unwrap()
            .check(&check(&url, None, 5))
            .await;
        assert_eq!(r.status, Some(503));
        assert!(r.error.is_none());
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let url = server(None);
        let start = std::time::Instant::now();
        let r = HttpChecker::new()
            .unwrap()
            .check(&check(&url, None, 1))
            .await;
        assert!(r.error.as_deref().unwrap().contains("timed out"), "{r:?}");
        assert_eq!(r.status, None);
        assert!(start.elapsed() < Duration::from_secs(20), "does not hang");
    }

    /// `agent/tests/fixtures/net/localhost.{crt,key}`: self-signed for `localhost`, made with
    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
    /// -subj /CN=localhost -addext subjectAltName=DNS:localhost -days 3650`.
    const FIXTURE_NOT_AFTER: &str = "2036-11-21T13:27:43Z";

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/net")
            .join(name)
    }

    #[test]
    fn reads_not_after() {
        use rustls::pki_types::pem::PemObject;
        let der = CertificateDer::from_pem_file(fixture("localhost.crt")).unwrap();
        assert_eq!(
            not_after_of(&der)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            FIXTURE_NOT_AFTER
        );
        assert_eq!(not_after_of(b"not a certificate"), None);
    }

    #[tokio::test]
    async fn untrusted_certificate_is_an_error_but_its_date_is_read() {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::PrivateKeyDer;
        let chain = vec![CertificateDer::from_pem_file(fixture("localhost.crt")).unwrap()];
        let key = PrivateKeyDer::from_pem_file(fixture("localhost.key")).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = acceptor.accept(s).await;
                });
            }
        });
        let r = HttpChecker::new()
            .unwrap()
            .check(&check(&format!("https://localhost:{port}/"), None, 5))
            .await;
        assert!(
            r.error.is_some(),
            "a self-signed certificate is not trusted: {r:?}"
        );
        assert_eq!(r.status, None);
        let not_after = r.cert_not_after.expect("date read despite the TLS error");
        assert_eq!(
            not_after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            FIXTURE_NOT_AFTER
        );
        let days = r.cert_days_left.unwrap();
        assert_eq!(
            days,
            (not_after - Utc::now()).num_seconds().div_euclid(86_400)
        );
        assert!(days > 0);
    }

    #[tokio::test]
    async fn refused_and_bad_urls() {
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let h = HttpChecker::new().unwrap();
        let r = h.check(&check(&format!("http://{closed}/"), None, 5)).await;
        assert!(r.error.is_some() && r.status.is_none(), "{r:?}");
        let r = h.check(&check("ftp://example.invalid/", None, 5)).await;
        assert!(r.error.is_some());
    }
}
