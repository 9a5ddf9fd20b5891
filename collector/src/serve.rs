//! Wiring of the long-running collector: ingest, periodic jobs and the web server.

use crate::config::CollectorConfig;
use crate::ingest::Ingest;
use crate::store::{sqlite::SqliteStore, Store};
use crate::telemetry::Telemetry;
use crate::web::{self, AppState};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct Running {
    pub shutdown: watch::Sender<bool>,
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Start ingest, maintenance and the web server on an already bound listener.
pub fn start(
    cfg: &CollectorConfig,
    store: Arc<dyn Store>,
    listener: tokio::net::TcpListener,
) -> Running {
    let telemetry = Arc::new(Telemetry::new());
    let (tx, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let ingest = Ingest {
        broker: cfg.broker(),
        client_id: cfg.mqtt.client_id.clone(),
        store: store.clone(),
        telemetry: telemetry.clone(),
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
    let config_now = Arc::new(tokio::sync::Notify::new());
    let push = crate::config_push::ConfigPush {
        broker: cfg.broker(),
        client_id: cfg.mqtt.client_id.clone(),
        store: store.clone(),
        every: Duration::from_secs(60),
        trigger: config_now.clone(),
    };
    let push_rx = rx.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = push.run(push_rx).await {
            tracing::error!("config publisher stopped: {e:#}");
        }
    }));
    let app = web::router(AppState {
        store: store.clone(),
        telemetry,
        reconcile: cfg.reconcile_settings(),
        reconcile_now,
        network: cfg.network.clone(),
        config_now,
    });
    let mut web_rx = rx;
    tasks.push(tokio::spawn(async move {
        let stop = async move {
            let _ = web_rx.changed().await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!("web server stopped: {e}");
        }
    }));
    Running {
        shutdown: tx,
        tasks,
    }
}

pub async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen for HTTP on {addr}: {e}"))
}

pub async fn serve(cfg: CollectorConfig) -> anyhow::Result<()> {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&cfg.database())?);
    let listener = bind(&cfg.http.listen).await?;
    tracing::info!(http = %cfg.http.listen, mqtt = %cfg.mqtt.url, db = %cfg.database().display(), "pantau-collector {} serving", env!("CARGO_PKG_VERSION"));
    let running = start(&cfg, store, listener);
    pantau_agent::service::stop_signal().await;
    tracing::info!("stopping");
    let _ = running.shutdown.send(true);
    for t in running.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    Ok(())
}
