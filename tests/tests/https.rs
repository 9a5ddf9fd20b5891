//! HTTPS end to end: `pantau-collector serve` with `[http] tls_cert` and `tls_key`, spoken to
//! with curl (what an operator's script would use). The API answers over TLS to a client that
//! trusts the CA and to nobody who does not; plain HTTP gets no page; the session cookie is
//! `Secure`; a client that connects and never handshakes does not hold up the next one; a
//! half-given or mismatched certificate stops `serve` with a message naming the file.

use pantau_tests::process::{free_port, Proc};
use pantau_tests::tls::TestPki;
use pantau_tests::{bin, wait_until, Mosquitto};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const PASSWORD: &str = "https-test-password";

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "5"])
        .args(args)
        .output()
        .expect("run curl (Debian's curl package)")
}

/// HTTP status curl saw, or its exit code as a negative number when there was no answer.
fn status(args: &[&str]) -> i32 {
    let out = curl(&[args, &["-o", "/dev/null", "-w", "%{http_code}"]].concat());
    match out.status.code() {
        Some(0) => String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(-1),
        Some(c) => -c,
        None => -1000,
    }
}

fn write_config(dir: &Path, broker: &Mosquitto, port: u16, tls: &str) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let config = dir.join("collector.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[mqtt]\nurl = {:?}\nclient_id = \"https-{port}\"\n\n\
             [http]\nlisten = \"127.0.0.1:{port}\"\n{tls}",
            data.display().to_string(),
            broker.url(),
        ),
    )
    .unwrap();
    config
}

fn add_admin(config: &Path) {
    let mut child = Command::new(bin("pantau-collector"))
        .args([
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .arg("--config")
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn api_and_dashboard_over_https() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::create(dir.path(), "web");
    let port = free_port();
    let config = write_config(
        dir.path(),
        &broker,
        port,
        &format!(
            "tls_cert = {:?}\ntls_key = {:?}\n",
            pki.server_cert.display().to_string(),
            pki.server_key.display().to_string()
        ),
    );
    add_admin(&config);
    let mut proc = Proc::new("pantau-collector", dir.path().join("collector.log"));
    let mut cmd = Command::new(bin("pantau-collector"));
    cmd.arg("serve").arg("--config").arg(&config);
    proc.spawn(cmd);

    let ca = pki.ca_cert.display().to_string();
    let base = format!("https://127.0.0.1:{port}");
    let health = format!("{base}/api/v1/health");
    let up = wait_until(Duration::from_secs(20), || {
        proc.assert_running();
        status(&["--cacert", &ca, &health]) == 200
    });
    assert!(up, "no HTTPS answer; log:\n{}", proc.log_text());

    // Authenticated API over TLS.
    let auth = format!("admin:{PASSWORD}");
    let hosts = format!("{base}/api/v1/hosts");
    assert_eq!(status(&["--cacert", &ca, "-u", &auth, &hosts]), 200);
    assert_eq!(status(&["--cacert", &ca, &hosts]), 401);

    // A client that does not trust the CA gets no answer (curl 60: certificate problem).
    assert_eq!(status(&[&health]), -60, "untrusted certificate accepted");
    // Plain HTTP on the HTTPS port gets no page at all.
    let plain = status(&[&format!("http://127.0.0.1:{port}/api/v1/health")]);
    assert!(plain < 0, "plain HTTP answered with status {plain}");

    // A connection that never sends a ClientHello does not block the next client.
    let stalled = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(status(&["--cacert", &ca, &health]), 200);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "a stalled handshake held up another client for {:?}",
        started.elapsed()
    );
    drop(stalled);

    // The session cookie of a login over HTTPS is Secure.
    let out = curl(&[
        "--cacert",
        &ca,
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-H",
        "content-type: application/json",
        "--data",
        &format!("{{\"name\":\"admin\",\"password\":\"{PASSWORD}\"}}"),
        &format!("{base}/login"),
    ]);
    let headers = String::from_utf8_lossy(&out.stdout).to_lowercase();
    let cookie = headers
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie in:\n{headers}"));
    assert!(cookie.contains("; secure"), "{cookie}");
    assert!(cookie.contains("httponly"), "{cookie}");
    proc.terminate(Duration::from_secs(10));
}

fn serve_fails(config: &Path) -> String {
    let out = Command::new(bin("pantau-collector"))
        .arg("serve")
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve started with a bad TLS setup");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_bad_certificate_setup_stops_serve_with_the_reason() {
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let a = TestPki::create(dir.path(), "a");
    let b = TestPki::create(dir.path(), "b");
    let cert = a.server_cert.display().to_string();

    let half = write_config(
        dir.path(),
        &broker,
        free_port(),
        &format!("tls_cert = {cert:?}\n"),
    );
    let err = serve_fails(&half);
    assert!(
        err.contains("tls_cert and http.tls_key go together"),
        "{err}"
    );

    let wrong_key = b.server_key.display().to_string();
    let mismatched = write_config(
        dir.path(),
        &broker,
        free_port(),
        &format!("tls_cert = {cert:?}\ntls_key = {wrong_key:?}\n"),
    );
    let err = serve_fails(&mismatched);
    assert!(err.contains("do not belong together"), "{err}");
    assert!(err.contains("a-server.pem"), "{err}");

    let missing = write_config(
        dir.path(),
        &broker,
        free_port(),
        &format!("tls_cert = \"/nonexistent/cert.pem\"\ntls_key = {wrong_key:?}\n"),
    );
    let err = serve_fails(&missing);
    assert!(err.contains("/nonexistent/cert.pem"), "{err}");
}
