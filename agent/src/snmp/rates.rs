//! Rates from two rounds of raw counters. The interval is the device's own (sysUpTime), so a
//! slow answer does not skew a rate; a counter that went back wrapped (32- or 64-bit); a
//! sysUpTime that went back means the device rebooted and its counters restarted, so that
//! round has no rates and becomes the new baseline.

use pantau_proto::body::snmp::{SnmpDevice, SnmpInterface};
use std::collections::HashMap;

/// sysUpTime is a TimeTicks (32 bits of 1/100 s): it wraps after 497 days.
const TICKS_WRAP: u64 = 1 << 32;

#[derive(Debug, Clone, Default)]
struct IfPrev {
    hc: bool,
    counters: [Option<u64>; 6],
}

#[derive(Debug, Clone, Default)]
pub struct DevicePrev {
    uptime: Option<u64>,
    /// Wall-clock seconds (monotonic) at the poll.
    at_s: f64,
    ifs: HashMap<u32, IfPrev>,
}

fn counters(i: &SnmpInterface) -> [Option<u64>; 6] {
    [
        i.in_octets,
        i.out_octets,
        i.in_errors,
        i.out_errors,
        i.in_discards,
        i.out_discards,
    ]
}

/// `new - old` for a counter of `bits` width that may have wrapped once.
pub fn delta(old: u64, new: u64, bits: u32) -> u64 {
    if new >= old {
        new - old
    } else if bits >= 64 {
        (u64::MAX - old).wrapping_add(new).wrapping_add(1)
    } else {
        ((1u64 << bits) - old) + new
    }
}

/// Seconds between two rounds and whether the device rebooted in between.
fn span(prev: &DevicePrev, uptime: Option<u64>, now_s: f64) -> (Option<f64>, bool) {
    let wall = now_s - prev.at_s;
    match (prev.uptime, uptime) {
        (Some(old), Some(new)) if new >= old => (Some((new - old) as f64 / 100.0), false),
        (Some(old), Some(new)) => {
            // Going back is a reboot, unless the ticks were near their wrap and the wall
            // clock agrees with a wrap.
            let wrapped = (TICKS_WRAP - old + new) as f64 / 100.0;
            if (wrapped - wall).abs() <= wall * 0.5 + 5.0 {
                (Some(wrapped), false)
            } else {
                (None, true)
            }
        }
        _ => ((wall > 0.0).then_some(wall), false),
    }
}

/// Fill the rates of `dev` from `prev` (the same target's previous round) and return the
/// state for the next round.
pub fn apply(prev: Option<&DevicePrev>, dev: &mut SnmpDevice, now_s: f64) -> DevicePrev {
    let uptime = dev.system.uptime_ticks;
    let (secs, rebooted) = match prev {
        Some(p) => span(p, uptime, now_s),
        None => (None, false),
    };
    dev.system.rebooted = rebooted;
    for i in &mut dev.interfaces {
        let (Some(secs), Some(p)) = (secs, prev.and_then(|p| p.ifs.get(&i.index))) else {
            continue;
        };
        // A switch from 32- to 64-bit counters (or back) is not a difference of one counter.
        if secs <= 0.0 || p.hc != i.hc {
            continue;
        }
        let now = counters(i);
        let octet_bits = if i.hc { 64 } else { 32 };
        let d = |k: usize, bits| match (p.counters[k], now[k]) {
            (Some(o), Some(n)) => Some(delta(o, n, bits) as f64 / secs),
            _ => None,
        };
        let in_bps = d(0, octet_bits).map(|r| r * 8.0);
        let out_bps = d(1, octet_bits).map(|r| r * 8.0);
        // More than twice the line speed cannot be traffic: the counters were reset without a
        // reboot (a module swap, a cleared counter). No rate rather than a wrong one.
        let plausible = |r: Option<f64>| match (r, i.speed_bps) {
            (Some(r), Some(s)) if s > 0 && r > 2.0 * s as f64 => None,
            (r, _) => r,
        };
        let (in_bps, out_bps) = (plausible(in_bps), plausible(out_bps));
        if in_bps.is_none()
            && out_bps.is_none()
            && (i.in_octets.is_some() || i.out_octets.is_some())
        {
            continue;
        }
        i.in_bps = in_bps;
        i.out_bps = out_bps;
        let busiest = match (in_bps, out_bps) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        i.utilization_pct = match (i.speed_bps, busiest) {
            (Some(s), Some(r)) if s > 0 => Some((r * 100.0 / s as f64).min(100.0)),
            _ => None,
        };
        let sum = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
        };
        i.errors_per_s = sum(d(2, 32), d(3, 32));
        i.discards_per_s = sum(d(4, 32), d(5, 32));
    }
    DevicePrev {
        uptime,
        at_s: now_s,
        ifs: dev
            .interfaces
            .iter()
            .map(|i| {
                (
                    i.index,
                    IfPrev {
                        hc: i.hc,
                        counters: counters(i),
                    },
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(uptime: u64, in_o: u64, out_o: u64, hc: bool, errors: u64) -> SnmpDevice {
        let mut d = SnmpDevice::default();
        d.system.uptime_ticks = Some(uptime);
        d.interfaces.push(SnmpInterface {
            index: 1,
            hc,
            speed_bps: Some(100_000_000),
            in_octets: Some(in_o),
            out_octets: Some(out_o),
            in_errors: Some(errors),
            out_errors: Some(0),
            ..SnmpInterface::default()
        });
        d
    }

    #[test]
    fn rates_use_the_device_clock() {
        let mut a = dev(10_000, 1_000, 0, true, 0);
        let prev = apply(None, &mut a, 0.0);
        assert_eq!(a.interfaces[0].in_bps, None, "first round: no rate");
        // 100 s of device time, but the answer came 3 s late by the wall clock.
        let mut b = dev(20_000, 1_000 + 1_250_000, 0, true, 50);
        apply(Some(&prev), &mut b, 103.0);
        let i = &b.interfaces[0];
        assert_eq!(i.in_bps, Some(100_000.0));
        assert_eq!(i.utilization_pct, Some(0.1));
        assert_eq!(i.errors_per_s, Some(0.5));
    }

    #[test]
    fn a_32_bit_counter_wrap_is_not_a_negative_rate() {
        let near = u32::MAX as u64 - 999;
        let mut a = dev(0, near, 0, false, 0);
        let prev = apply(None, &mut a, 0.0);
        let mut b = dev(1_000, 1_000, 0, false, 0);
        apply(Some(&prev), &mut b, 10.0);
        // 1,000 octets to the wrap plus 1,000 after: 2,000 octets in 10 s.
        assert_eq!(b.interfaces[0].in_bps, Some(1_600.0));
        assert_eq!(delta(u64::MAX - 9, 5, 64), 15);
    }

    #[test]
    fn a_reboot_gives_no_rate_and_a_new_baseline() {
        let mut a = dev(9_000_000, 5_000_000, 0, true, 0);
        let prev = apply(None, &mut a, 0.0);
        let mut b = dev(3_000, 20_000, 0, true, 0);
        let prev = apply(Some(&prev), &mut b, 60.0);
        assert!(b.system.rebooted);
        assert_eq!(b.interfaces[0].in_bps, None);
        let mut c = dev(9_000, 20_000 + 75_000, 0, true, 0);
        apply(Some(&prev), &mut c, 120.0);
        assert!(!c.system.rebooted);
        assert_eq!(c.interfaces[0].in_bps, Some(10_000.0));
    }

    #[test]
    fn uptime_wrap_is_not_a_reboot_and_a_reset_counter_gives_no_rate() {
        let mut a = dev(TICKS_WRAP - 3_000, 0, 0, true, 0);
        let prev = apply(None, &mut a, 0.0);
        let mut b = dev(3_000, 60_000, 0, true, 0);
        apply(Some(&prev), &mut b, 60.0);
        assert!(!b.system.rebooted);
        assert_eq!(b.interfaces[0].in_bps, Some(8_000.0));

        // A 64-bit counter cleared by an operator looks like a wrap of 2^64: far beyond the
        // line speed, so no rate.
        let mut a = dev(0, 9_000_000_000, 0, true, 0);
        let prev = apply(None, &mut a, 0.0);
        let mut b = dev(6_000, 10, 0, true, 0);
        apply(Some(&prev), &mut b, 60.0);
        assert_eq!(b.interfaces[0].in_bps, None);
    }
}
