//! A throw-away Ethernet LAN of network namespaces: a "scout" namespace holding a bridge and
//! its own veth into it, and one namespace per host, each with a veth into the bridge, its
//! own IPv4 address and its own MAC. Everything is removed on drop. Needs root (or
//! CAP_SYS_ADMIN + CAP_NET_ADMIN); [`Lan::build`] returns `None` when `ip netns add` is refused
//! so tests can skip.
//!
//! Inside the scout namespace: `br0` (bridge), `s0` (the scout's interface, `.1`, MAC
//! `02:77:00:00:ff:fe`) and `hN` (bridge ports). In host N's namespace: `e0`, address
//! `.(10+N)`, MAC `02:77:00:00:00:NN` (N in hex). The subnet is `10.77.X.0/24` with X drawn per LAN;
//! namespaces are isolated, so parallel LANs never collide anyway. [`Lan::add_host`] adds a
//! host with a chosen address and MAC (two with one address make an IP conflict), and
//! [`Lan::uplink`] a veth from the root namespace into the scout namespace, for a scout agent
//! that must reach a broker running in the root namespace.

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
    /// Prefix of every namespace and root-side link name of this LAN.
    tag: String,
    /// The `X` of `10.77.X.0/24`.
    pub x: u8,
}

/// A point-to-point link between the root namespace and the scout namespace.
pub struct Uplink {
    /// The root namespace's end: servers listening here are reachable from the scout.
    pub root_ip: Ipv4Addr,
    /// The scout namespace's end, on interface `up0`.
    pub scout_ip: Ipv4Addr,
    pub scout_if: String,
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
            tag,
            x,
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
            let mac = format!("02:77:00:00:{:02x}:{:02x}", i / 256, i % 256);
            lan.add_host((10 + i) as u8, &mac);
        }
        Some(lan)
    }

    /// One more host namespace on the bridge, at `10.77.X.octet` with `mac`; returns its index
    /// in [`Lan::hosts`]. Nothing stops two hosts from sharing an address.
    pub fn add_host(&mut self, octet: u8, mac: &str) -> usize {
        let i = self.hosts.len() + 1;
        let ns = format!("{}-{i}", self.tag);
        ip_ok(&["netns", "add", &ns]);
        self.made.push(ns.clone());
        let s = self.scout_ns.as_str();
        let port = format!("h{i}");
        let addr = Ipv4Addr::new(10, 77, self.x, octet);
        ip_ok(&[
            "-n", s, "link", "add", &port, "type", "veth", "peer", "name", "e0", "netns", &ns,
        ]);
        ip_ok(&["-n", s, "link", "set", &port, "master", "br0", "up"]);
        ip_ok(&["-n", &ns, "link", "set", "e0", "address", mac]);
        ip_ok(&["-n", &ns, "addr", "add", &format!("{addr}/24"), "dev", "e0"]);
        ip_ok(&["-n", &ns, "link", "set", "e0", "up"]);
        ip_ok(&["-n", &ns, "link", "set", "lo", "up"]);
        self.hosts.push(Host {
            ns,
            ip: addr,
            mac: mac.to_owned(),
        });
        self.hosts.len() - 1
    }

    /// A veth pair from the root namespace into the scout namespace (`up0`), on a /30 of
    /// `10.78.0.0/16` not yet used in the root namespace. Removed with the scout namespace.
    pub fn uplink(&mut self) -> Uplink {
        let used = String::from_utf8_lossy(&ip(&["-o", "-4", "addr", "show"]).stdout).into_owned();
        let y = (0..=255u16)
            .map(|d| ((self.x as u16 + d) % 256) as u8)
            .find(|y| !used.contains(&format!("10.78.{y}.")))
            .expect("a free 10.78.Y.0/30 in the root namespace");
        let root_ip = Ipv4Addr::new(10, 78, y, 1);
        let scout_ip = Ipv4Addr::new(10, 78, y, 2);
        let root_if = format!("{}u", self.tag);
        let s = self.scout_ns.as_str();
        ip_ok(&[
            "link", "add", &root_if, "type", "veth", "peer", "name", "up0", "netns", s,
        ]);
        ip_ok(&["addr", "add", &format!("{root_ip}/30"), "dev", &root_if]);
        ip_ok(&["link", "set", &root_if, "up"]);
        ip_ok(&[
            "-n",
            s,
            "addr",
            "add",
            &format!("{scout_ip}/30"),
            "dev",
            "up0",
        ]);
        ip_ok(&["-n", s, "link", "set", "up0", "up"]);
        Uplink {
            root_ip,
            scout_ip,
            scout_if: "up0".into(),
        }
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
