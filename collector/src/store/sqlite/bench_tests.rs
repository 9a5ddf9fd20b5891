//! The whole reconciliation job at city-and-more scale: 50,000 register assets and 50,000
//! enrolled hosts in SQLite; load, match, store and flag. Not a pass/fail test (timings are
//! reported in docs/benchmarks.md, never asserted); run it with
//!
//! ```text
//! cargo test --release -p pantau-collector --lib bench_reconcile_job -- --ignored --nocapture
//! ```
//!
//! `bench_dashboard_db` writes the 10,000-host city the dashboard benchmark serves
//! (`tests/bench/dashboard-wrk.sh`) into `$PANTAU_BENCH_DATA/pantau.db`.

use super::*;
use crate::reconciler::Settings;
use rusqlite::params;
use std::time::Instant;

const N: usize = 50_000;
const OPDS: usize = 40;

fn fill(c: &mut Connection) -> anyhow::Result<()> {
    fill_city(c, N, OPDS)
}

/// `n` register assets and `n` enrolled hosts over `opds` OPDs (see `fill`'s shares), with
/// the latest CPU, memory and disk use the host list shows.
fn fill_city(c: &mut Connection, n: usize, opds: usize) -> anyhow::Result<()> {
    let tx = c.transaction()?;
    let now = Utc::now().to_rfc3339();
    {
        let mut asset = tx.prepare(
            "INSERT INTO assets (key, kode_lokasi, kode_barang, nomor_register, nama_barang, merk,
                                 tipe, nomor_pabrik, kondisi, ruangan, pemegang, keterangan, row,
                                 first_imported_at, updated_at)
             VALUES (?1, ?2, '1.3.2.10.01.02.001', ?3, 'P.C Unit', 'HP', 'ProDesk 400 G7', ?4,
                     'B', '', '', '', '{}', ?5, ?5)",
        )?;
        let mut agent = tx.prepare(
            "INSERT INTO agents (agent_id, opd, public_key, enrolled_at) VALUES (?1, ?2, '', ?3)",
        )?;
        let mut host = tx.prepare(
            "INSERT INTO hosts (agent_id, hostname, last_seen, facts, health)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for i in 0..n {
            let opd = format!("82.71.{:02}.01.01", i % opds);
            // 2 % of register rows repeat the previous row's serial (duplicates).
            let serial = if i % 50 == 1 { i - 1 } else { i };
            asset.execute(params![
                format!("{opd}|1.3.2.10.01.02.001|{:06}", i / opds + 1),
                opd,
                format!("{:06}", i / opds + 1),
                format!("5CD{serial:07}"),
                now
            ])?;
            let id = format!("pc{i:06}");
            agent.execute(params![id, opd, now])?;
            // 85 % report the registered serial, 5 % a placeholder, 10 % an unknown one.
            let host_serial = match i % 20 {
                0 => "To be filled by O.E.M.".to_string(),
                1 | 2 => format!("XX{i:08}"),
                _ => format!("5CD{i:07}"),
            };
            let facts = serde_json::json!({
                "serial": host_serial,
                "uuid": format!("{i:08x}-0000-4000-8000-{i:012x}"),
                "macs": [format!("3c:52:82:{:02x}:{:02x}:{:02x}", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff)],
                "vendor": "HP",
                "model": "HP ProDesk 400 G7 Microtower PC",
            });
            // 10 % have not reported for a month: their assets are silent.
            let seen = if i % 10 == 3 {
                (Utc::now() - chrono::Duration::days(30)).to_rfc3339()
            } else {
                now.clone()
            };
            let health = serde_json::json!({
                "health": { "disks": [{ "name": "sda", "smart_passed": true,
                                        "reallocated_sectors": if i % 97 == 0 { 8 } else { 0 } }] }
            });
            host.execute(params![
                id,
                format!("pc-{i}"),
                seen,
                facts.to_string(),
                health.to_string()
            ])?;
        }
    }
    tx.execute(
        "UPDATE hosts SET online = (abs(random()) % 10) != 0, os = 'Windows 10 Pro 22H2',
                ip = '10.' || (abs(random()) % 250) || '.' || (abs(random()) % 250) || '.10',
                cpu_pct = abs(random()) % 10000 / 100.0, mem_pct = abs(random()) % 10000 / 100.0,
                disk_pct = abs(random()) % 10000 / 100.0",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark fixture: run by tests/bench/dashboard-wrk.sh"]
async fn bench_dashboard_db() {
    let dir = std::path::PathBuf::from(
        std::env::var("PANTAU_BENCH_DATA").expect("PANTAU_BENCH_DATA: the data_dir to fill"),
    );
    let store = SqliteStore::open(&dir.join("pantau.db")).unwrap();
    store.write(|c| fill_city(c, 10_000, 60)).await.unwrap();
    let report = crate::reconciler::run_once(&store, &Settings::default())
        .await
        .unwrap();
    println!(
        "10,000 hosts in 60 OPDs: matched {} review {} unregistered {} silent {}, flags opened {}",
        report.matched, report.review, report.unregistered, report.silent, report.opened
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run by hand, see the module doc"]
async fn bench_reconcile_job() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("pantau.db")).unwrap();
    store.write(fill).await.unwrap();
    let settings = Settings::default();
    for run in 1..=3 {
        let t = Instant::now();
        let loaded = store.reconcile_inputs().await.unwrap();
        let load = t.elapsed();
        let t = Instant::now();
        let now = Utc::now();
        let mut hosts = loaded.hosts;
        for (h, rec) in hosts.iter_mut().zip(&loaded.health) {
            h.suggestion = rec.as_ref().map(|r| {
                crate::reconcile::condition::suggest(
                    &r.health,
                    r.battery.as_ref(),
                    now,
                    &settings.condition,
                )
            });
        }
        let inputs = crate::reconcile::Inputs {
            assets: loaded.assets,
            hosts,
            decisions: loaded.decisions,
            config: settings.rules.clone(),
            now,
        };
        let result = crate::reconcile::reconcile(&inputs);
        let engine = t.elapsed();
        let t = Instant::now();
        let report = crate::reconciler::run_once(&store, &settings)
            .await
            .unwrap();
        let total = t.elapsed();
        println!(
            "run {run}: load {:.0} ms, engine {:.0} ms ({} findings); whole job {:.0} ms \
             (load + engine + store + flags); matched {} review {} unregistered {} silent {} \
             opened {} resolved {}",
            load.as_secs_f64() * 1000.0,
            engine.as_secs_f64() * 1000.0,
            result.findings.len(),
            total.as_secs_f64() * 1000.0,
            report.matched,
            report.review,
            report.unregistered,
            report.silent,
            report.opened,
            report.resolved
        );
    }
}
