//! PostgreSQL-only checks: what SQLite has no twin for (job leases across collectors, the
//! migration lock, the database refusing audit rewrites, connection errors). Everything
//! both stores share runs twice through `crate::both!` in the SQLite folder's test files.

use super::*;
use crate::store::accounts::AccountStore as _;
use crate::store::testing::pg_harness::PgServer;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn fresh() -> (String, PgStore) {
    let url = tokio::task::spawn_blocking(PgServer::fresh_database)
        .await
        .unwrap();
    let s = PgStore::open(&url).await.unwrap();
    (url, s)
}

#[tokio::test]
async fn two_collectors_race_for_a_job_and_exactly_one_runs_it() {
    let (url, a) = fresh().await;
    let b = PgStore::open(&url).await.unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let one = |s: PgStore| {
        let (runs, barrier) = (runs.clone(), barrier.clone());
        async move {
            barrier.wait().await;
            if let Some(lease) = s.try_job_lease("maintenance").await.unwrap() {
                runs.fetch_add(1, Ordering::SeqCst);
                // Hold it while the other tries.
                tokio::time::sleep(Duration::from_millis(500)).await;
                lease.release().await;
            }
        }
    };
    tokio::join!(one(a.clone()), one(b.clone()));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Released after the run: either may take it again; other jobs were never blocked.
    let again = b.try_job_lease("maintenance").await.unwrap();
    again.expect("free again once released").release().await;
    let _held = a.try_job_lease("maintenance").await.unwrap().unwrap();
    assert!(b.try_job_lease("reconciliation").await.unwrap().is_some());
}

#[tokio::test]
async fn when_the_holders_connection_dies_the_other_takes_over() {
    let (url, a) = fresh().await;
    let b = PgStore::open(&url).await.unwrap();
    let held = a.try_job_lease("reconciliation").await.unwrap().unwrap();
    assert!(b.try_job_lease("reconciliation").await.unwrap().is_none());
    // The holder's session dies as it would with a SIGKILLed collector: the server ends it.
    let c = b.conn().await.unwrap();
    let killed: i64 = c
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks
             WHERE locktype = 'advisory' AND granted
               AND ((classid::bigint << 32) | objid::bigint) = $1",
            &[&lease::key("reconciliation")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if b.try_job_lease("reconciliation").await.unwrap().is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "lease never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(held);
}

#[tokio::test]
async fn the_runner_skips_a_job_another_collector_holds() {
    let (url, a) = fresh().await;
    let b: Arc<dyn Store> = Arc::new(PgStore::open(&url).await.unwrap());
    let held = a.try_job_lease("policy check").await.unwrap().unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = tokio::sync::watch::channel(false);
    let trigger = Arc::new(tokio::sync::Notify::new());
    let r = runs.clone();
    let task = tokio::spawn(crate::jobs::every(
        b,
        "policy check",
        Duration::from_secs(3600),
        Some(trigger.clone()),
        rx,
        move || {
            let r = r.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        },
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "ran while another held the lease"
    );
    held.release().await;
    trigger.notify_one();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while runs.load(Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "never ran after release"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tx.send(true).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn the_audit_log_is_append_only_in_the_database_too() {
    let (_url, s) = fresh().await;
    s.append_audit(crate::store::accounts::AuditEntry::new(
        "budi", "flag.ack", "flag 1", "ok",
    ))
    .await
    .unwrap();
    let c = s.conn().await.unwrap();
    for sql in [
        "UPDATE audit_log SET actor = 'someone'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let e = c.execute(sql, &[]).await.unwrap_err();
        let e = format!("{e:#} {:?}", e.as_db_error().map(|d| d.message()));
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
}

#[tokio::test]
async fn several_collectors_migrate_one_database_once() {
    let url = tokio::task::spawn_blocking(PgServer::fresh_database)
        .await
        .unwrap();
    let (a, b) = tokio::join!(PgStore::open(&url), PgStore::open(&url));
    let (a, _b) = (a.unwrap(), b.unwrap());
    let c = a.conn().await.unwrap();
    let versions: Vec<i64> = c
        .query("SELECT version FROM schema_version", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions.len(), 1);
    assert!(versions[0] >= 10);
}

#[tokio::test]
async fn a_bad_url_or_an_unreachable_server_is_named_without_the_password() {
    let e = PgStore::open("postgres://u:secret@127.0.0.1:1/db")
        .await
        .err()
        .unwrap();
    let text = format!("{e:#}");
    assert!(
        text.contains("cannot connect to postgres://u:***@127.0.0.1:1/db"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
    let e = PgStore::open("postgres://u@host:notaport/db")
        .await
        .err()
        .unwrap();
    assert!(format!("{e:#}").contains("database.url"), "{e:#}");
}

/// The same messages into both stores give the same answers, byte for byte once serialized:
/// times, JSON documents, numbers, order (hosts without a hostname sort first, as in SQLite)
/// and ingest figures.
#[tokio::test]
async fn both_stores_answer_the_same_messages_identically() {
    use crate::store::testing::{open, Backend};
    use pantau_proto::body::metrics::{CpuUsage, MemoryUsage, MountUsage};
    use pantau_proto::body::{AgentState, Body, Inventory, MetricsBatch, Sample, Status};
    use pantau_proto::{AgentKey, Envelope, Kind};

    let t0 = DateTime::parse_from_rfc3339("2026-11-02T08:00:00+09:00")
        .unwrap()
        .with_timezone(&Utc);
    let keys: Vec<(String, AgentKey)> = ["pc-b", "pc-a", "pc-c"]
        .iter()
        .map(|id| (id.to_string(), AgentKey::generate()))
        .collect();
    let mut batch = Vec::new();
    let mut push = |key: &AgentKey, id: &str, seq: u64, kind: Kind, body: Body| {
        let json = match &body {
            Body::Inventory(i) => serde_json::to_value(i).unwrap(),
            Body::Metrics(m) => serde_json::to_value(m).unwrap(),
            Body::Status(s) => serde_json::to_value(s).unwrap(),
            _ => unreachable!(),
        };
        batch.push(Accepted {
            envelope: Envelope::sign(key, id, seq, t0, kind, &json),
            body,
            received_at: t0 + chrono::Duration::seconds(seq as i64),
        });
    };
    for (n, (id, key)) in keys.iter().enumerate() {
        if id != "pc-c" {
            let inv = Inventory {
                hostname: format!("host-{id}"),
                collected_at: Some(t0),
                ..Default::default()
            };
            push(key, id, 1, Kind::Inventory, Body::Inventory(Box::new(inv)));
        }
        let samples = (0..20)
            .map(|i| Sample {
                ts: t0 + chrono::Duration::seconds(30 * i),
                cpu: Some(CpuUsage {
                    usage_pct: (i * 7 + n as i64) as f64 / 3.0,
                    ..Default::default()
                }),
                memory: Some(MemoryUsage {
                    total_bytes: 1000,
                    used_bytes: 333 + i as u64,
                    ..Default::default()
                }),
                mounts: vec![MountUsage {
                    mount: "/".into(),
                    total_bytes: 100,
                    used_bytes: 61,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect();
        let m = MetricsBatch {
            interval_s: 30,
            samples,
            spool: Default::default(),
        };
        push(key, id, 3, Kind::Metrics, Body::Metrics(m));
        let status = Status {
            state: AgentState::Online,
            since: t0,
            agent_version: "0.1.0".into(),
            hostname: String::new(),
            roles: vec![],
            spool_queued: 0,
            spool_dropped_total: 3,
        };
        push(key, id, 4, Kind::Status, Body::Status(status));
    }
    let mut answers = Vec::new();
    for b in [Backend::Sqlite, Backend::Postgres] {
        let s = open(b).await;
        for (id, key) in &keys {
            s.enroll(&EnrolledAgent {
                agent_id: id.clone(),
                opd: if id == "pc-a" { "02" } else { "01" }.into(),
                public_key: key.public(),
                enrolled_at: t0,
            })
            .await
            .unwrap();
        }
        let outcomes = s.commit(&batch).await.unwrap();
        let again = s.commit(&batch[..2]).await.unwrap();
        s.maintain(t0 + chrono::Duration::hours(2), Retention::default())
            .await
            .unwrap();
        let mut out = vec![
            format!("{outcomes:?} {again:?}"),
            serde_json::to_string(&s.hosts().await.unwrap()).unwrap(),
            serde_json::to_string(&s.hosts_by_opd().await.unwrap()).unwrap(),
        ];
        for (id, _) in &keys {
            out.push(serde_json::to_string(&s.host(id).await.unwrap()).unwrap());
            for step in [30, 300, 3600] {
                let series = s
                    .series(id, t0, t0 + chrono::Duration::hours(1), step, &[])
                    .await
                    .unwrap();
                out.push(serde_json::to_string(&series).unwrap());
            }
        }
        answers.push(out);
    }
    for (sqlite, postgres) in answers[0].iter().zip(&answers[1]) {
        assert_eq!(sqlite, postgres);
    }
    assert!(answers[0][1].starts_with("[{\"agent_id\":\"pc-c\",\"hostname\":null"));
}
