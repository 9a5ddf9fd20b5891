//! Link state of the physical NICs: up, speed, duplex, error and drop counters, from
//! `{root}/sys/class/net/*`. Which NICs are physical is decided as for the inventory.

use pantau_proto::body::net::LinkState;
use std::path::Path;

#[cfg(target_os = "linux")]
pub fn read(root: &Path) -> Vec<LinkState> {
    use crate::inventory::linux_devices::{is_physical_nic, nic_up};
    use crate::inventory::{read_num, read_str};
    let net = root.join("sys/class/net");
    let Ok(entries) = std::fs::read_dir(&net) else {
        return Vec::new();
    };
    let mut out: Vec<LinkState> = entries
        .flatten()
        .filter(|e| is_physical_nic(&e.path()))
        .map(|e| {
            let dir = e.path();
            let stat = |n: &str| read_num::<u64>(&dir.join("statistics").join(n)).unwrap_or(0);
            LinkState {
                name: e.file_name().to_string_lossy().into_owned(),
                up: nic_up(&dir),
                // Reads fail (EINVAL) on a link that is down; -1 means unknown.
                speed_mbps: read_num::<i64>(&dir.join("speed"))
                    .filter(|s| *s > 0)
                    .and_then(|s| u32::try_from(s).ok()),
                duplex: read_str(&dir.join("duplex")).filter(|d| d == "full" || d == "half"),
                rx_errors: stat("rx_errors"),
                tx_errors: stat("tx_errors"),
                rx_dropped: stat("rx_dropped"),
                tx_dropped: stat("tx_dropped"),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(not(target_os = "linux"))]
pub fn read(_root: &Path) -> Vec<LinkState> {
    Vec::new()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::fs;

    fn nic(root: &Path, name: &str, files: &[(&str, &str)], physical: bool) {
        let dir = root.join("sys/class/net").join(name);
        fs::create_dir_all(dir.join("statistics")).unwrap();
        for (f, v) in files {
            fs::write(dir.join(f), format!("{v}\n")).unwrap();
        }
        if physical {
            fs::create_dir_all(root.join("devices/pci0000:00/0000:00:19.0")).unwrap();
            std::os::unix::fs::symlink(
                root.join("devices/pci0000:00/0000:00:19.0"),
                dir.join("device"),
            )
            .unwrap();
        }
    }

    #[test]
    fn physical_nics_with_counters() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        nic(
            r,
            "eno1",
            &[
                ("operstate", "up"),
                ("speed", "1000"),
                ("duplex", "full"),
                ("statistics/rx_errors", "3"),
                ("statistics/tx_errors", "0"),
                ("statistics/rx_dropped", "12"),
                ("statistics/tx_dropped", "1"),
            ],
            true,
        );
        nic(
            r,
            "enp2s0",
            &[
                ("operstate", "down"),
                ("speed", "-1"),
                ("duplex", "unknown"),
            ],
            true,
        );
        nic(r, "docker0", &[("operstate", "up")], false);
        nic(r, "lo", &[("operstate", "unknown")], false);
        let links = read(r);
        assert_eq!(links.len(), 2, "{links:?}");
        let eno = &links[0];
        assert_eq!(eno.name, "eno1");
        assert!(eno.up);
        assert_eq!(eno.speed_mbps, Some(1000));
        assert_eq!(eno.duplex.as_deref(), Some("full"));
        assert_eq!(
            (eno.rx_errors, eno.tx_errors, eno.rx_dropped, eno.tx_dropped),
            (3, 0, 12, 1)
        );
        let down = &links[1];
        assert_eq!(down.name, "enp2s0");
        assert!(!down.up);
        assert_eq!(down.speed_mbps, None);
        assert_eq!(down.duplex, None);
    }
}
