//! Network traffic from `/proc/net/dev`; every interface except loopback.

use super::linux::{delta, Tracker};
use pantau_proto::body::metrics::NetIo;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NetCounters {
    rx_bytes: u64,
    rx_packets: u64,
    rx_errors: u64,
    rx_drops: u64,
    tx_bytes: u64,
    tx_packets: u64,
    tx_errors: u64,
    tx_drops: u64,
}

/// Record the counters in `text` and, given the seconds since the last call, return rates for
/// interfaces that were also in the last call.
pub(super) fn update(
    prev: &mut Tracker<NetCounters>,
    text: &str,
    elapsed: Option<f64>,
) -> Vec<NetIo> {
    let mut out = Vec::new();
    prev.begin();
    for line in text.lines() {
        let Some((name, cur)) = parse_line(line) else {
            continue;
        };
        if name == "lo" {
            continue;
        }
        let (Some(p), Some(secs)) = (prev.swap(name, cur), elapsed) else {
            continue;
        };
        let rate = |a, b| delta(a, b).map(|d| d as f64 / secs);
        let (Some(rx_b), Some(tx_b), Some(rx_p), Some(tx_p)) = (
            rate(p.rx_bytes, cur.rx_bytes),
            rate(p.tx_bytes, cur.tx_bytes),
            rate(p.rx_packets, cur.rx_packets),
            rate(p.tx_packets, cur.tx_packets),
        ) else {
            continue;
        };
        out.push(NetIo {
            iface: name.to_string(),
            rx_bytes_ps: rx_b,
            tx_bytes_ps: tx_b,
            rx_packets_ps: rx_p,
            tx_packets_ps: tx_p,
            rx_errors_total: cur.rx_errors,
            tx_errors_total: cur.tx_errors,
            rx_drops_total: cur.rx_drops,
            tx_drops_total: cur.tx_drops,
        });
    }
    prev.finish();
    out
}

/// `  eth0: rx_bytes rx_packets rx_errs rx_drop fifo frame compressed multicast
/// tx_bytes tx_packets tx_errs tx_drop ...`; old kernels omit the space after the colon.
fn parse_line(line: &str) -> Option<(&str, NetCounters)> {
    let (name, rest) = line.split_once(':')?;
    let name = name.trim();
    let mut v = [0u64; 12];
    let mut f = rest.split_ascii_whitespace();
    for slot in &mut v {
        *slot = f.next()?.parse().ok()?;
    }
    Some((
        name,
        NetCounters {
            rx_bytes: v[0],
            rx_packets: v[1],
            rx_errors: v[2],
            rx_drops: v[3],
            tx_bytes: v[8],
            tx_packets: v[9],
            tx_errors: v[10],
            tx_drops: v[11],
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let header = "Inter-|   Receive                                                |  Transmit";
        assert_eq!(parse_line(header), None);
        let (n, c) = parse_line("  eth0:1000 10 1 2 0 0 0 0 2000 20 3 4 0 0 0 0").unwrap();
        assert_eq!(n, "eth0");
        assert_eq!(
            (c.rx_bytes, c.rx_packets, c.rx_errors, c.rx_drops),
            (1000, 10, 1, 2)
        );
        assert_eq!(
            (c.tx_bytes, c.tx_packets, c.tx_errors, c.tx_drops),
            (2000, 20, 3, 4)
        );
    }
}
