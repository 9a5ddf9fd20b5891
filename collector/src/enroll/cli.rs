//! `enroll token create|list|revoke` and `agents list|revoke`: every change is in the audit
//! log under the shell user, like the `user` commands.

use crate::pki::{crl, Pki};
use crate::store::accounts::AuditEntry;
use crate::store::Store;
use chrono::Utc;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token for one OPD and print it (once: only its SHA-256 is stored).
    Create {
        /// OPD the enrolled agents belong to (kode lokasi, e.g. 82.71.03.02.01).
        #[arg(long)]
        opd: String,
        /// Validity: `7d`, `12h`, `30m`, `90s` (at most 90d).
        #[arg(long, default_value = "7d", value_parser = super::token::parse_duration)]
        expires: chrono::Duration,
        /// How many agents may enroll with it (one by default).
        #[arg(long, default_value_t = 1)]
        uses: u32,
    },
    /// Every token: id, OPD, uses, expiry, state (never the token itself).
    List,
    /// Stop a token at once.
    Revoke { id: i64 },
}

#[derive(Subcommand)]
pub enum AgentsCommand {
    /// Every enrolled agent, revoked ones included.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an agent: the collector refuses its messages from now on (counted as
    /// `revoked`), and its certificate goes into the CRL the broker reads (reload the broker
    /// afterwards: `systemctl reload mosquitto`).
    Revoke {
        agent_id: String,
        /// Why (kept in the audit log and `agents list`).
        #[arg(long, default_value = "revoked by an operator")]
        reason: String,
        /// PKI folder whose `crl.pem` to rewrite; default `[enroll] pki_dir` of the config.
        #[arg(long)]
        pki_dir: Option<PathBuf>,
    },
}

fn shell_user() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "-".into())
}

async fn audit(store: &dyn Store, action: &str, target: &str, detail: serde_json::Value) {
    let mut e = AuditEntry::new(&shell_user(), action, target, "ok");
    e.detail = Some(detail);
    if let Err(err) = store.append_audit(e).await {
        eprintln!("warning: audit log: {err:#}");
    }
}

fn when(t: Option<chrono::DateTime<Utc>>) -> String {
    t.map_or("-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

pub async fn token(store: &dyn Store, cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create { opd, expires, uses } => {
            let by = shell_user();
            let (token, new) = super::token::create(&opd, uses, expires, &by, Utc::now())?;
            let id = store.create_enroll_token(&new).await?;
            let detail = serde_json::json!({
                "opd": new.opd, "uses": uses, "expires_at": new.expires_at,
            });
            audit(store, "enroll.token", &format!("token {id}"), detail).await;
            eprintln!(
                "token {id} for OPD {}: {uses} use(s), until {} UTC. Shown once / hanya sekali ditampilkan:",
                new.opd,
                new.expires_at.format("%Y-%m-%d %H:%M")
            );
            println!("{token}");
            Ok(())
        }
        TokenCommand::List => {
            let now = Utc::now();
            println!("id\topd\tuses\texpires\tstate\tcreated_by");
            for t in store.enroll_tokens().await? {
                println!(
                    "{}\t{}\t{}/{}\t{}\t{}\t{}",
                    t.id,
                    t.opd,
                    t.uses,
                    t.uses_allowed,
                    when(Some(t.expires_at)),
                    t.state(now),
                    t.created_by
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_enroll_token(id, Utc::now()).await? {
                anyhow::bail!("no active token {id} (see `enroll token list`)");
            }
            audit(
                store,
                "enroll.token_revoke",
                &format!("token {id}"),
                serde_json::json!({}),
            )
            .await;
            println!("token {id} revoked");
            Ok(())
        }
    }
}

pub async fn agents(
    store: &dyn Store,
    cmd: AgentsCommand,
    config_pki: Option<&Path>,
) -> anyhow::Result<()> {
    match cmd {
        AgentsCommand::List { json } => {
            let rows = store.agent_rows().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            println!("agent_id\topd\tenrolled\tstate\treason");
            for r in rows {
                let state = if r.revoked_at.is_some() {
                    format!("revoked {}", when(r.revoked_at))
                } else {
                    "active".into()
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.agent_id,
                    r.opd,
                    when(Some(r.enrolled_at)),
                    state,
                    r.revoke_reason.unwrap_or_else(|| "-".into())
                );
            }
            Ok(())
        }
        AgentsCommand::Revoke {
            agent_id,
            reason,
            pki_dir,
        } => {
            let pki = pki_dir.or_else(|| config_pki.map(Path::to_owned));
            // Load the CA first: if the CRL cannot be written, nothing is revoked half-way.
            let ca = match &pki {
                Some(dir) => Some((Pki::new(dir), Pki::new(dir).load()?)),
                None => None,
            };
            if !store.revoke_agent(&agent_id, &reason, Utc::now()).await? {
                let known = store
                    .agent_rows()
                    .await?
                    .into_iter()
                    .any(|r| r.agent_id == agent_id);
                if known {
                    anyhow::bail!("agent {agent_id} is already revoked");
                }
                anyhow::bail!("no agent {agent_id} (see `agents list`)");
            }
            audit(
                store,
                "agent.revoke",
                &agent_id,
                serde_json::json!({ "reason": reason }),
            )
            .await;
            println!("agent {agent_id} revoked: the collector refuses its messages from now on");
            match ca {
                Some((pki, ca)) => {
                    let revoked = store.revoked_certs().await?;
                    crl::write(&pki, &ca, &revoked)?;
                    println!(
                        "{} rewritten ({} revoked certificate(s)); reload the broker so it reads it: systemctl reload mosquitto",
                        pki.crl().display(),
                        revoked.len()
                    );
                }
                None => eprintln!(
                    "warning: no PKI folder ([enroll] pki_dir or --pki-dir): the CRL was not rewritten, the broker still accepts its certificate"
                ),
            }
            Ok(())
        }
    }
}
