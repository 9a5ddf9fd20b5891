//! Report periods: a month (`2026-10`) or a quarter (`2026-Q4`), bounded at midnight in the
//! city's time zone. Indonesia's three zones have no daylight saving, so a zone is a fixed
//! offset: WIB (UTC+7), WITA (UTC+8, Kotamobagu), WIT (UTC+9, Ternate, the default).
//! October 2026 in WIT is therefore 2026-09-30T15:00Z ..< 2026-10-31T15:00Z.

use crate::i18n::Lang;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Indonesian time zones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "UPPERCASE")]
pub enum Zone {
    #[value(name = "WIB")]
    Wib,
    #[value(name = "WITA")]
    Wita,
    #[default]
    #[value(name = "WIT")]
    Wit,
}

impl Zone {
    pub fn offset(self) -> FixedOffset {
        let hours = match self {
            Zone::Wib => 7,
            Zone::Wita => 8,
            Zone::Wit => 9,
        };
        FixedOffset::east_opt(hours * 3600).expect("whole hours are a valid offset")
    }

    pub fn name(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }
}

/// A calendar month or quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Span {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

/// A period in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub span: Span,
    pub zone: Zone,
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

impl Period {
    /// `YYYY-MM` or `YYYY-Qn`; the error says what was expected.
    pub fn parse(s: &str, zone: Zone) -> Result<Period, String> {
        let bad = || {
            format!(
                "period {s:?}: expected a month YYYY-MM (2026-10) or a quarter YYYY-Qn (2026-Q4)"
            )
        };
        let (y, rest) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let span = if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            match q.parse::<u32>() {
                Ok(quarter @ 1..=4) if q.len() == 1 => Span::Quarter { year, quarter },
                _ => return Err(format!("period {s:?}: quarter must be Q1 to Q4")),
            }
        } else {
            match rest.parse::<u32>() {
                Ok(month @ 1..=12) if rest.len() == 2 => Span::Month { year, month },
                _ if rest.len() == 2 => {
                    return Err(format!("period {s:?}: month must be 01 to 12"))
                }
                _ => return Err(bad()),
            }
        };
        Ok(Period { span, zone })
    }

    /// The period holding `t` (in the zone), of the same kind as `quarterly` says.
    pub fn containing(t: DateTime<Utc>, zone: Zone, quarterly: bool) -> Period {
        use chrono::Datelike;
        let local = t.with_timezone(&zone.offset());
        let (year, month) = (local.year(), local.month());
        let span = if quarterly {
            Span::Quarter {
                year,
                quarter: (month - 1) / 3 + 1,
            }
        } else {
            Span::Month { year, month }
        };
        Period { span, zone }
    }

    fn first_month(self) -> (i32, u32) {
        match self.span {
            Span::Month { year, month } => (year, month),
            Span::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
        }
    }

    fn months(self) -> u32 {
        match self.span {
            Span::Month { .. } => 1,
            Span::Quarter { .. } => 3,
        }
    }

    fn midnight(self, year: i32, month: u32) -> DateTime<Utc> {
        let (year, month) = (year + (month as i32 - 1) / 12, (month - 1) % 12 + 1);
        let day = NaiveDate::from_ymd_opt(year, month, 1).expect("valid first of month");
        self.zone
            .offset()
            .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("a fixed offset has no gaps")
            .with_timezone(&Utc)
    }

    /// First instant of the period.
    pub fn start(self) -> DateTime<Utc> {
        let (y, m) = self.first_month();
        self.midnight(y, m)
    }

    /// First instant after the period.
    pub fn end(self) -> DateTime<Utc> {
        let (y, m) = self.first_month();
        self.midnight(y, m + self.months())
    }

    /// The period of the same kind just before this one.
    pub fn previous(self) -> Period {
        let span = match self.span {
            Span::Month { year, month: 1 } => Span::Month {
                year: year - 1,
                month: 12,
            },
            Span::Month { year, month } => Span::Month {
                year,
                month: month - 1,
            },
            Span::Quarter { year, quarter: 1 } => Span::Quarter {
                year: year - 1,
                quarter: 4,
            },
            Span::Quarter { year, quarter } => Span::Quarter {
                year,
                quarter: quarter - 1,
            },
        };
        Period { span, ..self }
    }

    /// Hours in the period (every zone has whole-hour offsets and no DST).
    pub fn hours(self) -> u32 {
        ((self.end() - self.start()).num_hours()) as u32
    }

    /// "Oktober 2026", "Triwulan IV 2026" / "October 2026", "Quarter IV 2026".
    pub fn label(self, lang: Lang) -> String {
        match self.span {
            Span::Month { year, month } => {
                let m = (month - 1) as usize;
                format!("{} {year}", lang.t(MONTHS_ID[m], MONTHS_EN[m]))
            }
            Span::Quarter { year, quarter } => format!(
                "{} {} {year}",
                lang.t("Triwulan", "Quarter"),
                ROMAN[(quarter - 1) as usize]
            ),
        }
    }
}

/// `2026-10` or `2026-Q4`: the form the CLI takes and file names use.
impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Span::Month { year, month } => write!(f, "{year}-{month:02}"),
            Span::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Period {
        Period::parse(s, Zone::Wit).unwrap()
    }

    #[test]
    fn months_and_quarters_are_bounded_at_local_midnight() {
        let oct = p("2026-10");
        assert_eq!(oct.start().to_rfc3339(), "2026-09-30T15:00:00+00:00");
        assert_eq!(oct.end().to_rfc3339(), "2026-10-31T15:00:00+00:00");
        assert_eq!(oct.hours(), 31 * 24);
        let q4 = p("2026-Q4");
        assert_eq!(q4.start(), oct.start());
        assert_eq!(q4.end().to_rfc3339(), "2026-12-31T15:00:00+00:00");
        let wita = Period::parse("2026-12", Zone::Wita).unwrap();
        assert_eq!(wita.end().to_rfc3339(), "2026-12-31T16:00:00+00:00");
    }

    #[test]
    fn previous_crosses_years() {
        assert_eq!(p("2026-01").previous().to_string(), "2025-12");
        assert_eq!(p("2026-Q1").previous().to_string(), "2025-Q4");
        assert_eq!(p("2026-10").previous().end(), p("2026-10").start());
        assert_eq!(p("2026-q2").to_string(), "2026-Q2");
    }

    #[test]
    fn labels_in_both_languages() {
        assert_eq!(p("2026-10").label(Lang::Id), "Oktober 2026");
        assert_eq!(p("2026-10").label(Lang::En), "October 2026");
        assert_eq!(p("2026-Q4").label(Lang::Id), "Triwulan IV 2026");
    }

    #[test]
    fn bad_periods_say_what_was_expected() {
        for (s, want) in [
            ("2026-13", "month must be 01 to 12"),
            ("2026-Q5", "quarter must be Q1 to Q4"),
            ("2026/10", "expected a month YYYY-MM"),
            ("26-10", "expected a month YYYY-MM"),
            ("2026-1", "expected a month YYYY-MM"),
        ] {
            let err = Period::parse(s, Zone::Wit).unwrap_err();
            assert!(err.contains(want), "{s}: {err}");
        }
    }

    #[test]
    fn containing_uses_the_local_date() {
        // 2026-10-31T16:00Z is already 1 November in WIT.
        let t = DateTime::parse_from_rfc3339("2026-10-31T16:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            Period::containing(t, Zone::Wit, false).to_string(),
            "2026-11"
        );
        assert_eq!(
            Period::containing(t, Zone::Wib, true).to_string(),
            "2026-Q4"
        );
    }
}
