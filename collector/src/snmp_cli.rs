//! `pantau-collector snmp equipment add|remove|list|import FILE`: the SNMP equipment mapping
//! at a shell, the same rows as `/api/v1/snmp/equipment`. Profiles are checked against the
//! `--config` file's `[snmp.profiles]`. An import is checked whole (every bad row as
//! `file:line:column: field: message`) and stores nothing on any error. Changes are written
//! to the audit log like the API's.

use crate::i18n::Lang;
use crate::reconcile_cli::{Output, Who};
use crate::snmp::equipment::{self, Equipment};
use crate::store::accounts::AuditEntry;
use crate::store::Store;
use clap::Subcommand;
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SnmpCommand {
    /// Network equipment polled over SNMP: register asset → IP, profile, poller, uplinks.
    #[command(subcommand)]
    Equipment(EquipmentCommand),
}

#[derive(Subcommand)]
pub enum EquipmentCommand {
    /// Add (or replace) one asset's mapping.
    Add {
        /// Register key of the asset.
        #[arg(long)]
        asset: String,
        #[arg(long)]
        ip: String,
        #[arg(long)]
        port: Option<u16>,
        /// A `[snmp.profiles.NAME]` of collector.toml.
        #[arg(long)]
        profile: String,
        /// The poller agent.
        #[arg(long)]
        agent: String,
        /// An uplink (ifName, ifDescr or ifIndex); repeat for more.
        #[arg(long = "uplink")]
        uplinks: Vec<String>,
        #[command(flatten)]
        who: Who,
    },
    /// Remove one asset's mapping.
    Remove {
        #[arg(long)]
        asset: String,
        #[command(flatten)]
        who: Who,
    },
    /// Print the mapping.
    List {
        #[command(flatten)]
        out: Output,
    },
    /// Add or replace rows from a CSV file (asset_key,ip,port,profile,agent_id,uplinks).
    Import {
        file: PathBuf,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        out: Output,
    },
}

async fn audit(
    store: &dyn Store,
    by: &str,
    action: &str,
    target: String,
    detail: serde_json::Value,
) {
    let e = AuditEntry {
        id: 0,
        at: chrono::Utc::now(),
        actor: by.to_string(),
        action: action.to_string(),
        target,
        outcome: "ok".into(),
        ip: None,
        detail: Some(detail),
    };
    if let Err(err) = store.append_audit(e).await {
        eprintln!("audit log: {err:#}");
    }
}

/// Store rows; errors point into `file` (with the CSV line of each row) or name the field.
async fn put(
    store: &dyn Store,
    rows: Vec<(usize, Equipment)>,
    profiles: &BTreeSet<String>,
    by: &str,
    file: Option<&str>,
) -> anyhow::Result<usize> {
    let lines: Vec<usize> = rows.iter().map(|(l, _)| *l).collect();
    let rows: Vec<Equipment> = rows.into_iter().map(|(_, e)| e).collect();
    match store.put_snmp_equipment(rows, profiles.clone(), by).await? {
        Ok(n) => Ok(n),
        Err(errors) => {
            let text: Vec<String> = errors
                .iter()
                .map(|e| match file {
                    Some(f) => format!(
                        "{f}:{}:{}: {}: {}",
                        lines[e.row],
                        equipment::column(e.field),
                        e.field,
                        e.message
                    ),
                    None => format!("{}: {}", e.field, e.message),
                })
                .collect();
            anyhow::bail!(
                "{} error(s), nothing stored:\n{}",
                text.len(),
                text.join("\n")
            )
        }
    }
}

pub async fn run(
    store: &dyn Store,
    cmd: SnmpCommand,
    profiles: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let SnmpCommand::Equipment(cmd) = cmd;
    match cmd {
        EquipmentCommand::Add {
            asset,
            ip,
            port,
            profile,
            agent,
            uplinks,
            who,
        } => {
            let by = who.name()?;
            let e = Equipment {
                asset_key: asset.clone(),
                ip,
                port,
                profile,
                agent_id: agent,
                uplinks,
            };
            let detail = serde_json::to_value([&e])?;
            put(store, vec![(0, e)], profiles, &by, None).await?;
            audit(store, &by, "snmp_equipment.put", asset, detail).await;
        }
        EquipmentCommand::Remove { asset, who } => {
            let by = who.name()?;
            if !store.remove_snmp_equipment(&asset).await? {
                anyhow::bail!("asset: no equipment {asset:?}");
            }
            audit(
                store,
                &by,
                "snmp_equipment.remove",
                asset,
                serde_json::json!({}),
            )
            .await;
        }
        EquipmentCommand::List { out } => {
            let rows = store.snmp_equipment().await?;
            if out.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
                return Ok(());
            }
            for r in rows {
                let e = &r.equipment;
                println!(
                    "{:<28} {:<22} {:<12} {:<16} {}",
                    e.asset_key,
                    match e.port {
                        Some(p) => format!("{}:{p}", e.ip),
                        None => e.ip.clone(),
                    },
                    e.profile,
                    e.agent_id,
                    e.uplinks.join(";")
                );
            }
        }
        EquipmentCommand::Import { file, who, out } => {
            let by = who.name()?;
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
            let rows = equipment::parse_csv(&name, &text).map_err(|errors| {
                anyhow::anyhow!(
                    "{} error(s), nothing stored:\n{}",
                    errors.len(),
                    errors.join("\n")
                )
            })?;
            let n = put(store, rows, profiles, &by, Some(&name)).await?;
            audit(
                store,
                &by,
                "snmp_equipment.import",
                name,
                serde_json::json!({ "rows": n }),
            )
            .await;
            match out.lang {
                Lang::Id => println!("{n} perangkat SNMP disimpan."),
                Lang::En => println!("{n} SNMP devices stored."),
            }
        }
    }
    Ok(())
}
