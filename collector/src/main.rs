//! `pantau-collector`: ingest, storage, API and the embedded demo.

use pantau_collector::{
    backup, config, demo, enroll, network_cli, pki_cli, policy_cli, reconcile_cli, register,
    report, serve, snmp_cli, store, user_cli,
};

use pantau_collector::i18n::Lang;

use clap::{Args, Parser, Subcommand};
use config::CollectorConfig;
use std::path::PathBuf;
use std::sync::Arc;
use store::sqlite::SqliteStore;

#[derive(Parser)]
#[command(
    name = "pantau-collector",
    version,
    about = "Pantau collector: receives agent reports, stores them, serves the API"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How a subcommand finds its database: the collector's config file, or a data folder.
#[derive(Args, Clone)]
struct StoreArgs {
    /// Collector config file (its `data_dir` holds the database).
    #[arg(long, short, conflicts_with = "data", global = true)]
    config: Option<PathBuf>,
    /// Data folder holding `pantau.db` (as used by `demo`).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
}

impl StoreArgs {
    fn config(&self) -> anyhow::Result<Option<CollectorConfig>> {
        self.config
            .as_deref()
            .map(CollectorConfig::load)
            .transpose()
    }

    /// The SNMP profile names of the config file; none with `--data` alone.
    fn profile_names(&self) -> anyhow::Result<std::collections::BTreeSet<String>> {
        Ok(self
            .config()?
            .map(|c| c.snmp_profiles.names())
            .unwrap_or_default())
    }

    fn database(&self) -> anyhow::Result<PathBuf> {
        Ok(match (self.config()?, &self.data) {
            (Some(cfg), _) => cfg.database(),
            (None, Some(dir)) => dir.join("pantau.db"),
            (None, None) => anyhow::bail!("say which database: --config FILE or --data DIR"),
        })
    }

    /// The config file's store (SQLite or PostgreSQL, `store::open`), or the SQLite of a
    /// data folder.
    async fn open(&self) -> anyhow::Result<Arc<dyn store::Store>> {
        match (self.config()?, &self.data) {
            (Some(cfg), _) => store::open(&cfg).await,
            (None, Some(dir)) => Ok(Arc::new(SqliteStore::open(&dir.join("pantau.db"))?)),
            (None, None) => anyhow::bail!("say which database: --config FILE or --data DIR"),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the collector against an external broker (production).
    Serve {
        #[arg(long, short, default_value = "/etc/pantau/collector.toml")]
        config: PathBuf,
        /// Also run the embedded MQTT broker (rumqttd) on this address. It has no topic ACLs,
        /// so a non-loopback address is refused without --embedded-broker-unconfined.
        #[arg(long)]
        embedded_broker: Option<std::net::SocketAddr>,
        /// Accept a non-loopback --embedded-broker address: any agent could then read the
        /// others' reports and config. One trusted LAN only (docs/security.md).
        #[arg(long, requires = "embedded_broker")]
        embedded_broker_unconfined: bool,
    },
    /// Check a config file (every key, every SNMP secret) without starting anything.
    CheckConfig {
        #[arg(long, short, default_value = "/etc/pantau/collector.toml")]
        config: PathBuf,
    },
    /// Everything on this machine: embedded broker, SQLite, an agent for this host, simulated
    /// agents, and the web server.
    Demo(demo::DemoArgs),
    /// Agent identities: enrollment tokens, manual enrollment, import.
    #[command(subcommand)]
    Enroll(EnrollCommand),
    /// Enrolled agents: list, revoke.
    Agents {
        #[command(subcommand)]
        cmd: enroll::cli::AgentsCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The Pantau CA: init, issue server/client certificates, show the fingerprint.
    Pki {
        #[command(subcommand)]
        cmd: pki_cli::PkiCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Broker configuration with per-agent ACLs.
    #[command(subcommand)]
    BrokerConfig(pki_cli::BrokerConfigCommand),
    /// The BMD asset register (KIB B).
    #[command(subcommand)]
    Register(RegisterCommand),
    /// Reconcile the register with what agents report, now, and print the summary.
    Reconcile {
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        out: reconcile_cli::Output,
    },
    /// Flags raised by reconciliation (and later by policy and network checks).
    Flags {
        #[command(subcommand)]
        cmd: reconcile_cli::FlagsCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The review queue and operators' link / confirm / unlink decisions.
    Match {
        #[command(subcommand)]
        cmd: reconcile_cli::MatchCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The IP plan: CIDR ranges per OPD (kode lokasi), assigned by Diskominfo.
    Ipplan {
        #[command(subcommand)]
        cmd: network_cli::IpPlanCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Configuration pushed to agents: global, per-OPD and per-agent layers.
    AgentConfig {
        #[command(subcommand)]
        cmd: network_cli::AgentConfigCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// SNMP: the equipment mapping (register asset → IP, profile, poller, uplinks).
    Snmp {
        #[command(subcommand)]
        cmd: snmp_cli::SnmpCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The usage policy: check, test, apply, show, history (docs/policy.md).
    Policy {
        #[command(subcommand)]
        cmd: policy_cli::PolicyCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Accounts of the dashboard and API: admin, operator (per OPD), auditor.
    User {
        #[command(subcommand)]
        cmd: user_cli::UserCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The audit log of changes and logins.
    Audit {
        #[command(subcommand)]
        cmd: user_cli::AuditCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A periodic condition report (month or quarter, city-wide or one OPD) as PDF, HTML
    /// and XLSX; see docs/reports.md.
    Report {
        /// `YYYY-MM` (2026-10) or `YYYY-Qn` (2026-Q4), in the city's time zone.
        #[arg(long)]
        period: String,
        /// Only this OPD (kode lokasi); default city-wide.
        #[arg(long)]
        opd: Option<String>,
        /// Comma-separated: pdf, html, xlsx.
        #[arg(long, default_value = "pdf,html,xlsx")]
        format: String,
        /// Folder for the files (created).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "id")]
        lang: Lang,
        /// Time zone of period boundaries; default `[reports] zone` of the config, else WIT.
        #[arg(long, value_enum)]
        zone: Option<report::period::Zone>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Copy the database into FILE while the collector runs (SQLite online backup: the
    /// file is consistent as of one commit). Keep backups off the server room
    /// (docs/operations.md).
    Backup {
        /// The backup file (written through a temporary file beside it, then renamed).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "id")]
        lang: Lang,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Replace the database with a backup. Refuses while a collector runs with it, and when
    /// it exists unless --force; checks the backup's integrity and schema version first.
    Restore {
        file: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
        #[arg(long, value_enum, default_value = "id")]
        lang: Lang,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Every HTTP route and who may call it (open, login, read, write, admin, audit).
    Routes {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum RegisterCommand {
    /// Import a full register export (CSV or spreadsheet; see docs/register-format.md): all
    /// rows or none. Assets missing from the file are marked removed; history is kept.
    Import {
        file: PathBuf,
        /// Show what would be added, changed and removed without storing anything.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the register with what Pantau found (match status, last seen, suggested
    /// condition) as XLSX (a summary sheet and one sheet per OPD) or CSV; see
    /// docs/register-format.md#exporting.
    Export {
        #[arg(long, value_enum, default_value = "xlsx")]
        format: register::export::Format,
        /// Output file; default `register-pantau-YYYYMMDD.xlsx|csv` in the current folder.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only this OPD (kode lokasi, e.g. 82.71.03.02.01).
        #[arg(long)]
        opd: Option<String>,
        /// Language of headers, status words and messages.
        #[arg(long, value_enum, default_value = "id")]
        lang: Lang,
        /// CSV separator: `;` (what Excel with Indonesian settings opens), `,` or `tab`.
        #[arg(long, default_value = ";", value_parser = register::export::parse_delimiter)]
        delimiter: u8,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum EnrollCommand {
    /// Enrollment tokens for `pantau-agent enroll`: create, list, revoke.
    Token {
        #[command(subcommand)]
        cmd: enroll::cli::TokenCommand,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Record identities listed in a JSON file (`[{agent_id, opd, public_key}]`, as written by
    /// `pantau-sim`). Agents already enrolled with the same key are skipped.
    Import {
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Create an agent identity (key + agent.toml) for a manual install and record it.
    Add {
        /// Agent id, e.g. `dinkes-pc017`.
        #[arg(long)]
        agent: String,
        /// OPD the agent belongs to (kode lokasi, e.g. 82.71.03.02.01).
        #[arg(long)]
        opd: String,
        /// Broker URL the agent will use; defaults to the collector config's `mqtt.url`.
        #[arg(long)]
        broker: Option<String>,
        /// Folder for agent.toml and agent.key (created).
        #[arg(long)]
        out: PathBuf,
        /// The agent's state folder (spool, seq) on its machine; relative to agent.toml.
        /// Use /var/lib/pantau-agent for the systemd unit in install/.
        #[arg(long, default_value = "state")]
        state_dir: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn main() {
    pantau_agent::service::init_logging("info,rumqttc=warn,rumqttd=off");
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = rt.block_on(real_main(cli)) {
        eprintln!("pantau-collector: {e:#}");
        std::process::exit(1);
    }
}

async fn real_main(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            config,
            embedded_broker,
            embedded_broker_unconfined,
        } => {
            let embedded = embedded_broker.map(|listen| serve::Embedded {
                listen,
                unconfined: embedded_broker_unconfined,
            });
            serve::serve(CollectorConfig::load(&config)?, embedded).await
        }
        Command::Demo(args) => demo::run(args).await,
        Command::CheckConfig { config } => {
            let cfg = CollectorConfig::load(&config)?;
            println!("# {} is valid", config.display());
            println!("database: {}", cfg.database().display());
            println!("mqtt: {}", cfg.mqtt.url);
            println!("http: {}", cfg.http.listen);
            Ok(())
        }
        Command::Reconcile { store, out } => {
            let settings = store
                .config()?
                .map(|c| c.reconcile_settings())
                .unwrap_or_default();
            reconcile_cli::reconcile(&*store.open().await?, &settings, &out).await
        }
        Command::Flags { cmd, store } => reconcile_cli::flags(&*store.open().await?, cmd).await,
        Command::Match { cmd, store } => reconcile_cli::matches(&*store.open().await?, cmd).await,
        Command::Ipplan { cmd, store } => network_cli::ipplan(&*store.open().await?, cmd).await,
        Command::AgentConfig { cmd, store } => {
            let profiles = store.profile_names()?;
            network_cli::agent_config(&*store.open().await?, cmd, &profiles).await
        }
        Command::Snmp { cmd, store } => {
            let profiles = store.profile_names()?;
            snmp_cli::run(&*store.open().await?, cmd, &profiles).await
        }
        Command::Policy {
            cmd: policy_cli::PolicyCommand::Check { file, out },
            ..
        } => policy_cli::check(&file, &out),
        Command::Policy { cmd, store } => policy_cli::run(&*store.open().await?, cmd).await,
        Command::User { cmd, store } => user_cli::user(&*store.open().await?, cmd).await,
        Command::Audit { cmd, store } => user_cli::audit_list(&*store.open().await?, cmd).await,
        Command::Routes { json } => user_cli::routes(json),
        Command::Backup { out, lang, store } => {
            let db = store.database()?;
            let done = tokio::task::spawn_blocking(move || backup::backup(&db, &out)).await??;
            println!(
                "{} {}",
                lang.t("Cadangan selesai.", "Backup done."),
                done.describe(lang)
            );
            Ok(())
        }
        Command::Restore {
            file,
            force,
            lang,
            store,
        } => {
            let db = store.database()?;
            let done =
                tokio::task::spawn_blocking(move || backup::restore(&file, &db, force, lang))
                    .await??;
            println!(
                "{} {}",
                lang.t("Pemulihan selesai.", "Restore done."),
                done.describe(lang)
            );
            Ok(())
        }
        Command::Report {
            period,
            opd,
            format,
            out,
            lang,
            zone,
            store,
        } => {
            let cfg = store.config()?.map(|c| c.reports).unwrap_or_default();
            cfg.check().map_err(anyhow::Error::msg)?;
            let zone = zone.unwrap_or(cfg.zone);
            let period = report::period::Period::parse(&period, zone)
                .map_err(|e| anyhow::anyhow!("--period: {e}"))?;
            let formats =
                report::Format::parse_list(&format).map_err(|e| anyhow::anyhow!("--{e}"))?;
            let req = report::Request { period, opd, lang };
            let db = store.open().await?;
            let files = report::write(&*db, &req, &formats, &cfg, &out, chrono::Utc::now()).await?;
            for f in files {
                println!("{}", f.display());
            }
            Ok(())
        }
        Command::Enroll(EnrollCommand::Token { cmd, store }) => {
            enroll::cli::token(&*store.open().await?, cmd).await
        }
        Command::Agents { cmd, store } => {
            let pki = store.config()?.and_then(|c| c.enroll).map(|e| e.pki_dir);
            enroll::cli::agents(&*store.open().await?, cmd, pki.as_deref()).await
        }
        Command::Pki {
            cmd: pki_cli::PkiCommand::Crl { dir },
            store,
        } => pki_cli::crl(&*store.open().await?, &dir).await,
        Command::Pki { cmd, .. } => pki_cli::run(cmd),
        Command::BrokerConfig(cmd) => pki_cli::broker_config(cmd),
        Command::Enroll(EnrollCommand::Import { file, store }) => {
            let db = store.open().await?;
            let (added, skipped) = enroll::import(&*db, &file).await?;
            println!("{added} agents enrolled, {skipped} already known");
            Ok(())
        }
        Command::Register(RegisterCommand::Import {
            file,
            dry_run,
            store,
        }) => register::import::run(&file, dry_run, || store.open()).await,
        Command::Register(RegisterCommand::Export {
            format,
            out,
            opd,
            lang,
            delimiter,
            store,
        }) => {
            let db = store.open().await?;
            let options = register::export::Options {
                lang,
                delimiter,
                ..Default::default()
            };
            let said =
                register::export::run(&*db, format, out.as_deref(), opd.as_deref(), &options)
                    .await?;
            print!("{said}");
            Ok(())
        }
        Command::Enroll(EnrollCommand::Add {
            agent,
            opd,
            broker,
            out,
            state_dir,
            store,
        }) => {
            let broker = match (broker, store.config()?) {
                (Some(b), _) => b,
                (None, Some(cfg)) => cfg.mqtt.url,
                (None, None) => anyhow::bail!("--broker URL is needed when no --config is given"),
            };
            pantau_agent::link::BrokerAddr::parse(&broker)
                .map_err(|e| anyhow::anyhow!("--broker: {e}"))?;
            let db = store.open().await?;
            let done = enroll::add(&*db, &agent, &opd, &broker, &out, &state_dir).await?;
            println!("enrolled {agent} in OPD {opd}");
            println!("agent config: {}", done.config_path.display());
            println!("copy that folder to the machine (e.g. /etc/pantau/) and run: pantau-agent run --config agent.toml");
            Ok(())
        }
    }
}
