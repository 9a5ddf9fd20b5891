//! Token enrollment end to end (issue 10): a Pantau CA from `pki init`, Mosquitto from
//! `broker-config mosquitto`, the collector over HTTPS, and the real `pantau-agent enroll`.
//! An enrolled agent reports over mqtts with its own client certificate; a wrong, expired,
//! used or revoked token, a wrong CA fingerprint and an unreachable collector each fail with
//! a sentence saying so and leave nothing behind; two PCs racing for a single-use token: one
//! wins.

use pantau_tests::secure::SecureRig;
use pantau_tests::{free_port, wait_until, PATIENCE};
use std::path::Path;
use std::time::Duration;

const OPD: &str = "82.71.03.02.01";

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none())
}

#[test]
fn an_enrolled_agent_reports_over_mqtts_with_its_own_certificate() {
    let rig = SecureRig::start();
    let (id, dir) = rig.enrolled(OPD);
    assert!(id.starts_with(&format!("{OPD}-")), "{id}");
    for f in ["agent.toml", "agent.key", "tls.key", "tls.pem", "ca.pem"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["agent.key", "tls.key"] {
            let mode = std::fs::metadata(dir.join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }
    let toml = std::fs::read_to_string(dir.join("agent.toml")).unwrap();
    assert!(
        toml.contains(&format!("url = \"mqtts://localhost:{}\"", rig.mqtt_port)),
        "{toml}"
    );
    // The certificate names the agent: the broker's user name for the ACL.
    let subject = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-in"])
        .arg(dir.join("tls.pem"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&subject.stdout).contains(&format!("CN = {id}")),
        "{subject:?}"
    );

    let mut agent = rig.run_agent(&dir);
    let arrived = wait_until(PATIENCE, || {
        agent.assert_running();
        rig.messages(&id).unwrap_or(0) >= 3
    });
    assert!(arrived, "no data from {id}:\n{}", agent.log_text());
    let host = rig.get_json(&format!("/api/v1/hosts/{id}"));
    assert_eq!(host["opd"], OPD, "the token's OPD, not a claim: {host}");
    // Mosquitto saw the agent's certificate CN as its user name.
    assert!(
        rig.broker_log().contains(&format!("u'{id}'")),
        "{}",
        rig.broker_log()
    );
    // The enrollment is in the audit log, with the token and the host name.
    let audit = rig.get_json("/api/v1/audit?action=agent.enroll");
    let line = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["target"] == id.as_str())
        .unwrap_or_else(|| panic!("no audit line for {id}: {audit}"));
    assert_eq!(line["outcome"], "ok");
    let list = String::from_utf8_lossy(&rig.cli(&["enroll", "token", "list"]).stdout).into_owned();
    assert!(
        list.contains("1/1") && list.contains("token_used"),
        "{list}"
    );
    agent.kill();
}

#[test]
fn refused_enrollments_say_why_and_write_nothing() {
    let rig = SecureRig::start();
    let fp = rig.fingerprint.clone();
    let scratch = tempfile::tempdir().unwrap();
    let try_enroll = |name: &str, token: &str, fp: Option<&str>, lang: &str| {
        let dir = scratch.path().join(name);
        let out = rig.enroll(&dir, token, fp, lang);
        assert!(!out.status.success(), "{name}: enrolled anyway");
        assert!(is_empty(&dir), "{name}: files were written");
        stderr(&out)
    };

    let e = try_enroll("wrong", "pte_not-a-real-token", Some(&fp), "id");
    assert!(e.contains("token pendaftaran salah"), "{e}");
    let e = try_enroll("wrong-en", "pte_not-a-real-token", Some(&fp), "en");
    assert!(e.contains("wrong or unknown enrollment token"), "{e}");

    let short = rig.token(OPD, &["--expires", "2s"]);
    std::thread::sleep(Duration::from_secs(3));
    let e = try_enroll("expired", &short, Some(&fp), "id");
    assert!(e.contains("sudah kedaluwarsa"), "{e}");

    let once = rig.token(OPD, &[]);
    let first = scratch.path().join("first");
    assert!(rig.enroll(&first, &once, Some(&fp), "id").status.success());
    let e = try_enroll("reused", &once, Some(&fp), "id");
    assert!(e.contains("sudah terpakai"), "{e}");
    let e = try_enroll("reused-en", &once, Some(&fp), "en");
    assert!(e.contains("already been used"), "{e}");

    let cut = rig.token(OPD, &["--uses", "5"]);
    let list = String::from_utf8_lossy(&rig.cli(&["enroll", "token", "list"]).stdout).into_owned();
    let id = list
        .lines()
        .find(|l| l.contains("0/5"))
        .and_then(|l| l.split('\t').next())
        .unwrap_or_else(|| panic!("{list}"))
        .to_owned();
    assert!(rig
        .cli(&["enroll", "token", "revoke", &id])
        .status
        .success());
    let e = try_enroll("revoked", &cut, Some(&fp), "id");
    assert!(e.contains("sudah dicabut"), "{e}");

    // A good token, but the collector is not who the fingerprint says.
    let good = rig.token(OPD, &[]);
    let e = try_enroll("mismatch", &good, Some(&"ab".repeat(32)), "id");
    assert!(e.contains("TIDAK COCOK") && e.contains(&fp), "{e}");
    let e = try_enroll("mismatch-en", &good, Some(&"ab".repeat(32)), "en");
    assert!(e.contains("fingerprint MISMATCH"), "{e}");
    // Without a pin, the platform's roots do not know the Pantau CA.
    let e = try_enroll("unpinned", &good, None, "en");
    assert!(e.contains("not trusted"), "{e}");
    // Nobody listening.
    let dir = scratch.path().join("unreachable");
    let out = std::process::Command::new(pantau_tests::bin("pantau-agent"))
        .args(["enroll", &format!("https://127.0.0.1:{}", free_port())])
        .args(["--token", &good, "--ca-fingerprint", &fp, "--config-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("tidak dapat dihubungi"),
        "{}",
        stderr(&out)
    );
    // The good token was never used by those attempts.
    let ok_dir = scratch.path().join("good");
    let out = rig.enroll(&ok_dir, &good, Some(&fp), "id");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Terdaftar sebagai"));
    // An enrolled folder is never overwritten.
    let again = rig.token(OPD, &[]);
    let out = rig.enroll(&ok_dir, &again, Some(&fp), "id");
    assert!(stderr(&out).contains("sudah ada"), "{}", stderr(&out));
    let refused = rig.get_json("/api/v1/audit?action=agent.enroll");
    let n = refused
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "refused")
        .count();
    assert!(n >= 5, "refusals in the audit log: {refused}");
}

#[test]
fn two_pcs_racing_for_a_single_use_token_one_wins() {
    let rig = SecureRig::start();
    let token = rig.token(OPD, &[]);
    let scratch = tempfile::tempdir().unwrap();
    let spawn = |name: &str| {
        std::process::Command::new(pantau_tests::bin("pantau-agent"))
            .args(["enroll", &rig.collector_url(), "--token", &token])
            .args(["--ca-fingerprint", &rig.fingerprint, "--config-dir"])
            .arg(scratch.path().join(name))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let racers: Vec<_> = (0..4).map(|i| spawn(&format!("pc{i}"))).collect();
    let outs: Vec<_> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let won = outs.iter().filter(|o| o.status.success()).count();
    assert_eq!(won, 1, "{outs:?}");
    for o in outs.iter().filter(|o| !o.status.success()) {
        assert!(stderr(o).contains("sudah terpakai"), "{}", stderr(o));
    }
    let agents = String::from_utf8_lossy(&rig.cli(&["agents", "list"]).stdout).into_owned();
    assert_eq!(
        agents.lines().filter(|l| l.starts_with(OPD)).count(),
        1,
        "{agents}"
    );
}

#[test]
fn plain_http_is_refused_and_attempts_are_rate_limited() {
    use pantau_tests::{post_json, Collector, Mosquitto};
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    pantau_tests::secure::ok(
        &pantau_tests::bin("pantau-collector"),
        &["pki", "init", "--dir", &pki.display().to_string()],
    );
    let enroll = |extra: &str| {
        format!(
            "\n[enroll]\npki_dir = {:?}\nbroker_url = \"mqtts://localhost:8883\"\n{extra}",
            pki.display().to_string()
        )
    };
    let body = serde_json::json!({"token": "pte_x", "public_key": "x", "csr": "x"});

    // Without [http] tls_cert the token would cross the network in clear text: refused.
    let b1 = Mosquitto::start();
    let strict = Collector::start_with(&b1, &enroll(""));
    let (code, v) = post_json(&strict.plain_url("/api/v1/enroll"), &body);
    assert_eq!((code, v["code"].as_str()), (403, Some("plain_http")), "{v}");

    // Allowed for a test, and limited per address like logins.
    let b2 = Mosquitto::start();
    let loose = Collector::start_with(&b2, &enroll("allow_plain_http = true\nper_minute_ip = 2\n"));
    let url = loose.plain_url("/api/v1/enroll");
    let answers: Vec<(u16, serde_json::Value)> = (0..3).map(|_| post_json(&url, &body)).collect();
    let (code, v) = &answers[0];
    assert_eq!(
        (*code, v["code"].as_str()),
        (400, Some("bad_request")),
        "{answers:?}"
    );
    // A bad body names the field.
    assert!(
        v["error"].as_str().unwrap().starts_with("public_key:"),
        "{v}"
    );
    let (code, v) = &answers[2];
    assert_eq!(
        (*code, v["code"].as_str()),
        (429, Some("rate_limited")),
        "{answers:?}"
    );
}
