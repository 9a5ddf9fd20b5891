//! How big the SQLite file gets per host and month under the default retention.
//!
//! `cargo bench -p pantau-collector --bench retention_size` (PANTAU_BENCH_HOSTS, default 4;
//! PANTAU_BENCH_DAYS, default 62). Writes simulated history into a fresh store through the
//! store's own `commit`, as ingest does: every host a metrics sample every 30 s (a simulated
//! office PC's, following office hours) and its inventory once a day; and runs the
//! maintenance job (rollups and retention, `Retention::default()`) every simulated hour, as
//! `serve` does every minute. Prints the file's size at each simulated week: the first
//! `raw_days` fill the raw tables, after that the file grows only by what retention keeps
//! longer (rollups, the message index). docs/scale.md reports the figures.

use chrono::{Duration, TimeZone, Utc};
use pantau_agent::source::Source;
use pantau_collector::store::sqlite::SqliteStore;
use pantau_collector::store::{Accepted, EnrolledAgent, Retention, Store};
use pantau_proto::body::{Body, MetricsBatch};
use pantau_proto::{AgentKey, Envelope, Kind};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bytes in use (pages minus free pages) and the file's size.
fn sizes(db: &std::path::Path) -> (u64, u64) {
    let c = rusqlite::Connection::open(db).expect("open for size");
    let q = |p: &str| -> u64 {
        c.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0))
            .expect(p) as u64
    };
    let page = q("page_size");
    let used = (q("page_count") - q("freelist_count")) * page;
    let file = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    (used, file)
}

fn main() -> anyhow::Result<()> {
    let hosts = env("PANTAU_BENCH_HOSTS", 4);
    let days = env("PANTAU_BENCH_DAYS", 62) as i64;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("pantau.db");
    let store = SqliteStore::open(&db)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let keep = Retention::default();
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
    let key = AgentKey::generate();
    let ids: Vec<String> = (1..=hosts).map(|i| format!("size-{i:04}")).collect();
    let mut sources: Vec<_> = (0..hosts)
        .map(|i| pantau_agent::sim::SimSource::new(i as u64 + 1, "0101"))
        .collect();
    for id in &ids {
        rt.block_on(store.enroll(&EnrolledAgent {
            agent_id: id.clone(),
            opd: "82.71.01.01.01".into(),
            public_key: key.public(),
            enrolled_at: start,
        }))?;
    }
    println!(
        "{hosts} hosts, a sample every 30 s, inventory daily, retention {keep:?}\n\
         | day | in use (MB) | file (MB) | in use per host (MB) |\n|---|---|---|---|"
    );
    let mut seq = vec![0u64; hosts];
    let steps_per_hour = 120;
    let mut batch = Vec::new();
    let mut per_week = Vec::new();
    for hour in 0..days * 24 {
        for step in 0..steps_per_hour {
            let t = start + Duration::hours(hour) + Duration::seconds(step * 30);
            for (h, id) in ids.iter().enumerate() {
                seq[h] += 1;
                let (kind, body) = if hour % 24 == 8 && step == 0 {
                    let mut inv = sources[h].inventory();
                    inv.collected_at = Some(t);
                    (Kind::Inventory, Body::Inventory(Box::new(inv)))
                } else {
                    let mut s = sources[h].sample();
                    s.ts = t;
                    let b = MetricsBatch {
                        interval_s: 30,
                        samples: vec![s],
                        spool: Default::default(),
                    };
                    (Kind::Metrics, Body::Metrics(b))
                };
                let json = match &body {
                    Body::Inventory(i) => serde_json::to_value(i)?,
                    Body::Metrics(m) => serde_json::to_value(m)?,
                    _ => unreachable!(),
                };
                batch.push(Accepted {
                    envelope: Envelope::sign(&key, id, seq[h], t, kind, &json),
                    body,
                    received_at: t + Duration::milliseconds(300),
                });
            }
            if batch.len() >= 500 {
                rt.block_on(store.commit(&batch))?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            rt.block_on(store.commit(&batch))?;
            batch.clear();
        }
        let now = start + Duration::hours(hour + 1);
        rt.block_on(store.maintain(now, keep))?;
        if (hour + 1) % (24 * 7) == 0 || hour + 1 == days * 24 {
            let day = (hour + 1) / 24;
            let (used, file) = sizes(&db);
            let mb = |b: u64| b as f64 / 1e6;
            println!(
                "| {day} | {:.1} | {:.1} | {:.2} |",
                mb(used),
                mb(file),
                mb(used) / hosts as f64
            );
            per_week.push((day, used));
        }
    }
    // Growth once the raw window is full: the last four weeks, per host, per 30 days.
    if let (Some(&(d1, u1)), Some(&(d0, u0))) = (
        per_week.last(),
        per_week
            .iter()
            .rev()
            .find(|(d, _)| *d <= per_week.last().unwrap().0 - 28),
    ) {
        if d0 as u32 >= keep.raw_days {
            let per_month = (u1 - u0) as f64 / 1e6 / hosts as f64 / (d1 - d0) as f64 * 30.0;
            println!(
                "steady growth after day {}: {per_month:.2} MB per host per month",
                keep.raw_days
            );
        }
    }
    Ok(())
}
