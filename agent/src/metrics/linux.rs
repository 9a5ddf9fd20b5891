//! The Linux collector: owns the buffers and previous counters of every reader.

use super::{cpu, diskio, memory, mounts, net, procs, temps, MetricsOptions};
use chrono::Utc;
use pantau_proto::body::Sample;
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub(crate) struct Collector {
    opts: MetricsOptions,
    /// True when `root` is `/`: only then do statvfs and similar calls see the same host.
    live: bool,
    buf: Vec<u8>,
    stat: PathBuf,
    loadavg: PathBuf,
    meminfo: PathBuf,
    proc_mounts: PathBuf,
    diskstats: PathBuf,
    net_dev: PathBuf,
    uptime: PathBuf,
    prev_uptime: Option<f64>,
    prev_instant: Instant,
    prev_cpu: Option<cpu::CpuTimes>,
    disks: diskio::DiskIoState,
    nets: Tracker<net::NetCounters>,
    temps: temps::TempState,
    procs: procs::ProcState,
    mounts: mounts::MountState,
}

impl Collector {
    pub(crate) fn new(root: PathBuf, opts: MetricsOptions) -> Self {
        let p = |rel: &str| root.join(rel);
        let mut c = Collector {
            live: root == Path::new("/"),
            buf: Vec::with_capacity(16 * 1024),
            stat: p("proc/stat"),
            loadavg: p("proc/loadavg"),
            meminfo: p("proc/meminfo"),
            proc_mounts: p("proc/mounts"),
            diskstats: p("proc/diskstats"),
            net_dev: p("proc/net/dev"),
            uptime: p("proc/uptime"),
            prev_uptime: None,
            prev_instant: Instant::now(),
            prev_cpu: None,
            disks: diskio::DiskIoState::new(&root),
            nets: Tracker::default(),
            temps: temps::TempState::new(&root),
            procs: procs::ProcState::new(&root),
            mounts: mounts::MountState::default(),
            opts,
        };
        c.prev_uptime = c.read_uptime();
        c.prev_instant = Instant::now();
        if read_into(&c.stat, &mut c.buf) {
            c.prev_cpu = cpu::parse_stat(text(&c.buf));
        }
        if read_into(&c.diskstats, &mut c.buf) {
            c.disks.update(text(&c.buf), None);
        }
        if read_into(&c.net_dev, &mut c.buf) {
            net::update(&mut c.nets, text(&c.buf), None);
        }
        c.procs.scan(&mut c.buf, None, c.opts.top_processes);
        c
    }

    pub(crate) fn sample(&mut self) -> Sample {
        let ts = Utc::now();
        let now = Instant::now();
        let uptime = self.read_uptime();
        // Kernel uptime is the clock the counters tick against, and it makes tests exact;
        // the wall clock covers a kernel without /proc/uptime.
        let elapsed = match (self.prev_uptime, uptime) {
            (Some(a), Some(b)) if b > a => b - a,
            _ => now.duration_since(self.prev_instant).as_secs_f64(),
        };
        self.prev_uptime = uptime;
        self.prev_instant = now;
        let elapsed = (elapsed > 0.0).then_some(elapsed);

        let mut sample = Sample {
            ts,
            uptime_s: uptime.map(|u| u as u64),
            ..Sample::default()
        };
        if read_into(&self.stat, &mut self.buf) {
            let cur = cpu::parse_stat(text(&self.buf));
            if let (Some(prev), Some(cur)) = (&self.prev_cpu, &cur) {
                sample.cpu = cpu::usage(prev, cur);
            }
            self.prev_cpu = cur;
        }
        if read_into(&self.loadavg, &mut self.buf) {
            sample.load = cpu::parse_loadavg(text(&self.buf));
        }
        if read_into(&self.meminfo, &mut self.buf) {
            sample.memory = memory::parse_meminfo(text(&self.buf));
        }
        if self.live && read_into(&self.proc_mounts, &mut self.buf) {
            let list = String::from_utf8_lossy(&self.buf);
            sample.mounts = self.mounts.read(&list, &self.opts.mount_exclude_fs);
        }
        if read_into(&self.diskstats, &mut self.buf) {
            sample.disk_io = self.disks.update(text(&self.buf), elapsed);
        }
        if read_into(&self.net_dev, &mut self.buf) {
            sample.net = net::update(&mut self.nets, text(&self.buf), elapsed);
        }
        sample.temps = self.temps.read(&mut self.buf);
        let (top, count) = self
            .procs
            .scan(&mut self.buf, elapsed, self.opts.top_processes);
        sample.top = top;
        sample.processes = count;
        sample
    }

    fn read_uptime(&mut self) -> Option<f64> {
        if !read_into(&self.uptime, &mut self.buf) {
            return None;
        }
        let secs: f64 = text(&self.buf)
            .split_ascii_whitespace()
            .next()?
            .parse()
            .ok()?;
        (secs.is_finite() && secs >= 0.0).then_some(secs)
    }
}

/// Replace `buf` with the content of `path`; false when it cannot be read.
pub(super) fn read_into(path: &Path, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    File::open(path)
        .and_then(|mut f| f.read_to_end(buf))
        .is_ok()
}

/// procfs text is ASCII; anything else is garbage and parses as nothing.
pub(super) fn text(buf: &[u8]) -> &str {
    std::str::from_utf8(buf).unwrap_or("")
}

/// Growth of a kernel counter. `unsigned long` counters wrap at 2^32 on 32-bit kernels, which
/// old office PCs still run; a drop from above that is a reset and has no meaningful delta.
pub(super) fn delta(prev: u64, cur: u64) -> Option<u64> {
    if cur >= prev {
        Some(cur - prev)
    } else if prev <= u64::from(u32::MAX) {
        Some(u64::from((cur as u32).wrapping_sub(prev as u32)))
    } else {
        None
    }
}

/// Previous counters per device name. Entries not seen in the latest read are dropped, so
/// state never outlives a device, and lookups by `&str` allocate only for new names.
pub(super) struct Tracker<C> {
    map: HashMap<String, (C, u64)>,
    generation: u64,
}

impl<C> Default for Tracker<C> {
    fn default() -> Self {
        Tracker {
            map: HashMap::new(),
            generation: 0,
        }
    }
}

impl<C: Copy> Tracker<C> {
    /// Start a new read.
    pub(super) fn begin(&mut self) {
        self.generation += 1;
    }

    /// Store `cur` for `name` and return the previous counters, if any.
    pub(super) fn swap(&mut self, name: &str, cur: C) -> Option<C> {
        let generation = self.generation;
        match self.map.get_mut(name) {
            Some(slot) => {
                let prev = slot.0;
                *slot = (cur, generation);
                Some(prev)
            }
            None => {
                self.map.insert(name.to_string(), (cur, generation));
                None
            }
        }
    }

    /// Forget names the latest read did not see.
    pub(super) fn finish(&mut self) {
        let generation = self.generation;
        self.map.retain(|_, (_, g)| *g == generation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_wrap() {
        assert_eq!(delta(10, 15), Some(5));
        assert_eq!(delta(u64::from(u32::MAX) - 1, 3), Some(5));
        assert_eq!(delta(1 << 40, 5), None);
    }

    #[test]
    fn tracker_forgets_vanished() {
        let mut t = Tracker::default();
        t.begin();
        assert_eq!(t.swap("a", 1), None);
        assert_eq!(t.swap("b", 2), None);
        t.finish();
        t.begin();
        assert_eq!(t.swap("a", 3), Some(1));
        t.finish();
        assert_eq!(t.map.len(), 1);
        t.begin();
        assert_eq!(t.swap("b", 4), None);
    }
}
