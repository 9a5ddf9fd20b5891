//! A private Mosquitto broker per test: its own port, config, persistence directory and log.

use crate::process::{free_port, port_open, wait_until, Proc};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use tempfile::TempDir;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

pub struct Mosquitto {
    // Declared first so it is dropped (killed, log printed) before the directory goes.
    proc: Proc,
    port: u16,
    /// A second listener, for clients in another network namespace.
    also: Option<(std::net::Ipv4Addr, u16)>,
    config: PathBuf,
    dir: TempDir,
}

impl Mosquitto {
    /// Start a broker on a free port of 127.0.0.1 and wait until it accepts connections.
    pub fn start() -> Mosquitto {
        Mosquitto::start_with("")
    }

    /// Like [`Mosquitto::start`], listening on `ip` too (a free port there): for an agent in a
    /// network namespace that reaches the root namespace through a veth (`netns::Uplink`).
    pub fn start_also_on(ip: std::net::Ipv4Addr) -> Mosquitto {
        let port = free_port();
        let mut m = Mosquitto::start_with(&format!("listener {port} {ip}\n"));
        m.also = Some((ip, port));
        m
    }

    /// `mqtt://IP:PORT` of the listener [`Mosquitto::start_also_on`] added.
    pub fn url_also(&self) -> String {
        let (ip, port) = self.also.expect("started with start_also_on");
        format!("mqtt://{ip}:{port}")
    }

    /// Like [`Mosquitto::start`], with more configuration lines (e.g. a TLS listener).
    pub fn start_with(extra_config: &str) -> Mosquitto {
        let path = std::env::var("PANTAU_TEST_MOSQUITTO").unwrap_or_else(|_| MOSQUITTO.into());
        assert!(
            std::path::Path::new(&path).is_file(),
            "{path} not found: install Debian's `mosquitto` package (the end-to-end tests start \
             their own brokers; the system service is never used)"
        );
        let dir = tempfile::Builder::new()
            .prefix("pantau-mqtt-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let log = dir.path().join("mosquitto.log");
        let config = dir.path().join("mosquitto.conf");
        let mut text = format!(
            "listener {port} 127.0.0.1\n\
             allow_anonymous true\n\
             persistence true\n\
             persistence_location {}/\n\
             autosave_interval 1\n\
             log_dest file {}\n\
             log_type error\nlog_type warning\nlog_type notice\nlog_type information\n\
             connection_messages true\n",
            dir.path().display(),
            log.display()
        );
        // As root, Mosquitto would switch to the `mosquitto` user, who cannot write our tempdir.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            text.push_str("user root\n");
        }
        text.push_str(extra_config);
        std::fs::write(&config, text).expect("write mosquitto.conf");
        let mut m = Mosquitto {
            proc: Proc::new("mosquitto", dir.path().join("mosquitto.stderr")),
            port,
            also: None,
            config,
            dir,
        };
        m.launch();
        m
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// SIGTERM and wait: Mosquitto saves its persistence database on the way out.
    pub fn stop(&mut self) {
        self.proc.terminate(Duration::from_secs(10));
        assert!(
            wait_until(Duration::from_secs(10), || !port_open(self.port)),
            "mosquitto still listens on {} after stopping",
            self.port
        );
    }

    /// Start again on the same port with the same persistence directory (stops it first if it
    /// is running).
    pub fn restart(&mut self) {
        if self.proc.is_running() {
            self.stop();
        }
        self.launch();
    }

    /// Everything Mosquitto logged so far.
    pub fn log(&self) -> String {
        let file =
            std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default();
        format!("{}{file}", self.proc.log_text())
    }

    fn launch(&mut self) {
        let mut cmd = Command::new(
            std::env::var("PANTAU_TEST_MOSQUITTO").unwrap_or_else(|_| MOSQUITTO.into()),
        );
        cmd.arg("-c").arg(&self.config);
        self.proc.spawn(cmd);
        let port = self.port;
        let proc = &mut self.proc;
        let up = wait_until(Duration::from_secs(15), || {
            proc.assert_running();
            port_open(port)
        });
        assert!(
            up,
            "mosquitto did not listen on {port} within 15 s:\n{}",
            self.log()
        );
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.proc.kill();
        if std::thread::panicking() {
            let file =
                std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default();
            let tail: Vec<&str> = file.lines().rev().take(100).collect();
            eprintln!(
                "\n----- mosquitto.log (port {}), last lines -----",
                self.port
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}
