//! Inventory on Windows and other non-Linux hosts, from the `sysinfo` crate.
//!
//! Deliberately small: no firmware identifiers (SMBIOS needs WMI), no logged-in users, no
//! battery. `disks` lists mounted volumes, as sysinfo has no physical-disk view, and the
//! host id falls back to the lowest NIC MAC.

use super::clean;
use super::identity::{self, IdentitySources};
use chrono::DateTime;
use pantau_proto::body::inventory::{
    CpuInfo, DiskInfo, DiskKind, Inventory, MemoryInfo, NicInfo, OsInfo,
};
use sysinfo::{Disks, Networks, System};

pub(super) fn collect() -> Inventory {
    let mut sys = System::new();
    sys.refresh_memory();
    sys.refresh_cpu_all();
    let cpus = sys.cpus();
    let cpu = CpuInfo {
        model: cpus.first().and_then(|c| clean(c.brand())),
        vendor: cpus.first().and_then(|c| clean(c.vendor_id())),
        sockets: u32::from(!cpus.is_empty()),
        cores: System::physical_core_count().unwrap_or(cpus.len()) as u32,
        threads: cpus.len() as u32,
        max_mhz: None,
    };

    let disks = Disks::new_with_refreshed_list()
        .list()
        .iter()
        .map(|d| DiskInfo {
            name: d.mount_point().to_string_lossy().into_owned(),
            model: clean(&d.name().to_string_lossy()),
            serial: None,
            size_bytes: d.total_space(),
            rotational: match d.kind() {
                sysinfo::DiskKind::HDD => Some(true),
                sysinfo::DiskKind::SSD => Some(false),
                sysinfo::DiskKind::Unknown(_) => None,
            },
            removable: d.is_removable(),
            kind: match d.kind() {
                _ if d.is_removable() => DiskKind::Usb,
                sysinfo::DiskKind::HDD => DiskKind::Hdd,
                sysinfo::DiskKind::SSD => DiskKind::Ssd,
                sysinfo::DiskKind::Unknown(_) => DiskKind::Unknown,
            },
        })
        .collect();

    let networks = Networks::new_with_refreshed_list();
    let mut nics: Vec<NicInfo> = networks
        .list()
        .iter()
        .map(|(name, data)| {
            let mac = data.mac_address();
            NicInfo {
                name: name.clone(),
                mac: (!mac.is_unspecified()).then(|| mac.to_string()),
                addresses: data.ip_networks().iter().map(|n| n.to_string()).collect(),
                up: !data.ip_networks().is_empty(),
                ..NicInfo::default()
            }
        })
        .collect();
    nics.sort_by(|a, b| a.name.cmp(&b.name));

    let sources = IdentitySources {
        nic_macs: nics
            .iter()
            .filter_map(|n| n.mac.clone())
            // Locally administered MACs (bit 1 of the first octet) are random or virtual.
            .filter(|m| {
                m.get(..2)
                    .and_then(|o| u8::from_str_radix(o, 16).ok())
                    .is_some_and(|b| b & 0x02 == 0)
            })
            .collect(),
        ..IdentitySources::default()
    };

    Inventory {
        host_id: identity::host_id(&sources).unwrap_or_default(),
        hostname: System::host_name().unwrap_or_default(),
        cpu,
        memory: MemoryInfo {
            total_bytes: sys.total_memory(),
            swap_total_bytes: sys.total_swap(),
        },
        disks,
        nics,
        os: OsInfo {
            name: System::long_os_version().or_else(System::name),
            version: System::os_version(),
            id: clean(&System::distribution_id()),
            pretty_name: System::long_os_version(),
            kernel: System::kernel_version(),
            ..OsInfo::default()
        },
        uptime_s: System::uptime(),
        boot_time: DateTime::from_timestamp(System::boot_time() as i64, 0),
        ..Inventory::default()
    }
}
