//! Temperatures from hwmon: `/sys/class/hwmon/hwmon*/temp*_input`, in millidegrees Celsius.
//!
//! The sensor listing is shared with `health::thermal`, which also reads `temp*_crit`.

use super::linux::{read_into, text};
use pantau_proto::body::metrics::Temperature;
use std::fs;
use std::path::{Path, PathBuf};

/// Re-list sensors this often (in samples) to pick up drivers loaded after start.
const RESCAN_EVERY: u32 = 20;

pub(crate) struct Sensor {
    pub(crate) sensor: String,
    pub(crate) label: String,
    pub(crate) input: PathBuf,
    /// `temp*_crit` next to the input; it may not exist. Metrics never read it.
    pub(crate) crit: PathBuf,
}

pub(super) struct TempState {
    hwmon: PathBuf,
    sensors: Vec<Sensor>,
    /// Samples until the next listing; 0 lists on the next read.
    countdown: u32,
}

impl TempState {
    pub(super) fn new(root: &Path) -> Self {
        TempState {
            hwmon: root.join("sys/class/hwmon"),
            sensors: Vec::new(),
            countdown: 0,
        }
    }

    /// One reading per sensor; names and labels are cached between listings, so a sample
    /// costs one small read per sensor.
    pub(super) fn read(&mut self, buf: &mut Vec<u8>) -> Vec<Temperature> {
        if self.countdown == 0 {
            self.sensors = list_sensors(&self.hwmon);
            self.countdown = RESCAN_EVERY;
        }
        self.countdown -= 1;
        let mut out = Vec::with_capacity(self.sensors.len());
        for s in &self.sensors {
            let milli = read_into(&s.input, buf)
                .then(|| text(buf).trim().parse::<i64>().ok())
                .flatten();
            match milli {
                Some(m) => out.push(Temperature {
                    sensor: s.sensor.clone(),
                    label: s.label.clone(),
                    celsius: m as f64 / 1000.0,
                }),
                // A sensor that vanished or errs (some fail while the device sleeps):
                // list again next time.
                None => self.countdown = 0,
            }
        }
        out
    }
}

/// Sensors sorted by hwmon directory and input name. `sensor` is the chip's `name`
/// (`coretemp`, `acpitz`, `nvme`, ...); `label` is `temp*_label`, or `tempN` without one.
pub(crate) fn list_sensors(hwmon: &Path) -> Vec<Sensor> {
    let mut out = Vec::new();
    let Ok(chips) = fs::read_dir(hwmon) else {
        return out;
    };
    let mut chips: Vec<PathBuf> = chips.filter_map(|e| Some(e.ok()?.path())).collect();
    chips.sort();
    for chip in chips {
        let Some(sensor) = crate::inventory::read_str(&chip.join("name")) else {
            continue;
        };
        let Ok(files) = fs::read_dir(&chip) else {
            continue;
        };
        let mut inputs: Vec<String> = files
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("temp") && n.ends_with("_input"))
            .collect();
        inputs.sort_by_key(|n| (n.len(), n.clone()));
        for input in inputs {
            let base = &input[..input.len() - "_input".len()];
            let label = crate::inventory::read_str(&chip.join(format!("{base}_label")))
                .unwrap_or_else(|| base.to_string());
            out.push(Sensor {
                sensor: sensor.clone(),
                label,
                input: chip.join(&input),
                crit: chip.join(format!("{base}_crit")),
            });
        }
    }
    out
}
