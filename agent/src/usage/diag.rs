//! Listening sockets through netlink `sock_diag` (what `ss` uses), asking the kernel for
//! LISTEN (TCP) and bound (UDP) sockets only.
//!
//! `/proc/net/tcp` lists every socket and makes the kernel walk the whole established-
//! connection hash table (262,144 buckets on a small VM) for each read: measured, that was
//! three quarters of a usage reading's CPU. A LISTEN-only dump walks just the listening
//! table. `sockets.rs` parses `/proc/net` instead when netlink is refused (a sandbox without
//! `AF_NETLINK`) and for recorded trees in tests.

use super::sockets::RawListener;
use std::net::{Ipv4Addr, Ipv6Addr};

const NETLINK_SOCK_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const TCP_LISTEN: u32 = 10;
const TCP_CLOSE: u32 = 7;
/// `struct nlmsghdr` and `struct inet_diag_req_v2` (`include/uapi/linux/inet_diag.h`).
const HDR_LEN: usize = 16;
const REQ_LEN: usize = 56;
/// `struct inet_diag_msg`: family, state, timer, retrans, sockid (48), expires, rqueue,
/// wqueue, uid, inode.
const MSG_LEN: usize = 72;

/// Every listener of this network namespace, or why netlink could not be used.
pub fn listeners() -> Result<Vec<RawListener>, String> {
    // SAFETY: plain socket call; the descriptor is closed by `Fd`.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            NETLINK_SOCK_DIAG,
        )
    };
    if fd < 0 {
        return Err(format!("netlink: {}", std::io::Error::last_os_error()));
    }
    let fd = Fd(fd);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    for (family, proto, name, state) in [
        (libc::AF_INET, libc::IPPROTO_TCP, "tcp", TCP_LISTEN),
        (libc::AF_INET6, libc::IPPROTO_TCP, "tcp", TCP_LISTEN),
        (libc::AF_INET, libc::IPPROTO_UDP, "udp", TCP_CLOSE),
        (libc::AF_INET6, libc::IPPROTO_UDP, "udp", TCP_CLOSE),
    ] {
        send(&fd, request(family as u8, proto as u8, 1 << state))?;
        'dump: loop {
            // SAFETY: `buf` is writable for its length.
            let n = unsafe { libc::recv(fd.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                return Err(format!("netlink recv: {}", std::io::Error::last_os_error()));
            }
            let mut rest = &buf[..n as usize];
            while rest.len() >= HDR_LEN {
                let len = u32::from_ne_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
                let ty = u16::from_ne_bytes([rest[4], rest[5]]);
                if len < HDR_LEN || len > rest.len() {
                    return Err("netlink: truncated message".into());
                }
                match ty {
                    NLMSG_DONE => break 'dump,
                    NLMSG_ERROR => {
                        let errno = rest
                            .get(HDR_LEN..HDR_LEN + 4)
                            .map_or(0, |b| i32::from_ne_bytes(b.try_into().expect("4 bytes")));
                        // A kernel without IPv6 or UDP diag support answers ENOENT: no table.
                        if -errno == libc::ENOENT {
                            break 'dump;
                        }
                        let e = std::io::Error::from_raw_os_error(-errno);
                        return Err(format!("netlink {name}: {e}"));
                    }
                    SOCK_DIAG_BY_FAMILY => out.extend(parse_msg(&rest[HDR_LEN..len], name)),
                    _ => {}
                }
                // Messages are aligned to 4 bytes.
                rest = rest.get((len + 3) & !3..).unwrap_or(&[]);
            }
        }
    }
    Ok(out)
}

/// One `inet_diag_msg`: family, local address (`id.src`), local port (`id.sport`, big
/// endian) and inode.
pub fn parse_msg(m: &[u8], proto: &'static str) -> Option<RawListener> {
    if m.len() < MSG_LEN {
        return None;
    }
    let port = u16::from_be_bytes([m[4], m[5]]);
    let addr = match i32::from(m[0]) {
        libc::AF_INET => Ipv4Addr::new(m[8], m[9], m[10], m[11]).to_string(),
        libc::AF_INET6 => {
            let a: [u8; 16] = m[8..24].try_into().ok()?;
            let v6 = Ipv6Addr::from(a);
            match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => v6.to_string(),
            }
        }
        _ => return None,
    };
    let inode = u32::from_ne_bytes(m[68..72].try_into().ok()?);
    Some(RawListener {
        proto,
        addr,
        port,
        inode: u64::from(inode),
    })
}

/// `nlmsghdr` + `inet_diag_req_v2` asking for a dump of `family`/`proto` sockets in `states`.
fn request(family: u8, proto: u8, states: u32) -> [u8; HDR_LEN + REQ_LEN] {
    let mut b = [0u8; HDR_LEN + REQ_LEN];
    b[0..4].copy_from_slice(&((HDR_LEN + REQ_LEN) as u32).to_ne_bytes());
    b[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    b[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    b[HDR_LEN] = family;
    b[HDR_LEN + 1] = proto;
    b[HDR_LEN + 4..HDR_LEN + 8].copy_from_slice(&states.to_ne_bytes());
    b
}

fn send(fd: &Fd, req: [u8; HDR_LEN + REQ_LEN]) -> Result<(), String> {
    // SAFETY: zeroed sockaddr_nl is valid; family set below; pid 0 is the kernel.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: `req` and `sa` are valid for the lengths given.
    let n = unsafe {
        libc::sendto(
            fd.0,
            req.as_ptr().cast(),
            req.len(),
            0,
            (&sa as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(format!("netlink send: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

struct Fd(libc::c_int);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor.
        unsafe { libc::close(self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against the kernel: a listener this test opens is found with its inode, and the
    /// answer agrees with `/proc/net/tcp`.
    #[test]
    fn finds_a_real_listener_like_proc_net() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let got = listeners().expect("netlink sock_diag");
        let mine = got
            .iter()
            .find(|r| r.port == port && r.proto == "tcp")
            .expect("our listener");
        assert_eq!(mine.addr, "127.0.0.1");
        let (tables, _) = super::super::sockets::read_tables(std::path::Path::new("/proc/net"));
        let same = tables
            .iter()
            .find(|r| r.port == port)
            .expect("in /proc/net/tcp");
        assert_eq!(same.inode, mine.inode);
    }

    #[test]
    fn short_or_foreign_messages() {
        assert_eq!(parse_msg(&[0u8; 10], "tcp"), None);
        let mut m = [0u8; MSG_LEN];
        m[0] = 99;
        assert_eq!(parse_msg(&m, "tcp"), None);
        m[0] = libc::AF_INET as u8;
        m[4..6].copy_from_slice(&8080u16.to_be_bytes());
        m[8..12].copy_from_slice(&[10, 0, 0, 1]);
        m[68..72].copy_from_slice(&777u32.to_ne_bytes());
        let r = parse_msg(&m, "tcp").unwrap();
        assert_eq!((r.addr.as_str(), r.port, r.inode), ("10.0.0.1", 8080, 777));
    }
}
