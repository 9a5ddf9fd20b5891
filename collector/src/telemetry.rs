//! The collector's own Prometheus metrics, served at `/metrics`.
//!
//! | metric | type | labels | meaning |
//! |---|---|---|---|
//! | `pantau_ingest_messages_total` | counter | kind | messages stored |
//! | `pantau_ingest_rejected_total` | counter | reason | messages refused (never stored) |
//! | `pantau_ingest_dropped_total` | counter | agent, reason | verified messages dropped (`rate_limited`: over the per-agent limit); also in `rejected` |
//! | `pantau_ingest_duplicates_total` | counter | | redeliveries already stored |
//! | `pantau_ingest_replays_total` | counter | | seq older than retention remembers |
//! | `pantau_ingest_lag_seconds` | histogram | | receipt time minus the agent's `ts` |
//! | `pantau_ingest_commit_lag_seconds` | histogram | | commit time minus the agent's `ts`: publish to durable row |
//! | `pantau_ingest_commit_seconds` | histogram | | time of one batch commit |
//! | `pantau_ingest_store_errors_total` | counter | | failed commits (retried, never dropped) |
//! | `pantau_hosts` | gauge | opd, state | hosts online/offline per OPD (computed at scrape) |

use pantau_proto::{Kind, RejectReason};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AgentReasonLabel {
    pub agent: String,
    pub reason: String,
}

pub struct Telemetry {
    pub registry: Registry,
    pub messages: Family<KindLabel, Counter>,
    pub rejected: Family<ReasonLabel, Counter>,
    pub dropped: Family<AgentReasonLabel, Counter>,
    pub duplicates: Counter,
    pub replays: Counter,
    pub store_errors: Counter,
    pub lag: Histogram,
    pub commit_lag: Histogram,
    pub commit: Histogram,
}

impl Telemetry {
    pub fn new() -> Telemetry {
        let mut registry = Registry::with_prefix("pantau");
        let messages = Family::<KindLabel, Counter>::default();
        let rejected = Family::<ReasonLabel, Counter>::default();
        // Every label exists from the start, so a dashboard can tell zero from missing.
        for k in Kind::ALL
            .into_iter()
            .filter(|k| k.is_data() || *k == Kind::Status)
        {
            let _ = messages.get_or_create(&KindLabel {
                kind: k.to_string(),
            });
        }
        for r in RejectReason::ALL
            .iter()
            .map(|r| r.label())
            .chain([crate::ingest::RATE_LIMITED])
        {
            let _ = rejected.get_or_create(&ReasonLabel { reason: r.into() });
        }
        // Per agent: only agents that were ever limited get a series.
        let dropped = Family::<AgentReasonLabel, Counter>::default();
        let duplicates = Counter::default();
        let replays = Counter::default();
        let store_errors = Counter::default();
        let lag = Histogram::new(exponential_buckets(0.01, 4.0, 12));
        let commit = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        // Fine around the 2 s target of docs/scale.md, so a p99 can be read off it.
        let commit_lag = Histogram::new([
            0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0,
            300.0,
        ]);
        registry.register(
            "ingest_messages",
            "Messages stored, by kind",
            messages.clone(),
        );
        registry.register(
            "ingest_rejected",
            "Messages refused and never stored, by reason",
            rejected.clone(),
        );
        registry.register(
            "ingest_dropped",
            "Verified messages dropped unstored, by agent and reason (rate_limited)",
            dropped.clone(),
        );
        registry.register(
            "ingest_duplicates",
            "Redelivered messages that were already stored",
            duplicates.clone(),
        );
        registry.register(
            "ingest_replays",
            "Messages older than what retention remembers, refused",
            replays.clone(),
        );
        registry.register(
            "ingest_store_errors",
            "Batch commits that failed and were retried",
            store_errors.clone(),
        );
        registry.register(
            "ingest_lag_seconds",
            "Receipt time minus the agent's timestamp",
            lag.clone(),
        );
        registry.register(
            "ingest_commit_lag_seconds",
            "Commit time minus the agent's timestamp (publish to durable row)",
            commit_lag.clone(),
        );
        registry.register(
            "ingest_commit_seconds",
            "Duration of one batch commit",
            commit.clone(),
        );
        Telemetry {
            registry,
            messages,
            rejected,
            dropped,
            duplicates,
            replays,
            store_errors,
            lag,
            commit_lag,
            commit,
        }
    }

    pub fn rejected(&self, reason: &str) {
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: reason.into(),
            })
            .inc();
    }
}

impl Telemetry {
    /// A verified message of `agent` dropped for `reason`: counted per agent and with the
    /// rejects, so `pantau_ingest_rejected_total` stays the total of everything not stored.
    pub fn dropped(&self, agent: &str, reason: &str) {
        self.dropped
            .get_or_create(&AgentReasonLabel {
                agent: agent.into(),
                reason: reason.into(),
            })
            .inc();
        self.rejected(reason);
    }
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}
