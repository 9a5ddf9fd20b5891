//! `pantau-collector demo`: the whole system on one machine, with nothing to install.
//!
//! An embedded broker, SQLite in `--data`, an agent for this very host, `--sim` simulated
//! agents spread over four OPDs (each with its own key, spool and MQTT connection, through the
//! same agent code as real ones), and the web server. Identities are kept in the data folder,
//! so a second run continues where the first stopped.

use crate::config::{CollectorConfig, HttpConfig, MqttConfig};
use crate::store::{Retention, Store};
use pantau_agent::config::AgentConfig;
use pantau_agent::source::{HostSource, Source};
use pantau_agent::{runtime, Identity};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Address of the dashboard and API. If the default is taken, a free port is used.
    #[arg(long)]
    http: Option<SocketAddr>,
    /// Address of the embedded MQTT broker. If the default is taken, a free port is used.
    #[arg(long)]
    mqtt: Option<SocketAddr>,
    /// Data folder (database, agent identities and spools).
    #[arg(long, default_value = "pantau-data")]
    data: PathBuf,
    /// Number of simulated agents.
    #[arg(long, default_value_t = 24)]
    sim: usize,
    /// Let the embedded broker listen on a non-loopback `--mqtt` address although it cannot
    /// confine agents to their own topics (no ACLs): for one trusted LAN only.
    #[arg(long)]
    embedded_broker_unconfined: bool,
}

pub mod register;

use register::OPDS;

fn pick(explicit: Option<SocketAddr>, default: &str) -> anyhow::Result<SocketAddr> {
    if let Some(a) = explicit {
        return Ok(a);
    }
    let default: SocketAddr = default.parse().expect("valid default");
    if std::net::TcpListener::bind(default).is_ok() {
        return Ok(default);
    }
    let free = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    tracing::info!("{default} is in use; using {free} instead");
    Ok(free)
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mqtt = pick(args.mqtt, "127.0.0.1:1884")?;
    let http = pick(args.http, "127.0.0.1:8080")?;
    let data = std::path::absolute(&args.data)?;
    std::fs::create_dir_all(&data)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data.display()))?;
    crate::broker::start(mqtt, args.embedded_broker_unconfined)?;
    let broker_url = format!("mqtt://{mqtt}");
    let cfg = CollectorConfig {
        data_dir: data.clone(),
        mqtt: MqttConfig {
            url: broker_url.clone(),
            client_id: "pantau-collector-demo".into(),
            shared_group: None,
            username: None,
            password: None,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
        },
        http: HttpConfig {
            listen: http.to_string(),
            ..HttpConfig::default()
        },
        retention: Retention::default(),
        maintain_interval_s: 60,
        reconcile: Default::default(),
        condition: Default::default(),
        // The demo should show reconciliation moving within a minute.
        reconcile_interval_s: 15,
        network: Default::default(),
        auth: Default::default(),
        snmp: Default::default(),
        snmp_profiles: Default::default(),
        policy_interval_s: 60,
        reports: Default::default(),
        enroll: None,
        ingest: Default::default(),
        database: Default::default(),
    };
    let _lock = crate::backup::RunLock::share(&cfg.database(), crate::i18n::Lang::Id)?;
    let store: Arc<dyn Store> = crate::store::open(&cfg).await?;
    let admin = demo_admin(&*store).await?;
    let listener = crate::serve::bind(&cfg.http.listen).await?;
    let running = crate::serve::start(&cfg, store.clone(), listener)?;

    let host = hostname();
    let local_id = format!("local-{}", sanitize(&host));
    load_register(&*store, &data, args.sim).await?;
    let mut agents = vec![(local_id.clone(), OPDS[0].0.to_string(), None)];
    for i in 0..args.sim {
        agents.push((
            format!("sim-{:04}", i + 1),
            register::sim_opd(i).to_string(),
            Some(i),
        ));
    }
    let mut handles = Vec::new();
    // Agents stop before the collector, so their final `offline` status is still stored.
    let (agents_stop, agents_rx) = tokio::sync::watch::channel(false);
    for (id, opd, seed) in agents {
        let dir = data.join("agents").join(&id);
        let mut acfg = identity_for(&*store, &id, &opd, &broker_url, &dir).await?;
        // The broker address may differ from the previous run's.
        acfg.broker.url = broker_url.clone();
        // The demo should show movement quickly: this host every 10 s, simulated ones every 30 s.
        acfg.metrics.interval_s = if seed.is_none() { 10 } else { 30 };
        acfg.metrics.batch = 1;
        let identity = Identity::load(&acfg.agent_id, &acfg.key_file)?;
        let source: Box<dyn Source> = match seed {
            None => Box::new(
                HostSource::new(PathBuf::from("/"), None, acfg.metrics.top_processes)
                    .with_health(acfg.health.options(), Some(&acfg.state_dir)),
            ),
            Some(i) => Box::new(register::sim_source(i)),
        };
        let rx = agents_rx.clone();
        handles.push(tokio::spawn(async move {
            if let Err(e) = runtime::run(acfg, identity, source, rx).await {
                tracing::error!("demo agent stopped: {e:#}");
            }
        }));
    }

    println!();
    println!("Pantau demo berjalan / is running");
    println!("  Dasbor / dashboard:  http://{http}/");
    println!("  API:                 http://{http}/api/v1/hosts");
    println!("  Prometheus:          http://{http}/metrics");
    println!(
        "  MQTT (embedded):     {broker_url}   (e.g. mosquitto_sub -p {} -t 'pantau/v1/#' -v)",
        mqtt.port()
    );
    println!("  Data:                {}", data.display());
    match &admin {
        Some(password) => println!("  Masuk / sign in:     admin / {password}"),
        None => println!("  Masuk / sign in:     admin (kata sandi dari jalankan pertama / password of the first run)"),
    }
    println!(
        "  Register BMD (demo): {}",
        data.join("register-demo.csv").display()
    );
    println!(
        "  Agents:              this host as {local_id}, plus {} simulated",
        args.sim
    );
    println!("Tekan Ctrl-C untuk berhenti / press Ctrl-C to stop.");

    pantau_agent::service::stop_signal().await;
    let _ = agents_stop.send(true);
    for h in handles {
        let _ = tokio::time::timeout(Duration::from_secs(3), h).await;
    }
    // Give ingest a moment to store the agents' last words.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = running.shutdown.send(true);
    for t in running.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    Ok(())
}

/// The demo's `admin`: created on the first run with `PANTAU_ADMIN_PASSWORD` or a random
/// password, which is returned to print; with `PANTAU_ADMIN_PASSWORD` set, a later run sets
/// that password again (so a script always knows it).
async fn demo_admin(store: &dyn Store) -> anyhow::Result<Option<String>> {
    let given = std::env::var("PANTAU_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    if store.login_record("admin").await?.is_some() {
        if let Some(p) = &given {
            store
                .set_password("admin", &crate::auth::secret::hash_password(p)?)
                .await?;
        }
        return Ok(given);
    }
    // 20 characters of 256 random bits in base64url: about 120 bits, easy to copy.
    let password = given.unwrap_or_else(|| crate::auth::secret::random_token()[..20].to_owned());
    let hash = crate::auth::secret::hash_password(&password)?;
    store
        .add_user("admin", crate::store::accounts::Role::Admin, &[], &hash)
        .await?;
    let mut e = crate::store::accounts::AuditEntry::new("demo", "user.add", "admin", "ok");
    e.detail = Some(serde_json::json!({ "via": "demo", "role": "admin" }));
    store.append_audit(e).await?;
    Ok(Some(password))
}

/// Import the demo register (written to `DATA/register-demo.csv` for a look or an edit),
/// unless the database already holds a register: a reused data folder keeps the one an
/// operator imported.
async fn load_register(store: &dyn Store, data: &Path, sims: usize) -> anyhow::Result<()> {
    if !store.register_lines(None).await?.is_empty() {
        return Ok(());
    }
    let path = data.join("register-demo.csv");
    let text = register::csv(sims);
    std::fs::write(&path, &text)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    let parsed = crate::register::parse_bytes("register-demo.csv", text.as_bytes())
        .map_err(|e| anyhow::anyhow!("demo register: {e}"))?;
    store
        .import_register(&parsed.rows, "register-demo.csv", false)
        .await?;
    Ok(())
}

/// The agent's config from a previous run, or a fresh enrollment.
async fn identity_for(
    store: &dyn Store,
    id: &str,
    opd: &str,
    broker: &str,
    dir: &Path,
) -> anyhow::Result<AgentConfig> {
    let path = dir.join("agent.toml");
    if path.exists() && store.agent(id).await?.is_some() {
        return AgentConfig::load(&path);
    }
    if dir.exists() {
        // Identity files without a database record (the database was deleted): start over.
        std::fs::remove_dir_all(dir)?;
    }
    let done = crate::enroll::add(store, id, opd, broker, dir, Path::new("state")).await?;
    AgentConfig::load(&done.config_path)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "host".into())
}

fn sanitize(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(50)
        .collect();
    if s.is_empty() {
        "host".into()
    } else {
        s
    }
}
