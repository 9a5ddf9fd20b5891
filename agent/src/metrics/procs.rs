//! Process count and the busiest processes, from `/proc/<pid>/stat`.

use super::linux::{read_into, text};
use pantau_proto::body::metrics::ProcessUsage;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

/// Longest name kept; kernel thread names can exceed the 15 bytes of `comm`.
const NAME_MAX: usize = 64;

struct Candidate {
    pid: u32,
    ticks: u64,
    rss_pages: u64,
    name: [u8; NAME_MAX],
    name_len: usize,
}

pub(super) struct ProcState {
    proc_dir: PathBuf,
    /// pid -> (start time, utime + stime, generation), for the last scan only.
    prev: HashMap<u32, (u64, u64, u64)>,
    generation: u64,
    candidates: Vec<Candidate>,
    path: OsString,
    clk_tck: f64,
    page_size: u64,
}

/// One `/proc/<pid>/stat` line, parsed. Also read by `usage::procs`.
#[derive(Debug, PartialEq)]
pub(crate) struct Stat<'a> {
    pub name: &'a [u8],
    /// `PF_*` flags; `PF_KTHREAD` marks kernel threads.
    pub flags: u64,
    pub ticks: u64,
    pub start: u64,
    pub rss_pages: u64,
}

impl ProcState {
    pub(super) fn new(root: &Path) -> Self {
        // SAFETY: sysconf only reads configuration values.
        let (tck, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        ProcState {
            proc_dir: root.join("proc"),
            prev: HashMap::new(),
            generation: 0,
            candidates: Vec::new(),
            path: OsString::new(),
            clk_tck: if tck > 0 { tck as f64 } else { 100.0 },
            page_size: if page > 0 { page as u64 } else { 4096 },
        }
    }

    /// Scan every process. Returns the `top` busiest (CPU share over `elapsed` seconds, then
    /// resident memory) and the process count, which is `None` when `/proc` is unreadable.
    pub(super) fn scan(
        &mut self,
        buf: &mut Vec<u8>,
        elapsed: Option<f64>,
        top: usize,
    ) -> (Vec<ProcessUsage>, Option<u32>) {
        let Ok(dir) = fs::read_dir(&self.proc_dir) else {
            return (Vec::new(), None);
        };
        self.generation += 1;
        self.candidates.clear();
        let mut count = 0u32;
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if top == 0 {
                count += 1;
                continue;
            }
            self.path.clear();
            self.path.push(&self.proc_dir);
            self.path.push("/");
            self.path.push(&name);
            self.path.push("/stat");
            // A process may exit between the listing and the read: just skip it.
            if !read_into(Path::new(&self.path), buf) {
                continue;
            }
            let Some(st) = parse_stat(buf) else {
                continue;
            };
            count += 1;
            // Same pid and start time is the same process; anything else started since the
            // last scan, so all its CPU time falls in the interval.
            let ticks = match self.prev.get(&pid) {
                Some(&(start, prev, _)) if start == st.start => st.ticks.saturating_sub(prev),
                _ => st.ticks,
            };
            self.prev.insert(pid, (st.start, st.ticks, self.generation));
            let mut c = Candidate {
                pid,
                ticks,
                rss_pages: st.rss_pages,
                name: [0; NAME_MAX],
                name_len: st.name.len().min(NAME_MAX),
            };
            c.name[..c.name_len].copy_from_slice(&st.name[..c.name_len]);
            self.candidates.push(c);
        }
        let generation = self.generation;
        self.prev.retain(|_, e| e.2 == generation);
        let Some(secs) = elapsed.filter(|_| top > 0) else {
            return (Vec::new(), Some(count));
        };
        let order = |a: &Candidate, b: &Candidate| {
            b.ticks
                .cmp(&a.ticks)
                .then(b.rss_pages.cmp(&a.rss_pages))
                .then(a.pid.cmp(&b.pid))
        };
        if self.candidates.len() > top {
            self.candidates.select_nth_unstable_by(top - 1, order);
            self.candidates.truncate(top);
        }
        self.candidates.sort_unstable_by(order);
        let top = self
            .candidates
            .iter()
            .map(|c| ProcessUsage {
                pid: c.pid,
                name: String::from_utf8_lossy(&c.name[..c.name_len]).into_owned(),
                cpu_pct: c.ticks as f64 / self.clk_tck / secs * 100.0,
                rss_bytes: c.rss_pages.saturating_mul(self.page_size),
            })
            .collect();
        (top, Some(count))
    }
}

/// `pid (comm) state ppid ...`: `comm` may hold spaces and `)`, so it ends at the last `)`.
/// Fields counted from 1 as in proc(5): flags 9, utime 14, stime 15, starttime 22, rss 24.
pub(crate) fn parse_stat(line: &[u8]) -> Option<Stat<'_>> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    let name = line.get(open + 1..close)?;
    let mut f = text(line.get(close + 1..)?).split_ascii_whitespace();
    // After the name, field 3 (state) comes first.
    let mut field = |n: usize, after: usize| f.nth(n - after - 1)?.parse::<u64>().ok();
    let flags = field(9, 2)?;
    let utime = field(14, 9)?;
    let stime = field(15, 14)?;
    let start = field(22, 15)?;
    let rss_pages = field(24, 22)?;
    Some(Stat {
        name,
        flags,
        ticks: utime + stime,
        start,
        rss_pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tricky_names() {
        let line = b"4242 (Web Content) (x)) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 12 0 98765 1234567 321 18446744073709551615\n";
        let st = parse_stat(line).unwrap();
        assert_eq!(st.name, b"Web Content) (x)");
        assert_eq!((st.ticks, st.start, st.rss_pages), (200, 98765, 321));
        assert_eq!(st.flags, 6);
    }

    #[test]
    fn garbage() {
        assert_eq!(parse_stat(b""), None);
        assert_eq!(parse_stat(b"12 (x S 1"), None);
        assert_eq!(parse_stat(b"12 x) S 1 2 3"), None);
        assert_eq!(parse_stat(b")( S 1"), None);
    }
}
