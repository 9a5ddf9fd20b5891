//! The production setup of issue 10 on free ports: a Pantau CA from `pki init`, Mosquitto
//! started from `broker-config mosquitto` (TLS, client certificates, CRL, ACL), and
//! `pantau-collector serve` over HTTPS with `[enroll]`, connected to the broker with its own
//! certificate. Agents enroll with the real `pantau-agent enroll`; MQTT clients are Debian's
//! `mosquitto_pub` / `mosquitto_sub` with certificates, as an attacker on the LAN would use.

use crate::process::{bin, free_port, port_open, wait_until, Proc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use tempfile::TempDir;

pub const ADMIN: (&str, &str) = ("admin", "pantau-test-admin");

pub struct SecureRig {
    // Processes first: killed before the directory goes.
    pub collector: Proc,
    pub broker: Proc,
    pub mqtt_port: u16,
    pub https_port: u16,
    pub fingerprint: String,
    pub config: PathBuf,
    pub pki: PathBuf,
    pub broker_conf: PathBuf,
    pub dir: TempDir,
}

/// Run a binary, returning its output (never panics on failure).
pub fn run(program: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut input = child.stdin.take().expect("stdin");
    let _ = input.write_all(stdin.unwrap_or("").as_bytes());
    drop(input);
    child.wait_with_output().expect("wait")
}

/// Stdout of a command that must succeed.
pub fn ok(program: &Path, args: &[&str]) -> String {
    let out = run(program, args, None);
    assert!(
        out.status.success(),
        "{} {args:?} failed:\n{}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

impl SecureRig {
    pub fn start() -> SecureRig {
        let dir = tempfile::Builder::new()
            .prefix("pantau-secure-")
            .tempdir()
            .expect("tempdir");
        let c = bin("pantau-collector");
        let pki = dir.path().join("pki");
        ok(
            &c,
            &["pki", "init", "--dir", &s(&pki), "--name", "Kota Uji"],
        );
        ok(
            &c,
            &[
                "pki",
                "issue",
                "server",
                "--dir",
                &s(&pki),
                "--dns",
                "localhost",
                "--ip",
                "127.0.0.1",
            ],
        );
        ok(&c, &["pki", "issue", "client", "--dir", &s(&pki)]);
        let shown = ok(&c, &["pki", "show", "--dir", &s(&pki)]);
        let fingerprint = shown
            .lines()
            .find_map(|l| l.strip_prefix("SHA-256 fingerprint: "))
            .expect("pki show prints the fingerprint")
            .trim()
            .to_owned();
        let mqtt_port = free_port();
        let broker_dir = dir.path().join("broker");
        ok(
            &c,
            &[
                "broker-config",
                "mosquitto",
                "--out",
                &s(&broker_dir),
                "--pki-dir",
                &s(&pki),
                "--listen",
                "127.0.0.1",
                "--port",
                &mqtt_port.to_string(),
            ],
        );
        let broker_conf = broker_dir.join("mosquitto.conf");
        // The generated file as is, plus what a test needs: a log, and no user switch.
        let mut conf = std::fs::read_to_string(&broker_conf).expect("read mosquitto.conf");
        conf.push_str(&format!(
            "\nlog_dest file {}\nlog_type all\nconnection_messages true\n",
            s(&broker_dir.join("mosquitto.log"))
        ));
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            conf.push_str("user root\n");
        }
        std::fs::write(&broker_conf, conf).expect("write mosquitto.conf");

        let https_port = free_port();
        let data = dir.path().join("data");
        let config = dir.path().join("collector.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = {data:?}\n\n[mqtt]\nurl = \"mqtts://localhost:{mqtt_port}\"\n\
                 client_id = \"pantau-collector\"\nca_file = {ca:?}\n\
                 client_cert_file = {cc:?}\nclient_key_file = {ck:?}\n\n\
                 [http]\nlisten = \"127.0.0.1:{https_port}\"\ntls_cert = {sc:?}\ntls_key = {sk:?}\n\n\
                 [enroll]\npki_dir = {pki:?}\nbroker_url = \"mqtts://localhost:{mqtt_port}\"\n",
                data = s(&data),
                ca = s(&pki.join("ca.pem")),
                cc = s(&pki.join("collector.pem")),
                ck = s(&pki.join("collector.key")),
                sc = s(&pki.join("server.pem")),
                sk = s(&pki.join("server.key")),
                pki = s(&pki),
            ),
        )
        .expect("write collector.toml");
        let out = run(
            &c,
            &[
                "user",
                "add",
                ADMIN.0,
                "--role",
                "admin",
                "--password-stdin",
                "--config",
                &s(&config),
            ],
            Some(&format!("{}\n", ADMIN.1)),
        );
        assert!(out.status.success(), "user add: {out:?}");
        let mut rig = SecureRig {
            collector: Proc::new("pantau-collector", dir.path().join("collector.log")),
            broker: Proc::new("mosquitto", broker_dir.join("mosquitto.stderr")),
            mqtt_port,
            https_port,
            fingerprint,
            config,
            pki,
            broker_conf,
            dir,
        };
        rig.start_broker();
        let mut cmd = Command::new(&c);
        cmd.args(["serve", "--config", &s(&rig.config)]);
        cmd.env(
            "PANTAU_LOG",
            std::env::var("PANTAU_TEST_LOG").unwrap_or_else(|_| "info".into()),
        );
        rig.collector.spawn(cmd);
        let up = wait_until(Duration::from_secs(60), || {
            rig.collector.assert_running();
            rig.curl(&["-o", "/dev/null", "/api/v1/health"])
                .status
                .success()
        });
        assert!(
            up,
            "collector never answered over HTTPS:\n{}",
            rig.collector.log_text()
        );
        rig
    }

    pub fn start_broker(&mut self) {
        let mut cmd = Command::new(
            std::env::var("PANTAU_TEST_MOSQUITTO").unwrap_or_else(|_| "/usr/sbin/mosquitto".into()),
        );
        cmd.arg("-c").arg(&self.broker_conf);
        self.broker.spawn(cmd);
        let port = self.mqtt_port;
        let broker = &mut self.broker;
        assert!(
            wait_until(Duration::from_secs(15), || {
                broker.assert_running();
                port_open(port)
            }),
            "mosquitto did not listen on {port}"
        );
    }

    /// SIGHUP: Mosquitto reloads its configuration, certificates and CRL.
    pub fn reload_broker(&self) {
        self.broker.signal(libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(500));
    }

    pub fn broker_log(&self) -> String {
        std::fs::read_to_string(self.broker_conf.with_file_name("mosquitto.log"))
            .unwrap_or_default()
    }

    pub fn collector_url(&self) -> String {
        format!("https://localhost:{}", self.https_port)
    }

    /// curl over HTTPS trusting the Pantau CA, as the admin; the last argument is the path.
    pub fn curl(&self, args: &[&str]) -> Output {
        let (path, rest) = args.split_last().expect("a path");
        Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "10",
                "--cacert",
                &s(&self.pki.join("ca.pem")),
            ])
            .args(["-u", &format!("{}:{}", ADMIN.0, ADMIN.1)])
            .args(rest)
            .arg(format!("{}{path}", self.collector_url()))
            .output()
            .expect("run curl")
    }

    pub fn get_json(&self, path: &str) -> Value {
        let out = self.curl(&["--fail", path]);
        assert!(out.status.success(), "GET {path}: {out:?}");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub fn metrics(&self) -> String {
        String::from_utf8_lossy(&self.curl(&["/metrics"]).stdout).into_owned()
    }

    /// `pantau-collector ARGS --config THIS`.
    pub fn cli(&self, args: &[&str]) -> Output {
        let mut a = args.to_vec();
        let cfg = s(&self.config);
        a.extend(["--config", &cfg]);
        run(&bin("pantau-collector"), &a, None)
    }

    /// A new token for `opd`: `enroll token create` with these extra flags.
    pub fn token(&self, opd: &str, extra: &[&str]) -> String {
        let mut a = vec!["enroll", "token", "create", "--opd", opd];
        a.extend(extra);
        let out = self.cli(&a);
        assert!(out.status.success(), "token create: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `pantau-agent enroll` into `dir` (config and state there).
    pub fn enroll(&self, dir: &Path, token: &str, fingerprint: Option<&str>, lang: &str) -> Output {
        let mut a = vec![
            "enroll".to_string(),
            self.collector_url(),
            "--token".into(),
            token.into(),
            "--config-dir".into(),
            s(dir),
            "--state-dir".into(),
            s(&dir.join("state")),
            "--lang".into(),
            lang.into(),
        ];
        if let Some(f) = fingerprint {
            a.extend(["--ca-fingerprint".into(), f.into()]);
        }
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(&bin("pantau-agent"), &a, None)
    }

    /// Enroll a fresh agent in `opd` into a new folder under the rig; its id and folder.
    pub fn enrolled(&self, opd: &str) -> (String, PathBuf) {
        let token = self.token(opd, &[]);
        let dir = tempfile::Builder::new()
            .prefix("agent-")
            .tempdir_in(self.dir.path())
            .expect("tempdir")
            .keep();
        let out = self.enroll(&dir, &token, Some(&self.fingerprint), "en");
        assert!(out.status.success(), "enroll: {out:?}");
        let table: toml::Table = std::fs::read_to_string(dir.join("agent.toml"))
            .unwrap()
            .parse()
            .unwrap();
        let id = table["agent_id"].as_str().unwrap().to_owned();
        (id, dir)
    }

    /// `mosquitto_pub` with the certificate in `dir` (`tls.pem`/`tls.key`, or `collector`'s).
    pub fn pub_as(
        &self,
        cert: &Path,
        key: &Path,
        topic: &str,
        payload: &str,
        retain: bool,
    ) -> Output {
        let mut a = self.mqtt_args(cert, key);
        a.extend([
            "-t".into(),
            topic.into(),
            "-m".into(),
            payload.into(),
            "-q".into(),
            "1".into(),
        ]);
        if retain {
            a.push("-r".into());
        }
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(Path::new("mosquitto_pub"), &a, None)
    }

    /// `mosquitto_sub` for `secs` seconds; the messages printed (`topic payload` lines).
    pub fn sub_as(&self, cert: &Path, key: &Path, topic: &str, secs: u32) -> Output {
        let mut a = self.mqtt_args(cert, key);
        a.extend([
            "-t".into(),
            topic.into(),
            "-v".into(),
            "-W".into(),
            secs.to_string(),
        ]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run(Path::new("mosquitto_sub"), &a, None)
    }

    fn mqtt_args(&self, cert: &Path, key: &Path) -> Vec<String> {
        vec![
            "-h".into(),
            "localhost".into(),
            "-p".into(),
            self.mqtt_port.to_string(),
            "--cafile".into(),
            s(&self.pki.join("ca.pem")),
            "--cert".into(),
            s(cert),
            "--key".into(),
            s(key),
            "-i".into(),
            format!("test-{}", fastrand::u32(..)),
        ]
    }

    /// The collector's own client certificate and key.
    pub fn collector_cert(&self) -> (PathBuf, PathBuf) {
        (
            self.pki.join("collector.pem"),
            self.pki.join("collector.key"),
        )
    }

    /// Start `pantau-agent run` for an enrolled folder, reporting every second.
    pub fn run_agent(&self, dir: &Path) -> Proc {
        let config = dir.join("agent.toml");
        let mut table: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
        let mut metrics = toml::Table::new();
        metrics.insert("interval_s".into(), 1.into());
        metrics.insert("batch".into(), 1.into());
        table.insert("metrics".into(), metrics.into());
        std::fs::write(&config, toml::to_string(&table).unwrap()).unwrap();
        let mut p = Proc::new("pantau-agent", dir.join("agent.log"));
        let mut cmd = Command::new(bin("pantau-agent"));
        cmd.args(["run", "--config", &s(&config)]);
        p.spawn(cmd);
        p
    }

    /// `ingest.messages` of a host, if listed.
    pub fn messages(&self, agent_id: &str) -> Option<u64> {
        let out = self.curl(&["--fail", &format!("/api/v1/hosts/{agent_id}")]);
        if !out.status.success() {
            return None;
        }
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v["ingest"]["messages"].as_u64()
    }
}

/// `pantau_ingest_rejected_total{reason="..."}` in Prometheus text.
pub fn rejected(metrics: &str, reason: &str) -> f64 {
    crate::http::prom_value(
        metrics,
        "pantau_ingest_rejected_total",
        &[("reason", reason)],
    )
}
