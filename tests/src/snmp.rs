//! Real SNMP agents for the poller's tests: net-snmp's `snmpd` with a v2c community and a v3
//! authPriv user, and `snmpsim` serving recorded devices (tests/fixtures/snmp/*.snmprec, the
//! community is the file name). Each on its own free UDP port of 127.0.0.1.

use crate::process::{bin, wait_until, Proc};
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

pub const COMMUNITY: &str = "pantau-uji";
pub const V3_USER: &str = "pantau";
pub const V3_AUTH: &str = "authpass-2026";
pub const V3_PRIV: &str = "privpass-2026";

/// A UDP port of 127.0.0.1 that was free a moment ago.
pub fn free_udp_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind udp 127.0.0.1:0");
    s.local_addr().expect("local addr").port()
}

fn tool(env: &str, candidates: &[&str], package: &str) -> PathBuf {
    if let Ok(p) = std::env::var(env) {
        return p.into();
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("none of {candidates:?} found: install {package} (.ci/run does)"))
}

/// Whether `snmpget` gets sysName from `port` with `community`.
fn answers(port: u16, community: &str) -> bool {
    Command::new("snmpget")
        .args(["-v2c", "-c", community, "-t", "0.3", "-r", "0", "-Oqv"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("1.3.6.1.2.1.1.5.0")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

pub struct Snmpd {
    proc: Proc,
    port: u16,
    _dir: TempDir,
}

impl Snmpd {
    pub fn start() -> Snmpd {
        let snmpd = tool(
            "PANTAU_TEST_SNMPD",
            &["/usr/sbin/snmpd"],
            "Debian's `snmpd`",
        );
        let dir = tempfile::Builder::new()
            .prefix("pantau-snmpd-")
            .tempdir()
            .expect("tempdir");
        let port = free_udp_port();
        let conf = dir.path().join("snmpd.conf");
        std::fs::write(
            &conf,
            format!(
                "agentAddress udp:127.0.0.1:{port}\n\
                 rocommunity {COMMUNITY} 127.0.0.1\n\
                 createUser {V3_USER} SHA \"{V3_AUTH}\" AES \"{V3_PRIV}\"\n\
                 rouser {V3_USER} priv\n\
                 sysName sw-uji-snmpd\n\
                 sysLocation Ruang Server Diskominfo\n\
                 sysContact noc@diskominfo.example.go.id\n\
                 master no\n"
            ),
        )
        .expect("write snmpd.conf");
        let mut proc = Proc::new("snmpd", dir.path().join("snmpd.log"));
        let mut cmd = Command::new(snmpd);
        cmd.env("SNMP_PERSISTENT_DIR", dir.path().join("persist"))
            .env("MIBS", "")
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(&conf)
            .arg("-p")
            .arg(dir.path().join("snmpd.pid"));
        proc.spawn(cmd);
        assert!(
            wait_until(crate::PATIENCE, || answers(port, COMMUNITY)),
            "snmpd did not answer on udp 127.0.0.1:{port}"
        );
        Snmpd {
            proc,
            port,
            _dir: dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stop(&mut self) {
        self.proc.kill();
    }
}

pub struct Snmpsim {
    _proc: Proc,
    port: u16,
    data: PathBuf,
    writes: std::sync::atomic::AtomicU64,
    _dir: TempDir,
}

impl Snmpsim {
    /// Serve every recording of `tests/fixtures/snmp`.
    pub fn start() -> Snmpsim {
        Snmpsim::start_with(&[])
    }

    /// Replace (or add) the recording served to `community`; snmpsim re-indexes a recording
    /// whose file changed at its next request.
    pub fn write(&self, community: &str, text: &str) {
        let path = self.data.join(format!("{community}.snmprec"));
        std::fs::write(&path, text).expect("write recording");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        // snmpsim compares modification times in whole seconds and reads the old index
        // (offsets into the old file) when they look equal: move each version a minute on.
        let n = 1 + self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let when = std::time::SystemTime::now() + std::time::Duration::from_secs(60 * n);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(when))
            .expect("set the recording's mtime");
    }

    /// Like [`Snmpsim::start`], with more recordings `(community, .snmprec text)`.
    pub fn start_with(extra: &[(&str, &str)]) -> Snmpsim {
        let responder = tool(
            "PANTAU_TEST_SNMPSIM",
            &[
                "/opt/pantau-snmpsim/bin/snmpsim-command-responder",
                "/usr/local/bin/snmpsim-command-responder",
            ],
            "PyPI's `snmpsim` (and `pysmi`)",
        );
        let dir = tempfile::Builder::new()
            .prefix("pantau-snmpsim-")
            .tempdir()
            .expect("tempdir");
        // snmpsim drops root for `nobody`, who must read the data and write the index cache.
        let data = dir.path().join("data");
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&data).expect("mkdir data");
        std::fs::create_dir_all(&cache).expect("mkdir cache");
        for f in std::fs::read_dir(fixtures()).expect("read fixtures") {
            let f = f.expect("fixture").path();
            if f.extension().is_some_and(|e| e == "snmprec") {
                std::fs::copy(&f, data.join(f.file_name().unwrap())).expect("copy recording");
            }
        }
        for (community, text) in extra {
            std::fs::write(data.join(format!("{community}.snmprec")), text)
                .expect("write recording");
        }
        use std::os::unix::fs::PermissionsExt;
        for p in [dir.path(), &data, &cache] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        }
        let port = free_udp_port();
        let mut proc = Proc::new("snmpsim", dir.path().join("snmpsim.log"));
        let mut cmd = Command::new(responder);
        cmd.arg(format!("--data-dir={}", data.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .arg(format!("--agent-udpv4-endpoint=127.0.0.1:{port}"));
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            cmd.args(["--process-user=nobody", "--process-group=nogroup"]);
        }
        proc.spawn(cmd);
        assert!(
            wait_until(crate::PATIENCE, || answers(port, "switch")),
            "snmpsim did not answer on udp 127.0.0.1:{port}"
        );
        Snmpsim {
            _proc: proc,
            port,
            data,
            writes: std::sync::atomic::AtomicU64::new(0),
            _dir: dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/snmp")
}

/// `pantau-agent snmp-poll` with `args`, its report parsed.
pub fn poll(args: &[&str]) -> serde_json::Value {
    let out = Command::new(bin("pantau-agent"))
        .arg("snmp-poll")
        .arg("--compact")
        .args(args)
        .output()
        .expect("run pantau-agent snmp-poll");
    assert!(
        out.status.success(),
        "snmp-poll {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("snmp-poll prints JSON")
}

/// `snmpbulkwalk -v2c` output, one `OID = value` per line, numeric OIDs.
pub fn bulkwalk(port: u16, community: &str, root: &str) -> Vec<String> {
    let out = Command::new("snmpbulkwalk")
        .args(["-v2c", "-c", community, "-On", "-t", "2", "-r", "2"])
        .arg(format!("127.0.0.1:{port}"))
        .arg(root)
        .env("MIBS", "")
        .output()
        .expect("run snmpbulkwalk");
    assert!(out.status.success(), "snmpbulkwalk failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}
