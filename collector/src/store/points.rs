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
//!
//! From `net` reports (issue 4), one point per report at the report's round start:
//!
//! | name | unit | from |
//! |---|---|---|
//! | `net_loss:{probe}` | % lost | `probes[].loss_pct` (`gateway`, or the target's name) |
//! | `net_rtt:{probe}` | ms | `probes[].rtt_median_ms`, else `rtt_avg_ms` (only with replies) |
//! | `net_jitter:{probe}` | ms | `probes[].jitter_ms` |
//! | `dns_ms:{name}` | ms | `dns[].ms` (only when resolved) |
//! | `http_up:{check}` | 1 / 0 | the check passed (2xx/3xx, no error, expected text found) |
//! | `http_ms:{check}` | ms | `http[].ms` |
//! | `cert_days:{check}` | days | `http[].cert_days_left` |

use pantau_proto::body::{NetReport, Sample};

/// The series of one net report; probe names (not addresses) name series, since the
/// gateway's address differs from host to host while "gateway" is comparable.
pub fn of_net(r: &NetReport, mut emit: impl FnMut(String, f64)) {
    for p in &r.probes {
        let name = if p.name.is_empty() {
            &p.target
        } else {
            &p.name
        };
        if p.error.is_none() {
            emit(format!("net_loss:{name}"), p.loss_pct);
        }
        if let Some(rtt) = p.rtt_median_ms.or(p.rtt_avg_ms) {
            emit(format!("net_rtt:{name}"), rtt);
        }
        if let Some(j) = p.jitter_ms {
            emit(format!("net_jitter:{name}"), j);
        }
    }
    for d in &r.dns {
        if let Some(ms) = d.ms.filter(|_| d.error.is_none()) {
            emit(format!("dns_ms:{}", d.name), ms);
        }
    }
    for h in &r.http {
        let up = crate::network::health::check_up(h);
        emit(format!("http_up:{}", h.name), if up { 1.0 } else { 0.0 });
        if let Some(ms) = h.ms {
            emit(format!("http_ms:{}", h.name), ms);
        }
        if let Some(d) = h.cert_days_left {
            emit(format!("cert_days:{}", h.name), d as f64);
        }
    }
}

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
