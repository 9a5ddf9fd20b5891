//! SMART data from smartctl's JSON output (`smartctl --json -a /dev/X`, smartmontools ≥ 7).
//!
//! Emitted into `inventory.health.disks[]` (source `smartctl`):
//!
//! | field | smartctl JSON |
//! |---|---|
//! | `smart_passed` | `smart_status.passed` |
//! | `reallocated_sectors` | `ata_smart_attributes.table[id=5].raw.value` |
//! | `pending_sectors` | `ata_smart_attributes.table[id=197].raw.value` |
//! | `offline_uncorrectable` | `ata_smart_attributes.table[id=198].raw.value` |
//! | `percent_used` | `nvme_smart_health_information_log.percentage_used` |
//! | `critical_warning` | `nvme_smart_health_information_log.critical_warning` |
//! | `media_errors` | `nvme_smart_health_information_log.media_errors` |
//! | `power_on_hours` | `power_on_time.hours`, else the NVMe log's `power_on_hours` |
//! | `temperature_c` | `temperature.current`, else the NVMe log's `temperature` |
//! | `serial` | `serial_number` |
//!
//! Where the JSON comes from, in order:
//!
//! 1. `<smart_cache_dir>/<disk>.json` (for NVMe also the controller name, `nvme0.json` for
//!    `nvme0n1`), written by the root-run `pantau-smart.timer`. This is the least-privilege
//!    path: smartctl needs CAP_SYS_RAWIO / CAP_SYS_ADMIN, which the agent's own user lacks.
//!    Files older than [`CACHE_MAX_AGE`] are ignored: a timer that stopped must not keep a
//!    dead disk looking healthy (or a replaced one looking dead).
//! 2. When the agent itself runs as root (euid 0), reads `/` and `smartctl` is on `PATH`:
//!    smartctl run by the agent (`smartctl_run.rs`).
//! 3. Otherwise nothing: the disk gets sysfs figures only.
//!
//! Only the fields above are deserialized, all optional; smartctl's exit status is a bit mask
//! in which "disk failing" bits are normal news, so the JSON is read whatever the status.

use pantau_proto::body::health::{DiskHealth, HealthSource};
use serde::Deserialize;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Cache files older than this are ignored (the timer writes every 6 hours).
pub const CACHE_MAX_AGE: Duration = Duration::from_secs(3 * 24 * 3600);

/// The parts of smartctl's JSON report that Pantau reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SmartReport {
    pub serial_number: Option<String>,
    pub smart_status: Option<SmartStatus>,
    pub ata_smart_attributes: Option<AtaAttributes>,
    pub nvme_smart_health_information_log: Option<NvmeLog>,
    pub power_on_time: Option<PowerOnTime>,
    pub temperature: Option<Temperature>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SmartStatus {
    pub passed: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AtaAttributes {
    pub table: Vec<AtaAttribute>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AtaAttribute {
    pub id: u32,
    pub raw: Option<RawValue>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawValue {
    pub value: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NvmeLog {
    pub critical_warning: Option<u32>,
    pub temperature: Option<f64>,
    pub percentage_used: Option<u32>,
    pub media_errors: Option<u64>,
    pub power_on_hours: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PowerOnTime {
    pub hours: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Temperature {
    pub current: Option<f64>,
}

impl SmartReport {
    /// Parse smartctl's JSON; `None` when it is not JSON or holds no health data at all
    /// (device not opened, disk asleep under `-n standby`, SMART unsupported).
    pub fn parse(json: &[u8]) -> Option<SmartReport> {
        let r: SmartReport = serde_json::from_slice(json).ok()?;
        let has_data = r.smart_status.as_ref().is_some_and(|s| s.passed.is_some())
            || r.ata_smart_attributes.is_some()
            || r.nvme_smart_health_information_log.is_some();
        has_data.then_some(r)
    }

    fn attribute(&self, id: u32) -> Option<u64> {
        let table = &self.ata_smart_attributes.as_ref()?.table;
        table.iter().find(|a| a.id == id)?.raw.as_ref()?.value
    }

    /// The report as a disk health entry for `name`.
    pub fn to_health(&self, name: &str) -> DiskHealth {
        let nvme = self.nvme_smart_health_information_log.as_ref();
        DiskHealth {
            name: name.to_string(),
            serial: self
                .serial_number
                .as_deref()
                .and_then(crate::inventory::clean),
            source: HealthSource::Smartctl,
            smart_passed: self.smart_status.as_ref().and_then(|s| s.passed),
            reallocated_sectors: self.attribute(5),
            pending_sectors: self.attribute(197),
            offline_uncorrectable: self.attribute(198),
            percent_used: nvme.and_then(|n| n.percentage_used),
            critical_warning: nvme.and_then(|n| n.critical_warning),
            media_errors: nvme.and_then(|n| n.media_errors),
            power_on_hours: self
                .power_on_time
                .as_ref()
                .and_then(|p| p.hours)
                .or_else(|| nvme.and_then(|n| n.power_on_hours)),
            temperature_c: self
                .temperature
                .as_ref()
                .and_then(|t| t.current)
                .or_else(|| nvme.and_then(|n| n.temperature)),
            io_errors: None,
        }
    }
}

/// Cache file names to try for a kernel disk name: `nvme0n1.json`, then `nvme0.json`
/// (`smartctl --scan` names NVMe controllers, not namespaces).
fn cache_names(disk: &str) -> Vec<String> {
    let mut names = vec![format!("{disk}.json")];
    if let Some(ctrl) = disk
        .strip_prefix("nvme")
        .and_then(|rest| rest.split_once('n'))
        .map(|(c, _)| format!("nvme{c}.json"))
    {
        names.push(ctrl);
    }
    names
}

/// The cached report for `disk`, if a fresh enough one is in `dir`.
pub fn from_cache(dir: &Path, disk: &str, now: SystemTime) -> Option<SmartReport> {
    cache_names(disk).into_iter().find_map(|file| {
        let path = dir.join(file);
        let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
        if now.duration_since(modified).unwrap_or_default() > CACHE_MAX_AGE {
            tracing::debug!("ignoring stale SMART cache {}", path.display());
            return None;
        }
        let report = SmartReport::parse(&std::fs::read(&path).ok()?);
        if report.is_none() {
            tracing::debug!("no SMART data in {}", path.display());
        }
        report
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/smart")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn health(name: &str) -> DiskHealth {
        SmartReport::parse(&fixture(name)).unwrap().to_health("sdx")
    }

    #[test]
    fn ata_ssd_healthy() {
        let h = health("ata-ssd-healthy.json");
        assert_eq!(h.source, HealthSource::Smartctl);
        assert_eq!(h.serial.as_deref(), Some("2117E5A1B2C3"));
        assert_eq!(h.smart_passed, Some(true));
        assert_eq!(
            (
                h.reallocated_sectors,
                h.pending_sectors,
                h.offline_uncorrectable
            ),
            (Some(0), Some(0), Some(0))
        );
        assert_eq!(
            (h.percent_used, h.critical_warning, h.media_errors),
            (None, None, None)
        );
        assert_eq!(h.power_on_hours, Some(8_213));
        assert_eq!(h.temperature_c, Some(33.0));
    }

    #[test]
    fn ata_hdd_with_bad_sectors() {
        let h = health("ata-hdd-reallocated.json");
        assert_eq!(h.smart_passed, Some(true), "the drive still says PASSED");
        assert_eq!(h.reallocated_sectors, Some(24));
        assert_eq!(h.pending_sectors, Some(8));
        assert_eq!(h.offline_uncorrectable, Some(8));
        assert_eq!(h.power_on_hours, Some(31_447));
        assert_eq!(h.temperature_c, Some(38.0));
        assert_eq!(h.serial.as_deref(), Some("ZN1ABCDE"));
    }

    #[test]
    fn nvme_worn() {
        let h = health("nvme-worn.json");
        assert_eq!(h.smart_passed, Some(true));
        assert_eq!(h.percent_used, Some(93));
        assert_eq!(h.critical_warning, Some(0));
        assert_eq!(h.media_errors, Some(0));
        assert_eq!(h.power_on_hours, Some(19_876));
        assert_eq!(h.temperature_c, Some(41.0));
        assert_eq!(h.reallocated_sectors, None, "no ATA table on NVMe");
    }

    #[test]
    fn failing_drive() {
        let h = health("ata-hdd-failing.json");
        assert_eq!(h.smart_passed, Some(false));
        assert_eq!(h.reallocated_sectors, Some(3_912));
        assert_eq!(h.pending_sectors, Some(216));
    }

    #[test]
    fn nvme_log_fallbacks_and_junk() {
        let r = SmartReport::parse(
            br#"{"nvme_smart_health_information_log":{"temperature":45,"power_on_hours":7}}"#,
        )
        .unwrap();
        let h = r.to_health("nvme0n1");
        assert_eq!((h.temperature_c, h.power_on_hours), (Some(45.0), Some(7)));
        assert_eq!(h.smart_passed, None);
        assert!(SmartReport::parse(b"not json").is_none());
        // What smartctl prints for a disk it could not open, or one left asleep.
        assert!(SmartReport::parse(
            br#"{"smartctl":{"exit_status":2},"device":{"name":"/dev/sdb"},"smart_status":{}}"#
        )
        .is_none());
    }

    #[test]
    fn cache_lookup_and_age() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("nvme0.json"), fixture("nvme-worn.json")).unwrap();
        std::fs::write(dir.path().join("sda.json"), fixture("ata-ssd-healthy.json")).unwrap();
        let now = SystemTime::now();
        assert!(
            from_cache(dir.path(), "nvme0n1", now).is_some(),
            "controller name"
        );
        assert!(from_cache(dir.path(), "sda", now).is_some());
        assert!(from_cache(dir.path(), "sdb", now).is_none());
        let later = now + CACHE_MAX_AGE + Duration::from_secs(60);
        assert!(from_cache(dir.path(), "sda", later).is_none(), "stale");
        assert_eq!(cache_names("sda"), ["sda.json"]);
        assert_eq!(cache_names("nvme1n2"), ["nvme1n2.json", "nvme1.json"]);
    }
}
