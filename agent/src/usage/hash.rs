//! sha256 of executables, computed once per (path, modification time, size) and kept.
//!
//! Hashing is the one costly part of a usage reading (tens of MiB read for a browser), so
//! an executable is hashed the first time it is seen running and again only when its file
//! changes. The file is opened through `/proc/<pid>/exe`, which reaches the very inode the
//! process runs even when the path was replaced or lives in another mount namespace.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    mtime_ns: i128,
    size: u64,
    sha256: Option<String>,
    /// The reading that last used this entry; stale ones are dropped.
    seen: u64,
}

pub struct ExeHasher {
    max_bytes: u64,
    cache: HashMap<String, Entry>,
    reading: u64,
    buf: Vec<u8>,
    /// Files hashed (not served from the cache) over this hasher's life; for tests and logs.
    pub hashed: u64,
}

impl ExeHasher {
    /// Files larger than `max_bytes` are not hashed; 0 hashes nothing.
    pub fn new(max_bytes: u64) -> Self {
        ExeHasher {
            max_bytes,
            cache: HashMap::new(),
            reading: 0,
            buf: Vec::new(),
            hashed: 0,
        }
    }

    /// Start a reading: entries not used since the previous one are forgotten.
    pub fn begin(&mut self) {
        let prev = self.reading;
        self.cache.retain(|_, e| e.seen >= prev);
        self.reading += 1;
    }

    /// sha256 of `file` (opened for reading; its metadata decides whether the cached value
    /// still holds), remembered under `path`.
    pub fn hash(&mut self, path: &str, file: &Path) -> Option<String> {
        if self.max_bytes == 0 {
            return None;
        }
        let meta = std::fs::metadata(file).ok()?;
        let mtime_ns = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
        let size = meta.len();
        if let Some(e) = self.cache.get_mut(path) {
            if e.mtime_ns == mtime_ns && e.size == size {
                e.seen = self.reading;
                return e.sha256.clone();
            }
        }
        let sha256 = if size <= self.max_bytes {
            self.hashed += 1;
            self.digest(file)
        } else {
            None
        };
        self.cache.insert(
            path.to_owned(),
            Entry {
                mtime_ns,
                size,
                sha256: sha256.clone(),
                seen: self.reading,
            },
        );
        sha256
    }

    fn digest(&mut self, file: &Path) -> Option<String> {
        let mut f = File::open(file).ok()?;
        self.buf.resize(64 * 1024, 0);
        let mut h = Sha256::new();
        let mut total = 0u64;
        loop {
            let n = f.read(&mut self.buf).ok()?;
            if n == 0 {
                break;
            }
            total += n as u64;
            // The file grew past the limit while we read it.
            if total > self.max_bytes {
                return None;
            }
            h.update(&self.buf[..n]);
        }
        Some(hex(&h.finalize()))
    }
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_per_path_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("xmrig");
        std::fs::write(&f, "abc").unwrap();
        let name = f.to_str().unwrap();
        let mut h = ExeHasher::new(1024);
        h.begin();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(h.hash(name, &f).as_deref(), Some(abc));
        assert_eq!(h.hash(name, &f).as_deref(), Some(abc));
        assert_eq!(h.hashed, 1, "the second call is served from the cache");
        // A new file (different size and mtime) is hashed again.
        std::fs::write(&f, "abcd").unwrap();
        assert_ne!(h.hash(name, &f).as_deref(), Some(abc));
        assert_eq!(h.hashed, 2);
        // Over the limit: no hash.
        std::fs::write(&f, vec![0u8; 2048]).unwrap();
        assert_eq!(h.hash(name, &f), None);
        assert_eq!(ExeHasher::new(0).hash(name, &f), None);
    }

    #[test]
    fn forgets_what_stopped_running() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, "x").unwrap();
        let mut h = ExeHasher::new(1024);
        h.begin();
        h.hash("a", &f);
        h.begin();
        assert_eq!(h.cache.len(), 1);
        h.begin();
        assert!(h.cache.is_empty());
    }
}
