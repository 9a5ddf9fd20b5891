//! Which register asset a polled device is, in order of confidence:
//!
//! 1. `target`: the target is named after a register key (equipment targets always are);
//! 2. `serial`: an ENTITY-MIB or Printer-MIB serial equals a nomor pabrik;
//! 3. `mac`: an ifPhysAddress of the device equals a MAC-shaped nomor pabrik, or a MAC
//!    learned for the asset (the NICs of the host reconciliation matched to it);
//! 4. `ip`: the device's address is the IP of an asset in the equipment mapping.
//!
//! Within one rule, one candidate in the device's OPD wins over candidates elsewhere;
//! several candidates (after that preference) are no match at all: a wrong link would move
//! a device's flags onto another asset, an unmatched one only waits for a person.

use super::{AssetMatch, DeviceState, RegisterEntry};
use crate::network::normalize_mac;
use crate::reconcile::rules::norm_serial;
use std::collections::{BTreeMap, HashMap};

/// MACs that identify nothing: unset, broadcast.
fn real_mac(m: &str) -> Option<String> {
    normalize_mac(m).filter(|m| m != "00:00:00:00:00:00" && m != "ff:ff:ff:ff:ff:ff")
}

/// The host part of `host:port`, `[v6]:port` or a bare address.
pub fn address_ip(address: &str) -> &str {
    if let Some(rest) = address.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match address.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => address,
    }
}

/// One entry in `opd` among the candidates, else the only candidate, else none.
fn pick<'a>(candidates: &[&'a RegisterEntry], opd: &str) -> Option<&'a RegisterEntry> {
    let local: Vec<&RegisterEntry> = candidates
        .iter()
        .copied()
        .filter(|r| r.opd == opd)
        .collect();
    match (local.as_slice(), candidates) {
        ([one], _) | ([], [one]) => Some(*one),
        _ => None,
    }
}

/// Register indexes built once per run.
pub struct Index<'a> {
    by_key: HashMap<&'a str, &'a RegisterEntry>,
    by_serial: HashMap<String, Vec<&'a RegisterEntry>>,
    by_mac: HashMap<String, Vec<&'a RegisterEntry>>,
    by_ip: HashMap<String, Vec<&'a RegisterEntry>>,
}

impl<'a> Index<'a> {
    pub fn new(register: &'a [RegisterEntry]) -> Index<'a> {
        let mut ix = Index {
            by_key: register.iter().map(|r| (r.key.as_str(), r)).collect(),
            by_serial: HashMap::new(),
            by_mac: HashMap::new(),
            by_ip: HashMap::new(),
        };
        for r in register {
            if let Some(s) = r.nomor_pabrik.as_deref().and_then(norm_serial) {
                ix.by_serial.entry(s).or_default().push(r);
            }
            let mut macs: Vec<String> = r
                .nomor_pabrik
                .iter()
                .chain(&r.macs)
                .filter_map(|m| real_mac(m))
                .collect();
            macs.sort();
            macs.dedup();
            for m in macs {
                ix.by_mac.entry(m).or_default().push(r);
            }
            if let Some(ip) = r.ip.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
                ix.by_ip.entry(ip.to_string()).or_default().push(r);
            }
        }
        ix
    }

    pub fn find(&self, s: &DeviceState) -> Option<AssetMatch> {
        let d = &s.device;
        let found = |r: &RegisterEntry, rule: &str, value: String| AssetMatch {
            device_id: s.id,
            asset_key: r.key.clone(),
            rule: rule.into(),
            value,
        };
        if let Some(r) = self.by_key.get(d.target.as_str()) {
            return Some(found(r, "target", d.target.clone()));
        }
        for sn in super::serials(d) {
            if let Some(r) = self.by_serial.get(&sn).and_then(|c| pick(c, &s.opd)) {
                return Some(found(r, "serial", sn));
            }
        }
        // Every MAC of the device votes; the entries they name, deduplicated, must come
        // down to one. The value kept is the first MAC (by ifIndex) naming the winner.
        let mut named: BTreeMap<&str, (&RegisterEntry, String)> = BTreeMap::new();
        for i in &d.interfaces {
            let Some(mac) = real_mac(&i.mac) else {
                continue;
            };
            for r in self.by_mac.get(&mac).into_iter().flatten() {
                named.entry(r.key.as_str()).or_insert((r, mac.clone()));
            }
        }
        let candidates: Vec<&RegisterEntry> = named.values().map(|(r, _)| *r).collect();
        if let Some(r) = pick(&candidates, &s.opd) {
            return Some(found(r, "mac", named[r.key.as_str()].1.clone()));
        }
        let ip = address_ip(&d.address);
        if let Some(r) = self.by_ip.get(ip).and_then(|c| pick(c, &s.opd)) {
            return Some(found(r, "ip", ip.to_string()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use pantau_proto::body::snmp::{SnmpDevice, SnmpEntity, SnmpInterface};

    fn dev(target: &str, address: &str, macs: &[&str], serial: &str) -> DeviceState {
        DeviceState {
            id: 7,
            agent_id: "poller-1".into(),
            opd: "1.01".into(),
            ts: Utc::now(),
            last_reachable: None,
            device: SnmpDevice {
                target: target.into(),
                address: address.into(),
                reachable: true,
                interfaces: macs
                    .iter()
                    .enumerate()
                    .map(|(n, m)| SnmpInterface {
                        index: n as u32 + 1,
                        mac: m.to_string(),
                        ..Default::default()
                    })
                    .collect(),
                entities: vec![SnmpEntity {
                    class: "chassis".into(),
                    serial: serial.into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        }
    }

    fn entry(
        key: &str,
        opd: &str,
        pabrik: Option<&str>,
        macs: &[&str],
        ip: Option<&str>,
    ) -> RegisterEntry {
        RegisterEntry {
            key: key.into(),
            opd: opd.into(),
            nomor_pabrik: pabrik.map(Into::into),
            macs: macs.iter().map(|m| m.to_string()).collect(),
            ip: ip.map(Into::into),
        }
    }

    fn rule_value(reg: &[RegisterEntry], d: &DeviceState) -> Option<(String, String, String)> {
        Index::new(reg)
            .find(d)
            .map(|m| (m.asset_key, m.rule, m.value))
    }

    #[test]
    fn rules_apply_in_order_target_serial_mac_ip() {
        let reg = vec![
            entry("SW-1", "1.01", Some("FOC1"), &[], Some("10.0.0.2")),
            entry("SW-2", "1.01", Some("00-1A-2B-3C-4D-5E"), &[], None),
            entry(
                "AP-3",
                "1.01",
                None,
                &["aa:bb:cc:00:00:03"],
                Some("10.0.0.3"),
            ),
        ];
        let m = |d: DeviceState| rule_value(&reg, &d).map(|(k, r, v)| format!("{k} {r} {v}"));
        assert_eq!(
            m(dev("SW-2", "10.0.0.2:161", &[], "FOC1")).unwrap(),
            "SW-2 target SW-2"
        );
        assert_eq!(
            m(dev("x", "10.0.0.3:161", &[], "foc-1")).unwrap(),
            "SW-1 serial FOC1"
        );
        // A MAC-shaped nomor pabrik, written with dashes and upper case.
        assert_eq!(
            m(dev("x", "10.0.0.2:161", &["", "00:1a:2b:3c:4d:5e"], "")).unwrap(),
            "SW-2 mac 00:1a:2b:3c:4d:5e"
        );
        // A MAC learned for the asset (the host matched to it).
        assert_eq!(
            m(dev("x", "10.9.9.9:161", &["AA:BB:CC:00:00:03"], "")).unwrap(),
            "AP-3 mac aa:bb:cc:00:00:03"
        );
        assert_eq!(
            m(dev("x", "10.0.0.3:1161", &["00:00:00:00:00:00"], "")).unwrap(),
            "AP-3 ip 10.0.0.3"
        );
        assert_eq!(m(dev("x", "10.0.0.99:161", &[], "")), None);
    }

    #[test]
    fn ambiguous_candidates_are_no_match_unless_one_is_in_the_device_opd() {
        let reg = vec![
            entry(
                "A",
                "1.01",
                Some("aa:aa:aa:aa:aa:01"),
                &[],
                Some("10.0.0.5"),
            ),
            entry("B", "2.02", None, &["aa:aa:aa:aa:aa:02"], Some("10.0.0.5")),
            entry("C", "2.02", None, &["aa:aa:aa:aa:aa:03"], Some("10.0.0.6")),
            entry("D", "3.03", None, &["aa:aa:aa:aa:aa:04"], Some("10.0.0.6")),
        ];
        let m = |d: DeviceState| rule_value(&reg, &d).map(|(k, r, _)| format!("{k} {r}"));
        // Two assets by MAC, one of them in the device's OPD 1.01: that one.
        assert_eq!(
            m(dev(
                "x",
                "",
                &["aa:aa:aa:aa:aa:01", "aa:aa:aa:aa:aa:02"],
                ""
            ))
            .unwrap(),
            "A mac"
        );
        // Two assets by MAC, both elsewhere: none, and IP does not rescue it either
        // when it is just as ambiguous.
        assert_eq!(
            m(dev(
                "x",
                "10.0.0.6:161",
                &["aa:aa:aa:aa:aa:03", "aa:aa:aa:aa:aa:04"],
                ""
            )),
            None
        );
        // Two assets by IP, one local.
        assert_eq!(m(dev("x", "10.0.0.5:161", &[], "")).unwrap(), "A ip");
    }

    #[test]
    fn addresses_give_their_ip() {
        assert_eq!(address_ip("10.1.2.3:161"), "10.1.2.3");
        assert_eq!(address_ip("[fe80::1]:161"), "fe80::1");
        assert_eq!(address_ip("10.1.2.3"), "10.1.2.3");
        assert_eq!(address_ip("fe80::1"), "fe80::1");
    }
}
