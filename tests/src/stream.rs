//! A stream of signed envelopes from many enrolled identities, published by hand at a set
//! pace: for tests that must know exactly what was sent (the shared subscription, the kill
//! test), counted afterwards by `(agent_id, seq)` in the store.

use crate::{Collector, Publisher};
use chrono::Utc;
use pantau_proto::body::metrics::CpuUsage;
use pantau_proto::body::{MetricsBatch, Sample};
use pantau_proto::{topic, AgentKey, Envelope, Kind};
use std::time::{Duration, Instant};

pub struct SignedFleet {
    pub agents: Vec<(String, AgentKey)>,
}

impl SignedFleet {
    /// `n` identities `{prefix}-001`, ... with fresh keys.
    pub fn new(prefix: &str, n: usize) -> SignedFleet {
        SignedFleet {
            agents: (1..=n)
                .map(|i| (format!("{prefix}-{i:03}"), AgentKey::generate()))
                .collect(),
        }
    }

    /// Record every identity in `collector`'s store (`enroll import`), all in OPD 82.71.01.01.01.
    pub fn enroll(&self, collector: &Collector) {
        let rows: Vec<_> = self
            .agents
            .iter()
            .map(|(id, key)| {
                serde_json::json!({
                    "agent_id": id,
                    "opd": "82.71.01.01.01",
                    "public_key": key.public().to_base64(),
                })
            })
            .collect();
        let file = collector.dir().join("signed-fleet.json");
        std::fs::write(&file, serde_json::to_vec(&rows).unwrap()).unwrap();
        collector.cli(&["enroll", "import", file.to_str().unwrap()], None);
    }

    /// Agent `i`'s metrics envelope number `seq`, signed now: (topic, payload).
    pub fn envelope(&self, i: usize, seq: u64) -> (String, Vec<u8>) {
        let (id, key) = &self.agents[i];
        let now = Utc::now();
        let body = MetricsBatch {
            interval_s: 30,
            samples: vec![Sample {
                ts: now,
                cpu: Some(CpuUsage {
                    usage_pct: (seq % 100) as f64,
                    ..CpuUsage::default()
                }),
                ..Sample::default()
            }],
            spool: Default::default(),
        };
        let env = Envelope::sign(key, id, seq, now, Kind::Metrics, &body);
        (topic::topic(id, Kind::Metrics), env.to_bytes())
    }

    /// Publish seq 1..=`per_agent` of every agent (round robin over agents) at QoS 1, each
    /// acknowledged by the broker, at about `per_second`; returns how many were published.
    /// Runs on the calling thread: spawn it to act on the collectors meanwhile. `port` is
    /// the broker's (`Mosquitto::port`).
    pub fn publish(&self, port: u16, per_agent: u64, per_second: f64) -> u64 {
        let mut p = Publisher::connect_port(port, &format!("signed-fleet-{}", std::process::id()));
        let start = Instant::now();
        let mut sent = 0u64;
        for seq in 1..=per_agent {
            for i in 0..self.agents.len() {
                let (t, payload) = self.envelope(i, seq);
                p.publish(&t, payload);
                sent += 1;
                let due = start + Duration::from_secs_f64(sent as f64 / per_second);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
        }
        sent
    }
}
