//! A private PostgreSQL per test process: `initdb` into a temporary directory, `postgres` on
//! a free port of 127.0.0.1, one fresh database per test (`CREATE DATABASE` through
//! `createdb`). The server already running on this machine's port 5432 is never used.
//!
//! Shared by the end-to-end tests (this crate) and the collector's store tests, which include
//! this file with `#[path]`: it uses only `std`, so it needs no dependency of either crate.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (CI containers), `initdb`
//! and `postgres` run as the `postgres` user (Debian's package creates it) through
//! `setpriv`, with the data directory chowned to it. The server is stopped when the test
//! process ends: a small watchdog shell waits for this process to exit, then stops the
//! server (fast shutdown) and removes the directory, so nothing lingers even after a panic
//! or an abort.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The server binaries: `PANTAU_TEST_PG_BIN`, else the newest of Debian's
/// `/usr/lib/postgresql/N/bin` (initdb and postgres are not on PATH there), else the folder
/// of an `initdb` found on PATH.
fn pg_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("PANTAU_TEST_PG_BIN") {
        return PathBuf::from(dir);
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse::<u32>().ok()?, e.path())))
        .max()
        .map(|(_, p)| p.join("bin"));
    if let Some(dir) = newest.filter(|d| d.join("initdb").is_file()) {
        return dir;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("initdb"))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

/// The server of this test process.
pub struct PgServer {
    pub port: u16,
    pub dir: PathBuf,
    bin: PathBuf,
    /// Run the binaries as this user (when the tests run as root).
    run_as: Option<String>,
}

static SERVER: OnceLock<PgServer> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

impl PgServer {
    /// The server of this test process, started on first use.
    pub fn get() -> &'static PgServer {
        SERVER.get_or_init(|| PgServer::start().unwrap_or_else(|e| panic!("{e}")))
    }

    /// A new, empty database on the shared server; its `postgres://` URL.
    pub fn fresh_database() -> String {
        let s = PgServer::get();
        let name = format!(
            "pantau_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::SeqCst)
        );
        let out = s
            .command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &s.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(&name)
            .output()
            .expect("run createdb");
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        s.url(&name)
    }

    /// Run one SQL statement with `psql` on the database of `url` (from
    /// [`PgServer::fresh_database`]); its rows, one per line, columns separated by `|`.
    pub fn psql(url: &str, sql: &str) -> String {
        let s = PgServer::get();
        let out = s
            .command("psql")
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                url,
                "-c",
                sql,
            ])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("setpriv");
                c.args([
                    &format!("--reuid={user}"),
                    &format!("--regid={user}"),
                    "--init-groups",
                    "--",
                ])
                .arg(program);
                c
            }
            None => Command::new(program),
        }
    }

    fn start() -> Result<PgServer, String> {
        let bin = pg_bin();
        if !bin.join("initdb").is_file() {
            return Err(format!(
                "{}/initdb not found: install Debian's `postgresql` package (the tests start \
                 their own server; the system service is never used), or set \
                 PANTAU_TEST_PG_BIN",
                bin.display()
            ));
        }
        // Our effective uid is the owner of /proc/self (std only, no libc dependency).
        let root = std::fs::metadata("/proc/self")
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
            .unwrap_or(false);
        let dir = std::env::temp_dir().join(format!(
            "pantau-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let run_as = if root {
            let (uid, gid) = user_ids("postgres").ok_or(
                "the tests run as root and PostgreSQL refuses to: create a `postgres` user \
                 (Debian's package does) or run the tests unprivileged",
            )?;
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.display()))?;
            Some("postgres".to_owned())
        } else {
            None
        };
        let mut s = PgServer {
            port: 0,
            dir,
            bin,
            run_as,
        };
        let data = s.dir.join("data");
        let out = s
            .command("initdb")
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .arg("--no-sync")
            .arg("-D")
            .arg(&data)
            .output()
            .map_err(|e| format!("run initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb: {}", String::from_utf8_lossy(&out.stderr)));
        }
        s.port = free_port();
        let log = s.dir.join("postgres.log");
        let server = s
            .command("postgres")
            .arg("-D")
            .arg(&data)
            .args(["-p", &s.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", s.dir.display()))
            // A test server: durability is not the point, speed is.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(
                std::fs::File::create(&log)
                    .map_err(|e| format!("create {}: {e}", log.display()))?,
            )
            .spawn()
            .map_err(|e| format!("start postgres: {e}"))?;
        watchdog(server.id(), &s.dir);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = s
                .command("pg_isready")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &s.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .stdout(Stdio::null())
                .status()
                .map(|st| st.success())
                .unwrap_or(false);
            if ready {
                return Ok(s);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "postgres did not start within 60 s: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Stop the server (SIGINT: fast shutdown) and remove its directory once this process is
/// gone, however it ends. Statics are never dropped, so a guard could not do it.
fn watchdog(server_pid: u32, dir: &Path) {
    let me = std::process::id();
    let script = format!(
        "while kill -0 {me} 2>/dev/null; do sleep 0.5; done; kill -INT {server_pid}; \
         for i in $(seq 50); do kill -0 {server_pid} 2>/dev/null || break; sleep 0.2; done; \
         kill -KILL {server_pid} 2>/dev/null; rm -rf '{}'",
        dir.display()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
}

use std::os::unix::process::CommandExt;

/// uid and gid of a user, from /etc/passwd.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

/// A port nobody listens on now (the OS picks it), never 5432.
fn free_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().expect("local addr").port();
        if port != 5432 {
            return port;
        }
    }
}
