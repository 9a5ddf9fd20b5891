//! The certificate revocation list Mosquitto reads (`crlfile`): every revoked agent's
//! certificate serial, signed by the CA. Rewritten whole on each revocation; Mosquitto reads
//! it when a listener starts, so the broker is reloaded after a revocation (docs/security.md).

use super::{Ca, Pki};
use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams};
use time::{Duration, OffsetDateTime};

/// How long a CRL stays valid. OpenSSL refuses every client certificate once the CRL's
/// `nextUpdate` has passed, so this is long; each revocation writes a fresh one, and
/// `pki crl` rewrites it on demand.
const CRL_DAYS: i64 = 5 * 365;

/// One revoked certificate: serial (hex) and when.
#[derive(Debug, Clone)]
pub struct Revoked {
    pub serial: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub fn pem(ca: &Ca, revoked: &[Revoked]) -> anyhow::Result<String> {
    let now = OffsetDateTime::now_utc();
    let mut revoked_certs = Vec::with_capacity(revoked.len());
    for r in revoked {
        let bytes = unhex(&r.serial)
            .ok_or_else(|| anyhow::anyhow!("stored serial {:?} is not hex", r.serial))?;
        revoked_certs.push(RevokedCertParams {
            serial_number: rcgen::SerialNumber::from_slice(&bytes),
            revocation_time: OffsetDateTime::from_unix_timestamp(r.at.timestamp()).unwrap_or(now),
            reason_code: Some(RevocationReason::CessationOfOperation),
            invalidity_date: None,
        });
    }
    let params = CertificateRevocationListParams {
        this_update: now - Duration::hours(1),
        next_update: now + Duration::days(CRL_DAYS),
        // Increases with every rewrite.
        crl_number: rcgen::SerialNumber::from(now.unix_timestamp() as u64),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    };
    Ok(params.signed_by(&ca.issuer)?.pem()?)
}

/// Write `crl.pem` of `pki`.
pub fn write(pki: &Pki, ca: &Ca, revoked: &[Revoked]) -> anyhow::Result<()> {
    super::write_public(&pki.crl(), &pem(ca, revoked)?)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
