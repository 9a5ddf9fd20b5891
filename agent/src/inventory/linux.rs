//! Linux inventory from procfs, sysfs and `/etc`, all relative to a root directory: the
//! assembly, and the machine itself (firmware, CPU, memory, battery).

use super::identity::{self, IdentitySources};
use super::linux_devices::{read_disks, read_nics};
use super::linux_os::{parse_uptime, read_btime, read_os, read_users};
use super::{clean, read_num, read_str};
use pantau_proto::body::inventory::{BatteryInfo, CpuInfo, Inventory, MemoryInfo, SystemInfo};
use std::fs;
use std::path::Path;

pub(super) fn collect(root: &Path) -> Inventory {
    let system = read_system(root);
    let (mut cpu, hypervisor) = read_cpu(root);
    cpu.max_mhz =
        read_num::<f64>(&root.join("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"))
            .map(|khz| khz / 1000.0);
    let nics = read_nics(root);
    let machine_id = read_str(&root.join("etc/machine-id"))
        .or_else(|| read_str(&root.join("var/lib/dbus/machine-id")));
    let sources = IdentitySources {
        smbios_uuid: system.uuid.clone(),
        system_serial: system.serial.clone(),
        nic_macs: nics.iter().filter_map(|n| n.stable_mac.clone()).collect(),
        machine_id,
    };
    let kernel = |f: &str| read_str(&root.join("proc/sys/kernel").join(f));
    let uptime = read_str(&root.join("proc/uptime"));
    Inventory {
        host_id: identity::host_id(&sources).unwrap_or_default(),
        hostname: kernel("hostname")
            .or_else(|| read_str(&root.join("etc/hostname")))
            .unwrap_or_default(),
        domain: kernel("domainname").filter(|d| d != "(none)"),
        system: SystemInfo {
            virtual_machine: hypervisor || looks_virtual(&system),
            ..system
        },
        cpu,
        memory: read_memory(root),
        disks: read_disks(root),
        nics: nics.into_iter().map(|n| n.info).collect(),
        os: read_os(root),
        uptime_s: uptime.as_deref().and_then(parse_uptime).unwrap_or(0),
        boot_time: read_btime(root),
        boot_id: kernel("random/boot_id"),
        users: read_users(root),
        battery: read_battery(root),
        ..Inventory::default()
    }
}

fn read_system(root: &Path) -> SystemInfo {
    let dmi = root.join("sys/class/dmi/id");
    let f = |name: &str| read_str(&dmi.join(name));
    SystemInfo {
        vendor: f("sys_vendor"),
        model: f("product_name"),
        serial: f("product_serial"),
        uuid: f("product_uuid").map(|u| u.to_ascii_lowercase()),
        chassis_type: f("chassis_type").map(|t| chassis_name(&t)),
        chassis_asset_tag: f("chassis_asset_tag"),
        board_vendor: f("board_vendor"),
        board_model: f("board_name"),
        board_serial: f("board_serial"),
        bios_vendor: f("bios_vendor"),
        bios_version: f("bios_version"),
        bios_date: f("bios_date"),
        virtual_machine: false,
    }
}

/// SMBIOS 3.x chassis type (table 7.4.1) as its specification name; unknown numbers are
/// returned as given so nothing is lost.
pub(crate) fn chassis_name(raw: &str) -> String {
    const NAMES: [&str; 36] = [
        "Other",
        "Unknown",
        "Desktop",
        "Low Profile Desktop",
        "Pizza Box",
        "Mini Tower",
        "Tower",
        "Portable",
        "Laptop",
        "Notebook",
        "Hand Held",
        "Docking Station",
        "All in One",
        "Sub Notebook",
        "Space-saving",
        "Lunch Box",
        "Main Server Chassis",
        "Expansion Chassis",
        "SubChassis",
        "Bus Expansion Chassis",
        "Peripheral Chassis",
        "RAID Chassis",
        "Rack Mount Chassis",
        "Sealed-case PC",
        "Multi-system Chassis",
        "Compact PCI",
        "Advanced TCA",
        "Blade",
        "Blade Enclosure",
        "Tablet",
        "Convertible",
        "Detachable",
        "IoT Gateway",
        "Embedded PC",
        "Mini PC",
        "Stick PC",
    ];
    match raw.parse::<usize>() {
        Ok(n @ 1..=36) => NAMES[n - 1].to_string(),
        _ => raw.to_string(),
    }
}

/// Firmware strings of hypervisors, for guests that hide the CPU `hypervisor` flag.
fn looks_virtual(s: &SystemInfo) -> bool {
    const MARKERS: &[&str] = &[
        "qemu",
        "kvm",
        "vmware",
        "virtualbox",
        "innotek",
        "xen",
        "bochs",
        "parallels",
        "bhyve",
        "openstack",
        "virtual machine",
        "amazon ec2",
        "google compute engine",
    ];
    [&s.vendor, &s.model, &s.bios_vendor]
        .into_iter()
        .flatten()
        .map(|v| v.to_ascii_lowercase())
        .any(|v| MARKERS.iter().any(|m| v.contains(m)))
}

/// CPU facts from `/proc/cpuinfo`, plus whether the `hypervisor` flag is set.
fn read_cpu(root: &Path) -> (CpuInfo, bool) {
    let text = fs::read_to_string(root.join("proc/cpuinfo")).unwrap_or_default();
    parse_cpuinfo(&text)
}

pub(crate) fn parse_cpuinfo(text: &str) -> (CpuInfo, bool) {
    let mut cpu = CpuInfo::default();
    let mut packages: Vec<&str> = Vec::new();
    let mut cores: Vec<(&str, &str)> = Vec::new();
    let (mut package, mut cores_per_package, mut hypervisor) = ("", None, false);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "processor" => cpu.threads += 1,
            "model name" if cpu.model.is_none() => cpu.model = clean(value),
            "vendor_id" if cpu.vendor.is_none() => cpu.vendor = clean(value),
            "physical id" => {
                package = value;
                if !packages.contains(&value) {
                    packages.push(value);
                }
            }
            "core id" if !cores.contains(&(package, value)) => cores.push((package, value)),
            "cpu cores" if cores_per_package.is_none() => {
                cores_per_package = value.parse::<u32>().ok()
            }
            "flags" => hypervisor |= value.split_ascii_whitespace().any(|f| f == "hypervisor"),
            _ => {}
        }
    }
    cpu.sockets = match packages.len() {
        0 if cpu.threads > 0 => 1,
        n => n as u32,
    };
    cpu.cores = if !cores.is_empty() {
        cores.len() as u32
    } else if let Some(per) = cores_per_package {
        per * cpu.sockets
    } else {
        cpu.threads
    };
    (cpu, hypervisor)
}

fn read_memory(root: &Path) -> MemoryInfo {
    let text = fs::read_to_string(root.join("proc/meminfo")).unwrap_or_default();
    let mut mem = MemoryInfo::default();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let kib = || rest.split_ascii_whitespace().next()?.parse::<u64>().ok();
        match key {
            "MemTotal" => mem.total_bytes = kib().unwrap_or(0) * 1024,
            "SwapTotal" => mem.swap_total_bytes = kib().unwrap_or(0) * 1024,
            _ => {}
        }
    }
    mem
}

/// The first `BAT*` power supply, by name.
fn read_battery(root: &Path) -> Option<BatteryInfo> {
    let dir = root.join("sys/class/power_supply");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("BAT"))
        .collect();
    names.sort();
    let name = names.into_iter().next()?;
    let bat = dir.join(&name);
    let num = |f: &str| read_num::<u64>(&bat.join(f));
    let volts = num("voltage_min_design");
    // energy_* is in µWh; charge_* in µAh and needs the design voltage (µV) to become Wh.
    let wh = |energy: &str, charge: &str| match (num(energy), num(charge), volts) {
        (Some(uwh), _, _) => Some(uwh as f64 / 1e6),
        (None, Some(uah), Some(uv)) => Some(uah as f64 * uv as f64 / 1e12),
        _ => None,
    };
    Some(BatteryInfo {
        design_capacity_wh: wh("energy_full_design", "charge_full_design"),
        full_capacity_wh: wh("energy_full", "charge_full"),
        cycle_count: read_num(&bat.join("cycle_count")),
        status: read_str(&bat.join("status")),
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chassis_names() {
        assert_eq!(chassis_name("3"), "Desktop");
        assert_eq!(chassis_name("10"), "Notebook");
        assert_eq!(chassis_name("35"), "Mini PC");
        assert_eq!(chassis_name("99"), "99");
        assert_eq!(chassis_name("abc"), "abc");
    }

    #[test]
    fn cpuinfo_without_topology() {
        let (cpu, hv) = parse_cpuinfo("processor\t: 0\nprocessor\t: 1\nmodel name\t: ARMv7\n");
        assert_eq!((cpu.sockets, cpu.cores, cpu.threads, hv), (1, 2, 2, false));
        let (cpu, _) = parse_cpuinfo("");
        assert_eq!((cpu.sockets, cpu.cores, cpu.threads), (0, 0, 0));
    }
}
