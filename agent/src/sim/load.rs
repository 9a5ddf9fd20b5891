//! How busy an office PC is over the week, in the city's own time zone.
//!
//! Indonesian city offices work Monday to Friday, about 07:30 to 16:00 (Friday shorter at
//! midday for Friday prayers). PCs are switched on and warm up from 06:30, are busiest mid
//! morning, dip at lunch (12:00-13:00; Friday 11:30-13:00), pick up in the afternoon and go
//! quiet from 15:30. Nights and weekends are nearly idle (the few PCs left on). The curve is
//! piecewise linear between the points below, so it has no jumps a chart would show.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};

/// The city's time zone. Indonesia has three, all without daylight saving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Waktu Indonesia Barat, UTC+7 (Sumatra, Java, West and Central Kalimantan).
    Wib,
    /// Waktu Indonesia Tengah, UTC+8 (Bali, Nusa Tenggara, Sulawesi: Denpasar, Kotamobagu).
    Wita,
    /// Waktu Indonesia Timur, UTC+9 (Maluku, Papua: Ternate).
    Wit,
}

impl Zone {
    pub fn utc_offset_hours(self) -> i64 {
        match self {
            Zone::Wib => 7,
            Zone::Wita => 8,
            Zone::Wit => 9,
        }
    }
}

impl std::str::FromStr for Zone {
    type Err = String;
    fn from_str(s: &str) -> Result<Zone, String> {
        match s.to_ascii_uppercase().as_str() {
            "WIB" | "+7" | "UTC+7" | "ASIA/JAKARTA" => Ok(Zone::Wib),
            "WITA" | "+8" | "UTC+8" | "ASIA/MAKASSAR" => Ok(Zone::Wita),
            "WIT" | "+9" | "UTC+9" | "ASIA/JAYAPURA" => Ok(Zone::Wit),
            _ => Err(format!("unknown zone {s:?}: use WIB, WITA or WIT")),
        }
    }
}

/// (minute of the local day, load 0..1) for Monday to Thursday.
const WORKDAY: &[(u32, f64)] = &[
    (0, 0.03),
    (390, 0.03),
    (450, 0.45),
    (510, 0.75),
    (600, 0.85),
    (700, 0.75),
    (730, 0.35),
    (770, 0.35),
    (800, 0.70),
    (900, 0.65),
    (930, 0.55),
    (990, 0.10),
    (1080, 0.05),
    (1440, 0.03),
];

/// Friday: the same morning, a long break for Friday prayers, a short afternoon.
const FRIDAY: &[(u32, f64)] = &[
    (0, 0.03),
    (390, 0.03),
    (450, 0.45),
    (510, 0.75),
    (600, 0.80),
    (680, 0.70),
    (700, 0.15),
    (770, 0.15),
    (800, 0.60),
    (930, 0.50),
    (990, 0.08),
    (1080, 0.04),
    (1440, 0.03),
];

const WEEKEND: &[(u32, f64)] = &[(0, 0.03), (1440, 0.03)];

/// Office load 0..1 at `t` for an office in `zone`.
pub fn office_load(t: DateTime<Utc>, zone: Zone) -> f64 {
    let local = t + Duration::hours(zone.utc_offset_hours());
    let day = local.weekday().num_days_from_monday();
    let curve = match day {
        0..=3 => WORKDAY,
        4 => FRIDAY,
        _ => WEEKEND,
    };
    let minute = local.hour() * 60 + local.minute();
    let frac = f64::from(local.second()) / 60.0;
    let x = f64::from(minute) + frac;
    for w in curve.windows(2) {
        let ((m0, y0), (m1, y1)) = (w[0], w[1]);
        if (f64::from(m0)..=f64::from(m1)).contains(&x) {
            return y0 + (y1 - y0) * (x - f64::from(m0)) / f64::from(m1 - m0);
        }
    }
    curve[curve.len() - 1].1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// 2026-11-23 is a Monday; `h:m` local time in `zone` that day plus `days`.
    fn at(zone: Zone, days: i64, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap() + Duration::days(days)
            - Duration::hours(zone.utc_offset_hours())
    }

    #[test]
    fn the_curve_follows_office_hours() {
        let z = Zone::Wib;
        let load = |d, h, m| office_load(at(z, d, h, m), z);
        // Busy mid-morning and afternoon, a dip at lunch, quiet at night and on weekends.
        assert!(load(0, 10, 0) > 0.8, "{}", load(0, 10, 0));
        assert!(load(0, 14, 0) > 0.6);
        assert!(load(0, 12, 30) < load(0, 10, 0) / 2.0);
        assert!(load(0, 3, 0) < 0.05);
        assert!(load(0, 20, 0) < 0.1);
        for weekend in [5, 6] {
            for h in [3, 10, 14, 20] {
                assert!(load(weekend, h, 0) < 0.05, "day {weekend} {h}:00");
            }
        }
        // The morning ramps up rather than jumping.
        assert!(load(0, 7, 0) > load(0, 6, 30) && load(0, 7, 0) < load(0, 8, 30));
        // Friday prayers: a deeper, earlier midday break than on other days.
        assert!(load(4, 11, 50) < 0.3 && load(3, 11, 50) > 0.6);
        // Continuous: no step larger than a few percent from one minute to the next.
        let mut t = at(z, 0, 0, 0);
        let mut prev = office_load(t, z);
        for _ in 0..(7 * 24 * 60) {
            t += Duration::minutes(1);
            let now = office_load(t, z);
            assert!((now - prev).abs() < 0.05, "jump at {t}: {prev} -> {now}");
            assert!((0.0..=1.0).contains(&now));
            prev = now;
        }
    }

    #[test]
    fn the_curve_is_in_the_city_s_own_zone() {
        // 09:00 in Ternate (WIT) is 07:00 in Jakarta (WIB): Ternate is at work, Jakarta is
        // still arriving.
        let t = at(Zone::Wit, 0, 9, 0);
        assert!(office_load(t, Zone::Wit) > 0.7);
        assert!(office_load(t, Zone::Wib) < 0.5);
        assert_eq!("wita".parse::<Zone>(), Ok(Zone::Wita));
        assert!("CET".parse::<Zone>().is_err());
    }
}
