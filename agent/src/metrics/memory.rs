//! Memory and swap from `/proc/meminfo`.

use pantau_proto::body::metrics::MemoryUsage;

/// `None` without `MemTotal`. Kernels before 3.14 have no `MemAvailable`; there it is
/// estimated as `MemFree + Buffers + Cached`, as `free` did then.
pub(super) fn parse_meminfo(text: &str) -> Option<MemoryUsage> {
    let (mut total, mut avail, mut free, mut buffers, mut cached) = (None, None, 0, 0, 0);
    let (mut swap_total, mut swap_free) = (0, 0);
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let Some(bytes) = rest
            .split_ascii_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .and_then(|kib| kib.checked_mul(1024))
        else {
            continue;
        };
        match key {
            "MemTotal" => total = Some(bytes),
            "MemAvailable" => avail = Some(bytes),
            "MemFree" => free = bytes,
            "Buffers" => buffers = bytes,
            "Cached" => cached = bytes,
            "SwapTotal" => swap_total = bytes,
            "SwapFree" => swap_free = bytes,
            _ => {}
        }
    }
    let total = total?;
    let available = avail.unwrap_or(free + buffers + cached).min(total);
    Some(MemoryUsage {
        total_bytes: total,
        used_bytes: total - available,
        available_bytes: available,
        swap_total_bytes: swap_total,
        swap_used_bytes: swap_total.saturating_sub(swap_free),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let m = parse_meminfo(
            "MemTotal:        8000000 kB\nMemFree:  1000000 kB\nMemAvailable:    5000000 kB\n\
             Buffers: 10 kB\nSwapTotal:       2000000 kB\nSwapFree:        1500000 kB\n",
        )
        .unwrap();
        assert_eq!(m.total_bytes, 8_192_000_000);
        assert_eq!(m.available_bytes, 5_120_000_000);
        assert_eq!(m.used_bytes, 3_072_000_000);
        assert_eq!(m.swap_used_bytes, 512_000_000);
    }

    #[test]
    fn old_kernel_and_garbage() {
        let m =
            parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n")
                .unwrap();
        assert_eq!(m.available_bytes, 400 * 1024);
        assert_eq!(parse_meminfo("MemFree: 1 kB\n\0\0garbage"), None);
        assert_eq!(parse_meminfo("MemTotal: 99999999999999999999 kB"), None);
    }
}
