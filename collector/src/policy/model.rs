//! The policy file (TOML). These structs are its documentation (docs/policy.md explains each
//! key in Bahasa Indonesia and English). Every value that can be wrong on its own (a glob, a
//! clock time, a zone, a date, a port range) is checked while it is read, so the toml crate
//! reports it with its line and column; checks across keys (an exemption naming an unknown
//! category) are in `super::check`, which also reports positions.

use chrono::{NaiveDate, NaiveTime, Weekday};
use serde::{de, Deserialize, Deserializer};
use toml::Spanned;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// What "sustained" means for after-hours use and mining.
    #[serde(default)]
    pub sustained: Sustained,
    pub office_hours: OfficeHours,
    pub asset_class: AssetClasses,
    #[serde(default, rename = "category")]
    pub categories: Vec<Category>,
    #[serde(default, rename = "exemption")]
    pub exemptions: Vec<Spanned<Exemption>>,
}

/// Thresholds of the CPU-based judgements, over the usage reports of the last `lookback_s`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sustained {
    /// How far back usage reports are read (seconds).
    pub lookback_s: u64,
    /// After-hours use: the machine counts as busy in a report window when its CPU use is
    /// at least this share of the whole machine (all cores), in percent.
    pub after_hours_cpu_pct: f64,
    /// After-hours use: busy windows outside office hours must add up to this many seconds.
    pub after_hours_min_s: u64,
    /// Mining: a miner-category process must average at least this share of one core, in
    /// percent, over the windows it appears in ...
    pub mining_core_pct: f64,
    /// ... and those windows must add up to this many seconds.
    pub mining_min_s: u64,
}

impl Default for Sustained {
    fn default() -> Self {
        Sustained {
            lookback_s: 7200,
            after_hours_cpu_pct: 25.0,
            after_hours_min_s: 1800,
            mining_core_pct: 50.0,
            mining_min_s: 600,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeHours {
    /// `WIB`, `WITA`, `WIT` or an IANA name (`Asia/Jayapura`).
    pub timezone: Zone,
    pub days: Vec<Day>,
    pub start: Clock,
    pub end: Spanned<Clock>,
    /// Public holidays and cuti bersama: no office hours all day.
    #[serde(default)]
    pub holidays: Vec<Date>,
    /// Per-OPD exceptions; the longest matching `opd` prefix wins.
    #[serde(default)]
    pub opd: Vec<OpdHours>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpdHours {
    /// Kode lokasi, or a prefix of one (`82.71.03` covers every unit below it).
    pub opd: String,
    pub timezone: Option<Zone>,
    pub days: Option<Vec<Day>>,
    pub start: Option<Clock>,
    pub end: Option<Clock>,
    /// Units that work around the clock (hospital, fire brigade): never after hours.
    #[serde(default)]
    pub always: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetClasses {
    /// OPDs (kode lokasi) that are the city's Data Center: hosts enrolled there are servers.
    #[serde(default)]
    pub datacenter_opds: Vec<String>,
    /// Kode barang prefixes of laptops in the register (for hosts matched to an asset).
    #[serde(default)]
    pub laptop_kode_barang: Vec<String>,
    /// SMBIOS chassis types that mean a laptop, for hosts not matched to an asset.
    #[serde(default)]
    pub laptop_chassis: Vec<String>,
    pub workstation: ClassRules,
    pub laptop: ClassRules,
    pub server: ClassRules,
}

/// What may listen on a host of one class. Loopback listeners are never judged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassRules {
    /// `false`: any listener is allowed (the Data Center).
    #[serde(default = "yes")]
    pub check_listeners: bool,
    #[serde(default)]
    pub allow: Vec<AllowRule>,
}

fn yes() -> bool {
    true
}

/// A listener is allowed when one rule matches its protocol, port and (if given) process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    #[serde(default)]
    pub proto: Proto,
    /// Ports: numbers or `"low-high"` ranges.
    pub ports: Vec<PortRange>,
    /// Process name globs; empty means any process.
    #[serde(default)]
    pub processes: Vec<Pattern>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
    #[default]
    Any,
}

/// A category of forbidden use. A process matches on name, executable path or sha256; a
/// package on name or publisher. Globs are case-insensitive; paths use `/` (Windows `\`
/// is turned into `/` before matching).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Short id used in exemptions and evidence (`games`, `p2p`).
    pub id: Spanned<String>,
    /// Name shown in flags, Bahasa Indonesia.
    pub name: String,
    pub name_en: String,
    #[serde(default)]
    pub processes: Vec<Pattern>,
    #[serde(default)]
    pub paths: Vec<Pattern>,
    #[serde(default)]
    pub sha256: Vec<Sha256>,
    #[serde(default)]
    pub software: Vec<Pattern>,
    #[serde(default)]
    pub publishers: Vec<Pattern>,
    /// A miner category: sustained CPU of its processes raises `crypto_mining`.
    #[serde(default)]
    pub mining: bool,
}

/// Leave to one asset or agent, for some flags or categories, until a date.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// Agent id ...
    pub agent: Option<String>,
    /// ... or register key (`kode_lokasi|kode_barang|nomor_register`); exactly one.
    pub asset: Option<String>,
    /// Flag kinds exempted; empty means every policy kind.
    #[serde(default)]
    pub kinds: Vec<PolicyKind>,
    /// Categories exempted (process and software matches); empty means all.
    #[serde(default)]
    pub categories: Vec<Spanned<String>>,
    /// Listening ports exempted (`unauthorized_server`); empty means all.
    #[serde(default)]
    pub ports: Vec<PortRange>,
    pub reason: String,
    pub approved_by: String,
    /// Last day the exemption holds (in the office-hours time zone), inclusive.
    pub expires: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    UnauthorizedSoftware,
    UnauthorizedProcess,
    UnauthorizedServer,
    AfterHoursUsage,
    CryptoMining,
}

// ---- values checked while read ----

/// A glob (globset syntax), case-insensitive.
#[derive(Debug, Clone)]
pub struct Pattern(pub String);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        globset::GlobBuilder::new(&s)
            .case_insensitive(true)
            .build()
            .map_err(|e| de::Error::custom(format!("bad glob {s:?}: {}", e.kind())))?;
        Ok(Pattern(s))
    }
}

#[derive(Debug, Clone)]
pub struct Sha256(pub String);

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?.to_ascii_lowercase();
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(de::Error::custom(format!(
                "{s:?} is not a sha256 (64 hex digits)"
            )));
        }
        Ok(Sha256(s))
    }
}

/// A time zone: the Indonesian abbreviations or an IANA name.
#[derive(Debug, Clone, Copy)]
pub struct Zone(pub chrono_tz::Tz);

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let tz = match s.to_ascii_uppercase().as_str() {
            "WIB" => chrono_tz::Asia::Jakarta,
            "WITA" => chrono_tz::Asia::Makassar,
            "WIT" => chrono_tz::Asia::Jayapura,
            _ => s.parse::<chrono_tz::Tz>().map_err(|_| {
                de::Error::custom(format!(
                    "unknown time zone {s:?}: use WIB, WITA, WIT or an IANA name such as Asia/Jayapura"
                ))
            })?,
        };
        Ok(Zone(tz))
    }
}

/// `HH:MM` (24 h).
#[derive(Debug, Clone, Copy)]
pub struct Clock(pub NaiveTime);

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        NaiveTime::parse_from_str(&s, "%H:%M")
            .map(Clock)
            .map_err(|_| de::Error::custom(format!("bad time {s:?}: expected HH:MM, e.g. 07:30")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub Weekday);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let w = match s.to_ascii_lowercase().as_str() {
            "mon" | "senin" => Weekday::Mon,
            "tue" | "selasa" => Weekday::Tue,
            "wed" | "rabu" => Weekday::Wed,
            "thu" | "kamis" => Weekday::Thu,
            "fri" | "jumat" => Weekday::Fri,
            "sat" | "sabtu" => Weekday::Sat,
            "sun" | "minggu" => Weekday::Sun,
            _ => {
                return Err(de::Error::custom(format!(
                    "unknown day {s:?}: mon..sun or senin..minggu"
                )))
            }
        };
        Ok(Day(w))
    }
}

/// `YYYY-MM-DD`, quoted or as a TOML date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum In {
            S(String),
            T(toml::value::Datetime),
        }
        let s = match In::deserialize(d)
            .map_err(|_| de::Error::custom("expected a date YYYY-MM-DD"))?
        {
            In::S(s) => s,
            In::T(t) => t.to_string(),
        };
        NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| de::Error::custom(format!("bad date {s:?}: expected YYYY-MM-DD")))
    }
}

/// A port or an inclusive range, from `22` or `"49152-65535"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange(pub u16, pub u16);

impl PortRange {
    pub fn contains(self, p: u16) -> bool {
        self.0 <= p && p <= self.1
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum In {
            N(i64),
            S(String),
        }
        let bad = |s: &str| de::Error::custom(format!("bad port {s:?}: 1-65535 or \"low-high\""));
        let port = |s: &str| s.trim().parse::<u16>().ok().filter(|p| *p > 0);
        match In::deserialize(d)
            .map_err(|_| de::Error::custom("expected a port or \"low-high\""))?
        {
            In::N(n) => u16::try_from(n)
                .ok()
                .filter(|p| *p > 0)
                .map(|p| PortRange(p, p))
                .ok_or_else(|| bad(&n.to_string())),
            In::S(s) => {
                let (a, b) = s.split_once('-').unwrap_or((&s, &s));
                match (port(a), port(b)) {
                    (Some(a), Some(b)) if a <= b => Ok(PortRange(a, b)),
                    _ => Err(bad(&s)),
                }
            }
        }
    }
}
