//! `pantau-collector backup` while the collector ingests, and `restore` into a new data
//! directory: the restored database equals the source at the backup point, table by table
//! and row by row, and a collector started on it serves.

use pantau_proto::{Envelope, Kind};
use pantau_tests::fleet::run_ok;
use pantau_tests::process::{bin, Proc};
use pantau_tests::{prom_value, wait_until, Agent, AgentOptions, Collector, Mosquitto, Publisher};
use rusqlite::types::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const STORED: &str = "pantau_ingest_messages_total";
const FLOODER: &str = "backup-load";

/// Every table of the database at `db` (sqlite_* excluded), each row rendered as text,
/// rows sorted: equal dumps mean equal contents.
fn dump(db: &Path) -> BTreeMap<String, Vec<String>> {
    let c = rusqlite::Connection::open(db).expect("open database");
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    // One read transaction: all tables as of one commit.
    c.execute_batch("BEGIN").unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let mut stmt = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let vals: Vec<Value> = (0..n).map(|i| r.get(i)).collect::<Result<_, _>>()?;
                Ok(format!("{vals:?}"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.insert(t, rows);
    }
    c.execute_batch("COMMIT").unwrap();
    out
}

/// The seqs stored for `agent` in the `messages` index of `db`, ascending.
fn seqs(db: &Path, agent: &str) -> Vec<u64> {
    let c = rusqlite::Connection::open(db).unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut stmt = c
        .prepare("SELECT seq FROM messages WHERE agent_id = ?1 ORDER BY seq")
        .unwrap();
    stmt.query_map([agent], |r| r.get::<_, i64>(0).map(|s| s as u64))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn stored(collector: &Collector) -> f64 {
    prom_value(&collector.prometheus(), STORED, &[])
}

fn assert_same(
    what: &str,
    want: &BTreeMap<String, Vec<String>>,
    got: &BTreeMap<String, Vec<String>>,
) {
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>(),
        "{what}: tables differ"
    );
    for (table, rows) in want {
        let other = &got[table];
        assert!(
            rows == other,
            "{what}: table {table} differs: {} rows vs {}; first difference: {:?}",
            rows.len(),
            other.len(),
            rows.iter().zip(other).find(|(a, b)| a != b)
        );
    }
}

#[test]
fn backup_under_ingest_restores_every_table_and_serves() {
    let broker = Mosquitto::start();
    // Periodic jobs slowed down, so that only ingest writes; no rate limit on the load.
    let mut collector = Collector::start_configured(
        &broker,
        "maintain_interval_s = 3600\nreconcile_interval_s = 3600\npolicy_interval_s = 3600",
        "\n[ingest]\nagent_msgs_per_s = 0\n",
    );
    let db = collector.data_dir().join("pantau.db");

    // A real stream: simulated agents, one message a second each.
    let sim_dir = collector.dir().join("sim");
    let sim = |extra: &[&str]| {
        let mut cmd = Command::new(bin("pantau-sim"));
        cmd.args(["--agents", "20", "--opds", "4", "--interval", "1"])
            .arg("--broker")
            .arg(broker.url())
            .arg("--data")
            .arg(&sim_dir)
            .args(extra);
        cmd
    };
    run_ok(&mut sim(&["--enroll-only"]));
    let enrollment = sim_dir.join("enrollment.json");
    collector.cli(&["enroll", "import", enrollment.to_str().unwrap()], None);
    let mut fleet = Proc::new("pantau-sim", collector.dir().join("sim.log"));
    fleet.spawn(sim(&[]));

    // And a heavy one: an enrolled agent's key publishing signed messages back to back, so
    // commits are certain to happen while the backup copies.
    let loader = Agent::enroll(&collector, &broker, FLOODER, &AgentOptions::default());
    let key = loader.key();
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        let mut mqtt = Publisher::connect(&broker, "backup-load");
        std::thread::spawn(move || {
            let body = serde_json::json!({"interval_s": 1, "samples": []});
            let mut seq = 0u64;
            while !stop.load(Ordering::Relaxed) && seq < 200_000 {
                seq += 1;
                let env =
                    Envelope::sign(&key, FLOODER, seq, chrono::Utc::now(), Kind::Metrics, &body);
                mqtt.publish(&env.topic(), env.to_bytes());
                // A few hundred a second: a steady stream the broker need not drop.
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    assert!(
        wait_until(pantau_tests::PATIENCE, || stored(&collector) > 500.0),
        "ingest should be storing the load"
    );

    // 1. Backup under full ingest.
    let b1 = collector.dir().join("mid-stream.db");
    let before = stored(&collector);
    let out = collector.cli(&["backup", "--out", b1.to_str().unwrap()], None);
    let after = stored(&collector);
    assert!(out.contains("Cadangan selesai"), "{out}");
    assert!(
        after > before,
        "ingest went on while the backup ran: {before} -> {after}"
    );
    let in_backup = seqs(&b1, FLOODER);
    assert!(
        !in_backup.is_empty(),
        "the backup holds the load's messages"
    );

    // 2. A backup point that can be compared exactly: the stream paused (loader stopped,
    //    simulated agents frozen), ingest idle.
    stop.store(true, Ordering::Relaxed);
    load.join().expect("load thread");
    fleet.signal(libc::SIGSTOP);
    let mut last = stored(&collector);
    assert!(
        wait_until(pantau_tests::PATIENCE, || {
            std::thread::sleep(Duration::from_millis(1500));
            let now = stored(&collector);
            let idle = now == last;
            last = now;
            idle
        }),
        "ingest should go idle once the stream pauses"
    );
    let b2 = collector.dir().join("paused.db");
    let (mut source, mut again);
    let mut tries = 0;
    loop {
        source = dump(&db);
        collector.cli(&["backup", "--out", b2.to_str().unwrap()], None);
        again = dump(&db);
        tries += 1;
        if source == again || tries == 5 {
            break;
        }
    }
    assert_same(
        "source before and after the backup (nothing wrote)",
        &source,
        &again,
    );
    // The mid-stream backup is consistent as of one commit: the loader's messages are
    // committed in the order sent, so it holds exactly what the source holds up to its
    // highest seq (the broker may drop some of a flood, never reorder it).
    let high = *in_backup.last().unwrap();
    let later: Vec<u64> = seqs(&db, FLOODER)
        .into_iter()
        .filter(|s| *s <= high)
        .collect();
    assert!(
        in_backup == later,
        "mid-stream backup: {} seqs up to {high}, the source has {} there",
        in_backup.len(),
        later.len()
    );
    fleet.signal(libc::SIGCONT);

    // Restore both into new data directories, through the CLI.
    let mut restored = Collector::restored(&broker, &b2);
    let rdb = restored.data_dir().join("pantau.db");
    assert_same(
        "restored database vs source at the backup point",
        &source,
        &dump(&rdb),
    );
    let mid = Collector::restored(&broker, &b1);
    let mid_dump = dump(&mid.data_dir().join("pantau.db"));
    assert_same("mid-stream backup vs its restore", &dump(&b1), &mid_dump);

    // Restore refuses to overwrite, and refuses while a collector runs with the database.
    let again_out = Command::new(bin("pantau-collector"))
        .args(["restore", b2.to_str().unwrap(), "--config"])
        .arg(restored.config_path())
        .output()
        .unwrap();
    assert!(!again_out.status.success());
    assert!(
        String::from_utf8_lossy(&again_out.stderr).contains("--force"),
        "{}",
        String::from_utf8_lossy(&again_out.stderr)
    );
    let running = Command::new(bin("pantau-collector"))
        .args(["restore", b2.to_str().unwrap(), "--force", "--config"])
        .arg(collector.config_path())
        .output()
        .unwrap();
    assert!(
        !running.status.success(),
        "restore over a running collector must fail"
    );
    let said = String::from_utf8_lossy(&running.stderr);
    assert!(said.contains("sedang berjalan"), "{said}");

    // The restored collector starts, its users sign in (they came with the backup), and it
    // serves what was stored.
    collector.stop();
    drop(fleet);
    let started = Instant::now();
    restored.restart();
    let hosts = restored.hosts();
    assert!(
        hosts.iter().any(|h| h["agent_id"] == FLOODER),
        "restored collector lists the load's host: {hosts:?}"
    );
    assert!(
        hosts.len() >= 21,
        "every simulated host too: {} hosts",
        hosts.len()
    );
    let ingest = restored.ingest(FLOODER).expect("host detail");
    assert_eq!(
        ingest.messages as usize,
        source["messages"]
            .iter()
            .filter(|r| r.contains(FLOODER))
            .count()
    );
    eprintln!("restored collector serving after {:?}", started.elapsed());
}
