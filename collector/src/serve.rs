//! Wiring of the long-running collector: ingest, periodic jobs and the web server.

use crate::config::CollectorConfig;
use crate::ingest::Ingest;
use crate::store::Store;
use crate::telemetry::Telemetry;
use crate::web::{self, AppState};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct Running {
    pub shutdown: watch::Sender<bool>,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Start ingest, maintenance and the web server on an already bound listener. Fails before
/// starting anything when the HTTPS certificate or key cannot be used.
pub fn start(
    cfg: &CollectorConfig,
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<Running> {
    let tls = match (&cfg.http.tls_cert, &cfg.http.tls_key) {
        (Some(cert), Some(key)) => Some(web::https::server_config(cert, key)?),
        _ => None,
    };
    let telemetry = Arc::new(Telemetry::new());
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let ingest = Ingest {
        broker: cfg.broker(),
        client_id: cfg.mqtt.client_id.clone(),
        filter: cfg.ingest_filter(),
        store: store.clone(),
        telemetry: telemetry.clone(),
        limits: cfg.ingest,
    };
    let ingest_rx = rx.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = ingest.run(ingest_rx).await {
            tracing::error!("ingest stopped: {e:#}");
        }
    }));
    tasks.push(tokio::spawn(crate::maintain::run(
        store.clone(),
        Duration::from_secs(cfg.maintain_interval_s.max(1)),
        cfg.retention,
        rx.clone(),
    )));
    let reconcile_now = Arc::new(tokio::sync::Notify::new());
    tasks.push(tokio::spawn(crate::reconciler::run_loop(
        store.clone(),
        cfg.reconcile_settings(),
        Duration::from_secs(cfg.reconcile_interval_s.max(1)),
        reconcile_now.clone(),
        rx.clone(),
    )));
    tasks.push(tokio::spawn(crate::netwatch::run_loop(
        store.clone(),
        cfg.network.clone(),
        rx.clone(),
    )));
    tasks.push(tokio::spawn(crate::snmpwatch::run_loop(
        store.clone(),
        cfg.snmp.clone(),
        rx.clone(),
    )));
    let policy_now = Arc::new(tokio::sync::Notify::new());
    let policy_store = store.clone();
    tasks.push(tokio::spawn(crate::jobs::every(
        store.clone(),
        "policy check",
        Duration::from_secs(cfg.policy_interval_s.max(1)),
        Some(policy_now.clone()),
        rx.clone(),
        move || {
            let store = policy_store.clone();
            async move {
                crate::policy::job::run_once(&*store, chrono::Utc::now()).await?;
                Ok(())
            }
        },
    )));
    let config_now = Arc::new(tokio::sync::Notify::new());
    let push = crate::config_push::ConfigPush {
        broker: cfg.broker(),
        client_id: cfg.mqtt.client_id.clone(),
        store: store.clone(),
        every: Duration::from_secs(60),
        trigger: config_now.clone(),
        profiles: Arc::new(cfg.snmp_profiles.clone()),
    };
    let push_rx = rx.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = push.run(push_rx).await {
            tracing::error!("config publisher stopped: {e:#}");
        }
    }));
    let reports = Arc::new(crate::report::archive::Archive {
        config: cfg.reports.clone(),
        dir: cfg
            .reports
            .archive_dir
            .clone()
            .unwrap_or_else(|| cfg.data_dir.join("reports")),
    });
    tasks.push(tokio::spawn(crate::report::archive::run_loop(
        store.clone(),
        reports.clone(),
        Duration::from_secs(3600),
        rx.clone(),
    )));
    // Loaded before anything starts, so a missing CA stops `serve` with the file's name.
    let enroll = match &cfg.enroll {
        Some(e) => Some(Arc::new(crate::enroll::api::EnrollService::new(
            e.clone(),
            tls.is_some(),
        )?)),
        None => None,
    };
    let mut app = web::router(AppState {
        reports,
        store: store.clone(),
        telemetry,
        reconcile: cfg.reconcile_settings(),
        reconcile_now,
        network: cfg.network.clone(),
        config_now,
        policy_now,
        snapshots: Default::default(),
        snmp_profiles: Arc::new(cfg.snmp_profiles.clone()),
        auth: Arc::new(crate::auth::Auth::new(crate::auth::AuthConfig {
            // Under HTTPS the cookie must never travel over plain HTTP.
            secure_cookie: cfg.auth.secure_cookie || tls.is_some(),
            ..cfg.auth.clone()
        })),
    });
    if let Some(e) = enroll {
        app = app.layer(axum::Extension(e));
    }
    let mut web_rx = rx;
    tasks.push(tokio::spawn(async move {
        let stop = async move {
            let _ = web_rx.changed().await;
        };
        // The peer address feeds per-address login limits and the audit log.
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = match tls {
            Some(tls) => match web::https::TlsListener::new(listener, tls) {
                // tap_io: axum provides ConnectInfo<SocketAddr> for tapped listeners.
                Ok(l) => {
                    axum::serve(axum::serve::ListenerExt::tap_io(l, |_| {}), app)
                        .with_graceful_shutdown(stop)
                        .await
                }
                Err(e) => Err(e),
            },
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(stop)
                    .await
            }
        };
        if let Err(e) = served {
            tracing::error!("web server stopped: {e}");
        }
    }));
    Ok(Running {
        shutdown: tx,
        tasks,
    })
}

pub async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for HTTP on {addr}: {e}"))
}

fn cfg_path_hint() -> String {
    std::env::args()
        .skip_while(|a| a != "--config" && a != "-c")
        .nth(1)
        .unwrap_or_else(|| "/etc/pantau/collector.toml".into())
}

/// An embedded broker for `serve` (`--embedded-broker ADDR`): loopback only unless
/// `unconfined` (see [`crate::broker`]).
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    pub listen: std::net::SocketAddr,
    pub unconfined: bool,
}

pub async fn serve(cfg: CollectorConfig, embedded: Option<Embedded>) -> anyhow::Result<()> {
    if let Some(b) = embedded {
        crate::broker::start(b.listen, b.unconfined)?;
    }
    // Held while serving: `restore` refuses to replace a database a collector is using.
    let _lock = crate::backup::RunLock::share(&cfg.database(), crate::i18n::Lang::Id)?;
    let store: Arc<dyn Store> = crate::store::open(&cfg).await?;
    if store.user_count().await? == 0 {
        let config = cfg_path_hint();
        eprintln!(
            "Belum ada pengguna: API dan dasbor tidak bisa dipakai sampai ada.\n\
             No users yet: the API and dashboard refuse everyone until one exists. Create one:\n  \
             pantau-collector user add NAME --role admin --config {config}"
        );
    }
    // A profile removed from collector.toml while targets still name it: refuse to start,
    // naming them, rather than silently stop polling those devices.
    let dangling = crate::snmp::profiles::dangling(&*store, &cfg.snmp_profiles.names()).await?;
    if !dangling.is_empty() {
        anyhow::bail!(
            "[snmp.profiles] lacks profiles that targets use; define them or remove the targets:\n  {}",
            dangling.join("\n  ")
        );
    }
    let listener = bind(&cfg.http.listen).await?;
    let scheme = if cfg.http.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(http = %cfg.http.listen, scheme, mqtt = %cfg.mqtt.url, db = %cfg.database_label(), "pantau-collector {} serving", env!("CARGO_PKG_VERSION"));
    let running = start(&cfg, store, listener)?;
    pantau_agent::service::stop_signal().await;
    tracing::info!("stopping");
    let _ = running.shutdown.send(true);
    for t in running.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    Ok(())
}
