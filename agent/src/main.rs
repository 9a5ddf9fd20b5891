//! `pantau-agent`: the host agent.

use anyhow::Context;
use clap::{Parser, Subcommand};
use pantau_agent::config::AgentConfig;
use pantau_agent::source::{HostSource, Source};
use pantau_agent::{runtime, Identity};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "pantau-agent",
    version,
    about = "Pantau host agent: reports this machine's inventory and utilization to the city's collector"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the agent (as a service).
    Run {
        #[arg(long, short, default_value = "/etc/pantau/agent.toml")]
        config: PathBuf,
    },
    /// Print this machine's inventory as JSON and exit.
    Inventory {
        /// Read a recorded tree instead of this machine (testing).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
        /// Asset tag to include, as in the config file.
        #[arg(long)]
        asset_tag: Option<String>,
    },
    /// Check a config file and the key it names, print the effective settings, and exit.
    CheckConfig {
        #[arg(long, short, default_value = "/etc/pantau/agent.toml")]
        config: PathBuf,
    },
}

fn main() {
    pantau_agent::service::init_logging("info,rumqttc=warn");
    if let Err(e) = real_main(Cli::parse()) {
        eprintln!("pantau-agent: {e:#}");
        std::process::exit(1);
    }
}

fn real_main(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Inventory { root, asset_tag } => {
            let mut src = HostSource::new(root, asset_tag, 0);
            println!("{}", serde_json::to_string_pretty(&src.inventory())?);
            Ok(())
        }
        Command::CheckConfig { config } => {
            let cfg = AgentConfig::load(&config)?;
            let id = Identity::load(&cfg.agent_id, &cfg.key_file)?;
            println!("# {} is valid; effective settings:", config.display());
            print!("{}", cfg.to_toml());
            println!("# public key: {}", id.key.public().to_base64());
            Ok(())
        }
        Command::Run { config } => {
            let cfg = AgentConfig::load(&config)?;
            let id = Identity::load(&cfg.agent_id, &cfg.key_file)?;
            pantau_agent::footprint::code_access_random();
            // One thread is plenty for one host and keeps the footprint small.
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the runtime")?;
            rt.block_on(async move {
                let (tx, rx) = tokio::sync::watch::channel(false);
                // Once start-up (config, first inventory, first connection, first batch) is
                // behind us, let go of the code that only start-up needed.
                let settle = cfg.metrics_interval() * (cfg.metrics.batch as u32 + 1);
                tokio::spawn(async move {
                    tokio::time::sleep(settle).await;
                    pantau_agent::footprint::trim_code();
                });
                tokio::spawn(async move {
                    pantau_agent::service::stop_signal().await;
                    tracing::info!("stopping");
                    let _ = tx.send(true);
                });
                let src = HostSource::new(cfg.root.clone(), cfg.asset_tag.clone(), cfg.metrics.top_processes)
                    .with_health(cfg.health.options(), Some(&cfg.state_dir));
                tracing::info!(agent_id = %cfg.agent_id, broker = %cfg.broker.url, "pantau-agent {} starting", pantau_agent::VERSION);
                runtime::run(cfg, id, Box::new(src), rx).await
            })
        }
    }
}
