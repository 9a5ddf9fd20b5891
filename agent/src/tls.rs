//! TLS for `mqtts://` brokers: rustls with the ring provider, trusting only the configured CA
//! (the city's own Pantau CA), optionally presenting a client certificate.

use crate::config::BrokerConfig;
use anyhow::Context;
use rumqttc::TlsConfiguration;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;

pub fn client_config(cfg: &BrokerConfig) -> anyhow::Result<TlsConfiguration> {
    let ca_file = cfg.ca_file.as_ref().context(
        "broker.ca_file is required for mqtts:// (the CA that signed the broker's certificate)",
    )?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_file)
        .with_context(|| format!("cannot read {}", ca_file.display()))?
    {
        let cert = cert.with_context(|| format!("{}: not a PEM certificate", ca_file.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("{}: unusable CA certificate", ca_file.display()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots);
    let config = match (&cfg.client_cert_file, &cfg.client_key_file) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .with_context(|| format!("cannot read {}", cert.display()))?
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{}: not PEM certificates", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .with_context(|| format!("{}: not a PEM private key", key.display()))?;
            builder.with_client_auth_cert(chain, key)?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => anyhow::bail!("broker.client_cert_file and broker.client_key_file go together"),
    };
    Ok(TlsConfiguration::Rustls(Arc::new(config)))
}
