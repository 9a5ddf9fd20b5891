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
                drop(lease);
            }
        }
    };
    tokio::join!(one(a.clone()), one(b.clone()));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    // Released after the run: either may take it again; other jobs were never blocked.
    assert!(b.try_job_lease("maintenance").await.unwrap().is_some());
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
    drop(held);
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
