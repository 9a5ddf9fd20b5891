//! `pantau-collector ipplan import FILE` and `ipplan list`: the IP plan for operators at a
//! shell, the same as `GET`/`PUT /api/v1/ipplan`. An import is checked whole: every bad line
//! is reported as `file:line: field: ...` and nothing changes.

use crate::i18n::Lang;
use crate::network::plan;
use crate::reconcile_cli::Output;
use crate::store::Store;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum IpPlanCommand {
    /// Replace the whole IP plan with a file: CSV (`opd,cidr,note`) or TOML (`[[range]]`).
    Import {
        file: PathBuf,
        /// Check the file and print what it holds, without storing it.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Print the IP plan.
    List {
        #[command(flatten)]
        out: Output,
    },
}

/// Read and check a plan file; errors list every bad line.
pub fn read(file: &std::path::Path) -> anyhow::Result<Vec<plan::PlanEntry>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    plan::parse_file(&file.display().to_string(), &text).map_err(|errors| {
        anyhow::anyhow!(
            "{} error(s), nothing imported:\n{}",
            errors.len(),
            errors.join("\n")
        )
    })
}

pub async fn ipplan(store: &dyn Store, cmd: IpPlanCommand) -> anyhow::Result<()> {
    match cmd {
        IpPlanCommand::Import { file, dry_run, out } => {
            let entries = read(&file)?;
            let n = if dry_run {
                entries.len()
            } else {
                store.replace_ip_plan(entries.clone()).await?
            };
            if out.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan::PlanDoc { range: entries })?
                );
            } else {
                match (out.lang, dry_run) {
                    (Lang::Id, false) => println!("{n} rentang IP disimpan; rencana lama diganti."),
                    (Lang::Id, true) => {
                        println!("{n} rentang IP valid (uji saja, tidak disimpan).")
                    }
                    (Lang::En, false) => {
                        println!("{n} IP ranges stored; the old plan was replaced.")
                    }
                    (Lang::En, true) => println!("{n} IP ranges valid (dry run, nothing stored)."),
                }
            }
        }
        IpPlanCommand::List { out } => {
            let entries = store.ip_plan().await?;
            if out.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&plan::PlanDoc { range: entries })?
                );
                return Ok(());
            }
            let head = match out.lang {
                Lang::Id => ("OPD", "CIDR", "CATATAN"),
                Lang::En => ("OPD", "CIDR", "NOTE"),
            };
            println!("{:<24} {:<20} {}", head.0, head.1, head.2);
            for e in &entries {
                println!("{:<24} {:<20} {}", e.opd, e.cidr, e.note);
            }
            if entries.is_empty() {
                match out.lang {
                    Lang::Id => println!("(rencana IP kosong: tidak ada flag ip_outside_plan)"),
                    Lang::En => println!("(no IP plan: no ip_outside_plan flags)"),
                }
            }
        }
    }
    Ok(())
}

/// `pantau-collector agent-config ...`: the layers of pushed agent configuration. A running
/// collector publishes a change within a minute.
#[derive(Subcommand)]
pub enum AgentConfigCommand {
    /// Print every layer.
    List {
        #[command(flatten)]
        out: Output,
    },
    /// Set one layer from a JSON file holding a partial config (`{"net": {...}}`).
    Set {
        /// global, opd or agent.
        scope: String,
        file: PathBuf,
        /// Kode lokasi (opd) or agent id (agent).
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        who: crate::reconcile_cli::Who,
    },
    /// Remove one layer.
    Unset {
        scope: String,
        #[arg(long)]
        key: Option<String>,
        #[command(flatten)]
        who: crate::reconcile_cli::Who,
    },
    /// Print the merged config one agent is sent.
    Show { agent_id: String },
}

fn scope(s: &str) -> anyhow::Result<crate::network::pushed::Scope> {
    crate::network::pushed::Scope::parse(s)
        .ok_or_else(|| anyhow::anyhow!("scope: {s:?} is not global, opd or agent"))
}

/// `profiles`: the names of collector.toml's `[snmp.profiles]` (empty without `--config`),
/// which targets in a layer may refer to.
pub async fn agent_config(
    store: &dyn Store,
    cmd: AgentConfigCommand,
    profiles: &std::collections::BTreeSet<String>,
) -> anyhow::Result<()> {
    match cmd {
        AgentConfigCommand::List { out } => {
            let mut layers = store.config_layers().await?;
            // Shown like the API shows them: credentials are for the poller only.
            for l in &mut layers {
                crate::snmp::redact_secrets(&mut l.layer);
            }
            if out.json {
                println!("{}", serde_json::to_string_pretty(&layers)?);
            } else {
                for l in layers {
                    println!(
                        "{:<7} {:<20} {} ({}, {})",
                        l.scope.name(),
                        l.key,
                        l.layer,
                        l.updated_by,
                        l.updated_at.format("%Y-%m-%d %H:%M")
                    );
                }
            }
        }
        AgentConfigCommand::Set {
            scope: s,
            file,
            key,
            who,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let layer: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{}:{}:{}: {e}", file.display(), e.line(), e.column())
            })?;
            store
                .set_config_layer(
                    scope(&s)?,
                    key.as_deref().unwrap_or(""),
                    Some(layer),
                    &who.name()?,
                    profiles,
                )
                .await?;
        }
        AgentConfigCommand::Unset { scope: s, key, who } => {
            store
                .set_config_layer(
                    scope(&s)?,
                    key.as_deref().unwrap_or(""),
                    None,
                    &who.name()?,
                    profiles,
                )
                .await?;
        }
        AgentConfigCommand::Show { agent_id } => {
            if store.agent(&agent_id).await?.is_none() {
                anyhow::bail!("no enrolled agent {agent_id:?}");
            }
            let cfg = store.agent_config(&agent_id).await?.unwrap_or_default();
            let mut v = serde_json::to_value(&cfg)?;
            crate::snmp::redact_secrets(&mut v);
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
    }
    Ok(())
}
