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

use crate::ingest_limit::{AgentLimiter, IngestLimits};
use crate::ingest_verify::{Checked, Verifier};
use crate::store::{Accepted, Outcome, Store};
use crate::telemetry::{KindLabel, Telemetry};
use pantau_agent::config::BrokerConfig;
use pantau_agent::link::BrokerAddr;
use pantau_proto::Kind;
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, Publish, QoS, Transport};
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
pub use crate::ingest_verify::RATE_LIMITED;

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

/// Two stages side by side: while one batch commits, the next one gathers and is verified.
/// The broker keeps sending while the commit runs (up to its in-flight window for this
/// client: docs/scale.md), so neither the fsync nor the signatures stall the stream.
async fn writer(
    rx: mpsc::Receiver<Publish>,
    client: AsyncClient,
    store: Arc<dyn Store>,
    tel: Arc<Telemetry>,
    limiter: AgentLimiter,
) {
    // One batch verified ahead of the commit: more would only hold messages in memory that
    // the broker holds anyway.
    let (checked_tx, mut checked_rx) = mpsc::channel::<Checked>(1);
    let mut verifier = Verifier::new(store.clone(), limiter, tel.clone());
    let verify = async move {
        let mut rx = rx;
        while let Some(batch) = gather(&mut rx).await {
            let checked = verifier.check(batch).await;
            if checked_tx.send(checked).await.is_err() {
                break;
            }
        }
    };
    let commit = async move {
        while let Some(Checked {
            publishes,
            accepted,
        }) = checked_rx.recv().await
        {
            if !accepted.is_empty() {
                commit_until_done(&*store, &tel, Arc::new(accepted)).await;
            }
            // PUBACKs go out in the order the messages came in, as MQTT asks.
            for p in &publishes {
                if let Err(e) = client.ack(p).await {
                    tracing::warn!("cannot acknowledge: {e}");
                }
            }
        }
    };
    tokio::join!(verify, commit);
}

/// The next batch: what has arrived, then more until [`MAX_BATCH`], a [`MAX_GAP`] pause in
/// arrivals, or [`MAX_WAIT`] after the first. `None` once ingest stops.
async fn gather(rx: &mut mpsc::Receiver<Publish>) -> Option<Vec<Publish>> {
    let first = rx.recv().await?;
    let mut batch = vec![first];
    let deadline = tokio::time::Instant::now() + MAX_WAIT;
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(p) => {
                batch.push(p);
                continue;
            }
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            Err(mpsc::error::TryRecvError::Empty) => {}
        }
        let until = deadline.min(tokio::time::Instant::now() + MAX_GAP);
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(p)) => batch.push(p),
            _ => break,
        }
    }
    Some(batch)
}

/// Commit, retrying until the store takes it. Nothing is acknowledged before that, so a
/// store outage holds messages at the broker instead of losing them.
async fn commit_until_done(store: &dyn Store, tel: &Telemetry, batch: Arc<Vec<Accepted>>) {
    let mut wait = Duration::from_millis(200);
    loop {
        let started = Instant::now();
        match store.commit_shared(batch.clone()).await {
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
