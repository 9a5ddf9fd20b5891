//! Which interfaces and subnets a scout looks at: Ethernet-like, up, not loopback, with an
//! IPv4 address on a subnet no bigger than `max_prefix` allows, and on the allow-list if any.

use pnet_datalink::{MacAddr, NetworkInterface};
use std::net::Ipv4Addr;

/// One IPv4 subnet on one interface: what one worker listens on and sweeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub interface: String,
    pub index: u32,
    pub mac: MacAddr,
    /// Our own address on the subnet: the sender of our requests, never reported.
    pub ip: Ipv4Addr,
    pub prefix: u8,
}

impl Target {
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.ip) & mask(self.prefix))
    }

    pub fn cidr(&self) -> String {
        format!("{}/{}", self.network(), self.prefix)
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == u32::from(self.network())
    }

    /// Every address a sweep asks about: the subnet less its network and broadcast
    /// addresses (a /31 has neither) and less our own.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        let net = u32::from(self.network());
        let size = 1u64 << (32 - self.prefix);
        let (first, last) = if self.prefix >= 31 {
            (net as u64, net as u64 + size - 1)
        } else {
            (net as u64 + 1, net as u64 + size - 2)
        };
        (first..=last)
            .map(|a| Ipv4Addr::from(a as u32))
            .filter(move |a| *a != self.ip)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix as u32)
    }
}

/// The subnets to scout on these interfaces, and a sentence for each one left out that an
/// operator might have expected (allow-listed but unusable, or too big).
pub fn select(
    all: &[NetworkInterface],
    allow: &[String],
    max_prefix: u8,
) -> (Vec<Target>, Vec<String>) {
    let mut targets: Vec<Target> = Vec::new();
    let mut skipped = Vec::new();
    for ni in all {
        let listed = allow.contains(&ni.name);
        if !allow.is_empty() && !listed {
            continue;
        }
        let why_not = if ni.is_loopback() {
            Some("loopback")
        } else if !ni.is_up() {
            Some("down")
        } else if ni.mac.is_none_or(|m| m == MacAddr::zero()) {
            Some("no Ethernet address")
        } else {
            None
        };
        if let Some(why) = why_not {
            if listed {
                skipped.push(format!("{}: {why}", ni.name));
            }
            continue;
        }
        let mut any_v4 = false;
        for net in &ni.ips {
            let ipnetwork::IpNetwork::V4(v4) = net else {
                continue;
            };
            any_v4 = true;
            let t = Target {
                interface: ni.name.clone(),
                index: ni.index,
                mac: ni.mac.expect("checked above"),
                ip: v4.ip(),
                prefix: v4.prefix(),
            };
            if t.prefix < max_prefix {
                skipped.push(format!(
                    "{} {}: larger than /{max_prefix} (scout.max_prefix), not swept",
                    t.interface,
                    t.cidr()
                ));
                continue;
            }
            if t.prefix >= 32 {
                continue;
            }
            if targets
                .iter()
                .any(|o| o.interface == t.interface && o.cidr() == t.cidr())
            {
                continue;
            }
            targets.push(t);
        }
        if listed && !any_v4 {
            skipped.push(format!("{}: no IPv4 address", ni.name));
        }
    }
    for name in allow {
        if !all.iter().any(|ni| ni.name == *name) {
            skipped.push(format!("{name}: no such interface"));
        }
    }
    (targets, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipnetwork::{IpNetwork, Ipv4Network};

    fn ni(name: &str, flags: u32, mac: Option<MacAddr>, ips: &[(&str, u8)]) -> NetworkInterface {
        NetworkInterface {
            name: name.into(),
            description: String::new(),
            index: 1,
            mac,
            ips: ips
                .iter()
                .map(|(ip, p)| IpNetwork::V4(Ipv4Network::new(ip.parse().unwrap(), *p).unwrap()))
                .collect(),
            flags: flags as _,
        }
    }

    const UP: u32 = libc::IFF_UP as u32 | libc::IFF_RUNNING as u32;
    const MAC: Option<MacAddr> = Some(MacAddr(2, 0x77, 0, 0, 0, 1));

    #[test]
    fn picks_up_ethernet_ipv4_within_max_prefix() {
        let all = [
            ni(
                "lo",
                UP | libc::IFF_LOOPBACK as u32,
                None,
                &[("127.0.0.1", 8)],
            ),
            ni("eth0", UP, MAC, &[("192.168.10.23", 24)]),
            ni("eth1", 0, MAC, &[("10.0.0.2", 24)]),
            ni("big0", UP, MAC, &[("10.8.0.5", 16)]),
            ni("tun0", UP, None, &[("10.9.0.2", 24)]),
        ];
        let (t, skipped) = select(&all, &[], 22);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].interface, "eth0");
        assert_eq!(t[0].cidr(), "192.168.10.0/24");
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].contains("big0 10.8.0.0/16"), "{skipped:?}");

        let (t, skipped) = select(&all, &["eth1".into(), "nope".into()], 22);
        assert!(t.is_empty());
        assert!(skipped.iter().any(|s| s == "eth1: down"), "{skipped:?}");
        assert!(skipped.iter().any(|s| s == "nope: no such interface"));
    }

    #[test]
    fn hosts_leave_out_network_broadcast_and_us() {
        let t = Target {
            interface: "eth0".into(),
            index: 1,
            mac: MacAddr::zero(),
            ip: "10.77.3.1".parse().unwrap(),
            prefix: 24,
        };
        let hosts: Vec<_> = t.hosts().collect();
        assert_eq!(hosts.len(), 253);
        assert_eq!(hosts[0], Ipv4Addr::new(10, 77, 3, 2));
        assert_eq!(*hosts.last().unwrap(), Ipv4Addr::new(10, 77, 3, 254));
        assert!(t.contains("10.77.3.200".parse().unwrap()));
        assert!(!t.contains("10.77.4.1".parse().unwrap()));

        let p2p = Target {
            prefix: 31,
            ip: "10.0.0.0".parse().unwrap(),
            ..t
        };
        assert_eq!(
            p2p.hosts().collect::<Vec<_>>(),
            vec![Ipv4Addr::new(10, 0, 0, 1)]
        );
    }
}
