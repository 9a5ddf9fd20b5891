//! Keeping the agent's resident memory small on old PCs.
//!
//! Most of a small Rust program's resident set is not data but code pages mapped from the
//! binary and from libc. The kernel maps file pages around each fault ("fault-around", 64 KiB
//! by default), so code that ran once at start-up, and its neighbours, stay resident. We
//! measured 2.7 MiB of the agent's own code resident while steady-state work touches 0.8 MiB
//! (docs/benchmarks.md).
//!
//! So, on Linux only and for executable mappings only: advise the kernel that our code is
//! accessed randomly (`MADV_RANDOM`, which turns fault-around off for the mapping), and once
//! start-up is over, drop the code pages from our page tables (`MADV_DONTNEED`). Code pages are
//! read-only views of files that are never written, so dropping them loses nothing: a page that
//! is needed again is mapped again from the page cache. Writable or relocated (RELRO) mappings
//! are never touched.

/// Executable, file-backed mappings of this process: `(start, len)`.
#[cfg(target_os = "linux")]
fn code_mappings() -> Vec<(usize, usize)> {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return Vec::new();
    };
    maps.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let range = f.next()?;
            let perms = f.next()?;
            let path = f.nth(3)?;
            if perms != "r-xp" || !path.starts_with('/') {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            let start = usize::from_str_radix(a, 16).ok()?;
            let end = usize::from_str_radix(b, 16).ok()?;
            (end > start).then_some((start, end - start))
        })
        .collect()
}

/// Turn fault-around off for our code. Call once, early.
pub fn code_access_random() {
    #[cfg(target_os = "linux")]
    for (start, len) in code_mappings() {
        // SAFETY: the range is a whole mapping of this process, taken from /proc/self/maps;
        // MADV_RANDOM only changes the kernel's paging policy for it.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_RANDOM);
        }
    }
}

/// Drop resident code pages; the ones still in use come back on their next execution.
pub fn trim_code() {
    #[cfg(target_os = "linux")]
    for (start, len) in code_mappings() {
        // SAFETY: only read-only, executable, file-backed private mappings are passed (never
        // written, so their content is exactly the file's); MADV_DONTNEED on them discards
        // nothing that cannot be re-read from the file.
        unsafe {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_code_keeps_the_program_working() {
        code_access_random();
        trim_code();
        // Still running code after every code page was dropped.
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(v.iter().sum::<u64>(), 500_500);
        #[cfg(target_os = "linux")]
        assert!(!code_mappings().is_empty());
    }
}
