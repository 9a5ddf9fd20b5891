//! Keeping the agent's resident memory small on old PCs.
//!
//! Most of a small Rust program's resident set is not data but pages mapped from the binary
//! and from libc. Two kernel habits inflate it:
//!
//! * **Start-up code stays mapped.** Code that ran once (argument parsing, config, the first
//!   inventory) keeps its pages in our page tables for the life of the process.
//! * **Fault-around.** On a page fault in a file mapping the kernel also maps the neighbours
//!   that are already in the page cache (64 KiB windows by default). After start-up nearly the
//!   whole binary is in the page cache, so every fault in a steady-state cycle maps 16 pages,
//!   most of which the cycle never runs. `MADV_RANDOM` does not turn this off; it only stops
//!   read-ahead. (Measured on kernel 6.18: 2.0 MiB of our code resident after one cycle,
//!   none of it in large folios; docs/benchmarks.md run 4.)
//!
//! So, on Linux only, once start-up is over:
//! 1. drop from our page tables the pages of our read-only file mappings that are identical to
//!    the file (executable code, and read-only data with no private copy) with
//!    `MADV_DONTNEED`;
//! 2. ask the kernel to drop *our own binary's* now unmapped pages from the page cache
//!    (`POSIX_FADV_DONTNEED`).
//!
//! From then on a fault reads just the one page it needs (`MADV_RANDOM`: no read-ahead), and
//! fault-around can only map neighbours that are cached, i.e. that a cycle really used. The
//! cost is one disk read per page actually used, once. Shared libraries' page cache is left
//! alone: other programs use it.

/// A file mapping of this process.
#[cfg(target_os = "linux")]
struct Mapping {
    start: usize,
    len: usize,
    executable: bool,
    path: String,
    /// Pages that are a private copy (relocated data): such a mapping is never dropped.
    anonymous_kb: u64,
}

/// Read-only, file-backed mappings of this process, from `/proc/self/smaps`.
#[cfg(target_os = "linux")]
fn file_mappings() -> Vec<Mapping> {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return Vec::new();
    };
    let mut out: Vec<Mapping> = Vec::new();
    let mut current: Option<Mapping> = None;
    for line in smaps.lines() {
        if is_header(line) {
            // Every mapping's header ends the previous one, wanted or not.
            out.extend(current.take());
            current = parse_header(line);
            continue;
        }
        if let (Some(m), Some(v)) = (current.as_mut(), line.strip_prefix("Anonymous:")) {
            m.anonymous_kb = v
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap_or(u64::MAX);
        }
    }
    out.extend(current);
    out.retain(|m| m.path.starts_with('/'));
    out
}

/// The first line of a mapping in smaps: `start-end perms ...` (the other lines are
/// `Key: value`).
#[cfg(target_os = "linux")]
fn is_header(line: &str) -> bool {
    line.split_whitespace()
        .next()
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(a, b)| {
            !a.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_hexdigit())
        })
}

/// `start-end perms offset dev inode path` for read-only private mappings; `None` for the
/// other lines of smaps and for writable or shared mappings.
#[cfg(target_os = "linux")]
fn parse_header(line: &str) -> Option<Mapping> {
    let mut f = line.split_whitespace();
    let (a, b) = f.next()?.split_once('-')?;
    let perms = f.next()?;
    let path = f.nth(3).unwrap_or("");
    let start = usize::from_str_radix(a, 16).ok()?;
    let end = usize::from_str_radix(b, 16).ok()?;
    let executable = match perms {
        "r-xp" => true,
        "r--p" => false,
        _ => return None,
    };
    (end > start).then(|| Mapping {
        start,
        len: end - start,
        executable,
        path: path.to_owned(),
        anonymous_kb: 0,
    })
}

/// Turn read-ahead off for code and for our binary's read-only data, so a page fault after
/// [`trim_code`] reads one page. A fault in read-only data with read-ahead on would read a
/// window of the file around it, code included, undoing the eviction (seen: the whole binary
/// cached again after one cycle). Call once, early.
pub fn code_access_random() {
    #[cfg(target_os = "linux")]
    let exe = std::fs::read_link("/proc/self/exe").ok();
    #[cfg(target_os = "linux")]
    for m in file_mappings()
        .iter()
        .filter(|m| m.executable || is_ours(m, exe.as_deref()))
    {
        // SAFETY: the range is a whole mapping of this process, taken from /proc/self/smaps;
        // MADV_RANDOM only changes the kernel's paging policy for it.
        unsafe {
            libc::madvise(m.start as *mut libc::c_void, m.len, libc::MADV_RANDOM);
        }
    }
}

/// Drop resident pages of read-only file mappings and our binary's page cache; the pages
/// still in use come back on their next use.
pub fn trim_code() {
    #[cfg(target_os = "linux")]
    {
        let exe = std::fs::read_link("/proc/self/exe").ok();
        let maps = file_mappings();
        for m in &maps {
            let ours = is_ours(m, exe.as_deref());
            // Code anywhere; read-only data only in our binary and only when no page of it
            // is a private (relocated) copy, which dropping would lose.
            if !(m.executable || ours) || m.anonymous_kb != 0 {
                continue;
            }
            // SAFETY: a whole read-only private file mapping of this process with no
            // anonymous pages: its content is exactly the file's, so MADV_DONTNEED discards
            // nothing that cannot be read again from the file.
            unsafe {
                libc::madvise(m.start as *mut libc::c_void, m.len, libc::MADV_DONTNEED);
            }
        }
        if let Some(exe) = exe {
            evict_from_page_cache(&exe);
        }
    }
}

/// Evict our binary's unmapped pages from the page cache again. Pages unmapped a moment ago
/// may still be held by the kernel's per-CPU batches, which makes the first eviction in
/// [`trim_code`] skip them (seen on 6.18); call this a few seconds later.
pub fn evict_own_binary() {
    #[cfg(target_os = "linux")]
    if let Ok(exe) = std::fs::read_link("/proc/self/exe") {
        evict_from_page_cache(&exe);
    }
}

/// Whether `m` maps our own executable.
#[cfg(target_os = "linux")]
fn is_ours(m: &Mapping, exe: Option<&std::path::Path>) -> bool {
    exe.is_some_and(|e| e.as_os_str() == m.path.as_str())
}

/// `POSIX_FADV_DONTNEED` on a whole file: the kernel drops its clean pages that no process
/// maps. Failure only means the pages stay cached.
#[cfg(target_os = "linux")]
fn evict_from_page_cache(path: &std::path::Path) {
    use std::os::fd::AsRawFd;
    if let Ok(f) = std::fs::File::open(path) {
        // SAFETY: a valid open descriptor; the call only gives the kernel advice.
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_code_keeps_the_program_working() {
        code_access_random();
        trim_code();
        // Still running code, and reading constant data, after every such page was dropped.
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 500_500);
        assert_eq!(format!("{:?}", "still here"), "\"still here\"");
        #[cfg(target_os = "linux")]
        {
            let maps = file_mappings();
            assert!(maps.iter().any(|m| m.executable));
            // The relocated read-only data of a PIE binary is a private copy: recognised.
            assert!(maps.iter().all(|m| m.anonymous_kb != u64::MAX));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn smaps_headers() {
        let m =
            parse_header("55d0c0a00000-55d0c0c00000 r-xp 00001000 fd:01 123 /usr/bin/pantau-agent")
                .unwrap();
        assert!(m.executable);
        assert_eq!(m.len, 0x200000);
        assert_eq!(m.path, "/usr/bin/pantau-agent");
        assert!(parse_header("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 [stack]").is_none());
        assert!(!is_header("Rss:                 4 kB"));
        assert!(is_header("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 [stack]"));
        assert!(
            !parse_header("1000-2000 r--p 00000000 fd:01 9 /lib/libc.so.6")
                .unwrap()
                .executable
        );
    }
}
