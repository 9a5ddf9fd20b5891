//! A real `pantau-agent` enrolled with `pantau-collector enroll add`, as a child process.

use crate::broker::Mosquitto;
use crate::collector::Collector;
use crate::process::{bin, Proc};
use pantau_proto::AgentKey;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

/// What the test wants different from the enrolled defaults.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    pub opd: String,
    pub interval_s: u64,
    pub batch: usize,
    pub keep_alive_s: u64,
    /// `[spool] max_bytes`, when a test wants the bound reached quickly.
    pub spool_max_bytes: Option<u64>,
    /// `[broker] url` instead of the broker's own, e.g. [`Mosquitto::url_also`] for an agent
    /// in a network namespace.
    pub broker_url: Option<String>,
    /// Sections (or top-level keys) set whole in `agent.toml`, e.g. `scout`.
    pub extra: toml::Table,
}

impl Default for AgentOptions {
    /// A sample every second, sent at once: tests see traffic without waiting.
    fn default() -> Self {
        AgentOptions {
            opd: "0101".into(),
            interval_s: 1,
            batch: 1,
            keep_alive_s: 5,
            spool_max_bytes: None,
            broker_url: None,
            extra: toml::Table::new(),
        }
    }
}

pub struct Agent {
    // Declared first so it is dropped (killed, log printed) before the directory goes.
    proc: Proc,
    id: String,
    config: PathBuf,
    dir: TempDir,
}

impl Agent {
    /// Enroll `id` with the collector's database and start the agent.
    pub fn spawn(
        collector: &Collector,
        broker: &Mosquitto,
        id: &str,
        opts: &AgentOptions,
    ) -> Agent {
        let mut a = Agent::enroll(collector, broker, id, opts);
        a.start();
        a
    }

    /// Enroll `id` (writes `agent.toml` and `agent.key`, records the public key) without
    /// starting the agent.
    pub fn enroll(
        collector: &Collector,
        broker: &Mosquitto,
        id: &str,
        opts: &AgentOptions,
    ) -> Agent {
        let dir = tempfile::Builder::new()
            .prefix(&format!("pantau-agent-{id}-"))
            .tempdir()
            .expect("tempdir");
        let out = dir.path().join("agent");
        let mut cmd = Command::new(bin("pantau-collector"));
        cmd.args([
            "enroll", "add", "--agent", id, "--opd", &opts.opd, "--broker",
        ])
        .arg(broker.url())
        .arg("--out")
        .arg(&out)
        .arg("--config")
        .arg(collector.config_path());
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        assert!(
            output.status.success(),
            "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let config = out.join("agent.toml");
        edit_config(&config, opts);
        Agent {
            proc: Proc::new(&format!("pantau-agent {id}"), dir.path().join("agent.log")),
            id: id.to_owned(),
            config,
            dir,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// The directory `enroll add --out` wrote.
    pub fn dir(&self) -> &Path {
        self.config.parent().expect("config has a parent")
    }

    /// The agent's signing key, read from the key file enrollment wrote.
    pub fn key(&self) -> AgentKey {
        let table = read_table(&self.config);
        let key_file = table
            .get("key_file")
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{}: no key_file", self.config.display()));
        let path = self.dir().join(key_file); // joining an absolute path yields it unchanged
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        AgentKey::from_base64(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Start `pantau-agent run`.
    pub fn start(&mut self) {
        self.launch(Command::new(bin("pantau-agent")));
    }

    /// Start `pantau-agent run` inside network namespace `ns` (`ip netns exec`, which execs
    /// the agent: the process stopped and signalled is the agent itself).
    pub fn start_in(&mut self, ns: &str) {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).arg(bin("pantau-agent"));
        self.launch(cmd);
    }

    /// Start `pantau-agent run` in network namespace `ns` and in a new PID namespace with
    /// its own `/proc`: a machine whose processes and listeners only the test changes (the
    /// usage tests need a quiet host; this one is shared with other tests). `unshare` stays
    /// as the parent and takes the agent with it when it is killed.
    pub fn start_isolated(&mut self, ns: &str) {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            ns,
            "unshare",
            "--pid",
            "--mount-proc",
            "--kill-child",
        ])
        .arg(bin("pantau-agent"));
        self.launch(cmd);
    }

    /// Run `program args..` inside the PID and mount namespaces of an agent started with
    /// [`Agent::start_isolated`], so the agent sees it.
    pub fn spawn_beside(&self, program: &Path, args: &[&str]) -> std::process::Child {
        let unshare = self.pid().expect("agent started");
        let agent = crate::process::wait_for(Duration::from_secs(10), || {
            let kids =
                std::fs::read_to_string(format!("/proc/{unshare}/task/{unshare}/children")).ok()?;
            kids.split_whitespace().next()?.parse::<u32>().ok()
        })
        .expect("the isolated agent's process");
        Command::new("nsenter")
            .args([
                "--target",
                &agent.to_string(),
                "--pid",
                "--mount",
                "--net",
                "--",
            ])
            .arg(program)
            .args(args)
            .spawn()
            .expect("run nsenter")
    }

    fn launch(&mut self, mut cmd: Command) {
        cmd.arg("run").arg("--config").arg(&self.config);
        cmd.env(
            "PANTAU_LOG",
            std::env::var("PANTAU_TEST_LOG").unwrap_or_else(|_| "info,rumqttc=warn".into()),
        );
        cmd.env("RUST_BACKTRACE", "1");
        cmd.current_dir(self.dir.path());
        self.proc.spawn(cmd);
    }

    /// SIGTERM and wait: the agent says `offline` and keeps unsent data in its spool.
    /// Panics if the agent does not exit within 20 s (it is then killed).
    pub fn stop(&mut self) {
        let clean = self.proc.terminate(Duration::from_secs(20));
        assert!(clean, "pantau-agent {} ignored SIGTERM for 20 s", self.id);
    }

    /// SIGSTOP: the process freezes with its connection open, like a hung machine.
    /// Process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.proc.pid()
    }

    pub fn freeze(&self) {
        self.proc.signal(libc::SIGSTOP);
    }

    /// SIGCONT after [`Agent::freeze`].
    pub fn thaw(&self) {
        self.proc.signal(libc::SIGCONT);
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        self.proc.kill();
    }

    pub fn is_running(&mut self) -> bool {
        self.proc.is_running()
    }

    /// Panic with the agent's log if it has exited.
    pub fn assert_running(&mut self) {
        self.proc.assert_running();
    }

    pub fn log(&self) -> String {
        self.proc.log_text()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.proc.kill();
    }
}

fn read_table(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{} is not TOML: {e}", path.display()))
}

/// Set the intervals the test wants in the `agent.toml` enrollment wrote.
fn edit_config(path: &Path, opts: &AgentOptions) {
    let mut table = read_table(path);
    let section = |table: &mut toml::Table, name: &str| -> toml::Table {
        match table.remove(name) {
            Some(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        }
    };
    let mut metrics = section(&mut table, "metrics");
    metrics.insert("interval_s".into(), (opts.interval_s as i64).into());
    metrics.insert("batch".into(), (opts.batch as i64).into());
    table.insert("metrics".into(), metrics.into());
    let mut broker = section(&mut table, "broker");
    broker.insert("keep_alive_s".into(), (opts.keep_alive_s as i64).into());
    if let Some(url) = &opts.broker_url {
        broker.insert("url".into(), url.clone().into());
    }
    table.insert("broker".into(), broker.into());
    if let Some(max) = opts.spool_max_bytes {
        let mut spool = section(&mut table, "spool");
        spool.insert("max_bytes".into(), (max as i64).into());
        table.insert("spool".into(), spool.into());
    }
    for (k, v) in &opts.extra {
        table.insert(k.clone(), v.clone());
    }
    std::fs::write(path, toml::to_string(&table).expect("TOML serializes"))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
