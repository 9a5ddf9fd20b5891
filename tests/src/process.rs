//! Child processes with their output in a log file, and the helpers to find and stop them.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A built workspace binary (`pantau-collector`, `pantau-agent`), found next to the running
/// test executable: `target/debug/deps/report-1234` → `target/debug/pantau-collector`.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let mut candidates = Vec::new();
    for dir in exe.ancestors().skip(1).take(2) {
        candidates.push(dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX)));
    }
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "binary `{name}` not found (looked at {candidates:?}). The end-to-end tests run the \
                 real binaries: run `cargo build --workspace` first (with the same profile and \
                 CARGO_TARGET_DIR as the tests)"
            )
        })
}

/// A port on 127.0.0.1 that was free a moment ago. Binding port 0 lets the kernel choose, so
/// tests running in parallel do not collide.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Poll `f` every 100 ms until it returns true or `timeout` passes. Returns whether it did.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Poll `f` until it returns `Some`, or `None` once `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let mut out = None;
    wait_until(timeout, || {
        out = f();
        out.is_some()
    });
    out
}

/// One child process whose stdout and stderr append to `log`.
pub struct Proc {
    name: String,
    log: PathBuf,
    child: Option<Child>,
}

impl Proc {
    pub fn new(name: &str, log: PathBuf) -> Proc {
        Proc {
            name: name.to_owned(),
            log,
            child: None,
        }
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Start `cmd` with its output appended to the log file.
    pub fn spawn(&mut self, mut cmd: Command) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let out = open_log(&self.log);
        let _ = writeln!(&out, "===== {} starting: {cmd:?}", self.name);
        let err = out.try_clone().expect("clone log handle");
        // Plain logs: no colour escapes in the files printed on failure.
        cmd.env("NO_COLOR", "1");
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({cmd:?}): {e}", self.name));
        self.child = Some(child);
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Panic with the log if the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(c) = self.child.as_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                panic!(
                    "{} exited unexpectedly ({status}); its log:\n{}",
                    self.name,
                    self.log_text()
                );
            }
        }
    }

    /// SIGTERM, then wait up to `grace` for the exit, then SIGKILL. Returns whether the
    /// process exited by itself within `grace` (true if it was not running).
    pub fn terminate(&mut self, grace: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let mut clean = true;
        signal(&child, libc::SIGTERM);
        let deadline = Instant::now() + grace;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    eprintln!(
                        "{} did not exit within {grace:?} of SIGTERM; killing",
                        self.name
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    clean = false;
                    break;
                }
            }
        }
        self.note(if clean {
            "stopped (SIGTERM)"
        } else {
            "killed (SIGKILL) after SIGTERM did not stop it"
        });
        clean
    }

    /// Send `sig` (e.g. `libc::SIGSTOP`, `libc::SIGCONT`) if the process is running.
    pub fn signal(&self, sig: libc::c_int) {
        if let Some(c) = self.child.as_ref() {
            signal(c, sig);
        }
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            self.note("killed (SIGKILL)");
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_else(|e| format!("(no log: {e})"))
    }

    fn note(&self, what: &str) {
        let _ = writeln!(open_log(&self.log), "===== {} {what}", self.name);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let text = self.log_text();
            // The end is what explains a failure; keep the output readable.
            let tail: Vec<&str> = text.lines().rev().take(300).collect();
            eprintln!(
                "\n----- {} log ({}), last {} lines -----",
                self.name,
                self.log.display(),
                tail.len()
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
            eprintln!("----- end of {} log -----", self.name);
        }
    }
}

fn open_log(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open log {}: {e}", path.display()))
}

fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    // SAFETY: kill(2) with a pid of our own unreaped child: it cannot hit another process.
    unsafe {
        libc::kill(pid, sig);
    }
}
