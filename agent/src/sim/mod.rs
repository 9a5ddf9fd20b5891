//! Simulated machines for the demo, the tests and the benchmarks.
//!
//! A [`SimSource`] is deterministic for its seed: the same agent always has the same vendor,
//! serial, MACs and disks, so reconciliation against a register built from the same seeds is
//! reproducible. Machines vary as a city's do ([`catalog`]: vendors, CPUs, memory, disks,
//! releases). Load follows office hours in the city's time zone ([`load`]), each machine with
//! its own habits (a user who starts early, a heavier workload). Health evidence and laptop
//! batteries are fixed per seed too, with a predictable few machines in trouble (see
//! `sim_health`). [`fleet`] says which agents misbehave and writes the register.

pub mod catalog;
pub mod fleet;
pub mod load;

use crate::source::Source;
use chrono::{DateTime, Utc};
pub use load::Zone;
use pantau_proto::body::health::*;
use pantau_proto::body::inventory::*;
use pantau_proto::body::metrics::*;
use pantau_proto::body::Sample;

pub struct SimSource {
    seed: u64,
    hostname: String,
    inv: Inventory,
    rng: u64,
    zone: Zone,
    /// Minutes this machine's day runs ahead of (-) or behind (+) the office curve.
    habit_shift_min: i64,
    /// How heavy this machine's work is: 0.6 to 1.3 times the curve.
    habit_weight: f64,
    /// The machine's clock error in seconds (`fleet::Behaviour::Skewed`).
    clock_skew_s: i64,
}

/// Small, fast, good-enough PRNG (splitmix64). The simulator needs variety, not cryptography.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn draw(seed: u64, i: u64) -> u64 {
    mix(seed.wrapping_mul(31).wrapping_add(i))
}

fn model_of(seed: u64) -> &'static catalog::Model {
    catalog::pick(catalog::MODELS, draw(seed, 1))
}

/// The year a simulated machine was bought (the register's tahun perolehan).
pub fn year_of(seed: u64) -> u32 {
    model_of(seed).year
}

const GIB: u64 = 1024 * 1024 * 1024;

impl SimSource {
    /// `seed` picks the machine; `opd` (e.g. `0101`) goes into its hostname. Office hours are
    /// WIB's until [`SimSource::in_zone`] says otherwise.
    pub fn new(seed: u64, opd: &str) -> SimSource {
        let r = |i: u64| draw(seed, i);
        let m = model_of(seed);
        let hostname = format!("opd{opd}-pc{:03}", seed % 1000);
        let prefix: String = m.vendor.chars().take(2).collect::<String>().to_uppercase();
        let serial = format!("{prefix}{:07X}", r(2) % 0xFFF_FFFF);
        let mac_tail = r(3);
        let mac = format!(
            "{}:{:02x}:{:02x}:{:02x}",
            m.oui,
            (mac_tail >> 16) & 0xff,
            (mac_tail >> 8) & 0xff,
            mac_tail & 0xff
        );
        let ram_gb = *catalog::pick(m.ram_gb, r(17));
        let disk_serial = |i: u64| format!("S{:010}", draw(seed, 13 + i * 100) % 10_000_000_000);
        let disks = catalog::disks(m, r(4), &disk_serial);
        let inv = Inventory {
            host_id: format!("h-{:016x}", r(5)),
            hostname: hostname.clone(),
            domain: None,
            asset_tag: None,
            system: SystemInfo {
                vendor: Some(m.vendor.into()),
                model: Some(m.model.into()),
                serial: Some(serial),
                uuid: Some(format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    r(6) as u32,
                    r(7) as u16,
                    r(8) as u16,
                    r(9) as u16,
                    r(10) & 0xffff_ffff_ffff
                )),
                chassis_type: Some(m.chassis.into()),
                bios_vendor: Some(m.vendor.into()),
                bios_version: Some(format!("{}.{:02}", 1 + r(11) % 3, r(12) % 40)),
                ..Default::default()
            },
            cpu: catalog::cpu(m, r(18)),
            memory: MemoryInfo {
                total_bytes: ram_gb * GIB - 300 * 1024 * 1024,
                swap_total_bytes: 2 * GIB,
            },
            disks,
            nics: vec![NicInfo {
                name: if m.chassis == "Notebook" {
                    "wlp2s0"
                } else {
                    "enp1s0"
                }
                .into(),
                mac: Some(mac),
                physical: true,
                wireless: m.chassis == "Notebook",
                addresses: vec![format!(
                    "10.{}.{}.{}/24",
                    20 + seed % 40,
                    (seed / 250) % 250,
                    10 + seed % 240
                )],
                speed_mbps: Some(if m.chassis == "Notebook" { 300 } else { 1000 }),
                up: true,
                ..Default::default()
            }],
            os: catalog::os(m, r(14)),
            agent_version: crate::VERSION.into(),
            ..Default::default()
        };
        let mut inv = inv;
        inv.battery = (m.chassis == "Notebook").then(|| sim_battery(seed, r(15)));
        inv.health = sim_health(seed, &inv.disks[0], r(16), Utc::now());
        SimSource {
            seed,
            hostname,
            inv,
            rng: mix(seed ^ 0xdead_beef),
            zone: Zone::Wib,
            habit_shift_min: (r(19) % 61) as i64 - 30,
            habit_weight: 0.6 + (r(20) % 71) as f64 / 100.0,
            clock_skew_s: 0,
        }
    }

    /// Office hours in `zone` instead of WIB.
    pub fn in_zone(mut self, zone: Zone) -> SimSource {
        self.zone = zone;
        self
    }

    /// A machine whose clock is `secs` off: its samples carry that time (the agent's
    /// envelopes too, through [`crate::Identity::with_clock_skew`]).
    pub fn with_clock_skew(mut self, secs: i64) -> SimSource {
        self.clock_skew_s = secs;
        self
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    fn next(&mut self) -> f64 {
        self.rng = mix(self.rng);
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// This machine's load 0..1 at `t`: the office curve, shifted and weighted by its habits.
    pub fn load_at(&self, t: DateTime<Utc>) -> f64 {
        let curve = load::office_load(
            t + chrono::Duration::minutes(self.habit_shift_min),
            self.zone,
        );
        (curve * self.habit_weight).min(1.0)
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
        inv.collected_at = Some(Utc::now() + chrono::Duration::seconds(self.clock_skew_s));
        inv
    }

    fn sample(&mut self) -> Sample {
        let real_now = Utc::now();
        let load = self.load_at(real_now);
        let now = real_now + chrono::Duration::seconds(self.clock_skew_s);
        let cpu = (load * 45.0 + self.next() * 20.0).min(100.0);
        let total = self.inv.memory.total_bytes;
        let used = ((0.35 + load * 0.4 + self.next() * 0.1) * total as f64) as u64;
        let disk_total: u64 = self.inv.disks[0].size_bytes;
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
                device: format!("/dev/{}", self.inv.disks[0].name),
                fs_type: "ext4".into(),
                total_bytes: disk_total,
                used_bytes: disk_used,
                avail_bytes: disk_total - disk_used,
                inodes_used_pct: None,
            }],
            net: vec![NetIo {
                iface: self.inv.nics[0].name.clone(),
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

    #[test]
    fn inventories_vary_like_a_city_s() {
        use std::collections::BTreeSet;
        let invs: Vec<Inventory> = (1..=300u64)
            .map(|seed| SimSource::new(seed, "0101").inventory())
            .collect();
        let distinct = |f: &dyn Fn(&Inventory) -> String| -> usize {
            invs.iter().map(f).collect::<BTreeSet<_>>().len()
        };
        assert!(distinct(&|i| i.system.vendor.clone().unwrap()) >= 7);
        assert!(distinct(&|i| i.system.model.clone().unwrap()) >= 9);
        assert!(distinct(&|i| i.cpu.model.clone().unwrap()) >= 10);
        assert!(distinct(&|i| i.memory.total_bytes.to_string()) >= 3);
        assert!(distinct(&|i| i.os.pretty_name.clone().unwrap()) >= 5);
        assert!(distinct(&|i| i.disks[0].model.clone().unwrap()) >= 6);
        assert!(invs.iter().any(|i| i.disks.len() == 2));
        assert!(invs.iter().any(|i| i.disks[0].kind == DiskKind::Hdd));
        // Serials, MACs and UUIDs identify one machine each.
        assert_eq!(distinct(&|i| i.system.serial.clone().unwrap()), invs.len());
        assert_eq!(distinct(&|i| i.nics[0].mac.clone().unwrap()), invs.len());
        assert_eq!(distinct(&|i| i.system.uuid.clone().unwrap()), invs.len());
        // A machine bought in 2024 does not run a 2020 release.
        for i in &invs {
            if i.system.model.as_deref() == Some("Axioo Hype 5 AMD") {
                assert!(!i.os.pretty_name.as_deref().unwrap().contains("20.04"));
            }
        }
    }

    #[test]
    fn machines_have_their_own_habits_and_clocks() {
        use chrono::TimeZone;
        // Monday 10:00 WIB: everyone at work, not all equally busy.
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let loads: Vec<f64> = (1..=50u64)
            .map(|s| SimSource::new(s, "0101").load_at(t))
            .collect();
        let (min, max) = loads
            .iter()
            .fold((1.0f64, 0.0f64), |(a, b), l| (a.min(*l), b.max(*l)));
        assert!(min > 0.4 && max - min > 0.2, "{min} {max}");
        // Sunday: nobody.
        let sunday = t + chrono::Duration::days(6);
        assert!((1..=50u64).all(|s| SimSource::new(s, "0101").load_at(sunday) < 0.1));
        let mut skewed = SimSource::new(3, "0101").with_clock_skew(-7200);
        let ts = skewed.sample().ts;
        let off = (Utc::now() - ts).num_seconds();
        assert!((7195..=7205).contains(&off), "{off}");
    }
}
