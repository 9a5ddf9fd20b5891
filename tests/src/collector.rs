//! `pantau-collector serve` as a child process with its own data directory and HTTP port.

use crate::broker::Mosquitto;
use crate::http::{get_json, get_text, status, try_get_json};
use crate::process::{bin, free_port, wait_until, Proc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

/// The admin every test collector is started with (HTTP Basic through [`Collector::url`]).
pub const ADMIN: (&str, &str) = ("admin", "pantau-test-admin");

/// How long a (debug-built) collector may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How [`Collector::start_opts`] sets a collector up; the default is [`Collector::start`]'s.
#[derive(Debug, Clone)]
pub struct CollectorOptions {
    /// `[mqtt] client_id`; default `pantau-collector-{broker port}`.
    pub client_id: Option<String>,
    /// `[mqtt] shared_group`.
    pub shared_group: Option<String>,
    /// The store: `data_dir` (SQLite `data_dir/pantau.db`); default a fresh one of its own.
    /// Two collectors given the same directory share one SQLite file (WAL).
    pub data_dir: Option<PathBuf>,
    /// Create the test admin (skip it for a second collector on a store that has one).
    pub add_admin: bool,
    /// Top-level keys of `collector.toml` (such as `maintain_interval_s = 3600`).
    pub top_toml: String,
    /// Lines appended to `collector.toml`.
    pub extra_toml: String,
}

impl Default for CollectorOptions {
    fn default() -> Self {
        CollectorOptions {
            client_id: None,
            shared_group: None,
            data_dir: None,
            add_admin: true,
            top_toml: String::new(),
            extra_toml: String::new(),
        }
    }
}

pub struct Collector {
    // Declared first so it is dropped (killed, log printed) before the directory goes.
    proc: Proc,
    http_port: u16,
    config: PathBuf,
    data_dir: PathBuf,
    dir: TempDir,
}

impl Collector {
    /// Write a config for `broker`, start `serve`, and wait until `/api/v1/health` says 200.
    pub fn start(broker: &Mosquitto) -> Collector {
        Collector::start_with(broker, "")
    }

    /// Like [`Collector::start`], with more lines at the end of `collector.toml` (sections
    /// such as `[network]`).
    pub fn start_with(broker: &Mosquitto, extra_toml: &str) -> Collector {
        Collector::start_opts(
            broker,
            &CollectorOptions {
                extra_toml: extra_toml.into(),
                ..CollectorOptions::default()
            },
        )
    }

    /// Like [`Collector::start_with`], with top-level keys too (`top_toml`, such as
    /// `maintain_interval_s = 3600`).
    pub fn start_configured(broker: &Mosquitto, top_toml: &str, extra_toml: &str) -> Collector {
        Collector::start_opts(
            broker,
            &CollectorOptions {
                top_toml: top_toml.into(),
                extra_toml: extra_toml.into(),
                ..CollectorOptions::default()
            },
        )
    }

    /// A collector as `opts` describes it (its own client id, a shared group, a store it
    /// shares with another collector).
    pub fn start_opts(broker: &Mosquitto, opts: &CollectorOptions) -> Collector {
        let mut c = Collector::configure(broker, opts);
        if opts.add_admin {
            c.user_add(ADMIN.0, "admin", &[], ADMIN.1);
        }
        c.launch();
        c
    }

    /// A collector whose database is `pantau-collector restore BACKUP` (run here, through
    /// the CLI), not yet started: [`Collector::restart`] starts it. Its users are the
    /// backup's.
    pub fn restored(broker: &Mosquitto, backup: &Path) -> Collector {
        let c = Collector::configure(broker, &CollectorOptions::default());
        c.cli(&["restore", backup.to_str().expect("utf-8 path")], None);
        c
    }

    /// Directory, ports and `collector.toml`; nothing run.
    fn configure(broker: &Mosquitto, opts: &CollectorOptions) -> Collector {
        let dir = tempfile::Builder::new()
            .prefix("pantau-collector-")
            .tempdir()
            .expect("tempdir");
        let http_port = free_port();
        let data_dir = opts
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        std::fs::create_dir_all(&data_dir).expect("create data_dir");
        let config = dir.path().join("collector.toml");
        let client = opts
            .client_id
            .clone()
            .unwrap_or_else(|| format!("pantau-collector-{}", broker.port()));
        let group = opts
            .shared_group
            .as_ref()
            .map(|g| format!("shared_group = {g:?}\n"))
            .unwrap_or_default();
        let text = format!(
            "data_dir = {data:?}\n{top}\n\n[mqtt]\nurl = {url:?}\nclient_id = {client:?}\n{group}\n\
             [http]\nlisten = \"127.0.0.1:{http_port}\"\n",
            data = data_dir.display().to_string(),
            top = opts.top_toml,
            url = broker.url(),
        ) + &opts.extra_toml;
        std::fs::write(&config, text).expect("write collector.toml");
        Collector {
            proc: Proc::new("pantau-collector", dir.path().join("collector.log")),
            http_port,
            config,
            data_dir,
            dir,
        }
    }

    /// `pantau-collector user add NAME --role ROLE [--opd ...] --password-stdin` on this
    /// collector's database; panics with the output if it fails.
    pub fn user_add(&self, name: &str, role: &str, opds: &[&str], password: &str) {
        let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
        for o in opds {
            args.extend(["--opd", o]);
        }
        self.cli(&args, Some(password));
    }

    /// Run `pantau-collector ARGS --config THIS` with `stdin`; the stdout, or a panic with
    /// both outputs if it fails.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut child = Command::new(bin("pantau-collector"))
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run pantau-collector");
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(format!("{}\n", stdin.unwrap_or("")).as_bytes())
            .expect("write stdin");
        drop(input);
        let out = child.wait_with_output().expect("wait for pantau-collector");
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "pantau-collector {args:?}: {e}{o}");
        o
    }

    pub fn config_path(&self) -> &Path {
        &self.config
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A scratch directory that lives as long as the collector (for enrollment output).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `http://admin:PASSWORD@127.0.0.1:PORT` + `path`: the helpers in [`crate::http`]
    /// send the credentials as HTTP Basic.
    pub fn url(&self, path: &str) -> String {
        self.url_as(ADMIN.0, ADMIN.1, path)
    }

    /// The URL with another user's credentials.
    pub fn url_as(&self, user: &str, password: &str, path: &str) -> String {
        format!(
            "http://{user}:{password}@127.0.0.1:{}{path}",
            self.http_port
        )
    }

    /// `http://127.0.0.1:PORT` + `path`, without credentials.
    pub fn plain_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// Everything the collector printed so far.
    pub fn log(&self) -> String {
        self.proc.log_text()
    }

    pub fn is_running(&mut self) -> bool {
        self.proc.is_running()
    }

    /// Panic with the collector's log if it has exited.
    pub fn assert_running(&mut self) {
        self.proc.assert_running();
    }

    /// SIGKILL: no chance to flush, commit or say goodbye.
    pub fn kill_9(&mut self) {
        self.proc.kill();
    }

    /// SIGTERM and wait. Panics if the collector does not exit within 20 s (it is then killed).
    pub fn stop(&mut self) {
        let clean = self.proc.terminate(Duration::from_secs(20));
        assert!(clean, "pantau-collector ignored SIGTERM for 20 s");
    }

    /// Start again with the same config, data and port (stops it first if running).
    pub fn restart(&mut self) {
        if self.proc.is_running() {
            self.stop();
        }
        self.launch();
    }

    /// Whether `/api/v1/health` answers 200.
    pub fn healthy(&self) -> bool {
        status(&self.url("/api/v1/health")) == Some(200)
    }

    /// `GET /api/v1/hosts`.
    pub fn hosts(&self) -> Vec<Value> {
        match get_json(&self.url("/api/v1/hosts")) {
            Value::Array(a) => a,
            other => panic!("/api/v1/hosts is not an array: {other}"),
        }
    }

    /// The entry of `/api/v1/hosts` for `agent_id`, if listed.
    pub fn host_summary(&self, agent_id: &str) -> Option<Value> {
        self.hosts()
            .into_iter()
            .find(|h| h["agent_id"].as_str() == Some(agent_id))
    }

    /// `online` of the host in `/api/v1/hosts`, if listed.
    pub fn online(&self, agent_id: &str) -> Option<bool> {
        self.host_summary(agent_id)
            .and_then(|h| h["online"].as_bool())
    }

    /// Wait until the host's `online` is `want`; panics with the summary otherwise.
    pub fn wait_online(&self, agent_id: &str, want: bool, when: &str) {
        assert!(
            wait_until(crate::PATIENCE, || self.online(agent_id) == Some(want)),
            "{agent_id}: online never became {want} {when}; summary: {:?}",
            self.host_summary(agent_id)
        );
    }

    /// `GET /api/v1/hosts/{id}`, or `None` if it does not answer 200.
    pub fn host(&self, agent_id: &str) -> Option<Value> {
        try_get_json(&self.url(&format!("/api/v1/hosts/{agent_id}"))).ok()
    }

    /// The `ingest` figures of one host, if the host is known.
    pub fn ingest(&self, agent_id: &str) -> Option<Ingest> {
        self.host(agent_id).map(|h| Ingest::from_json(&h["ingest"]))
    }

    /// Poll the host's `ingest` figures until `want` holds, within [`crate::PATIENCE`]; panics
    /// with the last figures (and the logs) otherwise.
    pub fn wait_ingest(
        &mut self,
        agent_id: &str,
        what: &str,
        want: impl Fn(&Ingest) -> bool,
    ) -> Ingest {
        let mut last = None;
        let ok = wait_until(crate::PATIENCE, || {
            self.proc.assert_running();
            last = self.ingest(agent_id);
            last.as_ref().is_some_and(&want)
        });
        assert!(
            ok,
            "{agent_id}: never {what} within {:?}; last ingest figures: {last:?}",
            crate::PATIENCE
        );
        last.expect("figures when the wait succeeded")
    }

    /// `GET /metrics` (Prometheus text).
    pub fn prometheus(&self) -> String {
        get_text(&self.url("/metrics"))
    }

    fn launch(&mut self) {
        let mut cmd = Command::new(bin("pantau-collector"));
        cmd.arg("serve").arg("--config").arg(&self.config);
        cmd.env(
            "PANTAU_LOG",
            std::env::var("PANTAU_TEST_LOG").unwrap_or_else(|_| "info".into()),
        );
        cmd.env("RUST_BACKTRACE", "1");
        self.proc.spawn(cmd);
        let url = self.url("/api/v1/health");
        let proc = &mut self.proc;
        let up = wait_until(START_TIMEOUT, || {
            proc.assert_running();
            status(&url) == Some(200)
        });
        assert!(
            up,
            "collector: {url} did not answer 200 within {START_TIMEOUT:?}"
        );
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        // Proc's own Drop kills and prints the log; nothing else to do before the dir goes.
        self.proc.kill();
    }
}

/// `ingest` of `GET /api/v1/hosts/{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ingest {
    pub messages: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub missing: u64,
    pub spool_dropped_total: u64,
}

impl Ingest {
    pub fn from_json(v: &Value) -> Ingest {
        assert!(v.is_object(), "ingest is not an object: {v}");
        Ingest {
            messages: v["messages"]
                .as_u64()
                .unwrap_or_else(|| panic!("ingest.messages: {v}")),
            first_seq: v["first_seq"].as_u64(),
            last_seq: v["last_seq"].as_u64(),
            missing: v["missing"]
                .as_u64()
                .unwrap_or_else(|| panic!("ingest.missing: {v}")),
            spool_dropped_total: v["spool_dropped_total"].as_u64().unwrap_or(0),
        }
    }

    /// Every seq from first to last stored exactly once, and the collector agrees.
    pub fn complete(&self) -> bool {
        match (self.first_seq, self.last_seq) {
            (Some(f), Some(l)) => self.missing == 0 && self.messages == l - f + 1,
            _ => false,
        }
    }
}
