//! `[reports]` in collector.toml: who the report is for, the thresholds behind its lists,
//! and the schedule that generates and archives reports.

use super::period::Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Printed on the cover, e.g. "Kota Ternate".
    pub city: String,
    /// The city's time zone; periods start at local midnight.
    pub zone: Zone,
    /// An OPD whose coverage (reporting / expected agents) is below this is listed.
    pub coverage_threshold: f64,
    /// A host whose CPU p95 and memory p95 are both below these (%) is under-used: a
    /// relocation candidate.
    pub underused_cpu_p95: f64,
    pub underused_mem_p95: f64,
    /// A host whose CPU p95 or memory p95 or average disk use is above these (%) is
    /// over-used: an upgrade candidate.
    pub overused_cpu_p95: f64,
    pub overused_mem_p95: f64,
    pub overused_disk_avg: f64,
    /// Useful life in years per class id (`pc`, `laptop`, `server`, `printer`, `monitor`,
    /// `network`, `other_computer`); default 4 for every ICT class.
    pub useful_life: BTreeMap<String, u32>,
    /// `monthly` or `quarterly`: generate the previous period's city-wide and per-OPD
    /// reports once it has ended. Absent: only on demand.
    pub schedule: Option<Schedule>,
    /// Where generated reports are kept; default `data_dir/reports`.
    pub archive_dir: Option<PathBuf>,
    pub formats: Vec<super::Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    Monthly,
    Quarterly,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            city: "Kota Ternate".into(),
            zone: Zone::Wit,
            coverage_threshold: 0.9,
            underused_cpu_p95: 10.0,
            underused_mem_p95: 40.0,
            overused_cpu_p95: 90.0,
            overused_mem_p95: 90.0,
            overused_disk_avg: 90.0,
            useful_life: BTreeMap::new(),
            schedule: None,
            archive_dir: None,
            formats: vec![super::Format::Pdf, super::Format::Html, super::Format::Xlsx],
        }
    }
}

impl ReportConfig {
    /// Refuse values that would make every list empty or full, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.coverage_threshold) {
            return Err(format!(
                "reports.coverage_threshold: {} is not between 0 and 1",
                self.coverage_threshold
            ));
        }
        for (name, v) in [
            ("underused_cpu_p95", self.underused_cpu_p95),
            ("underused_mem_p95", self.underused_mem_p95),
            ("overused_cpu_p95", self.overused_cpu_p95),
            ("overused_mem_p95", self.overused_mem_p95),
            ("overused_disk_avg", self.overused_disk_avg),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(format!(
                    "reports.{name}: {v} is not a percentage (0 to 100)"
                ));
            }
        }
        for (class, years) in &self.useful_life {
            let known = super::classes::Class::ALL.iter().any(|c| c.id() == class);
            if !known || class == "non_ict" {
                return Err(format!(
                    "reports.useful_life.{class}: not a class (pc, laptop, server, printer, \
                     monitor, network, other_computer)"
                ));
            }
            if *years == 0 {
                return Err(format!("reports.useful_life.{class}: 0 years"));
            }
        }
        Ok(())
    }
}
