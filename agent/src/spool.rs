//! Store-and-forward: every envelope is on disk before it is sent, and leaves only when the
//! broker has acknowledged it.
//!
//! Layout under `state_dir`:
//! * `spool/{seq:020}.{kind}.json`: one file per envelope, written to a temporary name,
//!   synced and renamed, so a crash leaves either the whole envelope or nothing;
//! * `seq`: the next sequence number, written *before* the envelope that uses it, so a crash
//!   can skip a number but never reuse one (a reused number would be dropped by the collector's
//!   deduplication, which is silent loss);
//! * `dropped`: envelopes discarded because the bound was reached, since install.
//!
//! One file per envelope is deliberate: at one message a minute the cost is nothing, deletion
//! on acknowledgement is O(1), and a person can look inside with `ls` and `cat` when an OPD
//! asks why data is late. Memory holds only the index (seq, kind, size), never the payloads.

use pantau_proto::{Envelope, Kind};
use std::collections::VecDeque;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub kind: Kind,
    pub bytes: u64,
}

#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    state_dir: PathBuf,
    entries: VecDeque<Entry>,
    total_bytes: u64,
    max_bytes: u64,
    next_seq: u64,
    dropped_total: u64,
}

impl Spool {
    pub fn open(state_dir: &Path, max_bytes: u64) -> std::io::Result<Spool> {
        let dir = state_dir.join("spool");
        fs::create_dir_all(&dir)?;
        let mut entries = Vec::new();
        for item in fs::read_dir(&dir)? {
            let item = item?;
            let name = item.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".tmp") {
                // An interrupted write: its seq was never handed to the broker.
                let _ = fs::remove_file(item.path());
                continue;
            }
            match parse_name(&name) {
                Some((seq, kind)) => entries.push(Entry {
                    seq,
                    kind,
                    bytes: item.metadata()?.len(),
                }),
                None => {
                    tracing::warn!(file = %item.path().display(), "ignoring unknown file in spool")
                }
            }
        }
        entries.sort_by_key(|e| e.seq);
        let total_bytes = entries.iter().map(|e| e.bytes).sum();
        let stored_next = read_u64(&state_dir.join("seq")).unwrap_or(1);
        let after_spool = entries.last().map_or(1, |e| e.seq + 1);
        Ok(Spool {
            dir,
            state_dir: state_dir.to_owned(),
            entries: entries.into(),
            total_bytes,
            max_bytes,
            next_seq: stored_next.max(after_spool),
            dropped_total: read_u64(&state_dir.join("dropped")).unwrap_or(0),
        })
    }

    /// Allocate the next seq, let `build` make the envelope, and store it durably.
    /// Returns the entries dropped to stay within the bound.
    pub fn push(
        &mut self,
        kind: Kind,
        build: impl FnOnce(u64) -> Envelope,
    ) -> std::io::Result<u64> {
        let seq = self.next_seq;
        write_atomic(
            &self.state_dir.join("seq"),
            (seq + 1).to_string().as_bytes(),
        )?;
        self.next_seq = seq + 1;
        let bytes = build(seq).to_bytes();
        write_atomic(&self.path(seq, kind), &bytes)?;
        self.entries.push_back(Entry {
            seq,
            kind,
            bytes: bytes.len() as u64,
        });
        self.total_bytes += bytes.len() as u64;
        self.enforce_bound()?;
        Ok(seq)
    }

    /// Drop the oldest periodic samples (metrics, net reports) first, then the oldest of
    /// anything else, never the newest entry.
    fn enforce_bound(&mut self) -> std::io::Result<()> {
        let mut dropped = 0;
        while self.total_bytes > self.max_bytes && self.entries.len() > 1 {
            let last = self.entries.len() - 1;
            let victim = self
                .entries
                .iter()
                .take(last)
                .position(|e| matches!(e.kind, Kind::Metrics | Kind::Net))
                .unwrap_or(0);
            let e = self.entries.remove(victim).expect("index in range");
            self.total_bytes -= e.bytes;
            let _ = fs::remove_file(self.path(e.seq, e.kind));
            dropped += 1;
        }
        if dropped > 0 {
            self.dropped_total += dropped;
            tracing::warn!(
                dropped,
                total = self.dropped_total,
                "spool full: dropped oldest envelopes"
            );
            write_atomic(
                &self.state_dir.join("dropped"),
                self.dropped_total.to_string().as_bytes(),
            )?;
        }
        Ok(())
    }

    /// The broker has the envelope: forget it.
    pub fn ack(&mut self, seq: u64) {
        if let Some(i) = self.entries.iter().position(|e| e.seq == seq) {
            let e = self.entries.remove(i).expect("index in range");
            self.total_bytes -= e.bytes;
            if let Err(err) = fs::remove_file(self.path(e.seq, e.kind)) {
                tracing::warn!(seq, %err, "could not remove acknowledged envelope");
            }
        }
    }

    /// The first entry with a seq greater than `after`, in order.
    pub fn next_after(&self, after: u64) -> Option<Entry> {
        // Entries are sorted by seq, so a binary search finds the cursor without a scan.
        let i = self.entries.partition_point(|e| e.seq <= after);
        self.entries.get(i).copied()
    }

    pub fn read(&self, entry: &Entry) -> std::io::Result<Vec<u8>> {
        fs::read(self.path(entry.seq, entry.kind))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn queued_bytes(&self) -> u64 {
        self.total_bytes
    }

    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// The highest seq handed out so far (0 if none).
    pub fn high_water(&self) -> u64 {
        self.next_seq - 1
    }

    fn path(&self, seq: u64, kind: Kind) -> PathBuf {
        self.dir.join(format!("{seq:020}.{kind}.json"))
    }
}

fn parse_name(name: &str) -> Option<(u64, Kind)> {
    let stem = name.strip_suffix(".json")?;
    let (seq, kind) = stem.split_once('.')?;
    Some((seq.parse().ok()?, kind.parse().ok()?))
}

fn read_u64(path: &Path) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Write `data` so that `path` holds either the old or the new content after a crash.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_data()?;
    }
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pantau_proto::AgentKey;

    fn env(key: &AgentKey, seq: u64, kind: Kind, pad: usize) -> Envelope {
        Envelope::sign(
            key,
            "pc-1",
            seq,
            chrono::Utc::now(),
            kind,
            &serde_json::json!({ "pad": "x".repeat(pad) }),
        )
    }

    #[test]
    fn survives_reopen_in_order_and_never_reuses_a_seq() {
        let dir = tempfile::tempdir().unwrap();
        let key = AgentKey::generate();
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        for _ in 0..5 {
            s.push(Kind::Metrics, |seq| env(&key, seq, Kind::Metrics, 10))
                .unwrap();
        }
        s.ack(1);
        s.ack(2);
        drop(s);
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s.next_after(0).unwrap().seq, 3);
        assert_eq!(s.next_after(3).unwrap().seq, 4);
        assert!(s.next_after(5).is_none());
        let e = s.next_after(0).unwrap();
        let back: Envelope = serde_json::from_slice(&s.read(&e).unwrap()).unwrap();
        assert_eq!(back.seq, 3);
        // Everything acknowledged: the counter still moves on.
        for seq in 3..=5 {
            s.ack(seq);
        }
        drop(s);
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert!(s.is_empty());
        assert_eq!(
            s.push(Kind::Metrics, |seq| env(&key, seq, Kind::Metrics, 1))
                .unwrap(),
            6
        );
    }

    #[test]
    fn bound_drops_oldest_metrics_first_and_counts_them() {
        let dir = tempfile::tempdir().unwrap();
        let key = AgentKey::generate();
        let mut s = Spool::open(dir.path(), 1 << 20).unwrap();
        s.push(Kind::Inventory, |seq| {
            env(&key, seq, Kind::Inventory, 100_000)
        })
        .unwrap();
        for _ in 0..30 {
            s.push(Kind::Metrics, |seq| env(&key, seq, Kind::Metrics, 100_000))
                .unwrap();
        }
        assert!(s.queued_bytes() <= 1 << 20);
        // The inventory (seq 1) is kept; the oldest metrics went.
        assert_eq!(s.next_after(0).unwrap().seq, 1);
        assert_eq!(s.next_after(1).unwrap().seq, 1 + s.dropped_total() + 1);
        let dropped = s.dropped_total();
        assert!(dropped >= 20, "{dropped}");
        drop(s);
        let s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert_eq!(s.dropped_total(), dropped);
        assert_eq!(s.high_water(), 31);
    }

    #[test]
    fn leftover_temporary_files_are_discarded() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("spool")).unwrap();
        fs::write(
            dir.path().join("spool/00000000000000000009.metrics.tmp"),
            b"{",
        )
        .unwrap();
        let s = Spool::open(dir.path(), 1 << 20).unwrap();
        assert!(s.is_empty());
        assert!(!dir
            .path()
            .join("spool/00000000000000000009.metrics.tmp")
            .exists());
    }
}
