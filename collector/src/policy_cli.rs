//! `pantau-collector policy ...`: check a policy file, test it against current data, apply
//! it (a new version, audited), show the one in force and the history. `check` and `test`
//! need no database change; a policy that does not check is never stored.

use crate::i18n::Lang;
use crate::policy::{self, job, Policy};
use crate::reconcile_cli::{Output, Who};
use crate::store::accounts::AuditEntry;
use crate::store::Store;
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Check a policy file; every error is printed as FILE:LINE:COLUMN: message.
    Check {
        file: PathBuf,
        #[command(flatten)]
        out: Output,
    },
    /// What FILE would flag against the data stored now (nothing is stored).
    Test {
        file: PathBuf,
        #[command(flatten)]
        out: Output,
    },
    /// Put FILE in force as a new version (recorded with its sha256, who and when).
    Apply {
        file: PathBuf,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        out: Output,
    },
    /// Print the policy in force (its text with --json: version, sha256 and text).
    Show {
        #[command(flatten)]
        out: Output,
    },
    /// Every applied version.
    History {
        #[command(flatten)]
        out: Output,
    },
}

/// Read and check a file; errors carry `file:line:column`.
pub fn load(file: &Path) -> anyhow::Result<Policy> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    Policy::parse(&text).map_err(|errors| {
        anyhow::anyhow!(
            "{} error(s), policy not accepted:\n{}",
            errors.len(),
            policy::describe(&file.display().to_string(), &errors)
        )
    })
}

/// `check` needs no database.
pub fn check(file: &Path, out: &Output) -> anyhow::Result<()> {
    let p = load(file)?;
    if out.json {
        println!(
            "{}",
            serde_json::json!({ "ok": true, "sha256": p.sha256, "categories": p.file.categories.len(), "exemptions": p.file.exemptions.len() })
        );
    } else {
        let (c, e) = (p.file.categories.len(), p.file.exemptions.len());
        println!(
            "{}",
            match out.lang {
                Lang::Id => format!(
                    "{}: kebijakan valid ({c} kategori, {e} pengecualian), sha256 {}",
                    file.display(),
                    p.sha256
                ),
                Lang::En => format!(
                    "{}: policy valid ({c} categories, {e} exemptions), sha256 {}",
                    file.display(),
                    p.sha256
                ),
            }
        );
    }
    Ok(())
}

pub async fn run(store: &dyn Store, cmd: PolicyCommand) -> anyhow::Result<()> {
    match cmd {
        PolicyCommand::Check { file, out } => check(&file, &out),
        PolicyCommand::Test { file, out } => {
            let p = load(&file)?;
            let found = job::findings(store, &p, chrono::Utc::now()).await?;
            if out.json {
                println!("{}", serde_json::to_string_pretty(&found)?);
                return Ok(());
            }
            for f in &found {
                let summary = match out.lang {
                    Lang::Id => f.summary.as_str(),
                    Lang::En => f.evidence["summary_en"].as_str().unwrap_or(&f.summary),
                };
                println!("{:<22} {:<24} {summary}", f.kind.name(), f.subject);
            }
            println!(
                "{}",
                match out.lang {
                    Lang::Id => format!("{} temuan (uji saja, tidak disimpan)", found.len()),
                    Lang::En => format!("{} findings (test only, nothing stored)", found.len()),
                }
            );
            Ok(())
        }
        PolicyCommand::Apply { file, who, out } => {
            let by = who.name()?;
            let p = load(&file)?;
            let v = store
                .apply_policy(&p.text, &p.sha256, &by, who.note.as_deref())
                .await?;
            let mut e =
                AuditEntry::new(&by, "policy.apply", &format!("policy v{}", v.version), "ok");
            e.detail = Some(serde_json::json!({
                "version": v.version, "sha256": v.sha256, "file": file.display().to_string(),
                "note": who.note, "via": "cli",
            }));
            store.append_audit(e).await?;
            match out.lang {
                Lang::Id => println!("kebijakan versi {} berlaku (sha256 {}); collector yang berjalan memakainya pada pemeriksaan berikutnya", v.version, v.sha256),
                Lang::En => println!("policy version {} in force (sha256 {}); a running collector uses it from its next check", v.version, v.sha256),
            }
            Ok(())
        }
        PolicyCommand::Show { out } => {
            let (_, v) = job::in_force(store).await?;
            if out.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                match out.lang {
                    Lang::Id => println!(
                        "# versi {} sha256 {} oleh {} pada {}",
                        v.version,
                        v.sha256,
                        v.applied_by,
                        v.applied_at.to_rfc3339()
                    ),
                    Lang::En => println!(
                        "# version {} sha256 {} by {} at {}",
                        v.version,
                        v.sha256,
                        v.applied_by,
                        v.applied_at.to_rfc3339()
                    ),
                }
                print!("{}", v.text);
            }
            Ok(())
        }
        PolicyCommand::History { out } => {
            let mut list = store.policy_versions().await?;
            for v in &mut list {
                v.text.clear();
            }
            if out.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            for v in &list {
                println!(
                    "{:>4}  {}  {:<16} {}  {}",
                    v.version,
                    v.applied_at.to_rfc3339(),
                    v.applied_by,
                    &v.sha256[..12.min(v.sha256.len())],
                    v.note.as_deref().unwrap_or("")
                );
            }
            if list.is_empty() {
                match out.lang {
                    Lang::Id => {
                        println!("(belum ada kebijakan diterapkan: kebijakan bawaan berlaku)")
                    }
                    Lang::En => println!("(no policy applied: the built-in default is in force)"),
                }
            }
            Ok(())
        }
    }
}
