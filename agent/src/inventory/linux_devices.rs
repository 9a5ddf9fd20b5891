//! Block devices and network interfaces from sysfs.

use super::{clean, read_num, read_str};
use pantau_proto::body::inventory::{DiskInfo, DiskKind, NicInfo};
use std::fs;
use std::path::Path;

/// Block devices that are not disks, or are built from disks already listed: loop, RAM,
/// compressed RAM, device-mapper (LVM, LUKS), md RAID, network block devices, optical and
/// floppy drives, and the eMMC boot/RPMB partitions that sysfs lists next to the disk.
/// Shared with the disk I/O metrics so both report the same devices.
pub(crate) fn is_ignored_block_device(name: &str) -> bool {
    const PREFIXES: &[&str] = &["loop", "ram", "zram", "dm-", "md", "nbd", "sr", "fd"];
    PREFIXES.iter().any(|p| name.starts_with(p))
        || (name.starts_with("mmcblk") && (name.contains("boot") || name.contains("rpmb")))
}

pub(super) fn read_disks(root: &Path) -> Vec<DiskInfo> {
    let block = root.join("sys/block");
    let mut disks: Vec<DiskInfo> = list_dir(&block)
        .into_iter()
        .filter(|n| !is_ignored_block_device(n))
        .filter_map(|name| read_disk(root, &block.join(&name), name))
        .collect();
    disks.sort_by(|a, b| a.name.cmp(&b.name));
    disks
}

fn read_disk(root: &Path, dir: &Path, name: String) -> Option<DiskInfo> {
    // An empty card-reader slot or tray is listed with size 0; it is not a disk.
    let size_bytes = read_num::<u64>(&dir.join("size"))?.checked_mul(512)?;
    if size_bytes == 0 {
        return None;
    }
    let dev = dir.join("device");
    let model = read_str(&dev.join("model"));
    let serial = read_str(&dev.join("serial"))
        .or_else(|| read_str(&dir.join("serial")))
        .or_else(|| {
            fs::read(dev.join("vpd_pg80"))
                .ok()
                .and_then(|d| vpd_serial(&d))
        });
    let rotational = read_num::<u8>(&dir.join("queue/rotational")).map(|r| r == 1);
    let is_virtual = ["vd", "xvd"].iter().any(|p| name.starts_with(p))
        || model.as_deref().is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            ["qemu", "vbox", "virtual"].iter().any(|v| m.contains(v))
        });
    let kind = if name.starts_with("nvme") {
        DiskKind::Nvme
    } else if on_usb(root, dir) {
        DiskKind::Usb
    } else if is_virtual {
        DiskKind::Virtual
    } else {
        match rotational {
            Some(true) => DiskKind::Hdd,
            Some(false) => DiskKind::Ssd,
            None => DiskKind::Unknown,
        }
    };
    Some(DiskInfo {
        name,
        model,
        serial,
        size_bytes,
        rotational,
        removable: read_num::<u8>(&dir.join("removable")) == Some(1),
        kind,
    })
}

/// SCSI VPD page 0x80 (unit serial number): 4-byte header, length in bytes 2-3, then ASCII.
/// SATA disks expose their serial only here.
fn vpd_serial(page: &[u8]) -> Option<String> {
    let len = usize::from(u16::from_be_bytes([*page.get(2)?, *page.get(3)?]));
    let body = page.get(4..4 + len).or_else(|| page.get(4..))?;
    clean(&String::from_utf8_lossy(body))
}

/// True when the sysfs device path of `dir` runs through a USB controller. sysfs entries
/// are symlinks into `/sys/devices/...`; the prefix `root` is cut so a fixture stored under
/// a path containing "usb" cannot fool the check.
fn on_usb(root: &Path, dir: &Path) -> bool {
    let resolved = fs::canonicalize(dir.join("device"))
        .or_else(|_| fs::canonicalize(dir))
        .ok()
        .and_then(|p| {
            let root = fs::canonicalize(root).ok()?;
            Some(
                p.strip_prefix(&root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .into_owned(),
            )
        });
    let link = |p: &Path| fs::read_link(p).map(|l| l.to_string_lossy().contains("/usb"));
    resolved.is_some_and(|p| p.contains("/usb"))
        || link(dir).unwrap_or(false)
        || link(&dir.join("device")).unwrap_or(false)
}

/// A NIC as read, with what the host id needs and the wire type does not carry.
pub(super) struct Nic {
    pub info: NicInfo,
    /// The MAC, when it is fit to identify the host: physical, not USB (dongles move
    /// between PCs), assigned by the hardware (`addr_assign_type` 0), globally administered.
    pub stable_mac: Option<String>,
}

/// A NIC backed by a device (PCI, USB, SDIO), not a bridge, tunnel, veth or loopback.
pub(crate) fn is_physical_nic(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join("device")).is_ok()
}

/// Whether the link of the NIC in `dir` (`/sys/class/net/<name>`) is up.
pub(crate) fn nic_up(dir: &Path) -> bool {
    // Some drivers never report operstate; "unknown" plus carrier means it works.
    match read_str(&dir.join("operstate")).as_deref() {
        Some("up") => true,
        Some("unknown") => read_num::<u8>(&dir.join("carrier")) == Some(1),
        _ => false,
    }
}

pub(super) fn read_nics(root: &Path) -> Vec<Nic> {
    let net = root.join("sys/class/net");
    let mut addrs = if root == Path::new("/") {
        interface_addresses()
    } else {
        Vec::new()
    };
    let mut nics: Vec<Nic> = list_dir(&net)
        .into_iter()
        .filter(|n| n != "lo")
        .map(|name| {
            let dir = net.join(&name);
            let mac = read_str(&dir.join("address"))
                .map(|m| m.to_ascii_lowercase())
                .filter(|m| m != "00:00:00:00:00:00");
            let physical = is_physical_nic(&dir);
            let up = nic_up(&dir);
            let permanent = read_num::<u8>(&dir.join("addr_assign_type")).unwrap_or(0) == 0;
            let stable_mac = mac.clone().filter(|m| {
                physical && permanent && !on_usb(root, &dir) && globally_administered(m)
            });
            let mut addresses = Vec::new();
            addrs.retain(|(iface, cidr)| {
                let mine = *iface == name;
                if mine {
                    addresses.push(cidr.clone());
                }
                !mine
            });
            Nic {
                info: NicInfo {
                    mac,
                    perm_mac: None,
                    physical,
                    wireless: ["wireless", "phy80211"]
                        .iter()
                        .any(|f| fs::symlink_metadata(dir.join(f)).is_ok()),
                    addresses,
                    // Reads fail (EINVAL) on a link that is down; -1 means unknown.
                    speed_mbps: read_num::<i64>(&dir.join("speed"))
                        .filter(|s| *s > 0)
                        .and_then(|s| u32::try_from(s).ok()),
                    up,
                    name,
                },
                stable_mac,
            }
        })
        .collect();
    nics.sort_by(|a, b| a.info.name.cmp(&b.info.name));
    nics
}

fn globally_administered(mac: &str) -> bool {
    u8::from_str_radix(mac.get(0..2).unwrap_or("02"), 16).is_ok_and(|b| b & 0x02 == 0)
}

fn list_dir(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Every IPv4 and IPv6 address of the running host as (interface, "addr/prefix").
fn interface_addresses() -> Vec<(String, String)> {
    use std::ffi::CStr;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    let mut out = Vec::new();
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below with freeifaddrs; every
    // pointer is checked for null and each sockaddr is read as the type its family names.
    unsafe {
        if libc::getifaddrs(&mut head) != 0 {
            return out;
        }
        let mut cur = head;
        while let Some(ifa) = cur.as_ref() {
            cur = ifa.ifa_next;
            if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
                continue;
            }
            let name = CStr::from_ptr(ifa.ifa_name).to_string_lossy().into_owned();
            let (ip, prefix) = match i32::from((*ifa.ifa_addr).sa_family) {
                libc::AF_INET => {
                    let a = &*(ifa.ifa_addr as *const libc::sockaddr_in);
                    let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                    let prefix = (!ifa.ifa_netmask.is_null()).then(|| {
                        let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in);
                        m.sin_addr.s_addr.count_ones()
                    });
                    (IpAddr::V4(ip), prefix)
                }
                libc::AF_INET6 => {
                    let a = &*(ifa.ifa_addr as *const libc::sockaddr_in6);
                    let prefix = (!ifa.ifa_netmask.is_null()).then(|| {
                        let m = &*(ifa.ifa_netmask as *const libc::sockaddr_in6);
                        m.sin6_addr.s6_addr.iter().map(|b| b.count_ones()).sum()
                    });
                    (IpAddr::V6(Ipv6Addr::from(a.sin6_addr.s6_addr)), prefix)
                }
                _ => continue,
            };
            let cidr = match prefix {
                Some(p) => format!("{ip}/{p}"),
                None => ip.to_string(),
            };
            out.push((name, cidr));
        }
        libc::freeifaddrs(head);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_block_devices() {
        for n in [
            "loop0",
            "ram1",
            "zram0",
            "dm-0",
            "md127",
            "sr0",
            "nbd3",
            "mmcblk0boot0",
        ] {
            assert!(is_ignored_block_device(n), "{n}");
        }
        for n in ["sda", "nvme0n1", "vda", "mmcblk0", "xvda", "hdb"] {
            assert!(!is_ignored_block_device(n), "{n}");
        }
    }

    #[test]
    fn vpd_page() {
        let mut page = vec![0x00, 0x80, 0x00, 0x0c];
        page.extend_from_slice(b"  WD-WCC4N123");
        assert_eq!(vpd_serial(&page).as_deref(), Some("WD-WCC4N12"));
        assert_eq!(vpd_serial(&[0, 0x80]), None);
        assert_eq!(
            vpd_serial(&[0, 0x80, 0, 50, b'A', b'B']).as_deref(),
            Some("AB")
        );
    }

    #[test]
    fn mac_admin_bit() {
        assert!(globally_administered("b4:b6:86:00:00:01"));
        assert!(!globally_administered("02:42:ac:11:00:02"));
        assert!(!globally_administered(""));
    }

    #[test]
    fn real_addresses_have_prefix() {
        for (_, cidr) in interface_addresses() {
            assert!(cidr.contains('/'), "{cidr}");
        }
    }
}
