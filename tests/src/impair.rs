//! An impaired point-to-point IPv4 link between two network namespaces: a small netem.
//!
//! Each namespace gets a TUN device `imp0` (`10.78.0.1` on the near side, `10.78.0.2` on the
//! far side, each the other's peer). The devices are not wired together by the kernel: a
//! relay thread of the test process reads every packet one side sends and writes it into the
//! other side, after holding it for the direction's one-way `delay` and dropping it with the
//! direction's `loss` probability. Drops come from a seeded RNG, so a run is repeatable, and
//! the relay counts what it delivered and dropped, so a test can compare the agent's figures
//! with the truth, not only with the configured rate.
//!
//! Why not `tc qdisc netem`: kernels without `sch_netem` (and without `modprobe`), such as the
//! Firecracker VMs CI runs on, refuse it. Where the kernel has netem, [`ImpairedLink::build`]
//! uses it instead (on each side's `imp0` egress) and the relay only copies packets; [`Mode`]
//! says which one a run used. See docs/network.md and docs/decisions.md.
//!
//! Only IPv4 is relayed: the kernel's own IPv6 chatter on a new device (router and multicast
//! listener solicitations) is discarded before it can draw a random number, so the loss
//! pattern depends on the test's traffic alone.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Impairment of one direction of the link.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Impairment {
    /// Added one-way delay.
    pub delay: Duration,
    /// Probability (0..=1) that a packet is dropped.
    pub loss: f64,
}

/// Who impairs the link in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The kernel's `netem` qdisc on each `imp0`; the relay only copies.
    Netem,
    /// The relay delays and drops.
    Relay,
}

/// What the relay did in one direction. Counts IPv4 ICMP packets only, so a test pinging
/// across the link knows exactly how many echoes (or replies) got through.
#[derive(Debug, Default)]
pub struct Counters {
    pub icmp_delivered: AtomicU64,
    pub icmp_dropped: AtomicU64,
}

pub struct ImpairedLink {
    /// The namespace made for the far end (removed on drop).
    pub far_ns: String,
    pub near_ip: Ipv4Addr,
    pub far_ip: Ipv4Addr,
    /// The device name on both sides.
    pub dev: &'static str,
    pub mode: Mode,
    /// Near to far, and far to near.
    pub forward: Arc<Counters>,
    pub back: Arc<Counters>,
    stop: Arc<AtomicBool>,
    relay: Option<JoinHandle<()>>,
}

const DEV: &str = "imp0";

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip(args: &[&str]) {
    run(Command::new("ip").args(args)).unwrap_or_else(|e| panic!("{e}"));
}

/// Open TUN device `name` (no packet-info header) in the calling thread's namespace.
fn open_tun(name: &str) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")?;
    // SAFETY: `ifreq` is plain old data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *dst = src as libc::c_char;
    }
    req.ifr_ifru.ifru_flags = (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short;
    // SAFETY: TUNSETIFF reads (and fills in) the `ifreq` we pass, which outlives the call.
    if unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fcntl on a descriptor we own. Non-blocking: the relay polls both devices.
    unsafe {
        let fl = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
        if fl < 0 || libc::fcntl(file.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(file)
}

/// `tc qdisc add dev imp0 root netem ...` in `ns`; `Err` with tc's message when refused.
fn netem(ns: &str, i: Impairment) -> Result<(), String> {
    let delay = format!("{}ms", i.delay.as_millis());
    let loss = format!("{}%", i.loss * 100.0);
    run(Command::new("ip").args([
        "netns", "exec", ns, "tc", "qdisc", "add", "dev", DEV, "root", "netem", "delay", &delay,
        "loss", &loss,
    ]))
}

impl ImpairedLink {
    /// A link from `near_ns` (which must exist) to a new namespace, with `forward` applied to
    /// packets from near to far and `back` to packets from far to near. Random drops of the
    /// relay come from `seed`.
    pub fn build(near_ns: &str, forward: Impairment, back: Impairment, seed: u64) -> ImpairedLink {
        static N: AtomicU32 = AtomicU32::new(0);
        let far_ns = format!(
            "pi{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        ip(&["netns", "add", &far_ns]);
        let mut link = ImpairedLink {
            far_ns: far_ns.clone(),
            near_ip: Ipv4Addr::new(10, 78, 0, 1),
            far_ip: Ipv4Addr::new(10, 78, 0, 2),
            dev: DEV,
            mode: Mode::Relay,
            forward: Arc::default(),
            back: Arc::default(),
            stop: Arc::default(),
            relay: None,
        };
        // The device lives in the namespace of the thread that creates it; the descriptor then
        // works from any thread.
        let near_tun = crate::netns::in_ns(near_ns, || open_tun(DEV))
            .unwrap_or_else(|e| panic!("TUN in {near_ns}: {e}"));
        let far_tun = crate::netns::in_ns(&far_ns, || open_tun(DEV))
            .unwrap_or_else(|e| panic!("TUN in {far_ns}: {e}"));
        for (ns, me, peer) in [
            (near_ns, link.near_ip, link.far_ip),
            (far_ns.as_str(), link.far_ip, link.near_ip),
        ] {
            let (me, peer) = (me.to_string(), peer.to_string());
            ip(&["-n", ns, "addr", "add", &me, "peer", &peer, "dev", DEV]);
            ip(&["-n", ns, "link", "set", DEV, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let wanted = forward != Impairment::default() || back != Impairment::default();
        let kernel = if wanted {
            netem(near_ns, forward).and_then(|()| netem(&far_ns, back))
        } else {
            Err("no impairment asked for".into())
        };
        let (f, b) = match kernel {
            Ok(()) => {
                link.mode = Mode::Netem;
                (Impairment::default(), Impairment::default())
            }
            Err(why) => {
                if wanted {
                    eprintln!("impaired link: userspace relay (netem refused: {why})");
                }
                // A half-applied netem (near side accepted, far refused) must not add to the
                // relay's impairment.
                let _ = run(Command::new("ip").args([
                    "netns", "exec", near_ns, "tc", "qdisc", "del", "dev", DEV, "root",
                ]));
                (forward, back)
            }
        };
        if link.mode == Mode::Netem {
            eprintln!("impaired link: kernel netem");
        }
        let relay = Relay {
            ends: [near_tun, far_tun],
            impair: [f, b],
            counters: [link.forward.clone(), link.back.clone()],
            rng: fastrand::Rng::with_seed(seed),
            stop: link.stop.clone(),
        };
        link.relay = Some(
            std::thread::Builder::new()
                .name("impair-relay".into())
                .spawn(move || relay.run())
                .expect("spawn relay"),
        );
        link
    }
}

impl Drop for ImpairedLink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.relay.take() {
            let _ = t.join();
        }
        // Closing the descriptors (with the relay) removed both devices; now the namespace.
        let _ = run(Command::new("ip").args(["netns", "del", &self.far_ns]));
    }
}

/// A packet held until it is due.
struct Held {
    due: Instant,
    packet: Vec<u8>,
}

struct Relay {
    /// `[near, far]`; direction 0 reads near and writes far, direction 1 the reverse.
    ends: [File; 2],
    impair: [Impairment; 2],
    counters: [Arc<Counters>; 2],
    rng: fastrand::Rng,
    stop: Arc<AtomicBool>,
}

/// How often the relay looks at its stop flag when the link is idle.
const IDLE: Duration = Duration::from_millis(50);

fn is_ipv4_icmp(p: &[u8]) -> bool {
    p.len() >= 20 && p[0] >> 4 == 4 && p[9] == 1
}

impl Relay {
    fn run(mut self) {
        // One delay per direction, so a FIFO queue per direction is also in due order.
        let mut queues: [VecDeque<Held>; 2] = [VecDeque::new(), VecDeque::new()];
        let mut buf = vec![0u8; 65_536];
        while !self.stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            for (dir, q) in queues.iter_mut().enumerate() {
                while q.front().is_some_and(|h| h.due <= now) {
                    let h = q.pop_front().expect("front checked");
                    // A full device queue drops, as a congested link would.
                    if self.ends[1 - dir].write(&h.packet).is_ok() && is_ipv4_icmp(&h.packet) {
                        self.counters[dir]
                            .icmp_delivered
                            .fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            let next_due = queues.iter().filter_map(|q| q.front()).map(|h| h.due).min();
            let wait = next_due.map_or(IDLE, |d| d.saturating_duration_since(now).min(IDLE));
            let mut fds = self.ends.each_ref().map(|f| libc::pollfd {
                fd: f.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
            // Rounded up: waking a millisecond late holds a packet a little longer than its
            // delay, never shorter.
            let ms = wait.as_micros().div_ceil(1000) as libc::c_int;
            // SAFETY: poll(2) on two descriptors we own, with an array that outlives the call.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
            if n <= 0 {
                continue;
            }
            for dir in 0..2 {
                if fds[dir].revents & libc::POLLIN == 0 {
                    continue;
                }
                while let Ok(len) = self.ends[dir].read(&mut buf) {
                    self.take(dir, &buf[..len], &mut queues[dir]);
                }
            }
        }
    }

    fn take(&mut self, dir: usize, packet: &[u8], queue: &mut VecDeque<Held>) {
        if packet.first().map(|b| b >> 4) != Some(4) {
            return;
        }
        let imp = self.impair[dir];
        if imp.loss > 0.0 && self.rng.f64() < imp.loss {
            if is_ipv4_icmp(packet) {
                self.counters[dir]
                    .icmp_dropped
                    .fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
        queue.push_back(Held {
            due: Instant::now() + imp.delay,
            packet: packet.to_vec(),
        });
    }
}
