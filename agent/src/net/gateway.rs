//! The default IPv4 gateway, from `{root}/proc/net/route`.

use std::net::Ipv4Addr;
use std::path::Path;

const RTF_UP: u32 = 0x1;
const RTF_GATEWAY: u32 = 0x2;

/// The gateway of the default route with the lowest metric, if any.
pub fn read(root: &Path) -> Option<Ipv4Addr> {
    parse(&std::fs::read_to_string(root.join("proc/net/route")).ok()?)
}

/// `/proc/net/route` lists addresses as hex in host (little-endian on x86/ARM) byte order.
pub fn parse(text: &str) -> Option<Ipv4Addr> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let hex = |s: &str| u32::from_str_radix(s, 16).ok();
            let (dest, gw, flags, metric, mask) = (
                hex(f[1])?,
                hex(f[2])?,
                hex(f[3])?,
                f[6].parse::<u32>().ok()?,
                hex(f[7])?,
            );
            let default =
                dest == 0 && mask == 0 && flags & (RTF_UP | RTF_GATEWAY) == RTF_UP | RTF_GATEWAY;
            // The kernel prints the address's bytes as a native-endian number.
            (default && gw != 0).then(|| (metric, Ipv4Addr::from(gw.to_ne_bytes())))
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, ip)| ip)
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    const ROUTE: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0102A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
";

    #[test]
    fn default_route_with_lowest_metric() {
        assert_eq!(parse(ROUTE), Some(Ipv4Addr::new(192, 168, 1, 1)));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/net")).unwrap();
        std::fs::write(dir.path().join("proc/net/route"), ROUTE).unwrap();
        assert_eq!(read(dir.path()), Some(Ipv4Addr::new(192, 168, 1, 1)));
    }

    #[test]
    fn no_default_route() {
        let only_lan: String = ROUTE
            .lines()
            .take(1)
            .chain(ROUTE.lines().skip(3))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(parse(&only_lan), None);
        assert_eq!(parse(""), None);
        assert_eq!(read(std::path::Path::new("/nonexistent")), None);
    }
}
