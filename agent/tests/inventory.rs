//! Inventory readers against recorded trees (`tests/fixtures/<name>/`) and the live host.
#![cfg(target_os = "linux")]

use pantau_agent::inventory::{collect, InventoryOptions};
use pantau_proto::body::inventory::{DiskKind, Inventory};
use std::fs;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> Inventory {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(root.is_dir(), "missing fixture {}", root.display());
    collect(&root, &opts())
}

fn opts() -> InventoryOptions {
    InventoryOptions {
        asset_tag: Some(" 02.06.01.001-0042 ".into()),
        agent_version: "0.1.0-test".into(),
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn desktop_hp() {
    let inv = fixture("desktop-hp");
    assert_eq!(inv.host_id, "h-fb47f1355c6040b3"); // sha256("uuid:6a3f2b1c-...")
    assert_eq!(inv.hostname, "pc-bappeda-042");
    assert_eq!(inv.domain, None);
    assert_eq!(inv.asset_tag, s("02.06.01.001-0042"));
    assert_eq!(inv.agent_version, "0.1.0-test");
    assert!(inv.collected_at.is_some());

    let sys = &inv.system;
    assert_eq!(sys.vendor, s("HP"));
    assert_eq!(sys.model, s("HP ProDesk 600 G3 SFF"));
    assert_eq!(sys.serial, s("SGH812QX4T"));
    assert_eq!(sys.uuid, s("6a3f2b1c-8d4e-11e8-9f1a-b4b686123456"));
    assert_eq!(sys.chassis_type, s("Low Profile Desktop"));
    assert_eq!(sys.chassis_asset_tag, s("BMD-02.06.01.001-0042"));
    assert_eq!(sys.board_vendor, s("HP"));
    assert_eq!(sys.board_model, s("829A"));
    assert_eq!(sys.board_serial, s("PGDSN0A8J8M0FT"));
    assert_eq!(sys.bios_vendor, s("HP"));
    assert_eq!(sys.bios_version, s("P07 Ver. 02.36"));
    assert_eq!(sys.bios_date, s("07/12/2021"));
    assert!(!sys.virtual_machine);

    assert_eq!(inv.cpu.model, s("Intel(R) Core(TM) i5-7500 CPU @ 3.40GHz"));
    assert_eq!(inv.cpu.vendor, s("GenuineIntel"));
    assert_eq!((inv.cpu.sockets, inv.cpu.cores, inv.cpu.threads), (1, 4, 4));
    assert_eq!(inv.cpu.max_mhz, Some(3800.0));
    assert_eq!(inv.memory.total_bytes, 8_052_588 * 1024);
    assert_eq!(inv.memory.swap_total_bytes, 2_097_148 * 1024);

    let names: Vec<&str> = inv.disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["nvme0n1", "sda", "sdb"],
        "loop0 and sr0 are skipped"
    );
    let (nvme, sda, sdb) = (&inv.disks[0], &inv.disks[1], &inv.disks[2]);
    assert_eq!(nvme.kind, DiskKind::Nvme);
    assert_eq!(nvme.model, s("SAMSUNG MZVLB256HBHQ-000H1"));
    assert_eq!(nvme.serial, s("S4DXNX0M123456"));
    assert_eq!(nvme.size_bytes, 500_118_192 * 512);
    assert_eq!(nvme.rotational, Some(false));
    assert_eq!(sda.kind, DiskKind::Hdd);
    assert_eq!(sda.model, s("ST1000DM010-2EP102"));
    assert_eq!(sda.serial, s("ZN1ABCDE"), "from VPD page 0x80");
    assert_eq!(sda.size_bytes, 1_953_525_168 * 512);
    assert_eq!((sda.rotational, sda.removable), (Some(true), false));
    assert_eq!((sdb.kind, sdb.removable), (DiskKind::Usb, true));
    assert_eq!(sdb.model, s("DataTraveler 3.0"));

    let names: Vec<&str> = inv.nics.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["docker0", "eno1"]);
    let (docker, eno1) = (&inv.nics[0], &inv.nics[1]);
    assert_eq!(eno1.mac, s("b4:b6:86:1a:2b:3c"));
    assert!(eno1.physical && eno1.up && !eno1.wireless);
    assert_eq!(eno1.speed_mbps, Some(1000));
    assert!(
        eno1.addresses.is_empty(),
        "no getifaddrs for a recorded root"
    );
    assert_eq!(docker.mac, s("02:42:8c:1d:4e:7f"));
    assert!(!docker.physical && !docker.up);
    assert_eq!(docker.speed_mbps, None);

    assert_eq!(inv.os.name, s("Ubuntu"));
    assert_eq!(inv.os.version, s("22.04"));
    assert_eq!(inv.os.id, s("ubuntu"));
    assert_eq!(inv.os.pretty_name, s("Ubuntu 22.04.4 LTS"));
    assert_eq!(inv.os.kernel, s("5.15.0-105-generic"));
    assert_eq!(inv.os.arch, std::env::consts::ARCH);
    assert_eq!(inv.os.family, "linux");
    assert_eq!(inv.uptime_s, 86_523);
    assert_eq!(inv.boot_time.unwrap().timestamp(), 1_716_170_000);
    assert_eq!(inv.boot_id, s("2f1e6a4c-5b7d-4e8f-9a0b-1c2d3e4f5a6b"));
    assert!(inv.users.is_empty());
    assert_eq!(inv.battery, None);
}

#[test]
fn vm_without_dmi() {
    let inv = fixture("vm-no-dmi");
    // No DMI, and QEMU's 52:54:00 MAC is locally administered: the machine id it is.
    assert_eq!(inv.host_id, "h-01be3454c018183c");
    assert_eq!(inv.system.vendor, None);
    assert_eq!(inv.system.uuid, None);
    assert!(inv.system.virtual_machine, "hypervisor CPU flag");
    assert_eq!(inv.cpu.model, s("Intel Xeon Processor (Cascadelake)"));
    assert_eq!((inv.cpu.sockets, inv.cpu.cores, inv.cpu.threads), (2, 2, 2));
    assert_eq!(inv.cpu.max_mhz, None);
    assert_eq!(inv.memory.total_bytes, 4_025_908 * 1024);
    assert_eq!(inv.memory.swap_total_bytes, 0);
    assert_eq!(inv.disks.len(), 1, "zram0 is skipped");
    let vda = &inv.disks[0];
    assert_eq!((vda.name.as_str(), vda.kind), ("vda", DiskKind::Virtual));
    assert_eq!(vda.serial, s("simpeg-root"));
    assert_eq!(vda.model, None);
    assert_eq!(vda.size_bytes, 20 * 1024 * 1024 * 1024);
    assert_eq!(vda.rotational, Some(true));
    assert_eq!(inv.nics.len(), 1);
    assert_eq!(inv.nics[0].speed_mbps, None, "speed -1 means unknown");
    assert!(inv.nics[0].physical);
    assert_eq!(
        inv.os.name,
        s("Debian GNU/Linux"),
        "from usr/lib/os-release"
    );
    assert_eq!(inv.os.version, s("12"));
    assert_eq!(inv.hostname, "srv-simpeg");
    assert_eq!(inv.domain, s("pemkot.local"));
    assert_eq!(inv.uptime_s, 3600);
    assert_eq!(inv.battery, None);
}

#[test]
fn laptop_with_battery_and_wifi() {
    let inv = fixture("laptop-battery");
    assert_eq!(inv.host_id, "h-78a1c41e27346b09");
    assert_eq!(inv.system.vendor, s("LENOVO"));
    assert_eq!(inv.system.model, s("20RAS0SD00"));
    assert_eq!(inv.system.chassis_type, s("Notebook"));
    assert_eq!(
        inv.system.chassis_asset_tag,
        s("No Asset Information"),
        "as-is"
    );
    assert_eq!(inv.system.bios_version, s("R1AET45W (1.21 )"));
    assert_eq!((inv.cpu.sockets, inv.cpu.cores, inv.cpu.threads), (1, 4, 8));
    assert_eq!(inv.cpu.max_mhz, Some(4200.0));
    assert_eq!(inv.disks.len(), 1);
    assert_eq!(inv.disks[0].kind, DiskKind::Nvme);
    assert_eq!(inv.disks[0].serial, s("20318B801234"));

    let wifi = inv.nics.iter().find(|n| n.name == "wlp0s20f3").unwrap();
    assert!(wifi.wireless && wifi.physical && wifi.up);
    let wired = inv.nics.iter().find(|n| n.name == "enp2s0").unwrap();
    assert!(!wired.wireless && wired.physical && !wired.up);

    let bat = inv.battery.as_ref().expect("BAT0");
    assert_eq!(bat.name, "BAT0");
    assert_eq!(bat.design_capacity_wh, Some(45.0));
    assert_eq!(bat.full_capacity_wh, Some(38.25));
    assert_eq!(bat.health_pct(), Some(85.0));
    assert_eq!(bat.cycle_count, Some(312));
    assert_eq!(bat.status, s("Discharging"));
    assert_eq!(inv.os.id, s("linuxmint"));
    assert_eq!(inv.os.version, s("21.2"));
}

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

#[test]
fn battery_in_charge_units() {
    let dir = tempfile::tempdir().unwrap();
    let b = "sys/class/power_supply/BAT1";
    write(dir.path(), &format!("{b}/charge_full_design"), "4000000\n"); // µAh
    write(dir.path(), &format!("{b}/charge_full"), "3000000\n");
    write(dir.path(), &format!("{b}/voltage_min_design"), "11100000\n"); // µV
    let bat = collect(dir.path(), &opts()).battery.unwrap();
    assert_eq!(bat.name, "BAT1");
    assert!((bat.design_capacity_wh.unwrap() - 44.4).abs() < 1e-9);
    assert!((bat.full_capacity_wh.unwrap() - 33.3).abs() < 1e-9);
    assert_eq!((bat.cycle_count, bat.status), (None, None));
}

#[test]
fn host_id_falls_back_to_stable_nic_mac() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "sys/class/dmi/id/product_uuid",
        "03000200-0400-0500-0006-000700080009\n",
    );
    write(root, "sys/class/dmi/id/product_serial", "Default string\n");
    write(root, "etc/machine-id", "5d41402abc4b2a76b9719d911017c592\n");
    let nic = |name: &str, mac: &str, device: Option<&str>, assign: &str| {
        write(root, &format!("sys/class/net/{name}/address"), mac);
        write(
            root,
            &format!("sys/class/net/{name}/addr_assign_type"),
            assign,
        );
        if let Some(target) = device {
            std::os::unix::fs::symlink(target, root.join(format!("sys/class/net/{name}/device")))
                .unwrap();
        }
    };
    nic(
        "enp1s0",
        "00:1B:21:AA:BB:CC\n",
        Some("../../../0000:01:00.0"),
        "0",
    );
    nic(
        "enp2s0",
        "00:1b:21:ff:00:00\n",
        Some("../../../0000:02:00.0"),
        "0",
    );
    nic(
        "enx00051b",
        "00:05:1b:00:00:01\n",
        Some("../../../usb1/1-1/1-1:1.0"),
        "0",
    );
    nic(
        "wlan0",
        "00:00:11:00:00:01\n",
        Some("../../../0000:03:00.0"),
        "1",
    ); // random MAC
    nic("br0", "00:00:01:00:00:01\n", None, "3"); // software bridge
    let inv = collect(root, &opts());
    // The placeholder UUID and serial are still reported, only not used for the id.
    assert_eq!(inv.system.serial, s("Default string"));
    assert_eq!(inv.host_id, "h-fa16c00980bad61f"); // sha256("mac:00:1b:21:aa:bb:cc")
    let renamed = {
        write(root, "proc/sys/kernel/hostname", "renamed\n");
        collect(root, &opts())
    };
    assert_eq!(
        renamed.host_id, inv.host_id,
        "hostname is not part of the id"
    );
}

#[test]
fn users_from_utmp() {
    use pantau_agent::inventory::utmp::encode_record;
    let dir = tempfile::tempdir().unwrap();
    let mut data = encode_record(2, "reboot", "~", "6.1.0", 1_719_000_000);
    data.extend(encode_record(7, "budi", "tty7", ":0", 1_719_000_100));
    data.extend(encode_record(
        7,
        "sari",
        "pts/0",
        "10.20.0.15",
        1_719_000_200,
    ));
    write(dir.path(), "run/utmp", &data);
    let users = collect(dir.path(), &opts()).users;
    if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
        let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["budi", "sari"]);
        assert_eq!(users[1].line, s("pts/0"));
        assert_eq!(users[1].host, s("10.20.0.15"));
        assert_eq!(users[0].since.unwrap().timestamp(), 1_719_000_100);
    } else {
        assert!(users.is_empty());
    }
}

#[test]
fn empty_and_garbage_roots_do_not_panic() {
    let empty = tempfile::tempdir().unwrap();
    let inv = collect(empty.path(), &InventoryOptions::default());
    assert_eq!(inv.host_id, "");
    assert_eq!(inv.hostname, "");
    assert!(inv.disks.is_empty() && inv.nics.is_empty() && inv.users.is_empty());
    assert_eq!(inv.memory.total_bytes, 0);
    assert_eq!(inv.boot_time, None);

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let junk: Vec<u8> = (0..3000u32).map(|i| (i * 37 % 256) as u8).collect();
    for f in [
        "proc/cpuinfo",
        "proc/meminfo",
        "proc/stat",
        "proc/uptime",
        "etc/os-release",
        "proc/sys/kernel/hostname",
        "run/utmp",
        "sys/class/dmi/id/chassis_type",
        "sys/class/dmi/id/product_uuid",
        "sys/block/sda/size",
        "sys/block/sda/queue/rotational",
        "sys/block/sda/device/vpd_pg80",
        "sys/class/net/eth0/speed",
        "sys/class/net/eth0/address",
        "sys/class/power_supply/BAT0/energy_full",
        "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq",
    ] {
        write(root, f, &junk);
    }
    write(root, "proc/meminfo", "MemTotal: lots kB\nSwapTotal:\n:::\n");
    write(root, "proc/stat", "btime 99999999999999999999\n");
    let inv = collect(root, &opts());
    assert_eq!(inv.memory.total_bytes, 0);
    assert_eq!(inv.boot_time, None);
    assert!(inv.disks.is_empty(), "size is garbage");
    assert_eq!(inv.nics.len(), 1);
    assert_eq!(inv.nics[0].speed_mbps, None);
    let bat = inv.battery.unwrap();
    assert_eq!(bat.full_capacity_wh, None);
}

#[test]
fn live_host_is_sane() {
    let inv = collect(Path::new("/"), &opts());
    assert!(!inv.hostname.is_empty());
    let meminfo = fs::read_to_string("/proc/meminfo").unwrap();
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    assert_eq!(inv.memory.total_bytes, kib * 1024);
    assert!(inv.cpu.threads > 0);
    assert!(inv.os.kernel.is_some());
    assert!(inv.uptime_s > 0);
    if !inv.host_id.is_empty() {
        assert!(inv.host_id.starts_with("h-") && inv.host_id.len() == 18);
    }
    assert!(inv.nics.iter().all(|n| n.name != "lo"));
    // Serialises as the wire type expects.
    let json = serde_json::to_string(&inv).unwrap();
    let back: Inventory = serde_json::from_str(&json).unwrap();
    assert_eq!(back, inv);
}
