//! Latency, loss and jitter to one target.
//!
//! ICMP echo over an unprivileged ICMP datagram socket (Linux allows it when the agent's group
//! is inside `net.ipv4.ping_group_range`), else over a raw ICMP socket (needs `CAP_NET_RAW`),
//! else the time a TCP connection to `tcp_port` takes to open. Requests go out on a fixed
//! schedule (`spacing` apart) whether or not earlier replies came back, so one round of one
//! target takes at most `count × spacing + timeout` after resolution.

use super::stats;
use pantau_proto::body::net::{ProbeMethod, ProbeResult};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

/// The TCP port tried when ICMP is not allowed.
pub const DEFAULT_TCP_PORT: u16 = 443;

#[derive(Debug, Clone, Copy)]
pub struct PingOptions {
    /// Echo requests (or TCP connects) per round.
    pub count: u32,
    /// Time between requests.
    pub spacing: Duration,
    /// How long a reply may take before it counts as lost.
    pub timeout: Duration,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: 5,
            spacing: Duration::from_millis(200),
            timeout: Duration::from_secs(1),
        }
    }
}

/// How the probes of one target went: RTTs of the replies in request order, and the last
/// error seen, if any.
struct Outcome {
    sent: u32,
    rtts: Vec<f64>,
    error: Option<String>,
}

/// Probe `host` (an address or a name) `opts.count` times.
pub async fn probe(
    name: &str,
    host: &str,
    tcp_port: Option<u16>,
    opts: PingOptions,
) -> ProbeResult {
    let port = tcp_port.unwrap_or(DEFAULT_TCP_PORT);
    let mut r = ProbeResult {
        name: name.to_owned(),
        target: host.to_owned(),
        ..ProbeResult::default()
    };
    let ip = match resolve(host, port).await {
        Ok(ip) => ip,
        Err(e) => {
            stats::fill(&mut r, 0, &[]);
            r.error = Some(e);
            return r;
        }
    };
    r.target = ip.to_string();
    let (method, outcome) = match icmp::open(ip) {
        Some((socket, method)) => (method, icmp::echo(socket, method, ip, opts).await),
        None => (ProbeMethod::Tcp, tcp(SocketAddr::new(ip, port), opts).await),
    };
    r.method = method;
    if method == ProbeMethod::Tcp {
        r.port = Some(port);
    }
    stats::fill(&mut r, outcome.sent, &outcome.rtts);
    if r.received == 0 {
        r.error = outcome.error.or_else(|| Some("no reply".into()));
    }
    r
}

async fn resolve(host: &str, port: u16) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let lookup = tokio::net::lookup_host((host, port));
    let addrs: Vec<SocketAddr> = tokio::time::timeout(super::dns::TIMEOUT, lookup)
        .await
        .map_err(|_| format!("cannot resolve {host}: timed out"))?
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    // ICMP here is IPv4 only: prefer an IPv4 address.
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .map(|a| a.ip())
        .ok_or_else(|| format!("cannot resolve {host}: no address"))
}

/// Time TCP connects to `addr` on the echo schedule. A refused connection counts as lost:
/// the port must accept for the probe to say anything about the path.
async fn tcp(addr: SocketAddr, opts: PingOptions) -> Outcome {
    let start = Instant::now();
    let tries: Vec<_> = (0..opts.count)
        .map(|i| {
            tokio::spawn(async move {
                tokio::time::sleep_until(start + opts.spacing * i).await;
                let t = Instant::now();
                match tokio::time::timeout(opts.timeout, tokio::net::TcpStream::connect(addr)).await
                {
                    Ok(Ok(_stream)) => Ok(ms(t.elapsed())),
                    Ok(Err(e)) => Err(format!("tcp {addr}: {e}")),
                    Err(_) => Err(format!("tcp {addr}: timed out")),
                }
            })
        })
        .collect();
    let mut out = Outcome {
        sent: opts.count,
        rtts: Vec::new(),
        error: None,
    };
    for t in tries {
        match t.await {
            Ok(Ok(rtt)) => out.rtts.push(rtt),
            Ok(Err(e)) => out.error = Some(e),
            Err(e) => out.error = Some(e.to_string()),
        }
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(unix)]
mod icmp {
    use super::{ms, Outcome, PingOptions};
    use pantau_proto::body::net::ProbeMethod;
    use socket2::{Domain, Protocol, SockAddr, Socket, Type};
    use std::io::Read;
    use std::net::{IpAddr, SocketAddr};
    use tokio::io::unix::AsyncFd;
    use tokio::io::Interest;
    use tokio::time::Instant;

    const ECHO_REQUEST: u8 = 8;
    const ECHO_REPLY: u8 = 0;
    /// Marks our own requests, so a raw socket (which sees every ICMP packet) can tell its
    /// replies from other pingers'.
    const MAGIC: &[u8; 8] = b"pantau\x01\x00";

    /// An ICMP socket this process may use: datagram first, then raw. IPv4 only.
    pub(super) fn open(ip: IpAddr) -> Option<(Socket, ProbeMethod)> {
        if !ip.is_ipv4() {
            return None;
        }
        [
            (Type::DGRAM, ProbeMethod::IcmpDgram),
            (Type::RAW, ProbeMethod::IcmpRaw),
        ]
        .into_iter()
        .find_map(|(ty, method)| {
            let s = Socket::new(Domain::IPV4, ty, Some(Protocol::ICMPV4)).ok()?;
            s.set_nonblocking(true).ok()?;
            Some((s, method))
        })
    }

    fn checksum(data: &[u8]) -> u16 {
        let mut sum: u32 = data
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn request(ident: u16, seq: u16) -> Vec<u8> {
        let mut p = vec![ECHO_REQUEST, 0, 0, 0];
        p.extend_from_slice(&ident.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(MAGIC);
        let c = checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
        p
    }

    /// The sequence number of an echo reply meant for us, if `packet` is one.
    fn reply_seq(packet: &[u8], method: ProbeMethod, ident: u16) -> Option<u16> {
        let icmp = if method == ProbeMethod::IcmpRaw {
            // A raw socket hands over the IP header too.
            packet.get(usize::from(packet.first()? & 0x0f) * 4..)?
        } else {
            packet
        };
        if icmp.len() < 16 || icmp[0] != ECHO_REPLY || &icmp[8..16] != MAGIC {
            return None;
        }
        // The kernel picks the identifier of a datagram socket itself.
        if method == ProbeMethod::IcmpRaw && icmp[4..6] != ident.to_be_bytes() {
            return None;
        }
        Some(u16::from_be_bytes([icmp[6], icmp[7]]))
    }

    pub(super) async fn echo(
        socket: Socket,
        method: ProbeMethod,
        ip: IpAddr,
        opts: PingOptions,
    ) -> Outcome {
        let mut out = Outcome {
            sent: opts.count,
            rtts: Vec::new(),
            error: None,
        };
        // SAFETY: a socket2 `Socket` owns its descriptor and always returns the same one; the
        // `AsyncFd` takes the socket and closes it only when dropped.
        let fd = match unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) } {
            Ok(fd) => fd,
            Err(e) => {
                out.error = Some(format!("icmp: {e}"));
                return out;
            }
        };
        static NEXT_IDENT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
        let ident = (std::process::id() as u16)
            .wrapping_add(NEXT_IDENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let dest = SockAddr::from(SocketAddr::new(ip, 0));
        let count = opts.count as usize;
        let start = Instant::now();
        let last_deadline = start + opts.spacing * opts.count.saturating_sub(1) + opts.timeout;
        let mut sent_at: Vec<Option<Instant>> = vec![None; count];
        let mut rtts: Vec<Option<f64>> = vec![None; count];
        let mut next = 0usize;
        let mut buf = [0u8; 1500];
        loop {
            let now = Instant::now();
            while next < count && start + opts.spacing * next as u32 <= now {
                match fd.get_ref().send_to(&request(ident, next as u16), &dest) {
                    Ok(_) => sent_at[next] = Some(Instant::now()),
                    Err(e) => out.error = Some(format!("icmp {ip}: {e}")),
                }
                next += 1;
            }
            let answered = rtts.iter().filter(|r| r.is_some()).count();
            if next == count && (answered == count || now >= last_deadline) {
                break;
            }
            let wake = if next < count {
                start + opts.spacing * next as u32
            } else {
                last_deadline
            };
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                ready = fd.readable() => {
                    let mut guard = match ready {
                        Ok(g) => g,
                        Err(e) => {
                            out.error = Some(format!("icmp {ip}: {e}"));
                            break;
                        }
                    };
                    // Drain what is queued; the guard re-arms on WouldBlock.
                    while let Ok(res) = guard.try_io(|s| (&mut s.get_ref()).read(&mut buf)) {
                        let Ok(n) = res else { break };
                        let arrived = Instant::now();
                        let Some(seq) = reply_seq(&buf[..n], method, ident) else {
                            continue;
                        };
                        let i = usize::from(seq);
                        if let (Some(Some(t)), Some(slot @ None)) = (sent_at.get(i), rtts.get_mut(i)) {
                            let rtt = arrived - *t;
                            if rtt <= opts.timeout {
                                *slot = Some(ms(rtt));
                            }
                        }
                    }
                }
            }
        }
        out.rtts = rtts.into_iter().flatten().collect();
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn request_checksum_and_reply_parsing() {
            let p = request(0x1234, 7);
            assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
            let mut reply = p.clone();
            reply[0] = ECHO_REPLY;
            assert_eq!(reply_seq(&reply, ProbeMethod::IcmpDgram, 0), Some(7));
            assert_eq!(
                reply_seq(&p, ProbeMethod::IcmpDgram, 0),
                None,
                "a request is no reply"
            );
            let mut raw = vec![0x45u8];
            raw.extend_from_slice(&[0; 19]);
            raw.extend_from_slice(&reply);
            assert_eq!(reply_seq(&raw, ProbeMethod::IcmpRaw, 0x1234), Some(7));
            assert_eq!(reply_seq(&raw, ProbeMethod::IcmpRaw, 0x4321), None);
        }
    }
}

#[cfg(not(unix))]
mod icmp {
    use super::{Outcome, PingOptions};
    use pantau_proto::body::net::ProbeMethod;
    use std::net::IpAddr;

    pub(super) enum Never {}

    pub(super) fn open(_ip: IpAddr) -> Option<(Never, ProbeMethod)> {
        None
    }

    pub(super) async fn echo(s: Never, _: ProbeMethod, _: IpAddr, _: PingOptions) -> Outcome {
        match s {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(count: u32) -> PingOptions {
        PingOptions {
            count,
            spacing: Duration::from_millis(50),
            timeout: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn loopback_answers_every_echo() {
        let r = probe("lo", "127.0.0.1", None, quick(3)).await;
        // Whatever this machine allows: ICMP (datagram or raw) or, failing both, TCP to 443,
        // which has no listener here. Only ICMP can be asserted to get replies.
        if r.method != ProbeMethod::Tcp {
            assert_eq!((r.sent, r.received), (3, 3), "{r:?}");
            assert_eq!(r.loss_pct, 0.0);
            assert!(r.rtt_min_ms.unwrap() <= r.rtt_max_ms.unwrap());
            assert!(r.error.is_none());
        }
        assert_eq!(r.target, "127.0.0.1");
    }

    #[tokio::test]
    async fn tcp_timing_against_a_listener_and_a_closed_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((s, _)) = listener.accept().await {
                drop(s);
            }
        });
        let ok = tcp(open, quick(3)).await;
        assert_eq!(ok.rtts.len(), 3);

        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let out = tcp(closed, quick(3)).await;
        let mut r = ProbeResult::default();
        stats::fill(&mut r, out.sent, &out.rtts);
        assert_eq!(r.loss_pct, 100.0);
        assert!(out.error.unwrap().contains("refused"));
    }

    #[tokio::test]
    async fn unresolvable_host_is_an_error_not_a_hang() {
        let r = probe("x", "no-such-host.invalid", Some(1), quick(2)).await;
        assert_eq!(r.loss_pct, 100.0);
        assert!(r.error.is_some());
    }
}
