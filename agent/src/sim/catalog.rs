//! What simulated machines are made of: the models an Indonesian city buys (global brands and
//! the local ones that win government tenders through e-Katalog), the CPUs, memory and disks
//! each model shipped with, and the Linux releases found on office PCs. A machine picks from
//! these by its seed, so a fleet is varied and the same seed is always the same machine.

use pantau_proto::body::inventory::{CpuInfo, DiskInfo, DiskKind, OsInfo};

/// One model: vendor as DMI spells it, product name, chassis, the CPUs and RAM sizes (GiB)
/// it was sold with, and the year it was bought (older machines get older parts).
pub struct Model {
    pub vendor: &'static str,
    pub model: &'static str,
    pub chassis: &'static str,
    pub cpus: &'static [Cpu],
    pub ram_gb: &'static [u64],
    pub year: u32,
    /// The first three bytes of the NIC's MAC (an OUI of the vendor or its NIC maker).
    pub oui: &'static str,
}

/// Model name, vendor id, cores, threads, maximum MHz.
pub type Cpu = (&'static str, &'static str, u32, u32, f64);

const I5_10500: Cpu = (
    "Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz",
    "GenuineIntel",
    6,
    12,
    4500.0,
);
const I3_10100: Cpu = (
    "Intel(R) Core(TM) i3-10100 CPU @ 3.60GHz",
    "GenuineIntel",
    4,
    8,
    4300.0,
);
const I5_10500T: Cpu = (
    "Intel(R) Core(TM) i5-10500T CPU @ 2.30GHz",
    "GenuineIntel",
    6,
    12,
    3800.0,
);
const I3_10105: Cpu = (
    "Intel(R) Core(TM) i3-10105 CPU @ 3.70GHz",
    "GenuineIntel",
    4,
    8,
    4400.0,
);
const I5_10400: Cpu = (
    "Intel(R) Core(TM) i5-10400 CPU @ 2.90GHz",
    "GenuineIntel",
    6,
    12,
    4300.0,
);
const I7_10700: Cpu = (
    "Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz",
    "GenuineIntel",
    8,
    16,
    4800.0,
);
const I5_7400: Cpu = (
    "Intel(R) Core(TM) i5-7400 CPU @ 3.00GHz",
    "GenuineIntel",
    4,
    4,
    3500.0,
);
const G4560: Cpu = (
    "Intel(R) Pentium(R) CPU G4560 @ 3.50GHz",
    "GenuineIntel",
    2,
    4,
    3500.0,
);
const I5_1135G7: Cpu = (
    "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz",
    "GenuineIntel",
    4,
    8,
    4200.0,
);
const I3_1115G4: Cpu = (
    "11th Gen Intel(R) Core(TM) i3-1115G4 @ 3.00GHz",
    "GenuineIntel",
    2,
    4,
    4100.0,
);
const R5_4500U: Cpu = (
    "AMD Ryzen 5 4500U with Radeon Graphics",
    "AuthenticAMD",
    6,
    6,
    2375.0,
);
const I3_8100: Cpu = (
    "Intel(R) Core(TM) i3-8100 CPU @ 3.60GHz",
    "GenuineIntel",
    4,
    4,
    3600.0,
);
const I5_12400: Cpu = (
    "12th Gen Intel(R) Core(TM) i5-12400",
    "GenuineIntel",
    6,
    12,
    4400.0,
);
const R5_5600G: Cpu = (
    "AMD Ryzen 5 5600G with Radeon Graphics",
    "AuthenticAMD",
    6,
    12,
    4464.0,
);
const CEL_N4020: Cpu = (
    "Intel(R) Celeron(R) N4020 CPU @ 1.10GHz",
    "GenuineIntel",
    2,
    2,
    2800.0,
);

pub const MODELS: &[Model] = &[
    Model {
        vendor: "HP",
        model: "HP ProDesk 400 G7 Microtower PC",
        chassis: "Desktop",
        cpus: &[I5_10500, I3_10100],
        ram_gb: &[8, 8, 16],
        year: 2021,
        oui: "3c:52:82",
    },
    Model {
        vendor: "Dell Inc.",
        model: "OptiPlex 3080",
        chassis: "Desktop",
        cpus: &[I5_10500T, I3_10105],
        ram_gb: &[8, 4, 16],
        year: 2021,
        oui: "b0:7b:25",
    },
    Model {
        vendor: "LENOVO",
        model: "ThinkCentre M70s",
        chassis: "Desktop",
        cpus: &[I5_10400, I7_10700],
        ram_gb: &[16, 8],
        year: 2021,
        oui: "6c:4b:90",
    },
    Model {
        vendor: "Acer",
        model: "Veriton M4690G",
        chassis: "Desktop",
        cpus: &[I5_7400, G4560],
        ram_gb: &[4, 8],
        year: 2018,
        oui: "b8:88:e3",
    },
    Model {
        vendor: "ASUSTeK COMPUTER INC.",
        model: "ExpertBook B1400CEAE",
        chassis: "Notebook",
        cpus: &[I5_1135G7, I3_1115G4],
        ram_gb: &[8, 8, 16],
        year: 2022,
        oui: "04:42:1a",
    },
    Model {
        vendor: "LENOVO",
        model: "ThinkPad E14 Gen 2",
        chassis: "Notebook",
        cpus: &[I5_1135G7, R5_4500U],
        ram_gb: &[8, 16],
        year: 2021,
        oui: "8c:16:45",
    },
    Model {
        vendor: "HP",
        model: "HP 280 G4 Microtower PC",
        chassis: "Desktop",
        cpus: &[I3_8100],
        ram_gb: &[4, 8],
        year: 2019,
        oui: "70:5a:0f",
    },
    Model {
        vendor: "Zyrex",
        model: "Zyrex Z-Station 5410",
        chassis: "Desktop",
        cpus: &[I5_12400, I3_10105],
        ram_gb: &[8, 16],
        year: 2023,
        oui: "00:e0:4c",
    },
    Model {
        vendor: "Advan",
        model: "Advan Workplus",
        chassis: "Notebook",
        cpus: &[I3_1115G4, CEL_N4020],
        ram_gb: &[8, 4],
        year: 2023,
        oui: "98:8d:46",
    },
    Model {
        vendor: "Axioo",
        model: "Axioo Hype 5 AMD",
        chassis: "Notebook",
        cpus: &[R5_5600G],
        ram_gb: &[16, 8],
        year: 2024,
        oui: "00:e0:4c",
    },
];

/// (NAME, VERSION, ID, PRETTY_NAME, kernel) of the releases office PCs run, oldest first.
const OSES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Ubuntu",
        "20.04.6 LTS (Focal Fossa)",
        "ubuntu",
        "Ubuntu 20.04.6 LTS",
        "5.15.0-91-generic",
    ),
    (
        "Debian GNU/Linux",
        "11 (bullseye)",
        "debian",
        "Debian GNU/Linux 11 (bullseye)",
        "5.10.0-30-amd64",
    ),
    (
        "Ubuntu",
        "22.04.4 LTS (Jammy Jellyfish)",
        "ubuntu",
        "Ubuntu 22.04.4 LTS",
        "6.5.0-35-generic",
    ),
    (
        "Debian GNU/Linux",
        "12 (bookworm)",
        "debian",
        "Debian GNU/Linux 12 (bookworm)",
        "6.1.0-26-amd64",
    ),
    (
        "Linux Mint",
        "21.3 (Virginia)",
        "linuxmint",
        "Linux Mint 21.3",
        "5.15.0-112-generic",
    ),
    (
        "Ubuntu",
        "24.04.1 LTS (Noble Numbat)",
        "ubuntu",
        "Ubuntu 24.04.1 LTS",
        "6.8.0-45-generic",
    ),
];

/// Disk models by kind: (model, size in bytes).
const SSDS: &[(&str, u64)] = &[
    ("KIOXIA KBG40ZNS256G", 256_060_514_304),
    ("SAMSUNG MZVLB512HBJQ-000L7", 512_110_190_592),
    ("WDC PC SN530 SDBPNPZ-256G", 256_060_514_304),
];
const SATA_SSDS: &[(&str, u64)] = &[
    ("Patriot P210 256GB", 256_060_514_304),
    ("ADATA SU650", 240_057_409_536),
];
const HDDS: &[(&str, u64)] = &[
    ("ST1000DM010-2EP102", 1_000_204_886_016),
    ("WDC WD5000AAKX-08U6AA0", 500_107_862_016),
    ("TOSHIBA DT01ACA100", 1_000_204_886_016),
];

pub fn pick<T>(list: &[T], r: u64) -> &T {
    &list[(r % list.len() as u64) as usize]
}

pub fn cpu(m: &Model, r: u64) -> CpuInfo {
    let (model, vendor, cores, threads, mhz) = *pick(m.cpus, r);
    CpuInfo {
        model: Some(model.into()),
        vendor: Some(vendor.into()),
        sockets: 1,
        cores,
        threads,
        max_mhz: Some(mhz),
    }
}

/// A release plausible for the machine's age: newer machines skip the oldest releases.
pub fn os(m: &Model, r: u64) -> OsInfo {
    let oldest = (m.year.saturating_sub(2018) as usize).min(OSES.len() - 2);
    let (name, version, id, pretty, kernel) = *pick(&OSES[oldest..], r);
    OsInfo {
        name: Some(name.into()),
        version: Some(version.into()),
        id: Some(id.into()),
        pretty_name: Some(pretty.into()),
        kernel: Some(kernel.into()),
        arch: "x86_64".into(),
        family: "linux".into(),
    }
}

/// The system disk (NVMe on newer machines and most laptops, SATA SSD or HDD on older
/// desktops) and, on a third of the desktops, a second HDD for data.
pub fn disks(m: &Model, r: u64, serial: &dyn Fn(u64) -> String) -> Vec<DiskInfo> {
    let desktop = m.chassis == "Desktop";
    let first = if m.year >= 2021 || !desktop || r.is_multiple_of(3) {
        let (model, size) = *pick(SSDS, r >> 8);
        ("nvme0n1", model, size, DiskKind::Nvme)
    } else if r % 3 == 1 {
        let (model, size) = *pick(SATA_SSDS, r >> 8);
        ("sda", model, size, DiskKind::Ssd)
    } else {
        let (model, size) = *pick(HDDS, r >> 8);
        ("sda", model, size, DiskKind::Hdd)
    };
    let disk = |name: &str, model: &str, size, kind, i| DiskInfo {
        name: name.into(),
        model: Some(model.into()),
        serial: Some(serial(i)),
        size_bytes: size,
        rotational: Some(kind == DiskKind::Hdd),
        removable: false,
        kind,
    };
    let mut out = vec![disk(first.0, first.1, first.2, first.3, 0)];
    if desktop && (r >> 16).is_multiple_of(3) {
        let name = if first.0 == "sda" { "sdb" } else { "sda" };
        let (model, size) = *pick(HDDS, r >> 20);
        out.push(disk(name, model, size, DiskKind::Hdd, 1));
    }
    out
}
