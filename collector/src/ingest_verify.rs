//! The verify stage of ingest: a batch of MQTT publishes in, the envelopes that passed every
//! check out (topic, size, schema, the agent's enrolled and unrevoked key, its signature, its
//! rate limit), every rejection counted and logged.
//!
//! Checking a signature and parsing an envelope is the costliest per-message work of the
//! collector, and it needs nothing but the payload and the key: a large batch is split over
//! the machine's cores, while the previous batch commits ([`crate::ingest`] runs the two
//! stages side by side). Key lookups and the rate limit stay sequential and in arrival order.

use crate::ingest_limit::{AgentLimiter, Verdict};
use crate::store::{Accepted, Store};
use crate::telemetry::Telemetry;
use pantau_proto::envelope::{decode, DecodeError, Verified};
use pantau_proto::{topic, Kind, PublicKey};
use rumqttc::Publish;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The reason label of messages dropped by the per-agent rate limit.
pub const RATE_LIMITED: &str = "rate_limited";

/// Below this many messages a batch is checked on one thread: starting workers would cost
/// more than it saves.
const PARALLEL_FROM: usize = 64;

/// How often the list of revoked agents is read again: a revocation made with the CLI takes
/// effect within this time, without a restart.
const REVOKED_REFRESH: Duration = Duration::from_secs(2);

/// A batch after checking: every publish (all are acknowledged once the batch is stored) and
/// the envelopes to store, in arrival order.
pub struct Checked {
    pub publishes: Vec<Publish>,
    pub accepted: Vec<Accepted>,
}

/// What the sequential pre-pass decided for one publish before the parallel decode.
enum Pre {
    /// Not an agent's message (the collector's own retained config): neither stored nor
    /// counted.
    Skip,
    /// Already rejected and counted (revoked agent).
    Rejected,
    /// Decode and verify with this key (`None`: not enrolled; decode says so).
    Check(Option<PublicKey>),
}

pub struct Verifier {
    keys: Keys,
    limiter: AgentLimiter,
    tel: Arc<Telemetry>,
    workers: usize,
}

impl Verifier {
    pub fn new(store: Arc<dyn Store>, limiter: AgentLimiter, tel: Arc<Telemetry>) -> Verifier {
        Verifier {
            keys: Keys {
                store,
                known: HashMap::new(),
                revoked: HashSet::new(),
                revoked_read: None,
            },
            limiter,
            tel,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        }
    }

    pub async fn check(&mut self, publishes: Vec<Publish>) -> Checked {
        let received_at = chrono::Utc::now();
        let mut pre = Vec::with_capacity(publishes.len());
        for p in &publishes {
            pre.push(self.pre(p).await);
        }
        let workers = self.workers;
        let (publishes, decoded) =
            tokio::task::spawn_blocking(move || decode_all(publishes, pre, workers))
                .await
                .expect("envelope decoding panicked");
        let mut accepted = Vec::with_capacity(decoded.len());
        for d in decoded.into_iter().flatten() {
            match d {
                Ok(Verified { envelope, body }) => match self.limiter.check(&envelope.agent_id) {
                    Verdict::Pass => accepted.push(Accepted {
                        envelope,
                        body,
                        received_at,
                    }),
                    Verdict::Drop { log } => {
                        self.tel.dropped(&envelope.agent_id, RATE_LIMITED);
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
                    self.tel.rejected(e.reason.label());
                    tracing::warn!(reason = e.reason.label(), "rejected message: {}", e.detail);
                }
            }
        }
        Checked {
            publishes,
            accepted,
        }
    }

    async fn pre(&mut self, p: &Publish) -> Pre {
        let parsed = topic::parse(&p.topic);
        // The collector's own retained config (`crate::config_push`) comes back through the
        // wildcard subscription: not an agent's message, not a rejection. A signed envelope
        // on a config topic is an agent writing where it must not: rejected by decode.
        if matches!(parsed, Ok((_, Kind::Config))) && !is_envelope(&p.payload) {
            return Pre::Skip;
        }
        match parsed {
            Ok((agent, _)) if self.keys.is_revoked(agent).await => {
                self.tel
                    .rejected(pantau_proto::RejectReason::Revoked.label());
                tracing::warn!(
                    reason = "revoked",
                    "rejected message of revoked agent {agent} on {}",
                    p.topic
                );
                Pre::Rejected
            }
            Ok((agent, _)) => Pre::Check(self.keys.get(agent, &self.tel).await),
            Err(_) => Pre::Check(None),
        }
    }
}

type Decoded = Option<Result<Verified, DecodeError>>;

/// Decode and verify every publish marked [`Pre::Check`], on up to `workers` threads,
/// results in the publishes' order.
fn decode_all(
    publishes: Vec<Publish>,
    pre: Vec<Pre>,
    workers: usize,
) -> (Vec<Publish>, Vec<Decoded>) {
    let one = |p: &Publish, pre: &Pre| match pre {
        Pre::Check(key) => Some(decode(&p.topic, &p.payload, |_| key.clone())),
        Pre::Skip | Pre::Rejected => None,
    };
    let decoded = if publishes.len() < PARALLEL_FROM || workers < 2 {
        publishes.iter().zip(&pre).map(|(p, k)| one(p, k)).collect()
    } else {
        let chunk = publishes.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let parts: Vec<_> = publishes
                .chunks(chunk)
                .zip(pre.chunks(chunk))
                .map(|(ps, ks)| {
                    scope.spawn(move || {
                        ps.iter()
                            .zip(ks)
                            .map(|(p, k)| one(p, k))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|w| w.join().expect("envelope decoding worker panicked"))
                .collect()
        })
    };
    (publishes, decoded)
}

/// Public keys of enrolled agents, looked up in the store on first sight. A negative answer
/// is asked again after a minute, so an agent enrolled while the collector runs is accepted
/// without a restart. Revoked agents are re-read every [`REVOKED_REFRESH`]: one small query,
/// not one per agent.
struct Keys {
    store: Arc<dyn Store>,
    known: HashMap<String, (Option<PublicKey>, Instant)>,
    revoked: HashSet<String>,
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

/// True when `payload` is a JSON object carrying a signature, i.e. something an agent sent.
fn is_envelope(payload: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()
        .is_some_and(|v| v.get("sig").is_some())
}
