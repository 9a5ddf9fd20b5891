//! Reading single values: rupiah amounts, years, conditions, counts. Each returns a message
//! meant for the person who fixes the file, naming the value and what was expected.

use super::table::Cell;
use super::Condition;
use chrono::NaiveDate;

/// Parses an amount of rupiah into whole rupiah; `None` for empty or `-`.
///
/// Accepts an optional `Rp`/`Rp.`/`IDR` prefix, spaces, a trailing `,-`, and either
/// Indonesian (`12.450.000,00`) or English (`12,450,000.00`) separators:
/// - both `.` and `,` present: the last one is the decimal separator, the other groups;
/// - one of them, more than once: it groups thousands (`12.450.000`);
/// - one of them, once: followed by exactly three digits it groups thousands (`2.150` is
///   2150), otherwise it is the decimal separator (`12450000,5`);
///
/// and grouping must be in threes (`1234.567` is refused as ambiguous). Cents are rounded
/// half up, because the register values whole rupiah.
pub fn parse_rupiah(raw: &str) -> Result<Option<i64>, String> {
    let mut s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let lower = s.to_ascii_lowercase();
    for prefix in ["rp.", "rp", "idr"] {
        if lower.starts_with(prefix) {
            s.drain(..prefix.len());
            break;
        }
    }
    for suffix in [",-", ".-"] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped.to_string();
        }
    }
    if s.is_empty() || s == "-" {
        return Ok(None);
    }
    let bad = || format!("{raw:?} is not an amount of rupiah");
    if s.starts_with('-') || s.starts_with('(') {
        return Err(format!("{raw:?} is negative; harga cannot be below zero"));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err(bad());
    }
    let (dots, commas) = (s.matches('.').count(), s.matches(',').count());
    let (group, decimal) = match (dots, commas) {
        (0, 0) => (None, None),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { '.' } else { ',' };
            let after = s.len() - s.rfind(sep).unwrap_or(0) - 1;
            if dots + commas > 1 || after == 3 {
                (Some(sep), None)
            } else {
                (None, Some(sep))
            }
        }
        _ => {
            let last_dot = s.rfind('.').unwrap_or(0);
            let last_comma = s.rfind(',').unwrap_or(0);
            if last_dot > last_comma {
                (Some(','), Some('.'))
            } else {
                (Some('.'), Some(','))
            }
        }
    };
    let (int_part, frac_part) = match decimal {
        Some(d) => {
            let (i, f) = s.split_once(d).ok_or_else(bad)?;
            if f.contains(d) || group.is_some_and(|g| f.contains(g)) {
                return Err(bad());
            }
            (i.to_string(), f.to_string())
        }
        None => (s.clone(), String::new()),
    };
    if int_part.is_empty() || (decimal.is_some() && frac_part.is_empty()) {
        return Err(bad());
    }
    let digits = match group {
        Some(g) => {
            let groups: Vec<&str> = int_part.split(g).collect();
            let first_ok = (1..=3).contains(&groups[0].len());
            if !first_ok || groups[1..].iter().any(|x| x.len() != 3) {
                return Err(format!(
                    "{raw:?}: digit groups are not in threes, so '{g}' is ambiguous; \
                     write the amount without separators"
                ));
            }
            groups.concat()
        }
        None => int_part,
    };
    let too_large = || format!("{raw:?} is too large for an amount of rupiah");
    let mut value: i64 = 0;
    for c in digits.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(c - b'0')))
            .ok_or_else(too_large)?;
    }
    if frac_part.bytes().next().is_some_and(|c| c >= b'5') {
        value = value.checked_add(1).ok_or_else(too_large)?;
    }
    Ok(Some(value))
}

/// A harga cell: spreadsheet numbers are taken as numbers, text goes through [`parse_rupiah`].
pub fn rupiah_from_cell(cell: &Cell) -> Result<Option<i64>, String> {
    match cell {
        Cell::Int(i) if *i < 0 => Err(format!("{i} is negative; harga cannot be below zero")),
        Cell::Int(i) => Ok(Some(*i)),
        Cell::Float(f) if !f.is_finite() || *f < 0.0 || *f >= 9e15 => {
            Err(format!("{f} is not an amount of rupiah"))
        }
        // Half up, as in parse_rupiah; the range check above makes the cast exact.
        Cell::Float(f) => Ok(Some((f + 0.5).floor() as i64)),
        Cell::Date { .. } => Err("a date is not an amount of rupiah".into()),
        other => parse_rupiah(&other.text()),
    }
}

/// Registers hold equipment bought within this range; anything outside is a typo.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;
/// Numbers read as Excel serial dates: 1980-01-01 ..= 2099-12-31 (1900 date system). A
/// narrow window, so that a mistyped year such as `20211` is refused, not read as 1955.
const SERIALS: std::ops::RangeInclusive<i64> = 29221..=73050;

/// Reads tahun perolehan from a year (`2021`), a date (`12/03/2021`, `12-03-2021`,
/// `2021-03-12`, `12 Maret 2021`, with or without a time) or an Excel serial date (`44267`).
/// Only the year is kept, so day/month order never matters.
pub fn year_from_cell(cell: &Cell) -> Result<Option<i32>, String> {
    let year = match cell {
        Cell::Date { year } => *year,
        Cell::Int(i) => year_from_number(*i)?,
        Cell::Float(f) if f.fract() == 0.0 && f.abs() < 1e9 => year_from_number(*f as i64)?,
        Cell::Float(f) => return Err(format!("{f} is not a year or a date")),
        other => return parse_year(&other.text()),
    };
    check_year(year).map(Some)
}

pub fn parse_year(raw: &str) -> Result<Option<i32>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || format!("{raw:?} is not a year or a date (e.g. 2021, 12/03/2021, 2021-03-12)");
    if s.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = s.parse().map_err(|_| bad())?;
        return match s.len() {
            4 | 5 => check_year(year_from_number(n)?).map(Some),
            _ => Err(bad()),
        };
    }
    // Drop a time of day: `2021-03-12 00:00:00`, `2021-03-12T00:00:00`.
    let date = match s.rsplit_once(['T', ' ']) {
        Some((d, t)) if t.contains(':') => d,
        _ => s,
    };
    let parts: Vec<&str> = date
        .split(['/', '-', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let num = |p: &str| p.parse::<u32>().ok();
    let year_at = if parts[0].len() == 4 { 0 } else { 2 };
    let year: i32 = match parts[year_at].len() {
        4 => parts[year_at].parse().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    let (a, b) = if year_at == 0 {
        (parts[1], parts[2])
    } else {
        (parts[0], parts[1])
    };
    let valid = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d).is_some();
    let ok = match (num(a), num(b), month_number(b)) {
        // Year first is always year-month-day; otherwise day/month in either order.
        (Some(m), Some(d), _) if year_at == 0 => valid(m, d),
        (Some(x), Some(y), _) => valid(y, x) || valid(x, y),
        (Some(d), None, Some(m)) => valid(m, d),
        _ => false,
    };
    if !ok {
        return Err(bad());
    }
    check_year(year).map(Some)
}

fn year_from_number(n: i64) -> Result<i32, String> {
    if (1000..=9999).contains(&n) {
        return Ok(n as i32);
    }
    if !SERIALS.contains(&n) {
        return Err(format!("{n} is neither a year nor an Excel date"));
    }
    // Excel's day 1 is 1900-01-01 but it counts a 29 February 1900 that never was, so for
    // every serial from 61 on, day 0 is effectively 1899-12-30.
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date");
    let date = base + chrono::Duration::days(n);
    Ok(chrono::Datelike::year(&date))
}

fn check_year(year: i32) -> Result<i32, String> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(format!(
            "tahun {year} is outside {}-{}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// Indonesian and English month names and their three-letter forms.
fn month_number(word: &str) -> Option<u32> {
    const MONTHS: [&[&str]; 12] = [
        &["jan"],
        &["feb", "peb"],
        &["mar"],
        &["apr"],
        &["mei", "may"],
        &["jun"],
        &["jul"],
        &["agu", "ags", "aug"],
        &["sep"],
        &["okt", "oct"],
        &["nov", "nop"],
        &["des", "dec"],
    ];
    let w = word.to_lowercase();
    if w.len() < 3 || !w.chars().all(char::is_alphabetic) {
        return None;
    }
    let prefix = w.get(..3)?;
    MONTHS
        .iter()
        .position(|names| names.contains(&prefix))
        .map(|i| i as u32 + 1)
}

/// What a kondisi cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kondisi {
    Known(Condition),
    /// A SIMDA status that is not a physical condition (codes 4-6).
    Status(&'static str),
    Blank,
}

/// B/KB/RR/RB, the words in any case and spacing, or SIMDA BMD `Ref_Kondisi` codes:
/// 1 Baik, 2 Kurang Baik, 3 Rusak Berat, 4 Hilang, 5 Tidak Ditemukan, 6 Lainnya.
pub fn parse_condition(raw: &str) -> Result<Kondisi, String> {
    let key: String = raw
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Ok(match key.as_str() {
        "" => Kondisi::Blank,
        "b" | "baik" | "1" => Kondisi::Known(Condition::Baik),
        "kb" | "kurangbaik" | "2" => Kondisi::Known(Condition::KurangBaik),
        "rr" | "rusakringan" => Kondisi::Known(Condition::RusakRingan),
        "rb" | "rusakberat" | "3" => Kondisi::Known(Condition::RusakBerat),
        "4" | "hilang" => Kondisi::Status("Hilang"),
        "5" | "tidakditemukan" => Kondisi::Status("Tidak Ditemukan"),
        "6" | "lainnya" => Kondisi::Status("Lainnya"),
        _ => {
            return Err(format!(
                "{raw:?} is not a kondisi: use B, KB, RR, RB, the words (Baik, Kurang Baik, \
                 Rusak Ringan, Rusak Berat) or a SIMDA code 1-6"
            ))
        }
    })
}

/// Jumlah: a positive whole number, optionally followed by a unit (`4 unit`, `2 buah`).
pub fn jumlah_from_cell(cell: &Cell) -> Result<Option<u32>, String> {
    let text = cell.text();
    let number = text.trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace());
    if number.is_empty() && text.is_empty() {
        return Ok(None);
    }
    match number.parse::<u32>() {
        Ok(0) => Err("jumlah is 0; a register line holds at least one item".into()),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(format!("{text:?} is not a count")),
    }
}
