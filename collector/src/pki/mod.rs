//! The Pantau CA: one small certificate authority per city, made by `pki init`, that issues
//! the collector's HTTPS and the broker's TLS certificates (`pki issue server`), the
//! collector's own MQTT client certificate (`pki issue client`), and every agent's client
//! certificate at enrollment (CN = agent id, which Mosquitto's `use_identity_as_username`
//! turns into the user name its ACL patterns use). Revoked agents' certificates go into
//! `crl.pem`, which the broker reads (`crlfile`).
//!
//! Keys are ECDSA P-256 (ring): what rustls, ring and OpenSSL (Mosquitto, curl) all accept.
//! Files of a PKI folder:
//!
//! | file | what | mode |
//! |---|---|---|
//! | `ca.pem`, `ca.key` | the CA certificate and its key | key 0600 |
//! | `crl.pem` | revoked agent certificates, signed by the CA | |
//! | `NAME.pem`, `NAME.key` | issued server/client certificate (chain: cert, then CA) | key 0600 |

pub mod crl;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// Validity of the CA: long, since replacing it means re-enrolling every agent.
const CA_DAYS: i64 = 20 * 365;
/// Validity of server certificates (browsers refuse longer than 825 days).
pub const SERVER_DAYS: i64 = 825;

/// A PKI folder.
#[derive(Debug, Clone)]
pub struct Pki {
    pub dir: PathBuf,
}

/// The CA, loaded: its certificate (PEM and DER) and an issuer that signs with its key.
pub struct Ca {
    pub pem: String,
    pub der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate just issued: PEM of the certificate alone, and its serial number (hex).
pub struct Issued {
    pub cert_pem: String,
    pub serial: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl Pki {
    pub fn new(dir: impl Into<PathBuf>) -> Pki {
        Pki { dir: dir.into() }
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }
    pub fn crl(&self) -> PathBuf {
        self.dir.join("crl.pem")
    }
    pub fn cert(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.pem"))
    }
    pub fn key(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.key"))
    }

    /// Create the CA and an empty CRL. Refuses if the folder already holds a CA: a new CA
    /// would orphan every enrolled agent.
    pub fn init(&self, city: &str) -> anyhow::Result<Ca> {
        for f in [self.ca_cert(), self.ca_key()] {
            if f.exists() {
                anyhow::bail!(
                    "{} already exists; refusing to overwrite the CA (every enrolled agent trusts it)",
                    f.display()
                );
            }
        }
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("Pantau CA {}", city.trim()));
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Pantau");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(CA_DAYS);
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key)?;
        write_private(&self.ca_key(), &key.serialize_pem())?;
        write_public(&self.ca_cert(), &cert.pem())?;
        let ca = self.load()?;
        crl::write(self, &ca, &[])?;
        Ok(ca)
    }

    /// Load the CA; errors name the file.
    pub fn load(&self) -> anyhow::Result<Ca> {
        let pem = std::fs::read_to_string(self.ca_cert()).with_context(|| {
            format!(
                "cannot read {} (create the CA first: pantau-collector pki init --dir {})",
                self.ca_cert().display(),
                self.dir.display()
            )
        })?;
        let key_pem = std::fs::read_to_string(self.ca_key())
            .with_context(|| format!("cannot read {}", self.ca_key().display()))?;
        let key = KeyPair::from_pem(&key_pem)
            .with_context(|| format!("{}: not a usable private key", self.ca_key().display()))?;
        let der = pem_der(&pem)
            .with_context(|| format!("{}: no CERTIFICATE block", self.ca_cert().display()))?;
        let issuer = Issuer::from_ca_cert_pem(&pem, key).with_context(|| {
            format!("{}: not a usable CA certificate", self.ca_cert().display())
        })?;
        Ok(Ca { pem, der, issuer })
    }

    /// Issue a server certificate `NAME.pem` / `NAME.key` for these DNS names and addresses
    /// (with client use too, so the same file can be a broker bridge's identity). Refuses to
    /// overwrite unless `replace`.
    pub fn issue_server(
        &self,
        name: &str,
        dns: &[String],
        ips: &[IpAddr],
        days: i64,
        replace: bool,
    ) -> anyhow::Result<PathBuf> {
        if dns.is_empty() && ips.is_empty() {
            anyhow::bail!("give at least one --dns NAME or --ip ADDRESS the server is reached by");
        }
        let mut params = CertificateParams::default();
        let cn = dns.first().cloned().unwrap_or_else(|| ips[0].to_string());
        params.distinguished_name.push(DnType::CommonName, cn);
        for d in dns {
            params.subject_alt_names.push(SanType::DnsName(
                d.as_str()
                    .try_into()
                    .map_err(|e| anyhow::anyhow!("--dns {d:?}: {e}"))?,
            ));
        }
        for ip in ips {
            params.subject_alt_names.push(SanType::IpAddress(*ip));
        }
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        self.issue_named(name, params, days, replace)
    }

    /// Issue a client certificate `NAME.pem` / `NAME.key` with CN = `cn`: the collector's
    /// own identity at the broker (its ACL account).
    pub fn issue_client(
        &self,
        name: &str,
        cn: &str,
        days: i64,
        replace: bool,
    ) -> anyhow::Result<PathBuf> {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue_named(name, params, days, replace)
    }

    fn issue_named(
        &self,
        name: &str,
        mut params: CertificateParams,
        days: i64,
        replace: bool,
    ) -> anyhow::Result<PathBuf> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            || name == "ca"
            || name == "crl"
        {
            anyhow::bail!("--name {name:?}: use letters, digits, '-' or '_' (not ca or crl)");
        }
        let (cert_path, key_path) = (self.cert(name), self.key(name));
        if !replace {
            for f in [&cert_path, &key_path] {
                if f.exists() {
                    anyhow::bail!(
                        "{} already exists; add --replace to issue a new one",
                        f.display()
                    );
                }
            }
        }
        let ca = self.load()?;
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        set_validity(&mut params, days);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params.signed_by(&key, &ca.issuer)?;
        if replace {
            let _ = std::fs::remove_file(&key_path);
        }
        write_private(&key_path, &key.serialize_pem())?;
        // The chain, so a client that pins the CA's fingerprint finds the CA in the handshake.
        write_public(&cert_path, &format!("{}{}", cert.pem(), ca.pem))?;
        Ok(cert_path)
    }
}

impl Ca {
    /// SHA-256 of the CA certificate (DER), lowercase hex: what `pantau-agent enroll
    /// --ca-fingerprint` pins.
    pub fn fingerprint(&self) -> String {
        hex(&Sha256::digest(&self.der))
    }

    /// The common name, for `pki show`.
    pub fn subject(&self) -> String {
        x509_parser::parse_x509_certificate(&self.der)
            .map(|(_, c)| c.subject().to_string())
            .unwrap_or_default()
    }

    /// Check an agent's CSR (PEM) and sign a client certificate for `agent_id` with its
    /// public key. Only the key is taken from the request: subject, names and usages are the
    /// collector's, so an agent cannot ask for a server certificate or another agent's name.
    pub fn sign_agent(&self, agent_id: &str, csr_pem: &str, days: i64) -> Result<Issued, String> {
        let csr = check_csr(csr_pem)?;
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, agent_id);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Pantau agent");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let serial = set_validity(&mut params, days);
        let not_after = params.not_after;
        let req = CertificateSigningRequestParams {
            params,
            public_key: csr.public_key,
        };
        let cert = req
            .signed_by(&self.issuer)
            .map_err(|e| format!("cannot sign the certificate: {e}"))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            serial,
            not_after: chrono::DateTime::from_timestamp(not_after.unix_timestamp(), 0)
                .unwrap_or_default(),
        })
    }
}

/// Largest CSR accepted (a P-256 or ed25519 request is well under 1 KiB; RSA-4096 ~2 KiB).
const CSR_MAX: usize = 8 * 1024;

/// Parse a PEM CSR and verify its self-signature: the requester holds the private key.
pub fn check_csr(pem: &str) -> Result<CertificateSigningRequestParams, String> {
    if pem.len() > CSR_MAX {
        return Err(format!("csr: {} bytes, more than {CSR_MAX}", pem.len()));
    }
    if !pem.contains("-----BEGIN CERTIFICATE REQUEST-----") {
        return Err("csr: no PEM block `CERTIFICATE REQUEST`".into());
    }
    CertificateSigningRequestParams::from_pem(pem).map_err(|e| match e {
        rcgen::Error::InvalidCertificationRequestSignature => {
            "csr: the signature does not verify (the request was altered or not signed by its key)"
                .to_string()
        }
        rcgen::Error::UnsupportedExtension => {
            "csr: carries an extension Pantau does not accept".into()
        }
        e => format!("csr: {e}"),
    })
}

/// Random positive 16-byte serial; returns its hex.
fn set_validity(params: &mut CertificateParams, days: i64) -> String {
    let now = OffsetDateTime::now_utc();
    // An hour back: a PC whose clock is a little behind still accepts the certificate.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days.max(1));
    let serial = random_serial();
    let h = hex(&serial.to_bytes());
    params.serial_number = Some(serial);
    h
}

fn random_serial() -> SerialNumber {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS random numbers");
    b[0] &= 0x7f; // positive
    b[0] |= 0x01; // no leading zero byte, so the DER and the hex agree
    SerialNumber::from_slice(&b)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .map(|c| c.to_vec())
}

/// Write a private key with mode 0600, never over an existing file.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Write a public file by a temporary file and a rename, so a reader (Mosquitto reloading
/// its CRL) never sees half of it.
pub fn write_public(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests;
