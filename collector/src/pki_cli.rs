//! `pki init|issue|show|crl` and `broker-config mosquitto`.

use crate::pki::{crl, Pki, SERVER_DAYS};
use crate::store::Store;
use clap::Subcommand;
use std::net::IpAddr;
use std::path::PathBuf;

const DEFAULT_DIR: &str = "/etc/pantau/pki";

#[derive(Subcommand)]
pub enum PkiCommand {
    /// Create the Pantau CA (ECDSA P-256) and an empty CRL in DIR. Refuses to overwrite one.
    Init {
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
        /// The city, written into the CA's name (`Pantau CA Kota Ternate`).
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Issue a certificate from the CA.
    #[command(subcommand)]
    Issue(IssueCommand),
    /// Print the CA's subject and SHA-256 fingerprint (what `pantau-agent enroll
    /// --ca-fingerprint` pins).
    Show {
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
    /// Rewrite `crl.pem` from the revoked agents in the database (e.g. before it expires,
    /// five years after the last revocation).
    Crl {
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum IssueCommand {
    /// A server certificate (`FILE.pem` with the CA appended, `FILE.key` 0600) for the
    /// collector's HTTPS (`[http] tls_cert`) and the broker's TLS listener.
    Server {
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
        /// DNS name clients use (repeatable).
        #[arg(long)]
        dns: Vec<String>,
        /// IP address clients use (repeatable).
        #[arg(long)]
        ip: Vec<IpAddr>,
        /// File name in DIR, without extension.
        #[arg(long, default_value = "server")]
        file: String,
        #[arg(long, default_value_t = SERVER_DAYS)]
        days: i64,
        /// Replace an existing certificate and key of that name.
        #[arg(long)]
        replace: bool,
    },
    /// A client certificate: the collector's identity at the broker (CN = its MQTT client
    /// id, which the broker ACL names).
    Client {
        #[arg(long, default_value = DEFAULT_DIR)]
        dir: PathBuf,
        #[arg(long, default_value = "pantau-collector")]
        cn: String,
        #[arg(long, default_value = "collector")]
        file: String,
        #[arg(long, default_value_t = SERVER_DAYS)]
        days: i64,
        #[arg(long)]
        replace: bool,
    },
}

#[derive(Subcommand)]
pub enum BrokerConfigCommand {
    /// mosquitto.conf and pantau.acl: TLS on 8883 with client certificates, CRL, and an ACL
    /// confining each agent to its own topics (docs/security.md).
    Mosquitto {
        /// Folder for mosquitto.conf and pantau.acl (created).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = DEFAULT_DIR)]
        pki_dir: PathBuf,
        /// The broker's certificate in the PKI folder (`pki issue server --file`).
        #[arg(long, default_value = "server")]
        cert: String,
        /// Address of the listener; every interface when absent.
        #[arg(long)]
        listen: Option<IpAddr>,
        #[arg(long, default_value_t = 8883)]
        port: u16,
        /// CN of the collector's client certificate (`pki issue client --cn`).
        #[arg(long, default_value = "pantau-collector")]
        collector_id: String,
    },
}

/// Commands that need no database.
pub fn run(cmd: PkiCommand) -> anyhow::Result<()> {
    match cmd {
        PkiCommand::Init { dir, name } => {
            let pki = Pki::new(&dir);
            let ca = pki.init(&name)?;
            println!("CA created in {}", dir.display());
            println!("  {}", ca.subject());
            println!("  SHA-256 fingerprint: {}", ca.fingerprint());
            println!(
                "  key: {} (0600: keep it secret and backed up)",
                pki.ca_key().display()
            );
            println!(
                "next: pantau-collector pki issue server --dir {} --dns NAME --ip ADDRESS",
                dir.display()
            );
            Ok(())
        }
        PkiCommand::Show { dir } => {
            let ca = Pki::new(&dir).load()?;
            println!("{}", ca.subject());
            println!("SHA-256 fingerprint: {}", ca.fingerprint());
            Ok(())
        }
        PkiCommand::Issue(IssueCommand::Server {
            dir,
            dns,
            ip,
            file,
            days,
            replace,
        }) => {
            let path = Pki::new(&dir).issue_server(&file, &dns, &ip, days, replace)?;
            println!("{}", path.display());
            Ok(())
        }
        PkiCommand::Issue(IssueCommand::Client {
            dir,
            cn,
            file,
            days,
            replace,
        }) => {
            let path = Pki::new(&dir).issue_client(&file, &cn, days, replace)?;
            println!("{}", path.display());
            Ok(())
        }
        PkiCommand::Crl { .. } => unreachable!("needs the database: see crl()"),
    }
}

pub async fn crl(store: &dyn Store, dir: &std::path::Path) -> anyhow::Result<()> {
    let pki = Pki::new(dir);
    let ca = pki.load()?;
    let revoked = store.revoked_certs().await?;
    crl::write(&pki, &ca, &revoked)?;
    println!(
        "{}: {} revoked certificate(s)",
        pki.crl().display(),
        revoked.len()
    );
    Ok(())
}

pub fn broker_config(cmd: BrokerConfigCommand) -> anyhow::Result<()> {
    match cmd {
        BrokerConfigCommand::Mosquitto {
            out,
            pki_dir,
            cert,
            listen,
            port,
            collector_id,
        } => {
            let files = crate::broker_config::write(&crate::broker_config::MosquittoOptions {
                pki_dir,
                cert_name: cert,
                listen,
                port,
                collector_id,
                out,
            })?;
            for f in files {
                println!("{}", f.display());
            }
            Ok(())
        }
    }
}
