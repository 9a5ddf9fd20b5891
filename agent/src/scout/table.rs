//! Devices seen, keyed by interface, IPv4 address and MAC, with when they were first and last
//! seen and how (answering our sweep, or only in others' ARP traffic) since the last report.
//!
//! The MAC is part of the key: two machines answering for one address (an IP conflict, the
//! very thing Diskominfo wants to hear about) are two devices, both reported, rather than one
//! entry whose MAC flips with whichever answered last.

use chrono::{DateTime, Utc};
use pantau_proto::body::discovery::SeenDevice;
use pnet_datalink::MacAddr;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Upper bound of remembered devices: four /22s worth. Past it, the device seen longest ago
/// is forgotten first, so a flood of forged ARP cannot grow the agent without bound.
pub const MAX_DEVICES: usize = 4096;

#[derive(Debug, Clone)]
struct Entry {
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    /// Since the last report.
    active: bool,
    passive: bool,
}

/// Interface, address, MAC (as bytes, so the key sorts and hashes).
type Key = (String, Ipv4Addr, [u8; 6]);

#[derive(Debug, Default)]
pub struct Table {
    seen: HashMap<Key, Entry>,
}

impl Table {
    /// Note `ip` at `mac` on `interface`; `active` when it answered our sweep.
    pub fn observe(
        &mut self,
        interface: &str,
        ip: Ipv4Addr,
        mac: MacAddr,
        at: DateTime<Utc>,
        active: bool,
    ) {
        let MacAddr(a, b, c, d, e, f) = mac;
        let key = (interface.to_owned(), ip, [a, b, c, d, e, f]);
        if !self.seen.contains_key(&key) && self.seen.len() >= MAX_DEVICES {
            if let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, e)| e.last_seen)
                .map(|(k, _)| k.clone())
            {
                self.seen.remove(&oldest);
            }
        }
        let e = self.seen.entry(key).or_insert(Entry {
            first_seen: at,
            last_seen: at,
            active: false,
            passive: false,
        });
        e.last_seen = e.last_seen.max(at);
        if active {
            e.active = true;
        } else {
            e.passive = true;
        }
    }

    /// Every device seen since the previous call, sorted by interface and address; starts a
    /// new period. First-seen times are kept across periods.
    pub fn take_report(&mut self) -> Vec<SeenDevice> {
        let mut out: Vec<(&Key, &mut Entry)> = self
            .seen
            .iter_mut()
            .filter(|(_, e)| e.active || e.passive)
            .collect();
        out.sort_by(|a, b| a.0.cmp(b.0));
        out.into_iter()
            .map(|((interface, ip, m), e)| {
                let d = SeenDevice {
                    ip: ip.to_string(),
                    mac: super::arp::mac_string(MacAddr(m[0], m[1], m[2], m[3], m[4], m[5])),
                    interface: interface.clone(),
                    first_seen: Some(e.first_seen),
                    last_seen: Some(e.last_seen),
                    active: e.active,
                    passive: e.passive,
                };
                e.active = false;
                e.passive = false;
                d
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn reports_what_was_seen_since_the_last_report() {
        let mut t = Table::default();
        let t0 = Utc::now();
        let a = MacAddr(2, 0x77, 0, 0, 0, 1);
        let ip1 = Ipv4Addr::new(10, 77, 1, 2);
        let ip2 = Ipv4Addr::new(10, 77, 1, 3);
        t.observe("eth0", ip2, MacAddr(2, 0x77, 0, 0, 0, 2), t0, false);
        t.observe("eth0", ip1, a, t0, true);
        t.observe("eth0", ip1, a, t0 + Duration::seconds(5), false);

        let r = t.take_report();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].ip, "10.77.1.2");
        assert_eq!(r[0].mac, "02:77:00:00:00:01");
        assert!(r[0].active && r[0].passive);
        assert_eq!(r[0].first_seen, Some(t0));
        assert_eq!(r[0].last_seen, Some(t0 + Duration::seconds(5)));
        assert!(!r[1].active && r[1].passive);

        // Nothing new: nothing reported. Seen again: first_seen is kept.
        assert!(t.take_report().is_empty());
        t.observe("eth0", ip1, a, t0 + Duration::seconds(60), true);
        let r = t.take_report();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].first_seen, Some(t0));
        assert!(r[0].active && !r[0].passive);

        // Another machine on the same address is another device, with its own times.
        let later = t0 + Duration::seconds(90);
        t.observe("eth0", ip1, MacAddr(2, 0, 0, 0, 0, 9), later, true);
        let r = t.take_report();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].mac, "02:00:00:00:00:09");
        assert_eq!(r[0].first_seen, Some(later));
    }

    #[test]
    fn two_macs_answering_for_one_ip_are_both_reported() {
        let mut t = Table::default();
        let t0 = Utc::now();
        let ip = Ipv4Addr::new(10, 77, 1, 50);
        let (a, b) = (
            MacAddr(2, 0x77, 0, 0, 0, 0xa),
            MacAddr(2, 0x77, 0, 0, 0, 0xb),
        );
        // Replies arrive interleaved, as they do when both answer every request.
        for i in 0..3 {
            t.observe("eth0", ip, a, t0 + Duration::seconds(i), true);
            t.observe("eth0", ip, b, t0 + Duration::seconds(i), true);
        }
        let r = t.take_report();
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r.iter().all(|d| d.ip == "10.77.1.50"));
        assert_eq!(r[0].mac, "02:77:00:00:00:0a");
        assert_eq!(r[1].mac, "02:77:00:00:00:0b");
        assert!(
            r.iter().all(|d| d.first_seen == Some(t0)),
            "neither starts over: {r:?}"
        );
    }

    #[test]
    fn bounded() {
        let mut t = Table::default();
        let t0 = Utc::now();
        for i in 0..(MAX_DEVICES as u32 + 10) {
            let at = t0 + Duration::milliseconds(i as i64);
            t.observe(
                "eth0",
                Ipv4Addr::from(0x0a00_0000 + i),
                MacAddr::zero(),
                at,
                false,
            );
        }
        assert_eq!(t.len(), MAX_DEVICES);
        let r = t.take_report();
        assert_eq!(r[0].ip, "10.0.0.10", "the oldest ten went first");
    }
}
