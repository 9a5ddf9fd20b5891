//! `pantau-agent usage --cycles N`: the CPU one reading costs, measured inside the process
//! with `getrusage` (user + system), so process start-up is not counted. Used by
//! `tests/bench/usage-cpu.sh`; docs/benchmarks.md has the results.
//!
//! Cycle 1 is the agent's first reading (every executable hashed, software parsed); cycles
//! 2..N are the every-five-minutes readings (hashes from the cache, software only stat'ed);
//! one more, last, is a full snapshot with a warm cache (the hourly one: software re-read).

use super::{UsageCollector, UsageConfig};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct CycleCost {
    /// Every reading's CPU, milliseconds, in order (the last one is the warm full snapshot).
    pub cycles_ms: Vec<f64>,
    pub first_ms: f64,
    pub steady_median_ms: f64,
    pub full_warm_ms: f64,
    pub processes: usize,
    pub listeners: usize,
    pub packages: usize,
    pub executables_hashed: u64,
}

pub fn measure(root: &Path, opts: UsageConfig, cycles: usize) -> CycleCost {
    let mut c = UsageCollector::new(root.to_owned(), opts);
    c.prime();
    let mut cycles_ms = Vec::new();
    let mut last = None;
    for i in 0..=cycles.max(2) {
        let full = i == 0 || i == cycles.max(2);
        let t0 = cpu_ms();
        let r = c.collect(full);
        cycles_ms.push(cpu_ms() - t0);
        c.commit(&r);
        last = Some(r);
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let r = last.expect("at least one reading");
    let mut steady: Vec<f64> = cycles_ms[1..cycles_ms.len() - 1].to_vec();
    steady.sort_by(f64::total_cmp);
    CycleCost {
        first_ms: cycles_ms[0],
        steady_median_ms: steady[steady.len() / 2],
        full_warm_ms: *cycles_ms.last().expect("cycles"),
        cycles_ms,
        processes: r.processes.len(),
        listeners: r.listeners.len(),
        packages: r.software.as_ref().map_or(0, Vec::len),
        executables_hashed: c.hashed(),
    }
}

/// User + system CPU of this process so far, milliseconds.
fn cpu_ms() -> f64 {
    // SAFETY: getrusage fills the struct it is given; zeroed is a valid initial value.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(u.ru_utime) + ms(u.ru_stime)
}
