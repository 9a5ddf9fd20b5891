//! Mosquitto with the configuration `broker-config mosquitto` writes (issue 10): an agent's
//! certificate lets it write only under its own topics and read only its own config; a
//! revoked agent is refused by the broker (CRL) and by the collector (`revoked`); a forged or
//! replayed envelope sent with a valid agent's certificate is rejected by the collector.

use pantau_tests::secure::{rejected, SecureRig};
use pantau_tests::{prom_value, wait_until, PATIENCE};
use std::path::Path;
use std::time::Duration;

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn cert(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (dir.join("tls.pem"), dir.join("tls.key"))
}

#[test]
fn an_agent_writes_and_reads_only_its_own_topics() {
    let rig = SecureRig::start();
    let (a, a_dir) = rig.enrolled("82.71.01");
    let (b, _b_dir) = rig.enrolled("82.71.02");
    let (a_cert, a_key) = cert(&a_dir);
    let (c_cert, c_key) = rig.collector_cert();

    // The collector's account reads everything: start listening, then let A publish on its
    // own topic and on B's.
    let watcher = {
        let (c_cert, c_key) = (c_cert.clone(), c_key.clone());
        let rig_ref: &SecureRig = &rig;
        std::thread::scope(|s| {
            let h = s.spawn(move || rig_ref.sub_as(&c_cert, &c_key, "pantau/v1/+/metrics", 6));
            std::thread::sleep(Duration::from_secs(2));
            let own = rig.pub_as(
                &a_cert,
                &a_key,
                &format!("pantau/v1/{a}/metrics"),
                "from-a-own",
                false,
            );
            assert!(own.status.success(), "{}", out(&own));
            let other = rig.pub_as(
                &a_cert,
                &a_key,
                &format!("pantau/v1/{b}/metrics"),
                "from-a-as-b",
                false,
            );
            // Mosquitto acknowledges and drops it (MQTT 3.1.1 has no refusal code).
            let _ = other;
            h.join().unwrap()
        })
    };
    let seen = out(&watcher);
    assert!(
        seen.contains("from-a-own"),
        "the collector's account saw nothing: {seen}"
    );
    assert!(
        !seen.contains("from-a-as-b"),
        "A published under B's topic: {seen}\n{}",
        rig.broker_log()
    );

    // Config: the collector publishes each agent's config retained, once there is one. A
    // reads its own...
    let set = rig.curl(&[
        "--fail",
        "-X",
        "PUT",
        "-H",
        "content-type: application/json",
        "--data",
        r#"{"net": {"interval_s": 45}}"#,
        "/api/v1/agent-config/global",
    ]);
    assert!(set.status.success(), "{}", out(&set));
    let own_config = format!("pantau/v1/{a}/config");
    let got_own = wait_until(PATIENCE, || {
        out(&rig.sub_as(&a_cert, &a_key, &own_config, 2)).contains(&own_config)
    });
    assert!(got_own, "A never read its own config");
    // ...and B's config exists (the collector reads it back)...
    let b_config = format!("pantau/v1/{b}/config");
    assert!(
        out(&rig.sub_as(&c_cert, &c_key, &b_config, 2)).contains(&b_config),
        "no retained config for B"
    );
    // ...but A cannot read it, nor anything of B's by wildcard.
    let stolen = out(&rig.sub_as(&a_cert, &a_key, &b_config, 3));
    assert!(!stolen.contains(&b_config), "A read B's config: {stolen}");
    let wild = out(&rig.sub_as(&a_cert, &a_key, "pantau/v1/#", 3));
    assert!(!wild.contains(&b), "A read B's topics by wildcard: {wild}");
    // A may not write its own config either (only the collector publishes configs).
    let _ = rig.pub_as(&a_cert, &a_key, &own_config, "{\"evil\":1}", true);
    let after = out(&rig.sub_as(&c_cert, &c_key, &own_config, 2));
    assert!(
        !after.contains("evil"),
        "A overwrote its own config: {after}"
    );

    // No certificate, no connection.
    let anon = std::process::Command::new("mosquitto_sub")
        .args(["-h", "localhost", "-p", &rig.mqtt_port.to_string()])
        .args(["--cafile", &rig.pki.join("ca.pem").display().to_string()])
        .args(["-t", "pantau/v1/#", "-W", "2"])
        .output()
        .unwrap();
    assert!(!anon.status.success(), "connected without a certificate");
}

#[test]
fn a_revoked_agent_is_refused_by_the_broker_and_the_collector() {
    let rig = SecureRig::start();
    let (a, a_dir) = rig.enrolled("82.71.01");
    let (b, b_dir) = rig.enrolled("82.71.01");
    let mut agent = rig.run_agent(&a_dir);
    assert!(
        wait_until(PATIENCE, || rig.messages(&a).unwrap_or(0) >= 2),
        "no data from {a}:\n{}",
        agent.log_text()
    );
    let r = rig.cli(&["agents", "revoke", &a, "--reason", "PC dicuri"]);
    assert!(r.status.success(), "{}", out(&r));
    assert!(out(&r).contains("crl.pem rewritten"), "{}", out(&r));
    // The agent's existing connection stays up until the broker drops it; whatever it still
    // sends is refused by the collector and counted.
    assert!(
        wait_until(PATIENCE, || rejected(&rig.metrics(), "revoked") >= 2.0),
        "no revoked rejections:\n{}",
        rig.metrics()
    );
    // The broker reads the new CRL on reload and refuses the certificate from then on.
    rig.reload_broker();
    agent.kill();
    let (a_cert, a_key) = cert(&a_dir);
    let refused = rig.pub_as(
        &a_cert,
        &a_key,
        &format!("pantau/v1/{a}/metrics"),
        "x",
        false,
    );
    assert!(
        !refused.status.success(),
        "the broker accepted a revoked certificate: {}\n{}",
        out(&refused),
        rig.broker_log()
    );
    // Another agent is unaffected.
    let (b_cert, b_key) = cert(&b_dir);
    let fine = rig.pub_as(
        &b_cert,
        &b_key,
        &format!("pantau/v1/{b}/metrics"),
        "x",
        false,
    );
    assert!(fine.status.success(), "{}", out(&fine));
    let list = out(&rig.cli(&["agents", "list"]));
    let line = list
        .lines()
        .find(|l| l.starts_with(&a))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        line.contains("revoked") && line.contains("PC dicuri"),
        "{line}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with(&b) && l.contains("active")),
        "{list}"
    );
}

#[test]
fn forged_and_replayed_envelopes_from_a_valid_agent_are_rejected() {
    let rig = SecureRig::start();
    let (a, a_dir) = rig.enrolled("82.71.01");
    let mut agent = rig.run_agent(&a_dir);
    assert!(
        wait_until(PATIENCE, || rig.messages(&a).unwrap_or(0) >= 2),
        "no data from {a}:\n{}",
        agent.log_text()
    );
    // A real envelope of A, as the collector's account sees it.
    let (c_cert, c_key) = rig.collector_cert();
    let topic = format!("pantau/v1/{a}/metrics");
    let captured = out(&rig.sub_as(&c_cert, &c_key, &topic, 4));
    let payload = captured
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{topic} ")))
        .unwrap_or_else(|| panic!("captured nothing: {captured}"))
        .to_owned();
    agent.kill();
    std::thread::sleep(Duration::from_secs(2));
    let stored = rig.messages(&a).unwrap();
    let m0 = rig.metrics();
    let (dup0, bad0) = (
        prom_value(&m0, "pantau_ingest_duplicates_total", &[]),
        rejected(&m0, "bad_signature"),
    );
    let (a_cert, a_key) = cert(&a_dir);

    // Replayed: the same bytes again, through A's own valid connection.
    let r = rig.pub_as(&a_cert, &a_key, &topic, &payload, false);
    assert!(r.status.success(), "{}", out(&r));
    // Altered: a later seq under the old signature.
    let mut env: serde_json::Value = serde_json::from_str(&payload).unwrap();
    env["seq"] = (env["seq"].as_u64().unwrap() + 1_000_000).into();
    let r = rig.pub_as(&a_cert, &a_key, &topic, &env.to_string(), false);
    assert!(r.status.success(), "{}", out(&r));
    // Forged: signed with a key that is not A's.
    let forged = pantau_proto::Envelope::sign(
        &pantau_proto::AgentKey::generate(),
        &a,
        2_000_000,
        chrono::Utc::now(),
        pantau_proto::Kind::Metrics,
        &env["body"],
    );
    let r = rig.pub_as(
        &a_cert,
        &a_key,
        &topic,
        &serde_json::to_string(&forged).unwrap(),
        false,
    );
    assert!(r.status.success(), "{}", out(&r));

    let counted = wait_until(Duration::from_secs(30), || {
        let m = rig.metrics();
        prom_value(&m, "pantau_ingest_duplicates_total", &[]) >= dup0 + 1.0
            && rejected(&m, "bad_signature") >= bad0 + 2.0
    });
    assert!(counted, "not counted:\n{}", rig.metrics());
    assert_eq!(rig.messages(&a).unwrap(), stored, "something was stored");
}
