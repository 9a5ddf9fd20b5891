//! Running processes from `/proc/<pid>/stat`, `/proc/<pid>/status` and the `/proc/<pid>/exe`
//! link. Reuses the metrics scan's `stat` parser (`metrics::procs::parse_stat`).
//!
//! Privacy: only these three entries are touched. `cmdline` and `environ` are never opened
//! (arguments and environment can hold passwords, URLs and file names), and neither are
//! `maps`, `fd` targets other than sockets (see `sockets.rs`) or any window or file content.

use crate::metrics::procs::parse_stat;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

/// `PF_KTHREAD` in `include/linux/sched.h`: the task is a kernel thread.
const PF_KTHREAD: u64 = 0x0020_0000;

/// One user-space process as read this cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcRecord {
    pub pid: u32,
    pub name: String,
    /// Executable path; `None` when the link is unreadable (another user's process for a
    /// non-root agent) or the process is gone.
    pub exe: Option<String>,
    /// Real uid, from `status`.
    pub uid: Option<u32>,
    /// Start time in clock ticks after boot (`stat` field 22): with the pid, identifies the
    /// process across readings.
    pub start_ticks: u64,
    /// utime + stime, clock ticks.
    pub cpu_ticks: u64,
    pub rss_pages: u64,
}

/// Every user-space process under `proc_dir`, in pid order. Errors only when `proc_dir`
/// itself cannot be listed; a process that exits mid-read is skipped.
pub fn scan(proc_dir: &Path, buf: &mut Vec<u8>) -> std::io::Result<Vec<ProcRecord>> {
    let mut out = Vec::new();
    let mut dir = PathBuf::from(proc_dir);
    for entry in fs::read_dir(proc_dir)?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        dir.push(entry.file_name());
        if let Some(rec) = read_one(&dir, pid, buf) {
            out.push(rec);
        }
        dir.pop();
    }
    out.sort_unstable_by_key(|p| p.pid);
    Ok(out)
}

fn read_one(dir: &Path, pid: u32, buf: &mut Vec<u8>) -> Option<ProcRecord> {
    if !read_into(&dir.join("stat"), buf) {
        return None;
    }
    let st = parse_stat(buf)?;
    if st.flags & PF_KTHREAD != 0 {
        return None;
    }
    let mut rec = ProcRecord {
        pid,
        name: String::from_utf8_lossy(st.name).into_owned(),
        exe: None,
        uid: None,
        start_ticks: st.start,
        cpu_ticks: st.ticks,
        rss_pages: st.rss_pages,
    };
    if read_into(&dir.join("status"), buf) {
        rec.uid = parse_uid(buf);
    }
    rec.exe = fs::read_link(dir.join("exe"))
        .ok()
        .map(|p| p.to_string_lossy().into_owned());
    Some(rec)
}

/// The real uid: first number of the `Uid:` line of `status`.
pub fn parse_uid(status: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(status).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

fn read_into(path: &Path, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    File::open(path)
        .and_then(|mut f| f.read_to_end(buf))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_proc(root: &Path, pid: u32, stat: &str, uid: u32) {
        let d = root.join(pid.to_string());
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("stat"), stat).unwrap();
        fs::write(
            d.join("status"),
            format!("Name:\tx\nUmask:\t0022\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t0\t0\t0\t0\n"),
        )
        .unwrap();
        // Must never be read: a scan that opened it would not notice, so the test below
        // also checks no field carries its text.
        fs::write(d.join("cmdline"), "xmrig\0--pass=RAHASIA\0").unwrap();
    }

    #[test]
    fn user_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        // pid 2: kthreadd, flags with PF_KTHREAD (0x208040).
        write_proc(p, 2, "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 18446744073709551615\n", 0);
        write_proc(p, 812, "812 (xmrig) R 1 812 812 0 -1 4194560 10 0 0 0 4500 500 0 0 20 0 8 0 12345 99999 2048 18446744073709551615\n", 1000);
        fs::create_dir_all(p.join("self")).unwrap();
        fs::write(p.join("uptime"), "1 1").unwrap();
        let got = scan(p, &mut Vec::new()).unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        let x = &got[0];
        assert_eq!((x.pid, x.name.as_str(), x.uid), (812, "xmrig", Some(1000)));
        assert_eq!(
            (x.cpu_ticks, x.start_ticks, x.rss_pages),
            (5000, 12345, 2048)
        );
        assert_eq!(x.exe, None);
        assert!(!format!("{got:?}").contains("RAHASIA"));
    }

    #[test]
    fn uid_line() {
        assert_eq!(parse_uid(b"Name:\ta\nUid:\t33\t0\t0\t0\n"), Some(33));
        assert_eq!(parse_uid(b"Name:\ta\n"), None);
        assert_eq!(parse_uid(b"Uid:\tx\n"), None);
    }

    #[test]
    fn missing_proc_is_an_error() {
        assert!(scan(Path::new("/nonexistent/proc"), &mut Vec::new()).is_err());
    }
}
