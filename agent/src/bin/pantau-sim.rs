//! `pantau-sim`: a fleet of simulated agents, each with its own key, spool and MQTT connection,
//! running the real agent code. For load tests, benchmarks and demos against a real broker.
//!
//! The collector must know the agents' keys: `pantau-sim` writes `DATA/enrollment.json`, which
//! `pantau-collector enroll import` records. Identities are kept in DATA, so reruns reuse them.

use clap::Parser;
use pantau_agent::config::AgentConfig;
use pantau_agent::sim::SimSource;
use pantau_agent::{runtime, Identity};
use pantau_proto::AgentKey;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "pantau-sim",
    version,
    about = "Simulated Pantau agents over real MQTT connections"
)]
struct Cli {
    /// Number of agents.
    #[arg(long, default_value_t = 10)]
    agents: usize,
    /// Number of OPDs the agents are spread over.
    #[arg(long, default_value_t = 4)]
    opds: usize,
    /// Seconds between metric samples.
    #[arg(long, default_value_t = 30)]
    interval: u64,
    /// Broker URL (`mqtt://` or `mqtts://`).
    #[arg(long)]
    broker: String,
    /// Folder for identities, spools and enrollment.json.
    #[arg(long, default_value = "pantau-sim-data")]
    data: PathBuf,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<u64>,
    /// Only write identities and enrollment.json, then exit.
    #[arg(long)]
    enroll_only: bool,
}

#[derive(serde::Serialize)]
struct Enrollment {
    agent_id: String,
    opd: String,
    public_key: String,
}

fn main() -> anyhow::Result<()> {
    pantau_agent::service::init_logging("warn");
    let cli = Cli::parse();
    pantau_agent::link::BrokerAddr::parse(&cli.broker)
        .map_err(|e| anyhow::anyhow!("--broker: {e}"))?;
    let opds = cli.opds.max(1);
    let mut agents = Vec::new();
    let mut enrollment = Vec::new();
    for i in 0..cli.agents {
        let id = format!("sim-{:05}", i + 1);
        // OPD codes in the city's kode lokasi form, 82.71.NN.01.01.
        let opd = format!("82.71.{:02}.01.01", 1 + i % opds);
        let dir = cli.data.join("agents").join(&id);
        std::fs::create_dir_all(&dir)?;
        let key_file = dir.join("agent.key");
        if !key_file.exists() {
            std::fs::write(&key_file, AgentKey::generate().to_base64() + "\n")?;
        }
        let identity = Identity::load(&id, &key_file)?;
        enrollment.push(Enrollment {
            agent_id: id.clone(),
            opd: opd.clone(),
            public_key: identity.key.public().to_base64(),
        });
        let mut cfg = AgentConfig::new(&id, key_file, dir.join("state"), &cli.broker);
        cfg.metrics.interval_s = cli.interval.max(1);
        cfg.metrics.batch = 1;
        agents.push((
            cfg,
            identity,
            SimSource::new(i as u64 + 1, &format!("{:02}01", 1 + i % opds)),
        ));
    }
    let enroll_path = cli.data.join("enrollment.json");
    std::fs::write(&enroll_path, serde_json::to_string_pretty(&enrollment)?)?;
    eprintln!(
        "{} identities in {}; record them with: pantau-collector enroll import {}",
        enrollment.len(),
        cli.data.display(),
        enroll_path.display()
    );
    if cli.enroll_only {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (stop, rx) = tokio::sync::watch::channel(false);
        let mut handles = Vec::new();
        for (cfg, identity, source) in agents {
            let rx = rx.clone();
            handles.push(tokio::spawn(async move {
                if let Err(e) = runtime::run(cfg, identity, Box::new(source), rx).await {
                    tracing::error!("simulated agent stopped: {e:#}");
                }
            }));
        }
        match cli.duration {
            Some(d) => tokio::time::sleep(Duration::from_secs(d)).await,
            None => pantau_agent::service::stop_signal().await,
        }
        let _ = stop.send(true);
        for h in handles {
            let _ = tokio::time::timeout(Duration::from_secs(5), h).await;
        }
    });
    Ok(())
}
