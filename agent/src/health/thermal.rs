//! Thermal evidence, read at inventory time. Emitted into `inventory.health.thermal`:
//!
//! | field | unit | source |
//! |---|---|---|
//! | `max_temp_c` | °C | highest `/sys/class/hwmon/hwmon*/temp*_input` (millidegrees / 1000); `null` without sensors |
//! | `sensors_over_critical` | count | sensors whose input is ≥ their own `temp*_crit` (sensors without a crit file, or with a crit ≤ 0, are not counted) |
//! | `throttle_events` | count since boot | sum of `/sys/devices/system/cpu/cpu*/thermal_throttle/core_throttle_count` (Intel); `null` when no such file exists (AMD, VMs, ARM) |
//!
//! A PC whose fan or heat-sink paste has given up throttles long before it crosses a critical
//! threshold, which is why the throttle counter is reported too. Sensors are listed with the
//! same code as the `temps` metric, so both name the same sensors.

use crate::inventory::read_num;
use crate::metrics::temps::list_sensors;
use pantau_proto::body::health::ThermalHealth;
use std::path::Path;

pub(crate) fn read_thermal(root: &Path) -> ThermalHealth {
    let mut out = ThermalHealth::default();
    for s in list_sensors(&root.join("sys/class/hwmon")) {
        let Some(milli) = read_num::<i64>(&s.input) else {
            continue;
        };
        let c = milli as f64 / 1000.0;
        out.max_temp_c = Some(out.max_temp_c.map_or(c, |m: f64| m.max(c)));
        // Some drivers export a crit of 0 (or garbage) for "not set".
        if read_num::<i64>(&s.crit).is_some_and(|crit| crit > 0 && milli >= crit) {
            out.sensors_over_critical += 1;
        }
    }
    out.throttle_events = read_throttle(root);
    out
}

fn read_throttle(root: &Path) -> Option<u64> {
    let cpus = std::fs::read_dir(root.join("sys/devices/system/cpu")).ok()?;
    let mut total = None;
    for e in cpus.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let is_cpu = name
            .strip_prefix("cpu")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !is_cpu {
            continue;
        }
        if let Some(n) = read_num::<u64>(&e.path().join("thermal_throttle/core_throttle_count")) {
            total = Some(total.unwrap_or(0) + n);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, v: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, v).unwrap();
    }

    #[test]
    fn crit_and_throttle() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "sys/class/hwmon/hwmon0/name", "coretemp\n");
        write(r, "sys/class/hwmon/hwmon0/temp1_input", "101000\n");
        write(r, "sys/class/hwmon/hwmon0/temp1_crit", "100000\n");
        write(r, "sys/class/hwmon/hwmon0/temp2_input", "60000\n");
        write(r, "sys/class/hwmon/hwmon0/temp2_crit", "100000\n");
        write(r, "sys/class/hwmon/hwmon1/name", "acpitz\n");
        write(r, "sys/class/hwmon/hwmon1/temp1_input", "30000\n");
        write(r, "sys/class/hwmon/hwmon1/temp1_crit", "0\n");
        write(
            r,
            "sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count",
            "4\n",
        );
        write(
            r,
            "sys/devices/system/cpu/cpu1/thermal_throttle/core_throttle_count",
            "5\n",
        );
        write(
            r,
            "sys/devices/system/cpu/cpufreq/x/core_throttle_count",
            "99\n",
        );
        let t = read_thermal(r);
        assert_eq!(t.max_temp_c, Some(101.0));
        assert_eq!(t.sensors_over_critical, 1);
        assert_eq!(t.throttle_events, Some(9));
    }

    #[test]
    fn nothing_to_read() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_thermal(dir.path()), ThermalHealth::default());
    }
}
