//! Disk I/O from `/proc/diskstats`, whole physical disks only.
//!
//! Partitions are left out because their I/O is already in the disk's line; a device is a
//! whole disk when `/sys/block/<name>` exists (partitions live one level down). Virtual
//! devices (loop, RAM, device-mapper, md, ...) are left out as in the inventory, so the two
//! list the same disks.

use super::linux::{delta, Tracker};
use crate::inventory::linux_devices::is_ignored_block_device;
use pantau_proto::body::metrics::DiskIo;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bytes per sector in diskstats, whatever the disk's real sector size.
const SECTOR: f64 = 512.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct DiskCounters {
    read_ios: u64,
    read_sectors: u64,
    write_ios: u64,
    write_sectors: u64,
    /// Milliseconds with at least one request in flight.
    io_ticks: u64,
}

pub(super) struct DiskIoState {
    sys_block: PathBuf,
    /// Whether each name seen is a whole disk; checked once per name, not per sample.
    whole: HashMap<String, bool>,
    prev: Tracker<DiskCounters>,
}

impl DiskIoState {
    pub(super) fn new(root: &Path) -> Self {
        DiskIoState {
            sys_block: root.join("sys/block"),
            whole: HashMap::new(),
            prev: Tracker::default(),
        }
    }

    /// Record the counters in `text` and, given the seconds since the last call, return
    /// rates for disks that were also in the last call.
    pub(super) fn update(&mut self, text: &str, elapsed: Option<f64>) -> Vec<DiskIo> {
        let mut out = Vec::new();
        self.prev.begin();
        for line in text.lines() {
            let Some((name, cur)) = parse_line(line) else {
                continue;
            };
            if !self.is_whole_disk(name) {
                continue;
            }
            let (Some(prev), Some(secs)) = (self.prev.swap(name, cur), elapsed) else {
                continue;
            };
            let rate = |a, b| delta(a, b).map(|d| d as f64 / secs);
            let (Some(r_ops), Some(r_sec), Some(w_ops), Some(w_sec), Some(busy)) = (
                rate(prev.read_ios, cur.read_ios),
                rate(prev.read_sectors, cur.read_sectors),
                rate(prev.write_ios, cur.write_ios),
                rate(prev.write_sectors, cur.write_sectors),
                rate(prev.io_ticks, cur.io_ticks),
            ) else {
                continue;
            };
            out.push(DiskIo {
                device: name.to_string(),
                read_bytes_ps: r_sec * SECTOR,
                write_bytes_ps: w_sec * SECTOR,
                read_ops_ps: r_ops,
                write_ops_ps: w_ops,
                // io_ticks is in ms; per second of interval that is ms/1000 busy.
                busy_pct: (busy / 10.0).min(100.0),
            });
        }
        self.prev.finish();
        out
    }

    fn is_whole_disk(&mut self, name: &str) -> bool {
        if let Some(&known) = self.whole.get(name) {
            return known;
        }
        let whole = !is_ignored_block_device(name) && self.sys_block.join(name).exists();
        // Names are few and stable; bound the cache anyway against a churn of hotplugs.
        if self.whole.len() > 256 {
            self.whole.clear();
        }
        self.whole.insert(name.to_string(), whole);
        whole
    }
}

/// `major minor name rd_ios rd_merges rd_sectors rd_ticks wr_ios wr_merges wr_sectors
/// wr_ticks in_flight io_ticks ...`
fn parse_line(line: &str) -> Option<(&str, DiskCounters)> {
    let mut f = line.split_ascii_whitespace();
    let name = f.nth(2)?;
    let mut v = [0u64; 10];
    for slot in &mut v {
        *slot = f.next()?.parse().ok()?;
    }
    Some((
        name,
        DiskCounters {
            read_ios: v[0],
            read_sectors: v[2],
            write_ios: v[4],
            write_sectors: v[6],
            io_ticks: v[9],
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let (name, c) =
            parse_line("   8       0 sda 1000 5 80000 300 500 7 40000 900 0 1200 1500 0 0 0 0")
                .unwrap();
        assert_eq!(name, "sda");
        assert_eq!(
            (c.read_ios, c.read_sectors, c.write_ios),
            (1000, 80000, 500)
        );
        assert_eq!((c.write_sectors, c.io_ticks), (40000, 1200));
        assert_eq!(parse_line("8 0 sda 1 2 3"), None);
        assert_eq!(parse_line(""), None);
    }
}
