//! Kode barang (Permendagri 108/2016 codes) and nomor register, including register ranges.

/// Digits of each level of a Permendagri 108 kode barang: akun, kelompok, jenis, objek,
/// rincian objek, sub rincian objek, sub-sub rincian objek (`1.3.2.10.01.02.001`).
pub const KODE_WIDTHS: [usize; 7] = [1, 1, 1, 2, 2, 2, 3];

/// Normalizes a kode barang to the dotted form with fixed widths.
///
/// Accepts a trailing dot (`1.3.2.10.01.02.001.`), unpadded levels (`1.3.2.10.2.4.24` is
/// `1.3.2.10.02.04.024`), surplus leading zeros (`001` as objek is `01`) and the compact
/// 12-digit form (`132100102001`). Anything else, such as the 5-level codes of older
/// regulations, is refused rather than guessed. Normalizing a normalized code returns it
/// unchanged.
pub fn normalize_kode_barang(raw: &str) -> Result<String, String> {
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let s = compact.strip_suffix('.').unwrap_or(&compact);
    let levels: Vec<String> = if s.contains('.') {
        s.split('.').map(str::to_string).collect()
    } else if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        let mut at = 0;
        KODE_WIDTHS
            .iter()
            .map(|w| {
                at += w;
                s[at - w..at].to_string()
            })
            .collect()
    } else {
        return Err(format!(
            "{raw:?} is not a kode barang: expected 7 dotted levels (1.3.2.10.01.02.001) \
             or 12 digits"
        ));
    };
    if levels.len() != KODE_WIDTHS.len() {
        return Err(format!(
            "{raw:?} has {} levels; a Permendagri 108 kode barang has 7 \
             (widths 1.1.1.2.2.2.3, e.g. 1.3.2.10.01.02.001)",
            levels.len()
        ));
    }
    let mut out = String::with_capacity(18);
    for (i, (level, width)) in levels.iter().zip(KODE_WIDTHS).enumerate() {
        if level.is_empty() || !level.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{raw:?}: level {} ({level:?}) is not a number",
                i + 1
            ));
        }
        let significant = level.trim_start_matches('0');
        if significant.len() > width {
            return Err(format!(
                "{raw:?}: level {} ({level}) has more than {width} digit(s)",
                i + 1
            ));
        }
        if i > 0 {
            out.push('.');
        }
        out.push_str(&format!("{significant:0>width$}"));
    }
    Ok(out)
}

/// Nomor register has six digits in SIMDA BMD and e-BMD.
const REGISTER_DIGITS: usize = 6;
/// One line may stand for at most this many registers; more is almost surely a typo
/// (`000001 s/d 100000`) that would flood the register.
pub const MAX_RANGE: u32 = 10_000;

/// A nomor register or an inclusive range of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registers {
    pub first: u32,
    pub last: u32,
}

impl Registers {
    pub fn count(self) -> u32 {
        self.last - self.first + 1
    }

    pub fn numbers(self) -> impl Iterator<Item = String> {
        (self.first..=self.last).map(format_register)
    }
}

pub fn format_register(n: u32) -> String {
    format!("{n:0width$}", width = REGISTER_DIGITS)
}

/// Reads `000001`, `1`, or a range: `000001 s/d 000004`, `1 sd 4`, `1 s.d. 4`, `1-4`.
pub fn parse_registers(raw: &str) -> Result<Registers, String> {
    let s = raw.trim();
    let digits_end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (first, rest) = s.split_at(digits_end);
    // Past the last non-digit character, which may be several bytes (an en dash).
    let tail_start = rest
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (between, last) = rest.split_at(tail_start);
    let between: String = between
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let bad =
        || format!("{raw:?} is not a nomor register: expected e.g. 000001 or 000001 s/d 000004");
    if first.is_empty() {
        return Err(bad());
    }
    let first = register_number(raw, first)?;
    if between.is_empty() && last.is_empty() {
        return Ok(Registers { first, last: first });
    }
    let is_range = matches!(
        between.as_str(),
        "s/d" | "s/d." | "sd" | "s.d" | "s.d." | "-" | "\u{2013}" | "\u{2014}"
    );
    if !is_range || last.is_empty() {
        return Err(bad());
    }
    let last = register_number(raw, last)?;
    if last < first {
        return Err(format!("{raw:?}: the range ends before it starts"));
    }
    let range = Registers { first, last };
    if range.count() > MAX_RANGE {
        return Err(format!(
            "{raw:?} covers {} registers; at most {MAX_RANGE} per line",
            range.count()
        ));
    }
    Ok(range)
}

fn register_number(raw: &str, digits: &str) -> Result<u32, String> {
    if digits.trim_start_matches('0').len() > REGISTER_DIGITS {
        return Err(format!(
            "{raw:?}: a nomor register has at most {REGISTER_DIGITS} digits"
        ));
    }
    match digits.parse::<u32>() {
        Ok(0) | Err(_) => Err(format!("{raw:?}: nomor register starts at 000001")),
        Ok(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kode_barang_forms() {
        let want = "1.3.2.10.01.02.001";
        for raw in [
            want,
            "1.3.2.10.01.02.001.",
            " 1.3.2.10.1.2.1 ",
            "132100102001",
            "1.3.2.10.001.02.001",
        ] {
            assert_eq!(normalize_kode_barang(raw).as_deref(), Ok(want), "{raw}");
        }
        assert_eq!(
            normalize_kode_barang("1.3.2.10.2.4.24").unwrap(),
            "1.3.2.10.02.04.024"
        );
        for bad in [
            "",
            "02.06.02.01.31",
            "1.3.2.10.01.02.1000",
            "1.3.2.1O.01.02.001",
            "1..2.10.01.02.001",
            "13210010201001",
        ] {
            assert!(normalize_kode_barang(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn registers_and_ranges() {
        let one = |n| Registers { first: n, last: n };
        assert_eq!(parse_registers("000005"), Ok(one(5)));
        assert_eq!(parse_registers(" 7 "), Ok(one(7)));
        let r = Registers { first: 1, last: 4 };
        for raw in [
            "000001 s/d 000004",
            "1 sd 4",
            "000001 S.D. 000004",
            "1-4",
            "1 s.d 4",
            "1 \u{2013} 4",
            "1\u{2013}4",
        ] {
            assert_eq!(parse_registers(raw), Ok(r), "{raw}");
        }
        assert_eq!(
            r.numbers().collect::<Vec<_>>(),
            ["000001", "000002", "000003", "000004"]
        );
        for bad in [
            "",
            "0",
            "abc",
            "1 s/d",
            "4 s/d 1",
            "1 sampai 4",
            "1234567",
            "1 s/d 20000",
        ] {
            assert!(parse_registers(bad).is_err(), "{bad}");
        }
        assert!(parse_registers("1 s/d 10000").is_ok());
    }
}
