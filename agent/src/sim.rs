//! Simulated machines for the demo, the tests and the benchmarks.
//!
//! A [`SimSource`] is deterministic for its seed: the same agent always has the same vendor,
//! serial, MACs and disks, so reconciliation against a register built from the same seeds is
//! reproducible. Load follows office hours in WIB (UTC+7): busy 07:30-16:00 on weekdays,
//! nearly idle at night and on weekends.

use crate::source::Source;
use chrono::{DateTime, Datelike, Timelike, Utc};
use pantau_proto::body::inventory::*;
use pantau_proto::body::metrics::*;
use pantau_proto::body::Sample;

pub struct SimSource {
    seed: u64,
    hostname: String,
    inv: Inventory,
    rng: u64,
}

/// Small, fast, good-enough PRNG (splitmix64). The simulator needs variety, not cryptography.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const MODELS: &[(&str, &str, &str, u64)] = &[
    ("HP", "HP ProDesk 400 G7 Microtower PC", "Desktop", 8),
    ("Dell Inc.", "OptiPlex 3080", "Desktop", 8),
    ("LENOVO", "ThinkCentre M70s", "Desktop", 16),
    ("Acer", "Veriton M4690G", "Desktop", 4),
    (
        "ASUSTeK COMPUTER INC.",
        "ExpertBook B1400CEAE",
        "Notebook",
        8,
    ),
    ("LENOVO", "ThinkPad E14 Gen 2", "Notebook", 8),
];

impl SimSource {
    /// `seed` picks the machine; `opd` (e.g. `0101`) goes into its hostname.
    pub fn new(seed: u64, opd: &str) -> SimSource {
        let r = |i: u64| mix(seed.wrapping_mul(31).wrapping_add(i));
        let (vendor, model, chassis, ram_gb) = MODELS[(r(1) % MODELS.len() as u64) as usize];
        let hostname = format!("opd{opd}-pc{:03}", seed % 1000);
        let serial = format!("{}{:07X}", &vendor[..2].to_uppercase(), r(2) % 0xFFF_FFFF);
        let mac_tail = r(3);
        let mac = format!(
            "3c:52:82:{:02x}:{:02x}:{:02x}",
            (mac_tail >> 16) & 0xff,
            (mac_tail >> 8) & 0xff,
            mac_tail & 0xff
        );
        let ssd = r(4) % 3 != 0;
        let inv = Inventory {
            host_id: format!("h-{:016x}", r(5)),
            hostname: hostname.clone(),
            domain: None,
            asset_tag: None,
            system: SystemInfo {
                vendor: Some(vendor.into()),
                model: Some(model.into()),
                serial: Some(serial),
                uuid: Some(format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    r(6) as u32,
                    r(7) as u16,
                    r(8) as u16,
                    r(9) as u16,
                    r(10) & 0xffff_ffff_ffff
                )),
                chassis_type: Some(chassis.into()),
                bios_vendor: Some(vendor.into()),
                bios_version: Some(format!("{}.{:02}", 1 + r(11) % 3, r(12) % 40)),
                ..Default::default()
            },
            cpu: CpuInfo {
                model: Some("Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz".into()),
                vendor: Some("GenuineIntel".into()),
                sockets: 1,
                cores: 6,
                threads: 12,
                max_mhz: Some(4500.0),
            },
            memory: MemoryInfo {
                total_bytes: ram_gb * 1024 * 1024 * 1024 - 300 * 1024 * 1024,
                swap_total_bytes: 2 * 1024 * 1024 * 1024,
            },
            disks: vec![DiskInfo {
                name: if ssd { "nvme0n1".into() } else { "sda".into() },
                model: Some(
                    if ssd {
                        "KIOXIA KBG40ZNS256G"
                    } else {
                        "ST1000DM010-2EP102"
                    }
                    .into(),
                ),
                serial: Some(format!("S{:010}", r(13) % 10_000_000_000)),
                size_bytes: if ssd {
                    256_060_514_304
                } else {
                    1_000_204_886_016
                },
                rotational: Some(!ssd),
                removable: false,
                kind: if ssd { DiskKind::Nvme } else { DiskKind::Hdd },
            }],
            nics: vec![NicInfo {
                name: "enp1s0".into(),
                mac: Some(mac),
                physical: true,
                addresses: vec![format!(
                    "10.{}.{}.{}/24",
                    20 + seed % 40,
                    (seed / 250) % 250,
                    10 + seed % 240
                )],
                speed_mbps: Some(1000),
                up: true,
                ..Default::default()
            }],
            os: OsInfo {
                name: Some(
                    if r(14) % 4 == 0 {
                        "Ubuntu"
                    } else {
                        "Debian GNU/Linux"
                    }
                    .into(),
                ),
                version: Some("12 (bookworm)".into()),
                id: Some("debian".into()),
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                kernel: Some("6.1.0-26-amd64".into()),
                arch: "x86_64".into(),
                family: "linux".into(),
            },
            agent_version: crate::VERSION.into(),
            ..Default::default()
        };
        SimSource {
            seed,
            hostname,
            inv,
            rng: mix(seed ^ 0xdead_beef),
        }
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    fn next(&mut self) -> f64 {
        self.rng = mix(self.rng);
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Office load factor 0..1 at `t`.
    fn office_load(t: DateTime<Utc>) -> f64 {
        let wib = t + chrono::Duration::hours(7);
        let minutes = wib.hour() * 60 + wib.minute();
        let weekday = wib.weekday().num_days_from_monday() < 5;
        if weekday && (450..960).contains(&minutes) {
            // A dip at lunch (12:00-13:00).
            if (720..780).contains(&minutes) {
                0.4
            } else {
                0.8
            }
        } else {
            0.05
        }
    }
}

impl Source for SimSource {
    fn inventory(&mut self) -> Inventory {
        let mut inv = self.inv.clone();
        inv.collected_at = Some(Utc::now());
        inv
    }

    fn sample(&mut self) -> Sample {
        let now = Utc::now();
        let load = Self::office_load(now);
        let cpu = (load * 45.0 + self.next() * 20.0).min(100.0);
        let total = self.inv.memory.total_bytes;
        let used = ((0.35 + load * 0.4 + self.next() * 0.1) * total as f64) as u64;
        let disk_total: u64 = 240_000_000_000;
        let disk_used = disk_total / 100 * (40 + self.seed % 55);
        Sample {
            ts: now,
            cpu: Some(CpuUsage {
                usage_pct: cpu,
                user_pct: cpu * 0.7,
                system_pct: cpu * 0.3,
                ..Default::default()
            }),
            load: Some([cpu / 25.0, cpu / 30.0, cpu / 35.0]),
            memory: Some(MemoryUsage {
                total_bytes: total,
                used_bytes: used.min(total),
                available_bytes: total.saturating_sub(used),
                swap_total_bytes: self.inv.memory.swap_total_bytes,
                swap_used_bytes: 0,
            }),
            mounts: vec![MountUsage {
                mount: "/".into(),
                device: "/dev/sda2".into(),
                fs_type: "ext4".into(),
                total_bytes: disk_total,
                used_bytes: disk_used,
                avail_bytes: disk_total - disk_used,
                inodes_used_pct: None,
            }],
            net: vec![NetIo {
                iface: "enp1s0".into(),
                rx_bytes_ps: load * 400_000.0 * self.next(),
                tx_bytes_ps: load * 80_000.0 * self.next(),
                ..Default::default()
            }],
            processes: Some(180 + (self.next() * 40.0) as u32),
            uptime_s: Some(3600 * 4),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_machine_and_plausible_load() {
        let mut a = SimSource::new(7, "0101");
        let mut b = SimSource::new(7, "0101");
        let (ia, ib) = (a.inventory(), b.inventory());
        assert_eq!(ia.system.serial, ib.system.serial);
        assert_eq!(ia.nics[0].mac, ib.nics[0].mac);
        assert_ne!(
            SimSource::new(8, "0101").inventory().system.serial,
            ia.system.serial
        );
        for _ in 0..50 {
            let s = a.sample();
            let cpu = s.cpu.unwrap().usage_pct;
            assert!((0.0..=100.0).contains(&cpu));
            let m = s.memory.unwrap();
            assert!(m.used_bytes <= m.total_bytes);
        }
    }
}
