//! `broker-config mosquitto`: a Mosquitto configuration that confines every agent to its own
//! topics. TLS only (no plain listener, not even on loopback), a client certificate from the
//! Pantau CA required, its CN used as the user name (`use_identity_as_username`), revoked
//! certificates refused (`crlfile`), and an ACL in which user `%u` (= agent id) may write
//! only its own kinds under `pantau/v1/%u/` and read only `pantau/v1/%u/config`. The
//! collector's own certificate (CN = its MQTT client id) reads every agent's topics and
//! writes the config topics.

use crate::pki::Pki;
use pantau_proto::{topic::PREFIX, Kind};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct MosquittoOptions {
    /// The PKI folder (absolute in the output).
    pub pki_dir: PathBuf,
    /// Name of the broker's certificate in the PKI folder (`pki issue server --name`).
    pub cert_name: String,
    /// Address of the TLS listener; every interface when absent.
    pub listen: Option<IpAddr>,
    pub port: u16,
    /// The collector's identity: the CN of its client certificate.
    pub collector_id: String,
    /// Where the files go; `acl_file` points here.
    pub out: PathBuf,
}

pub const CONF: &str = "mosquitto.conf";
pub const ACL: &str = "pantau.acl";

/// The ACL file's text.
pub fn acl(collector_id: &str) -> String {
    let mut s = String::from(
        "# Pantau broker ACL, written by `pantau-collector broker-config mosquitto`.\n\
         # %u is the client's user name: the CN of its certificate, i.e. the agent id.\n\
         #\n\
         # Every agent: writes only its own report kinds, reads only its own config.\n",
    );
    for k in Kind::ALL.iter().filter(|k| **k != Kind::Config) {
        s.push_str(&format!("pattern write {PREFIX}/%u/{k}\n"));
    }
    s.push_str(&format!("pattern read {PREFIX}/%u/{}\n", Kind::Config));
    s.push_str(&format!(
        "\n# The collector (client certificate CN = {collector_id}): reads every agent's\n\
         # reports, publishes every agent's config (retained).\n\
         user {collector_id}\n\
         topic read {PREFIX}/+/+\n\
         topic write {PREFIX}/+/{}\n",
        Kind::Config
    ));
    s
}

/// The configuration file's text.
pub fn conf(o: &MosquittoOptions) -> String {
    let pki = Pki::new(&o.pki_dir);
    let listen = o.listen.map(|a| format!(" {a}")).unwrap_or_default();
    format!(
        "# Pantau broker, written by `pantau-collector broker-config mosquitto`.\n\
         # Debian: copy this file to /etc/mosquitto/conf.d/pantau.conf, or run `mosquitto -c` on it.\n\
         # Mosquitto must be able to read the key: chown mosquitto {key}\n\
         # After `pantau-collector agents revoke`, reload so the new CRL is read:\n\
         #   systemctl reload mosquitto\n\
         # There is no plain-text listener, not even on loopback: the collector connects with\n\
         # its own certificate like every agent.\n\
         per_listener_settings false\n\
         allow_anonymous false\n\
         acl_file {acl}\n\
         \n\
         listener {port}{listen}\n\
         protocol mqtt\n\
         tls_version tlsv1.2\n\
         cafile {ca}\n\
         certfile {cert}\n\
         keyfile {key}\n\
         crlfile {crl}\n\
         require_certificate true\n\
         use_identity_as_username true\n",
        acl = o.out.join(ACL).display(),
        port = o.port,
        ca = pki.ca_cert().display(),
        cert = pki.cert(&o.cert_name).display(),
        key = pki.key(&o.cert_name).display(),
        crl = pki.crl().display(),
    )
}

/// Write both files into `o.out` (created). Warns about PKI files that do not exist yet.
pub fn write(o: &MosquittoOptions) -> anyhow::Result<Vec<PathBuf>> {
    let mut o = o.clone();
    o.pki_dir = std::path::absolute(&o.pki_dir)?;
    o.out = std::path::absolute(&o.out)?;
    let pki = Pki::new(&o.pki_dir);
    for f in [
        pki.ca_cert(),
        pki.crl(),
        pki.cert(&o.cert_name),
        pki.key(&o.cert_name),
    ] {
        if !f.exists() {
            eprintln!(
                "warning: {} does not exist yet (pantau-collector pki init / pki issue server --name {})",
                f.display(),
                o.cert_name
            );
        }
    }
    std::fs::create_dir_all(&o.out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", o.out.display()))?;
    let conf_path = o.out.join(CONF);
    let acl_path = o.out.join(ACL);
    write_file(&conf_path, &conf(&o))?;
    write_file(&acl_path, &acl(&o.collector_id))?;
    Ok(vec![conf_path, acl_path])
}

fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_write_their_own_kinds_and_read_their_own_config() {
        let a = acl("pantau-collector");
        let patterns: Vec<&str> = a.lines().filter(|l| l.starts_with("pattern")).collect();
        assert_eq!(
            patterns,
            [
                "pattern write pantau/v1/%u/inventory",
                "pattern write pantau/v1/%u/metrics",
                "pattern write pantau/v1/%u/net",
                "pattern write pantau/v1/%u/discovery",
                "pattern write pantau/v1/%u/snmp",
                "pattern write pantau/v1/%u/usage",
                "pattern write pantau/v1/%u/status",
                "pattern read pantau/v1/%u/config",
            ]
        );
        // Nothing with a wildcard for agents: no `#`, no other agent's segment.
        assert!(!a.contains('#') || a.lines().all(|l| l.starts_with('#') || !l.contains('#')));
        let collector: Vec<&str> = a.lines().skip_while(|l| !l.starts_with("user ")).collect();
        assert_eq!(
            collector,
            [
                "user pantau-collector",
                "topic read pantau/v1/+/+",
                "topic write pantau/v1/+/config",
            ]
        );
    }

    #[test]
    fn tls_only_with_certificates_as_identity() {
        let c = conf(&MosquittoOptions {
            pki_dir: "/etc/pantau/pki".into(),
            cert_name: "broker".into(),
            listen: None,
            port: 8883,
            collector_id: "pantau-collector".into(),
            out: "/etc/mosquitto/conf.d".into(),
        });
        let settings: Vec<&str> = c.lines().filter(|l| !l.starts_with('#')).collect();
        for want in [
            "allow_anonymous false",
            "listener 8883",
            "require_certificate true",
            "use_identity_as_username true",
            "crlfile /etc/pantau/pki/crl.pem",
            "cafile /etc/pantau/pki/ca.pem",
            "certfile /etc/pantau/pki/broker.pem",
            "keyfile /etc/pantau/pki/broker.key",
            "acl_file /etc/mosquitto/conf.d/pantau.acl",
        ] {
            assert!(settings.contains(&want), "{want} missing:\n{c}");
        }
        assert_eq!(
            settings
                .iter()
                .filter(|l| l.starts_with("listener"))
                .count(),
            1,
            "one listener, the TLS one"
        );
    }
}
