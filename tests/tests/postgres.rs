//! The collector on PostgreSQL (issue 9), end to end: a real `pantau-collector serve` whose
//! `[database] url` names the PostgreSQL this test starts (initdb on a free port, never the
//! server on 5432), a real Mosquitto, and `pantau-sim` agents publishing signed reports.
//! Enrollment and the register go in through the CLI (which opens the same store), the data
//! arrives in PostgreSQL's tables, the API shows it, reconciliation runs under its job lease,
//! and a dashboard page renders from it.

use pantau_tests::fleet::{two_opds, HOST_A, HOST_B};
use pantau_tests::postgres::PgServer;
use pantau_tests::{get_json, get_text, wait_until, Collector, Mosquitto, PATIENCE};

#[test]
fn a_collector_on_postgresql_stores_serves_and_renders_what_agents_send() {
    let url = PgServer::fresh_database();
    let broker = Mosquitto::start();
    let collector = Collector::start_with(&broker, &format!("\n[database]\nurl = {url:?}\n"));
    let _fleet = two_opds(&broker, &collector);

    // In PostgreSQL itself: the enrolled agents, the hosts' inventories, metrics points, the
    // register and a reconciliation run, and nothing in a SQLite file.
    let agents = PgServer::psql(&url, "SELECT agent_id FROM agents ORDER BY agent_id");
    assert_eq!(agents, format!("{HOST_A}\n{HOST_B}"));
    let stored = wait_until(PATIENCE, || {
        PgServer::psql(
            &url,
            "SELECT count(*) FROM hosts WHERE hostname IS NOT NULL AND cpu_pct IS NOT NULL",
        ) == "2"
    });
    assert!(stored, "inventory and metrics of both hosts in PostgreSQL");
    let points: i64 = PgServer::psql(&url, "SELECT count(*) FROM points")
        .parse()
        .unwrap();
    assert!(points > 0);
    assert_eq!(PgServer::psql(&url, "SELECT count(*) FROM assets"), "2");
    let runs: i64 = PgServer::psql(&url, "SELECT count(*) FROM reconcile_runs")
        .parse()
        .unwrap();
    assert!(runs >= 1, "reconciliation stored its run");
    assert!(
        !collector.data_dir().join("pantau.db").exists(),
        "SQLite must not be used when [database] url is set"
    );
    // Every message stored once: the message index has no gaps for what the API counts.
    let host = get_json(&collector.url(&format!("/api/v1/hosts/{HOST_A}")));
    assert_eq!(host["ingest"]["missing"], 0, "{host}");
    let messages = PgServer::psql(
        &url,
        &format!("SELECT count(*) FROM messages WHERE agent_id = '{HOST_A}'"),
    );
    assert!(
        host["ingest"]["messages"].as_u64().unwrap() <= messages.parse::<u64>().unwrap(),
        "{host} vs {messages}"
    );

    // The API reads the same rows.
    let hosts = collector.hosts();
    assert_eq!(hosts.len(), 2, "{hosts:?}");
    assert!(hosts.iter().all(|h| h["online"] == true), "{hosts:?}");
    let lines = get_json(&collector.url("/api/v1/assets"));
    assert!(lines.to_string().contains("SN-A-0001"), "{lines}");

    // A dashboard page renders from PostgreSQL: the overview lists both hosts.
    let page = get_text(&collector.url("/"));
    assert!(page.contains("Ringkasan"), "{page}");
    assert!(page.contains(HOST_A) && page.contains(HOST_B), "{page}");
    let log = collector.log();
    assert!(log.contains("postgres://postgres@127.0.0.1"), "{log}");
}
