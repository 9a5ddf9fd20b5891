//! Trust on a pinned CA fingerprint: `pantau-agent enroll --ca-fingerprint SHA256`.
//!
//! A fresh PC has no Pantau CA yet; the operator reads the fingerprint off `pantau-collector
//! pki show` (or the install script carries it). The collector sends its certificate chain
//! with the CA in it (`pki issue server` writes it so); this verifier finds the certificate
//! whose SHA-256 is the pinned one and then verifies the server certificate against it as a
//! root, names and dates included, with rustls's own WebPKI verifier. A chain without that
//! CA fails, and the fingerprints it did carry are kept for the error message.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct PinnedCa {
    /// Lowercase hex SHA-256 of the CA certificate (DER).
    pub want: String,
    provider: Arc<CryptoProvider>,
    /// Fingerprints of the certificates the server sent, when none matched.
    pub seen: Mutex<Option<Vec<String>>>,
}

impl PinnedCa {
    pub fn new(want: String, provider: Arc<CryptoProvider>) -> PinnedCa {
        PinnedCa {
            want,
            provider,
            seen: Mutex::new(None),
        }
    }
}

pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Normalise a fingerprint as people write it (`AB:CD:..`, `sha256:abcd..`): lowercase hex.
pub fn normalize(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s
        .strip_prefix("sha256:")
        .or_else(|| s.strip_prefix("SHA256:"))
        .unwrap_or(s);
    let h: String = s
        .chars()
        .filter(|c| *c != ':' && *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase();
    (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
}

impl ServerCertVerifier for PinnedCa {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let all = std::iter::once(end_entity).chain(intermediates);
        let Some(ca) = all.clone().find(|c| fingerprint(c) == self.want) else {
            *self.seen.lock().expect("lock") = Some(all.map(|c| fingerprint(c)).collect());
            return Err(rustls::Error::General(
                "no certificate in the collector's chain has the pinned CA fingerprint".into(),
            ));
        };
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(ca.clone().into_owned())
            .map_err(|e| rustls::Error::General(format!("pinned CA unusable: {e}")))?;
        let webpki =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), self.provider.clone())
                .build()
                .map_err(|e| rustls::Error::General(format!("verifier: {e}")))?;
        let rest: Vec<CertificateDer<'_>> = intermediates
            .iter()
            .filter(|c| fingerprint(c) != self.want)
            .cloned()
            .collect();
        webpki.verify_server_cert(end_entity, &rest, server_name, ocsp, now)
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_are_read_as_people_write_them() {
        let h = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(super::normalize(&colons).as_deref(), Some(h.as_str()));
        assert_eq!(
            super::normalize(&format!("sha256:{h}")).as_deref(),
            Some(h.as_str())
        );
        assert_eq!(super::normalize("abc"), None);
    }
}
