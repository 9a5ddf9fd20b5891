//! A real agent reports through a real Mosquitto to a real collector, and the HTTP API shows
//! this very machine: its hostname, its memory, its CPU load, and whether the agent is up.

use chrono::{SecondsFormat, Utc};
use pantau_tests::{
    get_json, kernel_hostname, mem_total_bytes, prom_has, wait_for, wait_until, Agent,
    AgentOptions, Collector, Mosquitto, PATIENCE,
};
use serde_json::Value;

#[test]
fn host_inventory_and_metrics_reach_the_api() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let mut agent = Agent::spawn(&collector, &broker, "e2e-report", &AgentOptions::default());
    let id = agent.id().to_owned();

    // The host is listed under this machine's hostname.
    let hostname = kernel_hostname();
    let mut last = None;
    let listed = wait_until(PATIENCE, || {
        agent.assert_running();
        last = collector.host_summary(&id);
        last.as_ref()
            .is_some_and(|h| h["hostname"].as_str() == Some(hostname.as_str()))
    });
    assert!(
        listed,
        "/api/v1/hosts never listed {id} with hostname {hostname:?}; last entry: {last:?}"
    );
    let summary = last.unwrap();
    assert_eq!(summary["opd"], "0101", "{summary}");
    assert!(summary["last_seen"].is_string(), "last_seen: {summary}");

    // The inventory is this machine's: MemTotal of /proc/meminfo, in bytes.
    let detail = wait_for(PATIENCE, || {
        collector
            .host(&id)
            .filter(|h| h["inventory"]["memory"]["total_bytes"].is_u64())
    })
    .unwrap_or_else(|| panic!("/api/v1/hosts/{id} never had inventory.memory.total_bytes"));
    assert_eq!(
        detail["inventory"]["memory"]["total_bytes"].as_u64(),
        Some(mem_total_bytes()),
        "inventory.memory.total_bytes differs from /proc/meminfo MemTotal × 1024"
    );
    assert_eq!(detail["inventory"]["hostname"], hostname.as_str());
    assert_eq!(detail["agent_id"], id.as_str());
    assert!(detail["ingest"]["messages"].as_u64() >= Some(1), "{detail}");

    // Metrics arrive: the summary carries the latest CPU load...
    let mut last = None;
    let cpu = wait_until(PATIENCE, || {
        last = collector.host_summary(&id);
        last.as_ref().is_some_and(|h| h["cpu_pct"].is_number())
    });
    assert!(cpu, "cpu_pct stayed null; last entry: {last:?}");
    let cpu_pct = last.unwrap()["cpu_pct"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&cpu_pct), "cpu_pct {cpu_pct}");

    // ...and the metrics endpoint has a `cpu` series at raw resolution.
    let from = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let to = (Utc::now() + chrono::Duration::minutes(5)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let url = collector.url(&format!(
        "/api/v1/hosts/{id}/metrics?from={from}&to={to}&step=1"
    ));
    let mut last = Value::Null;
    let has_cpu = wait_until(PATIENCE, || {
        last = get_json(&url);
        series(&last, "cpu").is_some_and(|points| !points.is_empty())
    });
    assert!(
        has_cpu,
        "GET {url} never had a non-empty `cpu` series: {last}"
    );
    for p in series(&last, "cpu").unwrap() {
        let row = p
            .as_array()
            .unwrap_or_else(|| panic!("point {p} is not [ts, avg, min, max]"));
        assert_eq!(row.len(), 4, "point {p} is not [ts, avg, min, max]");
        let (avg, min, max) = (row[1].as_f64(), row[2].as_f64(), row[3].as_f64());
        assert!(min <= avg && avg <= max, "point {p}: min <= avg <= max");
    }
    assert!(last["resolution"].is_string(), "{last}");

    // The collector counts what it stored.
    let text = collector.prometheus();
    assert!(
        prom_has(&text, "pantau_ingest_messages_total"),
        "/metrics lacks pantau_ingest_messages_total:\n{text}"
    );
    let stored = pantau_tests::prom_value(&text, "pantau_ingest_messages_total", &[]);
    assert!(stored >= 2.0, "pantau_ingest_messages_total is {stored}");

    agent.stop();
}

#[test]
fn online_follows_the_agent() {
    let broker = Mosquitto::start();
    let collector = Collector::start(&broker);
    let mut agent = Agent::spawn(&collector, &broker, "e2e-status", &AgentOptions::default());
    let id = agent.id().to_owned();

    collector.wait_online(&id, true, "after the agent started");
    // A clean stop says goodbye: the host goes offline without waiting for a keep-alive.
    agent.stop();
    collector.wait_online(&id, false, "after the agent was stopped with SIGTERM");
    agent.start();
    collector.wait_online(&id, true, "after the agent was started again");
    // A dead agent says nothing; the broker's last will reports it offline.
    agent.kill();
    collector.wait_online(&id, false, "after the agent was SIGKILLed (last will)");
}

#[test]
fn a_frozen_agent_goes_offline_and_comes_back() {
    let broker = Mosquitto::start();
    let mut collector = Collector::start(&broker);
    let mut agent = Agent::spawn(&collector, &broker, "e2e-frozen", &AgentOptions::default());
    let id = agent.id().to_owned();
    collector.wait_online(&id, true, "after the agent started");
    let before = collector.wait_ingest(&id, "had 2 complete messages", |i| {
        i.complete() && i.messages >= 2
    });

    // Connection open, no traffic: after 1.5 × keep_alive_s (5 s) the broker gives up and
    // publishes the last will.
    agent.freeze();
    collector.wait_online(&id, false, "while the agent was frozen (keep-alive expiry)");
    agent.thaw();
    collector.wait_online(&id, true, "after the agent was thawed");
    agent.assert_running();
    let ingest = collector.wait_ingest(&id, "received data after the thaw, without a gap", |i| {
        i.complete() && i.last_seq > before.last_seq.map(|s| s + 2)
    });
    assert_eq!(ingest.missing, 0, "{ingest:?}");
}

/// Points of the series called `name` in a metrics answer.
fn series<'a>(answer: &'a Value, name: &str) -> Option<&'a Vec<Value>> {
    answer["series"]
        .as_array()?
        .iter()
        .find(|s| s["name"] == name)?
        .get("points")?
        .as_array()
}
