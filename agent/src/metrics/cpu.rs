//! CPU time from `/proc/stat` and load from `/proc/loadavg`.

use pantau_proto::body::metrics::CpuUsage;

/// The aggregate `cpu` line of `/proc/stat`, in clock ticks. `guest` and `guest_nice` are
/// left out: the kernel already counts them in `user` and `nice`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct CpuTimes {
    user: u64,
    nice: u64,
    system: u64,
    idle: u64,
    iowait: u64,
    irq: u64,
    softirq: u64,
    steal: u64,
}

pub(super) fn parse_stat(text: &str) -> Option<CpuTimes> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let mut f = line[4..]
        .split_ascii_whitespace()
        .map(|v| v.parse::<u64>().ok());
    let mut next = || f.next().flatten();
    // Fields after `idle` arrived in later kernels; missing ones count as zero.
    Some(CpuTimes {
        user: next()?,
        nice: next()?,
        system: next()?,
        idle: next()?,
        iowait: next().unwrap_or(0),
        irq: next().unwrap_or(0),
        softirq: next().unwrap_or(0),
        steal: next().unwrap_or(0),
    })
}

/// Shares of the interval between two readings. `user` includes `nice`, and `system`
/// includes `irq` and `softirq`, so `user + system + steal = usage`; `iowait` counts as idle
/// (the CPU was free to run something else). Per-field saturation because `iowait` is known
/// to step backwards on tickless kernels.
pub(super) fn usage(prev: &CpuTimes, cur: &CpuTimes) -> Option<CpuUsage> {
    let d = |a: u64, b: u64| b.saturating_sub(a) as f64;
    let user = d(prev.user, cur.user) + d(prev.nice, cur.nice);
    let system = d(prev.system, cur.system) + d(prev.irq, cur.irq) + d(prev.softirq, cur.softirq);
    let steal = d(prev.steal, cur.steal);
    let idle = d(prev.idle, cur.idle);
    let iowait = d(prev.iowait, cur.iowait);
    let total = user + system + steal + idle + iowait;
    if total <= 0.0 {
        return None;
    }
    let pct = |v: f64| v * 100.0 / total;
    Some(CpuUsage {
        usage_pct: pct(user + system + steal),
        user_pct: pct(user),
        system_pct: pct(system),
        iowait_pct: pct(iowait),
        steal_pct: pct(steal),
    })
}

pub(super) fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut f = text.split_ascii_whitespace().map(|v| v.parse::<f64>().ok());
    let mut next = || f.next().flatten().filter(|v| v.is_finite());
    Some([next()?, next()?, next()?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_computes() {
        let a = parse_stat("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n").unwrap();
        let b = parse_stat("cpu  400 100 150 1100 100 20 30 100 40 0\n").unwrap();
        let u = usage(&a, &b).unwrap();
        // deltas: user 300 + nice 100, system 100 + irq 20 + softirq 30, steal 100,
        // idle 300, iowait 50: total 1000.
        assert_eq!(u.user_pct, 40.0);
        assert_eq!(u.system_pct, 15.0);
        assert_eq!(u.steal_pct, 10.0);
        assert_eq!(u.iowait_pct, 5.0);
        assert_eq!(u.usage_pct, 65.0);
    }

    #[test]
    fn old_kernel_and_garbage() {
        let t = parse_stat("cpu 1 2 3 4\n").unwrap();
        assert_eq!(t.iowait, 0);
        assert_eq!(parse_stat("cpu 1 x 3 4"), None);
        assert_eq!(parse_stat("intr 1 2"), None);
        assert_eq!(usage(&t, &t), None);
        assert_eq!(
            parse_loadavg("0.52 0.58 0.59 1/467 12345\n"),
            Some([0.52, 0.58, 0.59])
        );
        assert_eq!(parse_loadavg("0.5 nan"), None);
    }
}
