//! Publishes each agent's merged configuration retained on `pantau/v1/{agent_id}/config`,
//! when it changes (checked every `every`, and at once when `trigger` is notified by the
//! API). Everything is republished after each (re)connection: a publication is recorded
//! when handed to the MQTT client, before the broker's PUBACK, so a collector that died in
//! between would otherwise leave an agent on an old config until the next change.

use crate::store::Store;
use pantau_agent::config::BrokerConfig;
use pantau_agent::link::BrokerAddr;
use pantau_proto::{topic, Kind};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS, Transport};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The job's lease name ([`Store::try_job_lease`]).
const JOB: &str = "config publication";

pub struct ConfigPush {
    pub broker: BrokerConfig,
    /// The collector's client id; this publisher uses `{client_id}-config`.
    pub client_id: String,
    pub store: Arc<dyn Store>,
    pub every: Duration,
    pub trigger: Arc<Notify>,
    /// SNMP credential profiles, put into each target that names one just before it is
    /// published (never stored: the database keeps the config as merged, with the names).
    pub profiles: Arc<crate::snmp::profiles::Profiles>,
}

impl ConfigPush {
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let addr = BrokerAddr::parse(&self.broker.url).map_err(anyhow::Error::msg)?;
        let mut opts =
            MqttOptions::new(format!("{}-config", self.client_id), &addr.host, addr.port);
        opts.set_keep_alive(Duration::from_secs(30));
        if let (Some(u), Some(p)) = (&self.broker.username, &self.broker.password) {
            opts.set_credentials(u, p);
        }
        if addr.tls {
            opts.set_transport(Transport::tls_with_config(
                pantau_agent::tls::client_config(&self.broker)?,
            ));
        }
        let (client, mut events) = AsyncClient::new(opts, 1000);
        let connected = Arc::new(AtomicBool::new(false));
        // Republish everything after each connection (see the module comment).
        let fresh = Arc::new(Notify::new());
        let (c2, f2) = (connected.clone(), fresh.clone());
        let driver = tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        c2.store(true, Ordering::SeqCst);
                        f2.notify_one();
                    }
                    Ok(_) => {}
                    Err(e) => {
                        c2.store(false, Ordering::SeqCst);
                        tracing::debug!("config publisher cannot reach the broker: {e}");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        });
        // A republication of everything that could not run yet (not connected, or another
        // collector held the lease) is owed until one runs.
        let mut owe_all = false;
        loop {
            owe_all |= tokio::select! {
                _ = tokio::time::sleep(self.every) => false,
                _ = self.trigger.notified() => false,
                _ = fresh.notified() => true,
                _ = shutdown.changed() => break,
            };
            if !connected.load(Ordering::SeqCst) {
                continue;
            }
            // Several collectors on one PostgreSQL database (docs/scale.md): one publishes
            // at a time, so an agent never sees two collectors' retained configs race.
            match self.store.try_job_lease(JOB).await {
                Ok(Some(lease)) => {
                    match self.publish(&client, owe_all).await {
                        Ok(()) => owe_all = false,
                        Err(e) => tracing::error!("config publication failed: {e:#}"),
                    }
                    lease.release().await;
                }
                Ok(None) => tracing::debug!("{JOB}: another collector runs it now; skipped"),
                Err(e) => tracing::error!("{JOB}: cannot take its lease (will retry): {e:#}"),
            }
        }
        driver.abort();
        Ok(())
    }

    async fn publish(&self, client: &AsyncClient, all: bool) -> anyhow::Result<()> {
        for (agent, cfg) in self.store.configs_to_publish(all).await? {
            let mut wire = cfg.clone();
            self.profiles.fill(&agent, &mut wire.snmp);
            let payload = serde_json::to_vec(&wire)?;
            client
                .publish(
                    topic::topic(&agent, Kind::Config),
                    QoS::AtLeastOnce,
                    true,
                    payload,
                )
                .await?;
            self.store.config_published(&agent, &cfg).await?;
            tracing::info!(agent, version = cfg.version, "config published");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::EnrolledAgent;

    /// Against the embedded broker: a layer set in the store arrives retained on the
    /// agent's config topic, numbered.
    #[tokio::test]
    async fn a_changed_config_is_published_retained() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        crate::broker::start(format!("127.0.0.1:{port}").parse().unwrap(), false).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("pantau.db")).unwrap());
        store
            .enroll(&EnrolledAgent {
                agent_id: "pc-1".into(),
                opd: "0101".into(),
                public_key: pantau_proto::AgentKey::generate().public(),
                enrolled_at: chrono::Utc::now(),
            })
            .await
            .unwrap();
        store
            .set_config_layer(
                crate::network::pushed::Scope::Global,
                "",
                Some(serde_json::json!({"net": {"interval_s": 45}})),
                "ops",
                &Default::default(),
            )
            .await
            .unwrap();
        let broker = BrokerConfig {
            url: format!("mqtt://127.0.0.1:{port}"),
            ..crate::config::CollectorConfig::load(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../install/collector.toml"),
            )
            .unwrap()
            .broker()
        };
        let (_stop, rx) = watch::channel(false);
        let push = ConfigPush {
            broker,
            client_id: "test-collector".into(),
            store: store.clone(),
            every: Duration::from_millis(200),
            trigger: Arc::new(Notify::new()),
            profiles: Default::default(),
        };
        tokio::spawn(push.run(rx));

        let (sub, mut events) =
            AsyncClient::new(MqttOptions::new("test-agent", "127.0.0.1", port), 100);
        sub.subscribe("pantau/v1/pc-1/config", QoS::AtLeastOnce)
            .await
            .unwrap();
        let got = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Ok(Event::Incoming(Incoming::Publish(p))) = events.poll().await {
                    return p;
                }
            }
        })
        .await
        .expect("config published within 20 s");
        let cfg: pantau_proto::body::PushedConfig = serde_json::from_slice(&got.payload).unwrap();
        assert_eq!(cfg.net.unwrap().interval_s, Some(45));
        assert!(cfg.version > 0);
    }
}
