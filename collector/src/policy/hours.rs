//! Office hours of one OPD: the city-wide defaults, overridden by the longest matching OPD
//! prefix, judged in local time of the zone (Indonesian zones have no daylight saving, but
//! nothing here assumes so: conversion is chrono-tz's).

use super::model::{Date, OfficeHours};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct Hours {
    pub tz: Tz,
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub always: bool,
}

impl Hours {
    /// The hours that apply to `opd`.
    pub fn of(oh: &OfficeHours, opd: &str) -> Hours {
        let mut h = Hours {
            tz: oh.timezone.0,
            days: oh.days.iter().map(|d| d.0).collect(),
            start: oh.start.0,
            end: oh.end.get_ref().0,
            always: false,
        };
        let best = oh
            .opd
            .iter()
            .filter(|o| opd.starts_with(o.opd.as_str()))
            .max_by_key(|o| o.opd.len());
        if let Some(o) = best {
            if let Some(z) = o.timezone {
                h.tz = z.0;
            }
            if let Some(d) = &o.days {
                h.days = d.iter().map(|d| d.0).collect();
            }
            if let Some(s) = o.start {
                h.start = s.0;
            }
            if let Some(e) = o.end {
                h.end = e.0;
            }
            h.always = o.always;
        }
        h
    }

    /// Whether `t` is within office hours (a holiday has none).
    pub fn is_office(&self, t: DateTime<Utc>, holidays: &[Date]) -> bool {
        if self.always {
            return true;
        }
        let local = t.with_timezone(&self.tz);
        let day = local.date_naive();
        if holidays.iter().any(|h| h.0 == day) {
            return false;
        }
        use chrono::Datelike;
        let time = local.time();
        self.days.contains(&local.weekday()) && self.start <= time && time < self.end
    }

    /// `t` in local time, for evidence (`2026-11-24 22:10 WIT`).
    pub fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }
}
