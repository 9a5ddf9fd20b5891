//! Where the collector's time per message goes, stage by stage, for the envelopes the ingest
//! benchmark sends (`tests/bench/ingest-ratio.sh`: a simulated office PC's metrics sample,
//! ~1.1 KB, 200 agents): decode and verify one envelope, and commit batches to a fresh
//! SQLite file (`synchronous = FULL`, as served). One thread, no broker: the figures say
//! what one core can do, which the end-to-end ratio alone cannot.
//!
//! `cargo bench -p pantau-collector --bench ingest_stages`. Five runs each; min and median.

use pantau_agent::source::Source;
use pantau_collector::store::sqlite::SqliteStore;
use pantau_collector::store::{Accepted, EnrolledAgent, Store};
use pantau_proto::body::MetricsBatch;
use pantau_proto::envelope::decode;
use pantau_proto::{topic, AgentKey, Envelope, Kind};
use std::sync::Arc;
use std::time::Instant;

const AGENTS: usize = 200;
const MESSAGES: usize = 20_000;
const BATCH: usize = 500;
const RUNS: usize = 5;

fn main() {
    let keys: Vec<(String, AgentKey)> = (0..AGENTS)
        .map(|i| (format!("bench-{i:05}"), AgentKey::generate()))
        .collect();
    let mut sources: Vec<_> = (0..AGENTS)
        .map(|i| pantau_agent::sim::SimSource::new(i as u64 + 1, "0101"))
        .collect();
    let wire: Vec<(String, Vec<u8>)> = (0..MESSAGES)
        .map(|k| {
            let i = k % AGENTS;
            let (id, key) = &keys[i];
            let body = MetricsBatch {
                interval_s: 30,
                samples: vec![sources[i].sample()],
                spool: Default::default(),
            };
            let env = Envelope::sign(
                key,
                id,
                1 + (k / AGENTS) as u64,
                chrono::Utc::now(),
                Kind::Metrics,
                &body,
            );
            (topic::topic(id, Kind::Metrics), env.to_bytes())
        })
        .collect();
    let bytes: usize = wire.iter().map(|w| w.1.len()).sum();
    println!(
        "{MESSAGES} envelopes, {} bytes each on average",
        bytes / MESSAGES
    );

    let key_of = |t: &str| {
        let (agent, _) = topic::parse(t).unwrap();
        let i: usize = agent.trim_start_matches("bench-").parse().unwrap();
        Some(keys[i].1.public())
    };
    let mut accepted = Vec::new();
    report("decode + verify", RUNS, || {
        accepted = wire
            .iter()
            .map(|(t, p)| {
                let v = decode(t, p, |_| key_of(t)).expect("valid");
                Accepted {
                    envelope: v.envelope,
                    body: v.body,
                    received_at: chrono::Utc::now(),
                }
            })
            .collect();
    });
    let accepted = Arc::new(accepted);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/var/tmp".into()))
            .unwrap();
    let mut run = 0;
    report(&format!("SQLite commit, batches of {BATCH}"), RUNS, || {
        run += 1;
        let store = SqliteStore::open(&dir.path().join(format!("run-{run}.db"))).unwrap();
        rt.block_on(async {
            for (id, key) in &keys {
                store
                    .enroll(&EnrolledAgent {
                        agent_id: id.clone(),
                        opd: "0101".into(),
                        public_key: key.public(),
                        enrolled_at: chrono::Utc::now(),
                    })
                    .await
                    .unwrap();
            }
            let started = Instant::now();
            for chunk in accepted.chunks(BATCH) {
                store.commit_shared(Arc::new(chunk.to_vec())).await.unwrap();
            }
            started.elapsed()
        })
    });
}

/// Run `f` `runs` times; print min and median per message. `f` may return its own measured
/// duration (to leave setup out), else the whole call is timed.
fn report<R: MaybeDuration>(name: &str, runs: usize, mut f: impl FnMut() -> R) {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let r = f();
            r.duration().unwrap_or_else(|| t.elapsed()).as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let per = |s: f64| s / MESSAGES as f64 * 1e6;
    println!(
        "{name:<40} min {:>7.1} µs/msg  median {:>7.1} µs/msg  ({:.0} msg/s on one core at the min)",
        per(times[0]),
        per(times[runs / 2]),
        MESSAGES as f64 / times[0]
    );
}

trait MaybeDuration {
    fn duration(&self) -> Option<std::time::Duration>;
}
impl MaybeDuration for () {
    fn duration(&self) -> Option<std::time::Duration> {
        None
    }
}
impl MaybeDuration for std::time::Duration {
    fn duration(&self) -> Option<std::time::Duration> {
        Some(*self)
    }
}
