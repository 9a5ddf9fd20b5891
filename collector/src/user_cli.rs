//! `pantau-collector user ...`, `audit list` and `routes`: accounts at a shell. Every
//! change is appended to the audit log with the shell user as actor (`via: cli`).

use crate::auth::secret;
use crate::store::accounts::{AuditEntry, AuditFilter, Role};
use crate::store::Store;
use clap::Subcommand;
use std::io::BufRead;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is asked twice, or read from stdin with --password-stdin.
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// OPD (kode lokasi) an operator may see and act on; repeat for several.
        #[arg(long = "opd")]
        opds: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password; ends the user's sessions and clears a lockout.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create an API token for the user and print it once (only its hash is kept).
    Token {
        name: String,
        /// What the token is for, e.g. `prometheus` or `inventory-sync`.
        #[arg(long = "name", default_value = "api")]
        label: String,
    },
    /// List a user's API tokens: id, name, created, last used, revoked.
    Tokens {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke one API token (by the id `user tokens` shows); the user's other tokens,
    /// password and sessions keep working.
    RevokeToken { name: String, id: i64 },
    /// List users, their roles, OPDs and state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: sessions end, passwords and tokens stop working.
    Disable { name: String },
    /// Enable a disabled user again.
    Enable { name: String },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Lines of the audit log, newest first.
    List {
        #[arg(long)]
        actor: Option<String>,
        /// An action (`flag.ack`) or a prefix ending in a dot (`flag.`).
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

/// The person at the shell, for the audit log.
fn shell_user() -> String {
    std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "-".into())
}

fn read_password(stdin: bool) -> anyhow::Result<String> {
    let password = if stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let a = rpassword::prompt_password("Kata sandi / password: ")?;
        let b = rpassword::prompt_password("Ulangi / repeat: ")?;
        if a != b {
            anyhow::bail!("the two passwords differ; nothing changed");
        }
        a
    };
    secret::check_new_password(&password)?;
    Ok(password)
}

/// A user name: letters, digits, `.`, `_`, `-`, `@`; not the collector's own name.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !ok {
        anyhow::bail!("user name {name:?}: 1-64 of letters, digits, . _ - @");
    }
    if name == crate::store::SYSTEM_ACTOR {
        anyhow::bail!("user name {name:?} is the collector's own name in flag history");
    }
    Ok(())
}

async fn audit(
    store: &dyn Store,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let mut e = AuditEntry::new(&shell_user(), action, target, "ok");
    e.detail = Some(detail);
    store.append_audit(e).await
}

/// Name, role and OPDs of a new user make sense together (checked before asking for a
/// password).
fn check_new_user(name: &str, role: Role, opds: &[String]) -> anyhow::Result<()> {
    check_name(name)?;
    match (role, opds.is_empty()) {
        (Role::Operator, true) => {
            anyhow::bail!("--opd: an operator needs at least one OPD (kode lokasi)")
        }
        (Role::Admin | Role::Auditor, false) => anyhow::bail!(
            "--opd: only operators are scoped to OPDs; {} sees all",
            role.name()
        ),
        _ => Ok(()),
    }
}

/// Add a user with a known password (CLI and `demo`).
pub async fn add(
    store: &dyn Store,
    name: &str,
    role: Role,
    opds: &[String],
    password: &str,
) -> anyhow::Result<()> {
    check_new_user(name, role, opds)?;
    let hash = secret::hash_password(password)?;
    store.add_user(name, role, opds, &hash).await?;
    audit(
        store,
        "user.add",
        name,
        serde_json::json!({ "via": "cli", "role": role, "opds": opds }),
    )
    .await
}

pub async fn user(store: &dyn Store, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            name,
            role,
            opds,
            password_stdin,
        } => {
            check_new_user(&name, role, &opds)?;
            let password = read_password(password_stdin)?;
            add(store, &name, role, &opds, &password).await?;
            println!("user {name} added ({})", role.name());
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            if store.login_record(&name).await?.is_none() {
                anyhow::bail!("no user {name:?}");
            }
            let hash = secret::hash_password(&read_password(password_stdin)?)?;
            store.set_password(&name, &hash).await?;
            audit(
                store,
                "user.passwd",
                &name,
                serde_json::json!({ "via": "cli" }),
            )
            .await?;
            println!("password of {name} changed; their sessions ended");
        }
        UserCommand::Token { name, label } => {
            let token = secret::new_api_token();
            let Some(id) = store
                .add_token(&name, &label, &secret::sha256_hex(token.as_bytes()))
                .await?
            else {
                anyhow::bail!("no user {name:?}");
            };
            audit(
                store,
                "user.token",
                &name,
                serde_json::json!({ "via": "cli", "label": label, "token_id": id }),
            )
            .await?;
            eprintln!(
                "Token {id} untuk {name} ({label}); disimpan hanya hash-nya, catat sekarang."
            );
            eprintln!("Token {id} for {name} ({label}); only its hash is kept, copy it now:");
            println!("{token}");
        }
        UserCommand::Tokens { name, json } => {
            let Some(tokens) = store.tokens(&name).await? else {
                anyhow::bail!("no user {name:?}");
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&tokens)?);
            } else {
                let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or("-".to_string(), |t| t.to_rfc3339())
                };
                println!("id\tname\tcreated\tlast_used\trevoked");
                for t in tokens {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        t.id,
                        t.label,
                        t.created_at.to_rfc3339(),
                        when(t.last_used_at),
                        when(t.revoked_at)
                    );
                }
            }
        }
        UserCommand::RevokeToken { name, id } => {
            if !store.revoke_token(&name, id, chrono::Utc::now()).await? {
                anyhow::bail!(
                    "{name:?} has no active token {id} (see: pantau-collector user tokens {name})"
                );
            }
            audit(
                store,
                "user.token_revoke",
                &name,
                serde_json::json!({ "via": "cli", "token_id": id }),
            )
            .await?;
            println!("token {id} of {name} revoked");
        }
        UserCommand::List { json } => {
            let users = store.users().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for u in users {
                    let state = match (
                        u.disabled_at,
                        u.locked_until.filter(|t| *t > chrono::Utc::now()),
                    ) {
                        (Some(_), _) => "disabled".to_string(),
                        (None, Some(t)) => format!("locked until {t}"),
                        (None, None) => "active".to_string(),
                    };
                    println!(
                        "{}\t{}\t{}\t{state}",
                        u.name,
                        u.role.name(),
                        u.opds.join(",")
                    );
                }
            }
        }
        UserCommand::Disable { name } => set_disabled(store, &name, true).await?,
        UserCommand::Enable { name } => set_disabled(store, &name, false).await?,
    }
    Ok(())
}

async fn set_disabled(store: &dyn Store, name: &str, disabled: bool) -> anyhow::Result<()> {
    if !store.set_disabled(name, disabled).await? {
        anyhow::bail!("no user {name:?}");
    }
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audit(store, action, name, serde_json::json!({ "via": "cli" })).await?;
    println!("{name} {}", if disabled { "disabled" } else { "enabled" });
    Ok(())
}

pub async fn audit_list(store: &dyn Store, cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::List {
        actor,
        action,
        limit,
        json,
    } = cmd;
    let lines = store
        .audit(AuditFilter {
            actor,
            action,
            since: None,
            limit: Some(limit),
        })
        .await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&lines)?);
        return Ok(());
    }
    for e in lines {
        let detail = e.detail.map(|d| d.to_string()).unwrap_or_default();
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{detail}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.target,
            e.outcome,
            e.ip.unwrap_or_else(|| "-".into()),
        );
    }
    Ok(())
}

/// `routes [--json]`: every HTTP route and who may call it.
pub fn routes(json: bool) -> anyhow::Result<()> {
    let routes = crate::web::access::ROUTES;
    if json {
        println!("{}", serde_json::to_string_pretty(routes)?);
    } else {
        for r in routes {
            println!(
                "{}\t{}\t{}",
                r.method,
                r.path,
                serde_json::to_value(r.access)?.as_str().unwrap_or("?")
            );
        }
    }
    Ok(())
}
