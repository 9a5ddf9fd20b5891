//! `pantau-agent enroll URL --token T [--ca-fingerprint SHA256]`: the PC makes its own keys
//! (ed25519 for signing envelopes, ECDSA P-256 for TLS), sends the public halves and a CSR to
//! the collector over HTTPS, and writes what comes back: `agent.toml` (mqtts:// broker, CA,
//! client certificate and key), `agent.key`, `tls.key` (both 0600), `tls.pem`, `ca.pem`. The
//! private keys never leave the PC. Nothing is written unless the collector said yes, and an
//! existing identity is never overwritten.
//!
//! Errors are sentences an installer can act on, in Bahasa Indonesia by default (`--lang en`
//! for English): wrong, expired, used or revoked token, fingerprint mismatch, collector
//! unreachable.

pub mod pin;
mod text;

use crate::config::AgentConfig;
use pantau_proto::enrollment::{EnrollError, EnrollRequest, EnrollResponse, PATH};
use pantau_proto::AgentKey;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
pub use text::Lang;
use text::Msg;

pub struct Options {
    /// `https://collector:PORT` (plain `http://` only if the collector allows it: tests).
    pub url: String,
    pub token: String,
    /// Pinned SHA-256 of the Pantau CA; the platform's roots when absent.
    pub ca_fingerprint: Option<String>,
    pub config_dir: PathBuf,
    /// The state folder written into agent.toml.
    pub state_dir: PathBuf,
    pub lang: Lang,
}

/// Files an enrollment writes into the config folder.
pub const FILES: [&str; 5] = ["agent.toml", "agent.key", "tls.key", "tls.pem", "ca.pem"];

/// What was enrolled.
pub struct Enrolled {
    pub agent_id: String,
    pub opd: String,
    pub config: PathBuf,
}

pub fn run(o: &Options) -> anyhow::Result<Enrolled> {
    let l = o.lang;
    let pinned = match &o.ca_fingerprint {
        Some(f) => Some(pin::normalize(f).ok_or_else(|| Msg::BadFingerprint(f.clone()).err(l))?),
        None => None,
    };
    let url = reqwest::Url::parse(o.url.trim_end_matches('/'))
        .map_err(|e| Msg::BadUrl(o.url.clone(), e.to_string()).err(l))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(Msg::BadUrl(o.url.clone(), "https://HOST:PORT".into()).err(l));
    }
    for f in FILES {
        let p = o.config_dir.join(f);
        if p.exists() {
            return Err(Msg::Exists(p).err(l));
        }
    }
    // Keys first, in memory: the request carries only public halves.
    let signing = AgentKey::generate();
    let tls_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let host = hostname();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, host.clone());
    let csr = params.serialize_request(&tls_key)?.pem()?;
    let req = EnrollRequest {
        token: o.token.trim().to_owned(),
        public_key: signing.public().to_base64(),
        csr,
        hostname: Some(host),
    };
    let answer = post(&url, &req, pinned.as_deref(), l)?;
    write_identity(o, &signing, &tls_key, &answer)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

fn post(
    url: &reqwest::Url,
    req: &EnrollRequest,
    pinned: Option<&str>,
    l: Lang,
) -> anyhow::Result<EnrollResponse> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let verifier = pinned.map(|p| Arc::new(pin::PinnedCa::new(p.to_owned(), provider.clone())));
    let tls = match &verifier {
        Some(v) => builder
            .dangerous()
            .with_custom_certificate_verifier(v.clone())
            .with_no_client_auth(),
        None => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    let endpoint = url.join(PATH)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(async {
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("pantau-agent/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let res = client
            .post(endpoint.clone())
            .header("content-type", "application/json")
            .body(serde_json::to_vec(req)?)
            .send()
            .await?;
        let status = res.status();
        let body = res.bytes().await?;
        anyhow::Ok((status, body))
    });
    let (status, body) = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(v) = &verifier {
                if let Some(seen) = v.seen.lock().expect("lock").take() {
                    return Err(Msg::Fingerprint {
                        want: v.want.clone(),
                        seen,
                    }
                    .err(l));
                }
            }
            let chain = error_chain(&e);
            if chain.contains("certificate") || chain.contains("UnknownIssuer") {
                return Err(Msg::Untrusted(url.to_string(), chain).err(l));
            }
            return Err(Msg::Unreachable(url.to_string(), chain).err(l));
        }
    };
    if status.is_success() {
        return serde_json::from_slice(&body)
            .map_err(|e| Msg::BadAnswer(format!("{status}: {e}")).err(l));
    }
    let refusal: EnrollError = serde_json::from_slice(&body).map_err(|_| {
        Msg::BadAnswer(format!(
            "{status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(200)
                .collect::<String>()
        ))
        .err(l)
    })?;
    Err(Msg::Refused(refusal.code, refusal.error).err(l))
}

fn error_chain(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = e.chain().map(|c| c.to_string()).collect();
    // reqwest hides the cause behind "error sending request"; walk the sources.
    if let Some(re) = e.downcast_ref::<reqwest::Error>() {
        let mut src = std::error::Error::source(re);
        while let Some(s) = src {
            parts.push(format!("{s:?}"));
            src = s.source();
        }
    }
    parts.dedup();
    parts.join(": ")
}

fn write_identity(
    o: &Options,
    signing: &AgentKey,
    tls_key: &rcgen::KeyPair,
    a: &EnrollResponse,
) -> anyhow::Result<Enrolled> {
    if !pantau_proto::topic::valid_agent_id(&a.agent_id) {
        anyhow::bail!(
            "the collector assigned an invalid agent id {:?}",
            a.agent_id
        );
    }
    let dir = &o.config_dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    write_file(&dir.join("agent.key"), &(signing.to_base64() + "\n"), true)?;
    write_file(&dir.join("tls.key"), &tls_key.serialize_pem(), true)?;
    write_file(&dir.join("tls.pem"), &a.client_cert, false)?;
    write_file(&dir.join("ca.pem"), &a.ca, false)?;
    let mut cfg = AgentConfig::new(
        &a.agent_id,
        PathBuf::from("agent.key"),
        o.state_dir.clone(),
        &a.broker_url,
    );
    cfg.broker.ca_file = Some("ca.pem".into());
    cfg.broker.client_cert_file = Some("tls.pem".into());
    cfg.broker.client_key_file = Some("tls.key".into());
    let config = dir.join("agent.toml");
    write_file(
        &config,
        &format!(
            "# Pantau agent {}, OPD {}: written by `pantau-agent enroll`.\n{}",
            a.agent_id,
            a.opd,
            cfg.to_toml()
        ),
        false,
    )?;
    Ok(Enrolled {
        agent_id: a.agent_id.clone(),
        opd: a.opd.clone(),
        config,
    })
}

/// Create a new file (never over an existing one); keys with mode 0600.
fn write_file(path: &Path, text: &str, private: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    let _ = private;
    let mut f = opts
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
