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
    /// Windows only, UNTESTED: run as the `PantauAgent` service under the Service Control
    /// Manager (install/install-agent.ps1 registers it); otherwise the same as `run`.
    #[cfg(windows)]
    Service {
        #[arg(long, short, default_value = r"C:\ProgramData\Pantau\agent.toml")]
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
    /// Sweep the local subnets once by ARP, as the scout role does, print what answered or
    /// was heard, and exit. Needs root or CAP_NET_RAW.
    Scan {
        /// Only this interface (repeatable); every suitable one when absent.
        #[arg(long = "interface", short = 'i', value_name = "IF")]
        interfaces: Vec<String>,
        /// ARP requests per second, per subnet.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        rate: u32,
        /// Largest subnet swept, as a prefix length.
        #[arg(long, default_value_t = 22, value_parser = clap::value_parser!(u8).range(16..=30))]
        max_prefix: u8,
        /// Milliseconds to keep listening for replies after the last request.
        #[arg(long, default_value_t = 1500)]
        wait_ms: u64,
        /// Print the `discovery` report as JSON, as the agent would send it.
        #[arg(long)]
        json: bool,
    },
    /// Run one network health round (the `net` report) and print it as JSON; sends nothing.
    /// Targets come from `--target NAME=HOST`, HTTP(S) checks from `--http NAME=URL`, and
    /// the gateway is probed unless `--no-gateway`. For operators checking a PC's view of the
    /// network, and for tests.
    Probe {
        /// A target to probe, as `NAME=HOST` (repeatable).
        #[arg(long = "target", value_name = "NAME=HOST")]
        targets: Vec<String>,
        /// An HTTP(S) check, as `NAME=URL` (repeatable); the default 10 s timeout. HTTPS trusts
        /// the platform's roots, or the file named by `SSL_CERT_FILE`.
        #[arg(long = "http", value_name = "NAME=URL")]
        http: Vec<String>,
        /// Echo requests per target (the agent allows up to 20 per round; a one-off check
        /// may send more, to measure loss more finely).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=500))]
        pings: u32,
        /// Do not probe the default gateway.
        #[arg(long)]
        no_gateway: bool,
    },
    /// Poll SNMP devices (the `poller` role's round) and print the `snmp` report as JSON;
    /// sends nothing.
    SnmpPoll(Box<pantau_agent::snmp::cli::PollArgs>),
    /// Read usage facts once (processes, software, listeners, sessions: the `usage` report)
    /// and print them; sends nothing. CPU seconds count from each process's start.
    /// docs/privacy.md lists every field.
    Usage {
        /// Print the report as JSON, as the agent would send it.
        #[arg(long)]
        json: bool,
        /// Leave out the installed software list.
        #[arg(long)]
        no_software: bool,
        /// Read a recorded tree instead of this machine (testing).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
        /// Benchmark: take N readings as the agent would and print each one's CPU cost as
        /// JSON (tests/bench/usage-cpu.sh).
        #[arg(long, hide = true, value_parser = clap::value_parser!(u32).range(2..=1000))]
        cycles: Option<u32>,
    },
    /// Enroll this PC with the collector using a token from the Diskominfo admin: creates
    /// the keys here (they never leave the PC), gets the agent id and client certificate,
    /// and writes agent.toml, agent.key, tls.key, tls.pem and ca.pem into --config-dir.
    Enroll {
        /// The collector, e.g. https://kolektor.kota.go.id:8443
        url: String,
        /// The enrollment token (`pantau-collector enroll token create`).
        #[arg(long)]
        token: String,
        /// SHA-256 of the Pantau CA (`pantau-collector pki show`): trust exactly that CA.
        /// Without it, the platform's root certificates decide.
        #[arg(long)]
        ca_fingerprint: Option<String>,
        #[arg(long, default_value = "/etc/pantau")]
        config_dir: PathBuf,
        /// State folder written into agent.toml (spool, seq); the systemd unit's.
        #[arg(long, default_value = "/var/lib/pantau-agent")]
        state_dir: PathBuf,
        /// Language of messages: id (Bahasa Indonesia) or en.
        #[arg(long, value_enum, default_value = "id")]
        lang: pantau_agent::enroll::Lang,
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
        #[cfg(windows)]
        Command::Service { config } => {
            pantau_agent::service::windows::dispatch(Box::new(move || {
                real_main(Cli {
                    command: Command::Run { config },
                })
            }))
        }
        Command::Inventory { root, asset_tag } => {
            let mut src = HostSource::new(root, asset_tag, 0);
            println!("{}", serde_json::to_string_pretty(&src.inventory())?);
            Ok(())
        }
        Command::Usage {
            json,
            no_software,
            root,
            cycles,
        } => {
            let opts = pantau_agent::usage::UsageConfig {
                software: !no_software,
                ..Default::default()
            };
            if let Some(n) = cycles {
                let cost = pantau_agent::usage::bench::measure(&root, opts, n as usize);
                println!("{}", serde_json::to_string(&cost)?);
                return Ok(());
            }
            let report = pantau_agent::usage::one_reading(&root, opts);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                pantau_agent::usage::print_table(&report);
            }
            Ok(())
        }
        Command::SnmpPoll(args) => pantau_agent::snmp::cli::run(*args),
        Command::Probe {
            targets,
            http,
            pings,
            no_gateway,
        } => {
            let mut cfg = pantau_proto::body::config::NetProbeConfig {
                pings,
                gateway: !no_gateway,
                ..Default::default()
            };
            for t in targets {
                let (name, host) = t
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--target {t:?}: expected NAME=HOST"))?;
                cfg.targets.push(pantau_proto::body::config::ProbeTarget {
                    name: name.into(),
                    host: host.into(),
                    tcp_port: None,
                });
            }
            for h in http {
                let (name, url) = h
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--http {h:?}: expected NAME=URL"))?;
                cfg.http.push(pantau_proto::body::config::HttpCheck {
                    name: name.into(),
                    url: url.into(),
                    expect: None,
                    timeout_s: None,
                });
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let report = rt.block_on(pantau_agent::net::NetProber::new("/".into()).round(&cfg));
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(())
        }
        Command::Scan {
            interfaces,
            rate,
            max_prefix,
            wait_ms,
            json,
        } => scan(
            pantau_agent::scout::ScoutOptions {
                interfaces,
                rate_per_s: rate,
                max_prefix,
                reply_wait: std::time::Duration::from_millis(wait_ms),
            },
            json,
        ),
        Command::Enroll {
            url,
            token,
            ca_fingerprint,
            config_dir,
            state_dir,
            lang,
        } => {
            let done = pantau_agent::enroll::run(&pantau_agent::enroll::Options {
                url,
                token,
                ca_fingerprint,
                config_dir,
                state_dir,
                lang,
            })?;
            match lang {
                pantau_agent::enroll::Lang::Id => println!(
                    "Terdaftar sebagai {} (OPD {}). Konfigurasi: {}\nJalankan: systemctl enable --now pantau-agent",
                    done.agent_id, done.opd, done.config.display()
                ),
                pantau_agent::enroll::Lang::En => println!(
                    "Enrolled as {} (OPD {}). Config: {}\nStart it: systemctl enable --now pantau-agent",
                    done.agent_id, done.opd, done.config.display()
                ),
            }
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
                // behind us, let go of the code that only start-up needed; then again a few
                // seconds after every collection, so between cycles only what is in use stays
                // resident (footprint.rs says why a once-only trim is not enough).
                let every = cfg.metrics_interval();
                let settle = every * (cfg.metrics.batch as u32 + 1);
                tokio::spawn(pantau_agent::footprint::trim_after_cycles(settle, every));
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

fn scan(opts: pantau_agent::scout::ScoutOptions, json: bool) -> anyhow::Result<()> {
    let scout = pantau_agent::scout::Scout::start(opts)?;
    let subnets = scout.sweep();
    let report = scout.report(subnets);
    drop(scout);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    for s in &report.subnets {
        println!(
            "# {} on {}: {} asked in {:.1} s",
            s.cidr,
            s.interface,
            s.probed,
            s.duration_ms as f64 / 1000.0
        );
    }
    println!("{:<16} {:<18} {:<10} how", "ip", "mac", "interface");
    for d in &report.devices {
        let how = match (d.active, d.passive) {
            (true, true) => "answered, heard",
            (true, false) => "answered",
            _ => "heard",
        };
        println!("{:<16} {:<18} {:<10} {how}", d.ip, d.mac, d.interface);
    }
    println!("# {} devices", report.devices.len());
    Ok(())
}
