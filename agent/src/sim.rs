//! Simulated machines for the demo, the tests and the benchmarks.
//!
//! A [`SimSource`] is deterministic for its seed: the same agent always has the same vendor,
//! serial, MACs and disks, so reconciliation against a register built from the same seeds is
//! reproducible. Load follows office hours in WIB (UTC+7): busy 07:30-16:00 on weekdays,
//! nearly idle at night and on weekends. Health evidence and laptop batteries are fixed per
//! seed too, with a predictable few machines in trouble (see `sim_health`).

use crate::source::Source;
use chrono::{DateTime, Datelike, Timelike, Utc};
use pantau_proto::body::health::*;
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
        let mut inv = inv;
        inv.battery = (chassis == "Notebook").then(|| sim_battery(seed, r(15)));
        inv.health = sim_health(seed, &inv.disks[0], r(16), Utc::now());
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

/// A laptop battery: most hold 80-98 % of design capacity, every fifth one 30-55 %.
fn sim_battery(seed: u64, r: u64) -> BatteryInfo {
    let design = 45.0;
    let share = if seed % 5 == 1 {
        0.30 + (r % 26) as f64 / 100.0
    } else {
        0.80 + (r % 19) as f64 / 100.0
    };
    BatteryInfo {
        name: "BAT0".into(),
        design_capacity_wh: Some(design),
        full_capacity_wh: Some((design * share * 100.0).round() / 100.0),
        cycle_count: Some(100 + (r >> 8) as u32 % 700),
        status: Some("Discharging".into()),
    }
}

/// Health evidence, fixed per seed: most machines are healthy; seed % 11 == 3 has bad
/// sectors (NVMe: media errors and a worn-out flash), seed % 17 == 5 a drive whose own
/// verdict is FAILED, seed % 13 == 7 three to five unclean shutdowns in the last 30 days,
/// seed % 23 == 9 an overheating CPU that throttles. Unclean times are whole hours back from
/// the start of `now`'s day, so a restarted simulator reports the same ones that day.
fn sim_health(seed: u64, disk: &DiskInfo, r: u64, now: DateTime<Utc>) -> Health {
    let nvme = disk.kind == DiskKind::Nvme;
    let failing = seed % 17 == 5;
    let bad_sectors = seed % 11 == 3 || failing;
    let mut d = DiskHealth {
        name: disk.name.clone(),
        serial: disk.serial.clone(),
        source: HealthSource::Smartctl,
        smart_passed: Some(!failing),
        power_on_hours: Some(2_000 + r % 30_000),
        temperature_c: Some(30.0 + (r >> 16) as f64 % 15.0),
        ..Default::default()
    };
    if nvme {
        d.percent_used = Some(if bad_sectors {
            95 + (r >> 24) as u32 % 30
        } else {
            (r >> 24) as u32 % 40
        });
        d.critical_warning = Some(if failing { 0x04 } else { 0 });
        d.media_errors = Some(if bad_sectors { 1 + (r >> 32) % 50 } else { 0 });
    } else {
        let scale = if failing { 40 } else { 1 };
        let (realloc, pending) = if bad_sectors {
            (scale * (8 + (r >> 24) % 200), scale * (1 + (r >> 32) % 16))
        } else {
            (0, 0)
        };
        d.reallocated_sectors = Some(realloc);
        d.pending_sectors = Some(pending);
        d.offline_uncorrectable = Some(pending / 2);
        d.io_errors = Some(if bad_sectors { pending * 3 } else { 0 });
    }
    let hot = seed % 23 == 9;
    let thermal = ThermalHealth {
        max_temp_c: Some(if hot {
            100.0
        } else {
            40.0 + (r >> 40) as f64 % 25.0
        }),
        sensors_over_critical: u32::from(hot),
        throttle_events: Some(if hot {
            5_000 + (r >> 44) % 20_000
        } else {
            (r >> 44) % 3
        }),
    };
    let day = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let unclean = if seed % 13 == 7 { 3 + (r >> 48) % 3 } else { 0 };
    let mut recent: Vec<DateTime<Utc>> = (0..unclean)
        .map(|i| day - chrono::Duration::hours((mix(r ^ i) % (28 * 24)) as i64 + 1))
        .collect();
    recent.sort();
    let old = (r >> 52) as u32 % 3;
    Health {
        disks: vec![d],
        thermal,
        shutdowns: ShutdownHealth {
            boots_seen: 40 + (r >> 20) as u32 % 300,
            unclean_total: recent.len() as u32 + old,
            unclean_recent: recent,
        },
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

    #[test]
    fn health_is_plausible_and_fixed_per_seed() {
        let now = Utc::now();
        let (mut bad, mut failing, mut unclean, mut weak, mut laptops) = (0, 0, 0, 0, 0);
        for seed in 1..=1000u64 {
            let inv = SimSource::new(seed, "0101").inventory();
            let again = SimSource::new(seed, "0101").inventory();
            assert_eq!(inv.health.disks, again.health.disks, "seed {seed}");
            assert_eq!(inv.battery, again.battery);
            let h = &inv.health;
            let d = &h.disks[0];
            assert_eq!(d.name, inv.disks[0].name);
            if d.reallocated_sectors.unwrap_or(0) > 0 || d.media_errors.unwrap_or(0) > 0 {
                bad += 1;
            }
            if d.smart_passed == Some(false) {
                failing += 1;
                assert_eq!(seed % 17, 5);
            }
            let recent = h.shutdowns.unclean_within(now, 30);
            if recent > 0 {
                unclean += 1;
                assert!((3..=5).contains(&recent), "seed {seed}: {recent}");
            }
            assert!(h.shutdowns.unclean_total as usize >= h.shutdowns.unclean_recent.len());
            if let Some(b) = &inv.battery {
                laptops += 1;
                if b.health_pct().unwrap() < 60.0 {
                    weak += 1;
                }
            }
        }
        assert_eq!(failing, 59); // seeds 5, 22, 39, ... up to 1000
        assert!((100..=160).contains(&bad), "{bad}");
        assert_eq!(unclean, 77);
        assert!(
            laptops > 200 && weak > 20 && weak < laptops / 3,
            "{laptops} {weak}"
        );
        let healthy = SimSource::new(1, "0101").inventory().health;
        assert_eq!(healthy.disks[0].smart_passed, Some(true));
        assert_eq!(healthy.thermal.sensors_over_critical, 0);
    }
}
