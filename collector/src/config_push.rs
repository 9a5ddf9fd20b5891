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

pub struct ConfigPush {
    pub broker: BrokerConfig,
    /// The collector's client id; this publisher uses `{client_id}-config`.
    pub client_id: String,
    pub store: Arc<dyn Store>,
    pub every: Duration,
    pub trigger: Arc<Notify>,
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
        loop {
            let all = tokio::select! {
                _ = tokio::time::sleep(self.every) => false,
                _ = self.trigger.notified() => false,
                _ = fresh.notified() => true,
                _ = shutdown.changed() => break,
            };
            if !connected.load(Ordering::SeqCst) {
                continue;
            }
            if let Err(e) = self.publish(&client, all).await {
                tracing::error!("config publication failed: {e:#}");
            }
        }
        driver.abort();
        Ok(())
    }

    async fn publish(&self, client: &AsyncClient, all: bool) -> anyhow::Result<()> {
        for (agent, cfg) in self.store.configs_to_publish(all).await? {
            let payload = serde_json::to_vec(&cfg)?;
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
