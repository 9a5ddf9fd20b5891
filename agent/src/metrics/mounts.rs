//! Filesystem usage: `/proc/mounts` for the list, `statvfs(3)` for the numbers.
//!
//! Only for the live host: with a recorded root there is nothing to `statvfs`. A network
//! filesystem whose server is gone can make `statvfs` block; exclude its type if that bites.

use pantau_proto::body::metrics::MountUsage;
use std::ffi::CStr;

#[derive(Default)]
pub(super) struct MountState {
    /// NUL-terminated path for statvfs, reused between mounts.
    cpath: Vec<u8>,
}

/// One `/proc/mounts` entry, escapes decoded.
#[derive(Debug, PartialEq)]
pub(super) struct MountEntry {
    pub device: String,
    pub mount: String,
    pub fs_type: String,
}

impl MountState {
    pub(super) fn read(&mut self, list: &str, exclude: &[String]) -> Vec<MountUsage> {
        parse_mounts(list, exclude)
            .into_iter()
            .filter_map(|m| self.statvfs(m))
            .collect()
    }

    fn statvfs(&mut self, m: MountEntry) -> Option<MountUsage> {
        self.cpath.clear();
        self.cpath.extend_from_slice(m.mount.as_bytes());
        self.cpath.push(0);
        let path = CStr::from_bytes_with_nul(&self.cpath).ok()?;
        // SAFETY: `path` is NUL-terminated and `st` is plain data the call fills in.
        let st = unsafe {
            let mut st: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(path.as_ptr(), &mut st) != 0 {
                return None;
            }
            st
        };
        let frsize = st.f_frsize as u64;
        let (blocks, bfree, bavail) = (st.f_blocks as u64, st.f_bfree as u64, st.f_bavail as u64);
        if blocks == 0 {
            return None;
        }
        let (files, ffree) = (st.f_files as u64, st.f_ffree as u64);
        Some(MountUsage {
            total_bytes: blocks.saturating_mul(frsize),
            used_bytes: blocks.saturating_sub(bfree).saturating_mul(frsize),
            avail_bytes: bavail.saturating_mul(frsize),
            inodes_used_pct: (files > 0)
                .then(|| files.saturating_sub(ffree) as f64 * 100.0 / files as f64),
            mount: m.mount,
            device: m.device,
            fs_type: m.fs_type,
        })
    }
}

/// Mounts worth reporting, in file order: excluded types dropped, and a device mounted
/// twice (bind mounts, btrfs subvolumes) kept only at its first mount point, since every
/// mount of it shows the same space.
pub(super) fn parse_mounts(list: &str, exclude: &[String]) -> Vec<MountEntry> {
    let mut out: Vec<MountEntry> = Vec::new();
    for line in list.lines() {
        let mut f = line.split_ascii_whitespace();
        let (Some(device), Some(mount), Some(fs_type)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if exclude.iter().any(|x| x == fs_type) {
            continue;
        }
        let device = unescape(device);
        if out.iter().any(|m| m.device == device) {
            continue;
        }
        out.push(MountEntry {
            device,
            mount: unescape(mount),
            fs_type: fs_type.to_string(),
        });
    }
    out
}

/// The kernel writes space, tab, newline and backslash in mount fields as `\ooo` octal.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(d) if b[i] == b'\\' => {
                let v = d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0'));
                out.push(v as u8);
                i += 4;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsOptions;

    const MOUNTS: &str = "\
sysfs /sys sysfs rw,nosuid 0 0
proc /proc proc rw 0 0
/dev/sda2 / ext4 rw,relatime 0 0
tmpfs /run tmpfs rw 0 0
/dev/sda1 /boot/efi vfat rw 0 0
/dev/sda2 /var/lib/docker/bind ext4 rw 0 0
/dev/sdb1 /media/budi/DATA\\040KANTOR ntfs3 rw 0 0
//10.1.2.3/arsip /mnt/arsip cifs rw 0 0
overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0
garbage
";

    #[test]
    fn filters_dedups_and_unescapes() {
        let m = parse_mounts(MOUNTS, &MetricsOptions::default().mount_exclude_fs);
        let mounts: Vec<&str> = m.iter().map(|m| m.mount.as_str()).collect();
        assert_eq!(
            mounts,
            ["/", "/boot/efi", "/media/budi/DATA KANTOR", "/mnt/arsip"]
        );
        assert_eq!(m[2].device, "/dev/sdb1");
        assert_eq!(m[2].fs_type, "ntfs3");
    }

    #[test]
    fn unescape_edge_cases() {
        assert_eq!(unescape(r"a\011b\134c"), "a\tb\\c");
        assert_eq!(unescape(r"trailing\04"), r"trailing\04");
        assert_eq!(unescape(r"\9999"), r"\9999");
    }

    #[test]
    fn statvfs_of_root() {
        let mut st = MountState::default();
        let list = "/dev/root / ext4 rw 0 0\n/dev/x /nonexistent-pantau ext4 rw 0 0\n";
        let got = st.read(list, &[]);
        assert_eq!(got.len(), 1);
        assert!(got[0].total_bytes >= got[0].used_bytes);
        assert!(got[0].total_bytes > 0);
    }
}
