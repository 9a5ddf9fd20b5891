//! Fills a database for `tests/bench/report.sh`: 5,000 register assets in 60 OPDs (PCs,
//! laptops, printers, network devices), 4,500 agents matched by serial through a real
//! reconciliation, and October 2026 of hourly rollups (cpu, mem, disk; 08:00–15:59 WIT every
//! day) plus gateway and one e-Gov check per OPD. Rollups are written with SQL, not through
//! ingest: 3.7 million rows through `commit` would make the setup, not the report, the
//! benchmark. Not a test; run through the script:
//!
//! ```text
//! PANTAU_BENCH_DIR=/tmp/x cargo test -p pantau-collector --lib bench_report_fill -- --ignored
//! ```

use crate::report::period::{Period, Zone};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use rusqlite::params;

const ASSETS: usize = 5000;
const OPDS: usize = 60;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark setup: run by tests/bench/report.sh"]
async fn bench_report_fill() {
    let dir =
        std::path::PathBuf::from(std::env::var("PANTAU_BENCH_DIR").expect("PANTAU_BENCH_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pantau.db");
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path).unwrap();
    let mut csv = String::from("kode_lokasi,nama_opd,kode_barang,nama_barang,nomor_register,merk,tipe,tahun_perolehan,nomor_pabrik,kondisi,ruangan,pemegang\n");
    for i in 0..ASSETS {
        let o = i % OPDS;
        let (kode, nama) = match i % 10 {
            0 => ("1.3.2.10.01.02.002", "Lap Top"),
            1 => ("1.3.2.10.02.03.003", "Printer"),
            2 if i % 20 == 2 => ("1.3.2.10.02.04.024", "Switch"),
            _ => ("1.3.2.10.01.02.001", "P.C Unit"),
        };
        let kondisi = ["B", "B", "B", "B", "B", "B", "KB", "RR", "B", "RB"][i % 10];
        csv += &format!(
            "82.71.{:02}.01.01,OPD {o},{kode},{nama},{:06},HP,ProDesk 400 G7,{},SN{i:07},{kondisi},Ruang {},Staf {}\n",
            o,
            i / OPDS + 1,
            2016 + (i % 10),
            i % 7,
            i % 13
        );
    }
    let parsed = crate::register::parse_csv("bench.csv", csv.as_bytes()).unwrap();
    store
        .import_register(&parsed.rows, "bench.csv", false)
        .await
        .unwrap();
    let oct = Period::parse("2026-10", Zone::Wit).unwrap();
    let (from, days) = (oct.start().timestamp(), (oct.hours() / 24) as i64);
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("BEGIN").unwrap();
    {
        let mut agent = c
            .prepare("INSERT INTO agents (agent_id, opd, public_key, enrolled_at) VALUES (?1, ?2, '', '2026-01-01T00:00:00+00:00')")
            .unwrap();
        let mut host = c
            .prepare(
                "INSERT INTO hosts (agent_id, hostname, last_seen, facts) VALUES (?1, ?1, ?2, ?3)",
            )
            .unwrap();
        let mut roll = c
            .prepare("INSERT INTO rollups (res, agent_id, name, bucket, n, sum, min, max) VALUES (3600, ?1, ?2, ?3, 1, ?4, ?4, ?4)")
            .unwrap();
        let now = chrono::Utc::now().to_rfc3339();
        for i in 0..ASSETS {
            // 90 % of assets run an agent; printers and switches are not expected to.
            if i % 10 == 1 || (i % 20 == 2) || i % 10 == 5 {
                continue;
            }
            let id = format!("pc{i:05}");
            let opd = format!("82.71.{:02}.01.01", i % OPDS);
            agent.execute(params![id, opd]).unwrap();
            let facts = serde_json::json!({ "serial": format!("SN{i:07}"), "vendor": "HP", "model": "HP ProDesk 400 G7" });
            host.execute(params![id, now, facts.to_string()]).unwrap();
            // 3 % never reported in October.
            if i % 33 == 7 {
                continue;
            }
            for d in 0..days {
                for h in 8..16 {
                    let t = from + d * 86_400 + h * 3600;
                    let k = (d * 8 + h) as usize + i;
                    roll.execute(params![id, "cpu", t, 5.0 + ((k * 37) % 90) as f64])
                        .unwrap();
                    roll.execute(params![id, "mem", t, 30.0 + ((k * 11) % 60) as f64])
                        .unwrap();
                    roll.execute(params![id, "disk", t, 40.0 + (i % 55) as f64])
                        .unwrap();
                    if i % 50 < 2 {
                        roll.execute(params![id, "net_loss:gateway", t, (k % 4) as f64])
                            .unwrap();
                        roll.execute(params![
                            id,
                            "http_up:sipd",
                            t,
                            if k.is_multiple_of(9) { 0.0 } else { 1.0 }
                        ])
                        .unwrap();
                    }
                }
            }
        }
    }
    c.execute_batch("COMMIT").unwrap();
    let run = crate::reconciler::run_once(&store, &Default::default())
        .await
        .unwrap();
    println!(
        "filled {}: {} assets, {} hosts, matched {}",
        path.display(),
        run.assets,
        run.hosts,
        run.matched
    );
}
