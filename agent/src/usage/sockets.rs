//! Listening sockets from `/proc/net/{tcp,tcp6,udp,udp6}`, each mapped to its process.
//!
//! A socket's owner is found by its inode: `/proc/<pid>/fd/<n>` links read `socket:[INODE]`.
//! The links are read with `readlink(2)` into a 32-byte buffer, so a link to a file yields at
//! most a truncated, discarded prefix of its path: file names never reach the agent's memory
//! beyond that buffer, let alone a report.
//!
//! Only the agent's own network namespace is seen (its `/proc/net`). A non-root agent can
//! read only its own user's `fd` directories: other users' listeners are still reported,
//! without `pid`/`process`. Root, or `CAP_SYS_PTRACE` plus `CAP_DAC_READ_SEARCH`, sees all.

use super::procs::ProcRecord;
use pantau_proto::body::usage::Listener;
use std::collections::HashMap;
use std::ffi::CString;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `TCP_LISTEN` and `TCP_CLOSE` in `include/net/tcp_states.h`. An unconnected bound UDP socket
/// shows as `TCP_CLOSE`; a connected one (a client) as established and is left out.
const TCP_LISTEN: u8 = 0x0A;
const UDP_BOUND: u8 = 0x07;

/// A listening socket before its owner is known.
#[derive(Debug, Clone, PartialEq)]
pub struct RawListener {
    pub proto: &'static str,
    pub addr: String,
    pub port: u16,
    pub inode: u64,
}

/// Every listener of the tables under `proc_net` (`/proc/net`), in table order. A missing
/// table (no IPv6) is not an error; returns the tables that could not be read.
pub fn read_tables(proc_net: &Path) -> (Vec<RawListener>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (file, proto, want) in [
        ("tcp", "tcp", TCP_LISTEN),
        ("tcp6", "tcp", TCP_LISTEN),
        ("udp", "udp", UDP_BOUND),
        ("udp6", "udp", UDP_BOUND),
    ] {
        match std::fs::read_to_string(proc_net.join(file)) {
            Ok(text) => out.extend(parse_table(&text, proto, want)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => errors.push(format!("listeners: /proc/net/{file}: {e}")),
        }
    }
    (out, errors)
}

/// One `/proc/net/tcp`-style table: `sl local rem st queues tr retrnsmt uid timeout inode`.
pub fn parse_table(text: &str, proto: &'static str, want: u8) -> Vec<RawListener> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_ascii_whitespace().take(10).collect();
        let [_, local, _, st, _, _, _, _, _, inode] = f[..] else {
            continue;
        };
        if u8::from_str_radix(st, 16).ok() != Some(want) {
            continue;
        }
        let Some((addr, port)) = parse_addr(local) else {
            continue;
        };
        let Ok(inode) = inode.parse() else { continue };
        out.push(RawListener {
            proto,
            addr,
            port,
            inode,
        });
    }
    out
}

/// `0100007F:1F90` (IPv4) or 32 hex digits (IPv6): the kernel prints each 32-bit word of the
/// address in host byte order.
fn parse_addr(s: &str) -> Option<(String, u16)> {
    let (a, p) = s.split_once(':')?;
    let port = u16::from_str_radix(p, 16).ok()?;
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(a.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    let addr = match a.len() {
        8 => Ipv4Addr::from(word(0)?).to_string(),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            let v6 = Ipv6Addr::from(b);
            // A dual-stack socket bound to an IPv4 address shows it mapped.
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => return None,
    };
    Some((addr, port))
}

/// The owner of each listener, by inode, searching the fds of `procs` (lowest pid first, so
/// a pre-forked server's parent wins over its workers). Stops once every inode is found.
pub fn owners(proc_dir: &Path, procs: &[ProcRecord], raw: &[RawListener]) -> HashMap<u64, u32> {
    let mut found = HashMap::new();
    let wanted: std::collections::HashSet<u64> = raw.iter().map(|l| l.inode).collect();
    if wanted.is_empty() {
        return found;
    }
    for p in procs {
        let fd_dir = proc_dir.join(p.pid.to_string()).join("fd");
        let Ok(dir) = std::fs::read_dir(&fd_dir) else {
            continue; // another user's process, or gone
        };
        for fd in dir.flatten() {
            if let Some(inode) = socket_inode(&fd.path()) {
                if wanted.contains(&inode) {
                    found.entry(inode).or_insert(p.pid);
                }
            }
        }
        if found.len() == wanted.len() {
            break;
        }
    }
    found
}

/// The last search's result, reused while the set of listening sockets is the same and every
/// owner found is still running: walking every process's fds is most of a reading's cost on
/// a busy machine, and listeners rarely change between two readings.
#[derive(Default)]
pub struct OwnerCache {
    inodes: Vec<u64>,
    owners: HashMap<u64, u32>,
    /// Owner pid -> its start time, to tell a reused pid from the owner.
    starts: HashMap<u32, u64>,
    /// Searches done (for tests).
    pub searches: u64,
}

impl OwnerCache {
    /// Owners of `raw`'s sockets; searches the fds again when the sockets changed, an owner
    /// stopped, or `fresh` (a full snapshot) asks for it.
    pub fn owners(
        &mut self,
        proc_dir: &Path,
        procs: &[ProcRecord],
        raw: &[RawListener],
        fresh: bool,
    ) -> &HashMap<u64, u32> {
        let mut inodes: Vec<u64> = raw.iter().map(|l| l.inode).collect();
        inodes.sort_unstable();
        inodes.dedup();
        let running: HashMap<u32, u64> = procs.iter().map(|p| (p.pid, p.start_ticks)).collect();
        let owners_alive = self
            .starts
            .iter()
            .all(|(pid, start)| running.get(pid) == Some(start));
        if fresh || inodes != self.inodes || !owners_alive {
            self.searches += 1;
            self.owners = owners(proc_dir, procs, raw);
            self.starts = self
                .owners
                .values()
                .filter_map(|pid| running.get(pid).map(|s| (*pid, *s)))
                .collect();
            self.inodes = inodes;
        }
        &self.owners
    }
}

/// `socket:[INODE]` read from an fd link into a small buffer (see the module doc).
fn socket_inode(link: &Path) -> Option<u64> {
    let c = CString::new(link.as_os_str().as_bytes()).ok()?;
    let mut buf = [0u8; 32];
    // SAFETY: `c` is NUL-terminated and `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::readlink(c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let got = buf.get(..usize::try_from(n).ok()?)?;
    parse_socket_link(got)
}

pub fn parse_socket_link(link: &[u8]) -> Option<u64> {
    let rest = link.strip_prefix(b"socket:[")?.strip_suffix(b"]")?;
    std::str::from_utf8(rest).ok()?.parse().ok()
}

/// Listeners with their owners filled in, sorted and without duplicates (a socket bound by
/// several processes of one server is listed once).
pub fn resolve(
    raw: Vec<RawListener>,
    owners: &HashMap<u64, u32>,
    procs: &[ProcRecord],
    user: impl Fn(u32) -> String,
) -> Vec<Listener> {
    let by_pid: HashMap<u32, &ProcRecord> = procs.iter().map(|p| (p.pid, p)).collect();
    let mut out: Vec<Listener> = raw
        .into_iter()
        .map(|r| {
            let pid = owners.get(&r.inode).copied();
            let p = pid.and_then(|pid| by_pid.get(&pid));
            Listener {
                proto: r.proto.into(),
                addr: r.addr,
                port: r.port,
                pid,
                process: p.map(|p| p.name.clone()),
                exe: p.and_then(|p| p.exe.clone()),
                user: p.and_then(|p| p.uid).map(&user),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.proto, a.port, &a.addr, a.pid).cmp(&(&b.proto, b.port, &b.addr, b.pid)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 23456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:0CEA 01 00000000:00000000 00:00000000 00000000  1000        0 99999 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0
";
    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   102        0 5555 2 0000000000000000 0
  101: 0F00000A:A1B2 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 6666 2 0000000000000000 0
";

    #[test]
    fn tables() {
        let t = parse_table(TCP, "tcp", TCP_LISTEN);
        assert_eq!(t.len(), 2, "the established connection is left out");
        assert_eq!(
            (t[0].addr.as_str(), t[0].port, t[0].inode),
            ("127.0.0.1", 3306, 23456)
        );
        assert_eq!((t[1].addr.as_str(), t[1].port), ("0.0.0.0", 22));
        let t6 = parse_table(TCP6, "tcp", TCP_LISTEN);
        assert_eq!((t6[0].addr.as_str(), t6[0].port), ("::", 8080));
        assert_eq!((t6[1].addr.as_str(), t6[1].port), ("127.0.0.1", 80));
        let u = parse_table(UDP, "udp", UDP_BOUND);
        assert_eq!(u.len(), 1, "the connected client socket is left out");
        assert_eq!((u[0].addr.as_str(), u[0].port), ("127.0.0.53", 53));
        assert!(
            parse_table("header\ngarbage line\n 0: zz:zz 0 0A\n", "tcp", TCP_LISTEN).is_empty()
        );
    }

    #[test]
    fn socket_links() {
        assert_eq!(parse_socket_link(b"socket:[23456]"), Some(23456));
        assert_eq!(parse_socket_link(b"/home/budi/rahasia.docx"), None);
        assert_eq!(parse_socket_link(b"pipe:[1]"), None);
        assert_eq!(parse_socket_link(b"socket:[12"), None);
    }

    #[test]
    fn owner_search_only_when_sockets_or_owners_change() {
        let dir = tempfile::tempdir().unwrap();
        let p = |pid, start| ProcRecord {
            pid,
            name: "x".into(),
            exe: None,
            uid: None,
            start_ticks: start,
            cpu_ticks: 0,
            rss_pages: 0,
        };
        let raw = parse_table(TCP, "tcp", TCP_LISTEN);
        let mut c = OwnerCache::default();
        let procs = [p(1, 10)];
        c.owners(dir.path(), &procs, &raw, false);
        c.owners(dir.path(), &procs, &raw, false);
        assert_eq!(c.searches, 1, "same sockets: no new search");
        c.owners(dir.path(), &procs, &raw[..1], false);
        assert_eq!(c.searches, 2, "a socket went away");
        c.owners(dir.path(), &procs, &raw[..1], true);
        assert_eq!(c.searches, 3, "a full snapshot searches again");
        c.owners = HashMap::from([(23456, 1)]);
        c.starts = HashMap::from([(1, 10)]);
        c.owners(dir.path(), &procs, &raw[..1], false);
        assert_eq!(c.searches, 3);
        c.owners(dir.path(), &[p(1, 11)], &raw[..1], false);
        assert_eq!(
            c.searches, 4,
            "the owner's pid now belongs to another process"
        );
    }

    #[test]
    fn owners_fill_and_dedup() {
        let p = ProcRecord {
            pid: 700,
            name: "mysqld".into(),
            exe: Some("/usr/sbin/mysqld".into()),
            uid: Some(108),
            start_ticks: 1,
            cpu_ticks: 1,
            rss_pages: 1,
        };
        let mut raw = parse_table(TCP, "tcp", TCP_LISTEN);
        raw.push(raw[0].clone());
        let owners = HashMap::from([(23456, 700)]);
        let l = resolve(raw, &owners, &[p], |u| format!("u{u}"));
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].port, 22);
        assert_eq!(l[0].pid, None);
        assert_eq!(l[1].process.as_deref(), Some("mysqld"));
        assert_eq!(l[1].user.as_deref(), Some("u108"));
    }
}
