//! `pantau-collector reconcile`, `flags ...` and `match ...`: the same operations as the
//! reconciliation and flag API, for operators at a shell. Text in Bahasa Indonesia unless
//! `--lang en`; `--json` prints what the API would return.

use crate::i18n::Lang;
use crate::reconcile::{Decision, DecisionKind};
use crate::reconciler::Settings;
use crate::store::{FlagAction, FlagFilter, ReconcileCounts, Store, SYSTEM_ACTOR};
use clap::{Args, Subcommand};

#[derive(Args, Clone)]
pub struct Output {
    /// Language of the text: id (default) or en.
    #[arg(long, value_enum, default_value = "id")]
    pub lang: Lang,
    /// Print JSON (as the API returns it) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum FlagsCommand {
    /// List flags (open and acknowledged by default).
    List {
        /// open, acknowledged, resolved (comma separated) or all.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        kind: Option<String>,
        /// Kode lokasi of one OPD.
        #[arg(long)]
        opd: Option<String>,
        #[command(flatten)]
        out: Output,
    },
    /// Acknowledge a flag: known, being handled. It stays acknowledged while the problem lasts.
    Ack(FlagActionArgs),
    /// Resolve a flag by hand. The same problem will not reopen it; a new occurrence will.
    Resolve(FlagActionArgs),
}

#[derive(Args)]
pub struct FlagActionArgs {
    pub id: i64,
    #[command(flatten)]
    pub who: Who,
    #[command(flatten)]
    pub out: Output,
}

#[derive(Args, Clone)]
pub struct Who {
    /// Who decides (recorded in the audit trail); defaults to the login name.
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
}

impl Who {
    pub fn name(&self) -> anyhow::Result<String> {
        let by = self
            .by
            .clone()
            .or_else(|| std::env::var("SUDO_USER").ok())
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_default();
        let by = by.trim().to_string();
        if by.is_empty() || by == SYSTEM_ACTOR {
            anyhow::bail!("--by: name the person acting (not empty, not {SYSTEM_ACTOR:?})");
        }
        Ok(by)
    }
}

#[derive(Subcommand)]
pub enum MatchCommand {
    /// Hosts waiting for an operator: several candidate assets, or a weak rule only.
    Review {
        #[arg(long)]
        opd: Option<String>,
        #[command(flatten)]
        out: Output,
    },
    /// Link a host to a register asset by hand, whatever the rules say.
    Link(PairArgs),
    /// Accept the asset the rules proposed for a host in review.
    Confirm(PairArgs),
    /// Never match this host to this asset again.
    Unlink(PairArgs),
}

#[derive(Args)]
pub struct PairArgs {
    pub agent_id: String,
    /// Register key: NIBAR, or `kode_lokasi|kode_barang|nomor_register`.
    pub asset_key: String,
    #[command(flatten)]
    pub who: Who,
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// `reconcile`: run once and print the summary.
pub async fn reconcile(store: &dyn Store, settings: &Settings, out: &Output) -> anyhow::Result<()> {
    let report = crate::reconciler::run_once(store, settings).await?;
    let summary = store.reconcile_summary(&settings.rules.ict_prefix).await?;
    if out.json {
        return print_json(&summary);
    }
    let l = out.lang;
    println!(
        "{} {} {} ({} ms): {} {}, {} {}, {} {}, {} {}",
        l.t("Rekonsiliasi", "Reconciliation"),
        report.at.format("%Y-%m-%d %H:%M UTC"),
        l.t("selesai", "done"),
        report.duration_ms,
        report.matched,
        l.t("cocok", "matched"),
        report.review,
        l.t("perlu ditinjau", "in review"),
        report.unregistered,
        l.t("tidak terdaftar", "unregistered"),
        report.silent,
        l.t("tidak melapor", "silent"),
    );
    println!(
        "{}: {} {}, {} {}, {} {}",
        l.t("Flag", "Flags"),
        report.opened,
        l.t("baru", "opened"),
        report.reopened,
        l.t("dibuka lagi", "reopened"),
        report.resolved,
        l.t("selesai", "resolved"),
    );
    println!();
    println!(
        "{:<16} {:>6} {:>6} {:>6} {:>8} {:>7} {:>7}  {}",
        l.t("KODE LOKASI", "LOCATION"),
        l.t("ASET", "ASSETS"),
        l.t("AGEN", "AGENT"),
        l.t("COCOK", "MATCH"),
        l.t("TDK.TERD", "UNREG"),
        l.t("SENYAP", "SILENT"),
        l.t("TINJAU", "REVIEW"),
        l.t("KONDISI REGISTER / SARAN", "REGISTER / SUGGESTED CONDITION"),
    );
    for c in summary.opds.iter().chain(std::iter::once(&summary.city)) {
        println!("{}", row(c));
    }
    Ok(())
}

fn row(c: &ReconcileCounts) -> String {
    let conds = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    format!(
        "{:<16} {:>6} {:>6} {:>6} {:>8} {:>7} {:>7}  {} / {}",
        c.kode_lokasi,
        c.registered_ict,
        c.expected_agents,
        c.matched,
        c.unregistered,
        c.silent,
        c.in_review,
        conds(&c.register_condition),
        conds(&c.suggested_condition),
    )
}

pub async fn flags(store: &dyn Store, cmd: FlagsCommand) -> anyhow::Result<()> {
    let (id, action, args) = match cmd {
        FlagsCommand::List {
            state,
            kind,
            opd,
            out,
        } => {
            let flags = store
                .flags(FlagFilter {
                    state,
                    kind,
                    opd,
                    ..Default::default()
                })
                .await?;
            if out.json {
                return print_json(&flags);
            }
            for f in &flags {
                let title = crate::reconcile::FlagKind::parse(&f.kind)
                    .map(|k| k.title(out.lang))
                    .unwrap_or(&f.kind);
                println!(
                    "#{:<5} {:<13} {:<16} {:<40} {}",
                    f.id, f.state, f.opd, title, f.subject
                );
                println!("       {} [{}]", f.summary, f.article);
            }
            println!("{} {}", flags.len(), out.lang.t("flag", "flags"));
            return Ok(());
        }
        FlagsCommand::Ack(a) => (a.id, FlagAction::Ack, a),
        FlagsCommand::Resolve(a) => (a.id, FlagAction::Resolve, a),
    };
    let by = args.who.name()?;
    match store
        .flag_action(id, action, &by, args.who.note.as_deref())
        .await?
    {
        Some(f) if args.out.json => print_json(&f),
        Some(f) => {
            println!("#{} {}: {}", f.id, f.kind, f.state);
            Ok(())
        }
        None => anyhow::bail!("no flag {id}"),
    }
}

pub async fn matches(store: &dyn Store, cmd: MatchCommand) -> anyhow::Result<()> {
    let (kind, p) = match cmd {
        MatchCommand::Review { opd, out } => {
            let queue = store.review_queue(opd.as_deref()).await?;
            if out.json {
                return print_json(&queue);
            }
            for item in &queue {
                println!(
                    "{} ({}, {}) {:?}",
                    item.agent_id,
                    item.hostname.as_deref().unwrap_or("-"),
                    item.opd,
                    item.reason
                );
                for c in &item.candidates {
                    println!(
                        "    {}  {:?} {}",
                        c.asset_key, c.evidence.rule, c.evidence.host_value
                    );
                }
            }
            println!(
                "{} {}",
                queue.len(),
                out.lang.t("host perlu ditinjau", "hosts in review")
            );
            return Ok(());
        }
        MatchCommand::Link(p) => (DecisionKind::Link, p),
        MatchCommand::Confirm(p) => (DecisionKind::Confirm, p),
        MatchCommand::Unlink(p) => (DecisionKind::Unlink, p),
    };
    let by = p.who.name()?;
    store
        .decide(Decision {
            agent_id: p.agent_id.clone(),
            asset_key: p.asset_key.clone(),
            kind,
            by,
            at: chrono::Utc::now(),
            note: p.who.note.clone(),
        })
        .await?;
    println!(
        "{kind:?}: {} ↔ {} (takes effect at the next reconciliation; run `pantau-collector reconcile` to apply now)",
        p.agent_id, p.asset_key
    );
    Ok(())
}
