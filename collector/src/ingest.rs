//! Ingest: MQTT in, verified envelopes to the store, acknowledgement only after the commit.
//!
//! The collector holds a persistent session (clean session off, fixed client id) with manual
//! acknowledgements. A message is acknowledged after the transaction that stores it has
//! committed, so if the collector dies at any point the broker still has every message it has
//! not acknowledged and delivers it again; deduplication on `(agent_id, seq)` makes that
//! redelivery harmless. At-least-once on the wire, exactly-once in the store.
//!
//! Rejected messages are acknowledged too (after being counted and logged): they can never
//! become valid, and leaving them unacknowledged would make the broker redeliver them forever.

use crate::ingest_limit::{AgentLimiter, IngestLimits, Verdict};
use crate::store::{Accepted, Outcome, Store};
use crate::telemetry::{KindLabel, Telemetry};
use pantau_agent::config::BrokerConfig;
use pantau_agent::link::BrokerAddr;
use pantau_proto::envelope::{decode, Verified};
use pantau_proto::{topic, Kind, PublicKey};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, Publish, QoS, Transport};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Largest batch committed in one transaction, the longest a message waits for company, and
/// the pause in arrivals that ends a batch early. The broker sends only so many messages
/// before it waits for their acknowledgements (Mosquitto: `max_inflight_messages`, 20 by
/// default); once that many have arrived nothing more comes until the commit, so waiting on
/// for the full `MAX_WAIT` would only idle (docs/benchmarks.md, ingest ratio).
const MAX_BATCH: usize = 1000;
const MAX_WAIT: Duration = Duration::from_millis(20);
const MAX_GAP: Duration = Duration::from_millis(2);
/// The `reason` label of messages dropped by the per-agent rate limit.
pub const RATE_LIMITED: &str = "rate_limited";

pub struct Ingest {
    pub broker: BrokerConfig,
    pub client_id: String,
    /// `pantau/v1/+/+`, or the same behind `$share/GROUP/` ([`crate::config::MqttConfig`]).
    pub filter: String,
    pub store: Arc<dyn Store>,
    pub telemetry: Arc<Telemetry>,
    /// Per-agent rate limit (`[ingest]`).
    pub limits: IngestLimits,
}

impl Ingest {
    pub async fn run(self, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
        let addr = BrokerAddr::parse(&self.broker.url).map_err(anyhow::Error::msg)?;
        let mut opts = MqttOptions::new(&self.client_id, &addr.host, addr.port);
        opts.set_clean_session(false)
            .set_manual_acks(true)
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(max_payload() + 4096, 64 * 1024);
        if let (Some(u), Some(p)) = (&self.broker.username, &self.broker.password) {
            opts.set_credentials(u, p);
        }
        if addr.tls {
            opts.set_transport(Transport::tls_with_config(
                pantau_agent::tls::client_config(&self.broker)?,
            ));
        }
        let (client, mut events) = AsyncClient::new(opts, 10_000);
        let (tx, rx) = mpsc::channel::<Publish>(10_000);
        let limiter = AgentLimiter::new(self.limits);
        let writer = tokio::spawn(writer(
            rx,
            client.clone(),
            self.store,
            self.telemetry,
            limiter,
        ));
        let mut shutdown = shutdown;
        let mut was_connected = false;
        loop {
            tokio::select! {
                ev = events.poll() => match ev {
                    Ok(Event::Incoming(Incoming::ConnAck(ack))) => {
                        tracing::info!(broker = %self.broker.url, filter = %self.filter, session_present = ack.session_present, "ingest connected");
                        was_connected = true;
                        // Subscribing again is harmless when the session survived, and
                        // necessary when the broker lost it.
                        // try_: this task drives the event loop and must never wait on its queue.
                        client.try_subscribe(&self.filter, QoS::AtLeastOnce)?;
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        if tx.send(p).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if was_connected {
                            tracing::warn!("ingest lost the broker: {e}");
                            was_connected = false;
                        } else {
                            tracing::debug!("ingest cannot reach the broker: {e}");
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = shutdown.changed() => break,
                        }
                    }
                },
                _ = shutdown.changed() => break,
            }
        }
        drop(tx);
        let _ = writer.await;
        let _ = client.disconnect().await;
        Ok(())
    }
}

fn max_payload() -> usize {
    Kind::ALL
        .iter()
        .map(|k| k.max_bytes())
        .max()
        .unwrap_or(1 << 20)
}

/// How often the list of revoked agents is read again: a revocation made with the CLI takes
/// effect within this time, without a restart.
const REVOKED_REFRESH: Duration = Duration::from_secs(2);

/// Public keys of enrolled agents, looked up in the store on first sight. A negative answer
/// is asked again after a minute, so an agent enrolled while the collector runs is accepted
/// without a restart. Revoked agents are re-read every [`REVOKED_REFRESH`]: one small query,
/// not one per agent.
struct Keys {
    store: Arc<dyn Store>,
    known: HashMap<String, (Option<PublicKey>, Instant)>,
    revoked: std::collections::HashSet<String>,
    revoked_read: Option<Instant>,
}

impl Keys {
    /// Whether `agent_id` is revoked. While the store cannot answer, the last list stands.
    async fn is_revoked(&mut self, agent_id: &str) -> bool {
        if self
            .revoked_read
            .is_none_or(|at| at.elapsed() >= REVOKED_REFRESH)
        {
            match self.store.revoked_agents().await {
                Ok(ids) => {
                    for id in &ids {
                        self.known.remove(id);
                    }
                    self.revoked = ids.into_iter().collect();
                    self.revoked_read = Some(Instant::now());
                }
                Err(e) => tracing::error!("cannot read revoked agents: {e:#}"),
            }
        }
        self.revoked.contains(agent_id)
    }

    /// Never fails: while the store cannot answer, wait (the broker keeps the messages).
    async fn get(&mut self, agent_id: &str, tel: &Telemetry) -> Option<PublicKey> {
        if let Some((key, at)) = self.known.get(agent_id) {
            if key.is_some() || at.elapsed() < Duration::from_secs(60) {
                return key.clone();
            }
        }
        let mut wait = Duration::from_millis(200);
        let found = loop {
            match self.store.agent(agent_id).await {
                Ok(a) => break a.map(|a| a.public_key),
                Err(e) => {
                    tel.store_errors.inc();
                    tracing::error!("agent key lookup failed, retrying in {wait:?}: {e:#}");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }
        };
        self.known
            .insert(agent_id.to_owned(), (found.clone(), Instant::now()));
        found
    }
}

async fn writer(
    mut rx: mpsc::Receiver<Publish>,
    client: AsyncClient,
    store: Arc<dyn Store>,
    tel: Arc<Telemetry>,
    mut limiter: AgentLimiter,
) {
    let mut keys = Keys {
        store: store.clone(),
        known: HashMap::new(),
        revoked: Default::default(),
        revoked_read: None,
    };
    while let Some(first) = rx.recv().await {
        let mut publishes = vec![first];
        let deadline = tokio::time::Instant::now() + MAX_WAIT;
        while publishes.len() < MAX_BATCH {
            let until = deadline.min(tokio::time::Instant::now() + MAX_GAP);
            match tokio::time::timeout_at(until, rx.recv()).await {
                Ok(Some(p)) => publishes.push(p),
                _ => break,
            }
        }
        let received_at = chrono::Utc::now();
        let mut accepted: Vec<Accepted> = Vec::with_capacity(publishes.len());
        for p in &publishes {
            // The collector's own retained config (`crate::config_push`) comes back through
            // the wildcard subscription: not an agent's message, not a rejection. A signed
            // envelope on a config topic is an agent writing where it must not: rejected and
            // counted below like any other bad topic.
            if matches!(topic::parse(&p.topic), Ok((_, Kind::Config))) && !is_envelope(&p.payload) {
                continue;
            }
            let key = match topic::parse(&p.topic) {
                Ok((agent, _)) if keys.is_revoked(agent).await => {
                    tel.rejected(pantau_proto::RejectReason::Revoked.label());
                    tracing::warn!(
                        reason = "revoked",
                        "rejected message of revoked agent {agent} on {}",
                        p.topic
                    );
                    continue;
                }
                Ok((agent, _)) => keys.get(agent, &tel).await,
                Err(_) => None,
            };
            match decode(&p.topic, &p.payload, |_| key) {
                Ok(Verified { envelope, body }) => match limiter.check(&envelope.agent_id) {
                    Verdict::Pass => accepted.push(Accepted {
                        envelope,
                        body,
                        received_at,
                    }),
                    Verdict::Drop { log } => {
                        tel.dropped(&envelope.agent_id, RATE_LIMITED);
                        if log {
                            tracing::warn!(
                                agent = %envelope.agent_id,
                                "agent over its message rate limit ([ingest]); dropping its \
                                 messages (counted in pantau_ingest_dropped_total)"
                            );
                        }
                    }
                },
                Err(e) => {
                    tel.rejected(e.reason.label());
                    tracing::warn!(reason = e.reason.label(), "rejected message: {}", e.detail);
                }
            }
        }
        if !accepted.is_empty() {
            commit_until_done(&*store, &tel, &accepted).await;
        }
        // PUBACKs go out in the order the messages came in, as MQTT asks.
        for p in &publishes {
            if let Err(e) = client.ack(p).await {
                tracing::warn!("cannot acknowledge: {e}");
            }
        }
    }
}

/// Commit, retrying until the store takes it. Nothing is acknowledged before that, so a
/// store outage holds messages at the broker instead of losing them.
async fn commit_until_done(store: &dyn Store, tel: &Telemetry, batch: &[Accepted]) {
    let mut wait = Duration::from_millis(200);
    loop {
        let started = Instant::now();
        match store.commit(batch).await {
            Ok(outcomes) => {
                tel.commit.observe(started.elapsed().as_secs_f64());
                let committed = chrono::Utc::now();
                for (m, o) in batch.iter().zip(outcomes) {
                    match o {
                        Outcome::Stored => {
                            tel.messages
                                .get_or_create(&KindLabel {
                                    kind: m.envelope.kind.to_string(),
                                })
                                .inc();
                            let lag =
                                (m.received_at - m.envelope.ts).num_milliseconds() as f64 / 1000.0;
                            tel.lag.observe(lag.max(0.0));
                            let durable =
                                (committed - m.envelope.ts).num_milliseconds() as f64 / 1000.0;
                            tel.commit_lag.observe(durable.max(0.0));
                        }
                        Outcome::Duplicate => {
                            tel.duplicates.inc();
                            tracing::debug!(agent = %m.envelope.agent_id, seq = m.envelope.seq, "duplicate");
                        }
                        Outcome::Replay => {
                            tel.replays.inc();
                            tracing::warn!(agent = %m.envelope.agent_id, seq = m.envelope.seq, "replayed message refused");
                        }
                    }
                }
                return;
            }
            Err(e) => {
                tel.store_errors.inc();
                tracing::error!(
                    "storing a batch of {} failed, retrying in {wait:?}: {e:#}",
                    batch.len()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// True when `payload` is a JSON object carrying a signature, i.e. something an agent sent.
fn is_envelope(payload: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .is_some_and(|v| v.get("sig").is_some())
}
