//! Which numeric series a metrics sample becomes. Shared by every store so that charts and
//! reports see the same names whatever the database.
//!
//! | name | unit | from |
//! |---|---|---|
//! | `cpu` | % busy | `cpu.usage_pct` |
//! | `load1` | load | `load[0]` |
//! | `mem` | % used | `memory.used / total` |
//! | `swap` | % used | `memory.swap_used / swap_total` (only with swap) |
//! | `disk` | % used | fullest mount |
//! | `disk:{mount}` | % used | each mount |
//! | `disk_read:{dev}`, `disk_write:{dev}` | bytes/s | `disk_io` |
//! | `net_rx:{iface}`, `net_tx:{iface}` | bytes/s | `net` |
//! | `temp_max` | °C | hottest sensor |

use pantau_proto::body::Sample;

pub fn of_sample(s: &Sample, mut emit: impl FnMut(String, f64)) {
    if let Some(c) = &s.cpu {
        emit("cpu".into(), c.usage_pct);
    }
    if let Some(l) = &s.load {
        emit("load1".into(), l[0]);
    }
    if let Some(m) = &s.memory {
        if m.total_bytes > 0 {
            emit("mem".into(), m.used_pct());
        }
        if m.swap_total_bytes > 0 {
            emit("swap".into(), m.swap_used_pct());
        }
    }
    if let Some(max) = disk_pct(s) {
        emit("disk".into(), max);
    }
    for m in &s.mounts {
        emit(format!("disk:{}", m.mount), m.used_pct());
    }
    for d in &s.disk_io {
        emit(format!("disk_read:{}", d.device), d.read_bytes_ps);
        emit(format!("disk_write:{}", d.device), d.write_bytes_ps);
    }
    for n in &s.net {
        emit(format!("net_rx:{}", n.iface), n.rx_bytes_ps);
        emit(format!("net_tx:{}", n.iface), n.tx_bytes_ps);
    }
    if let Some(t) = s.temps.iter().map(|t| t.celsius).reduce(f64::max) {
        emit("temp_max".into(), t);
    }
}

/// The fullest mount, which is what an operator worries about.
pub fn disk_pct(s: &Sample) -> Option<f64> {
    s.mounts.iter().map(|m| m.used_pct()).reduce(f64::max)
}
