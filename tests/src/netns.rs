//! A throw-away Ethernet LAN of network namespaces: a "scout" namespace holding a bridge and
//! its own veth into it, and one namespace per host, each with a veth into the bridge, its
//! own IPv4 address and its own MAC. Everything is removed on drop. Needs root (or
//! CAP_SYS_ADMIN + CAP_NET_ADMIN); [`Lan::build`] returns `None` when `ip netns add` is refused
//! so tests can skip.
//!
//! Inside the scout namespace: `br0` (bridge), `s0` (the scout's interface, `.1`, MAC
//! `02:77:00:00:ff:fe`) and `hN` (bridge ports). In host N's namespace: `e0`, address
//! `.(10+N)`, MAC `02:77:00:00:00:NN` (N in hex). The subnet is `10.77.X.0/24` with X drawn per LAN;
//! namespaces are isolated, so parallel LANs never collide anyway.

use std::net::Ipv4Addr;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Host {
    pub ns: String,
    pub ip: Ipv4Addr,
    pub mac: String,
}

pub struct Lan {
    pub scout_ns: String,
    /// The scout's interface in `scout_ns`.
    pub scout_if: String,
    pub scout_ip: Ipv4Addr,
    pub scout_mac: String,
    pub hosts: Vec<Host>,
    made: Vec<String>,
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .output()
        .expect("run `ip` (iproute2)")
}

fn ip_ok(args: &[&str]) {
    let out = ip(args);
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `X` of `10.77.X.0/24`: different from run to run.
fn third_octet() -> u8 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (((nanos ^ std::process::id()) % 250) + 1) as u8
}

impl Lan {
    /// A LAN with `hosts` responders, or `None` (after saying why on stderr) when this
    /// machine does not allow creating network namespaces.
    pub fn build(hosts: usize) -> Option<Lan> {
        static N: AtomicU32 = AtomicU32::new(0);
        let tag = format!(
            "pt{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let scout_ns = format!("{tag}-s");
        let out = ip(&["netns", "add", &scout_ns]);
        if !out.status.success() {
            eprintln!(
                "SKIPPED: cannot create a network namespace (`ip netns add`: {}); this test \
                 needs root",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        let x = third_octet();
        let mut lan = Lan {
            scout_ns: scout_ns.clone(),
            scout_if: "s0".into(),
            scout_ip: Ipv4Addr::new(10, 77, x, 1),
            scout_mac: "02:77:00:00:ff:fe".into(),
            hosts: Vec::new(),
            made: vec![scout_ns.clone()],
        };
        let s = scout_ns.as_str();
        ip_ok(&["-n", s, "link", "set", "lo", "up"]);
        ip_ok(&["-n", s, "link", "add", "br0", "type", "bridge"]);
        ip_ok(&["-n", s, "link", "set", "br0", "up"]);
        ip_ok(&[
            "-n", s, "link", "add", "s0", "type", "veth", "peer", "name", "s0p",
        ]);
        ip_ok(&["-n", s, "link", "set", "s0p", "master", "br0", "up"]);
        ip_ok(&["-n", s, "link", "set", "s0", "address", &lan.scout_mac]);
        ip_ok(&[
            "-n",
            s,
            "addr",
            "add",
            &format!("{}/24", lan.scout_ip),
            "dev",
            "s0",
        ]);
        ip_ok(&["-n", s, "link", "set", "s0", "up"]);
        for i in 1..=hosts {
            let ns = format!("{tag}-{i}");
            ip_ok(&["netns", "add", &ns]);
            lan.made.push(ns.clone());
            let port = format!("h{i}");
            let mac = format!("02:77:00:00:{:02x}:{:02x}", i / 256, i % 256);
            let addr = Ipv4Addr::new(10, 77, x, (10 + i) as u8);
            ip_ok(&[
                "-n", s, "link", "add", &port, "type", "veth", "peer", "name", "e0", "netns", &ns,
            ]);
            ip_ok(&["-n", s, "link", "set", &port, "master", "br0", "up"]);
            ip_ok(&["-n", &ns, "link", "set", "e0", "address", &mac]);
            ip_ok(&["-n", &ns, "addr", "add", &format!("{addr}/24"), "dev", "e0"]);
            ip_ok(&["-n", &ns, "link", "set", "e0", "up"]);
            ip_ok(&["-n", &ns, "link", "set", "lo", "up"]);
            lan.hosts.push(Host { ns, ip: addr, mac });
        }
        Some(lan)
    }

    /// `program args..` to run inside namespace `ns` (`ip netns exec`).
    pub fn exec(&self, ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }
}

/// Run `f` on a thread that has entered namespace `ns` (sockets it opens live there).
pub fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        use std::os::fd::AsRawFd;
        // SAFETY: setns(2) on a descriptor we own; it changes only this thread's namespace.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns {path}: {}", std::io::Error::last_os_error());
        f()
    })
    .join()
    .expect("thread in namespace")
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth ends, and with them their peers.
        for ns in self.made.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}
