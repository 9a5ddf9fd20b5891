//! Server-side SVG time-series charts (issue 7): the dashboard pages and the PDF reports
//! of issue 8 draw the same bytes, so the renderer is pure — no clock, no randomness, no
//! hash-ordered maps — and every number is printed with a fixed number of decimals.
//!
//! Hand-written rather than `plotters`: plotters' SVG backend pulls fonts and image
//! crates the collector does not otherwise need, and its output is not promised stable
//! across versions; the chart here is ~300 lines of string building with tests.
//!
//! Times are Unix seconds and the time axis is labelled in UTC (the axis says so): the
//! collector does not yet know a city's time zone, and a wrong local time is worse than
//! an honest UTC.

use std::fmt::Write;

/// One line of a chart. A `None` value is a bucket without data: the line breaks there.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(i64, Option<f64>)>,
}

/// What to draw. `from..=to` is the time window (Unix seconds); points outside are dropped.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// Accessible name (`<title>`) and the heading drawn above the plot.
    pub title: &'a str,
    /// Unit of the value axis, e.g. `%` or `ms`.
    pub unit: &'a str,
    pub from: i64,
    pub to: i64,
    pub series: &'a [Series],
    /// Shown instead of lines when no series has a value in the window.
    pub empty_text: &'a str,
    /// Upper bound of the value axis when the data is lower (e.g. 100 for percentages).
    pub min_max: Option<f64>,
}

pub const WIDTH: f64 = 640.0;
pub const HEIGHT: f64 = 240.0;
/// Plot area inside the SVG: room left for value labels, below for time labels, right
/// for the legend.
pub const LEFT: f64 = 56.0;
pub const RIGHT: f64 = 500.0;
pub const TOP: f64 = 28.0;
pub const BOTTOM: f64 = 208.0;

/// Colour-blind-safe palette (Okabe–Ito); series beyond it reuse colours in order.
const PALETTE: [&str; 7] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];

/// Escape text for SVG element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; drop them.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The smallest "nice" number (1, 2, 2.5, 5 × 10^n) at or above `v`.
fn nice_ceil(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= v - 1e-9 {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Tick step in seconds: the first that gives at most 8 ticks over the window.
fn time_step(span: i64) -> i64 {
    const STEPS: [i64; 12] = [
        60, 300, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
    ];
    STEPS.into_iter().find(|s| span / s <= 8).unwrap_or(604800)
}

fn time_label(t: i64, step: i64) -> String {
    let Some(dt) = chrono::DateTime::from_timestamp(t, 0) else {
        return String::new();
    };
    if step >= 86400 {
        dt.format("%d/%m").to_string()
    } else if dt.format("%H:%M").to_string() == "00:00" {
        // Midnight shows the date, so a 24 h chart says which day it crosses into.
        dt.format("%d/%m").to_string()
    } else {
        dt.format("%H:%M").to_string()
    }
}

/// Value label: integers without decimals, else one decimal.
fn value_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

impl Chart<'_> {
    /// X coordinate of time `t`.
    pub fn x(&self, t: i64) -> f64 {
        let span = (self.to - self.from).max(1) as f64;
        LEFT + (t - self.from) as f64 / span * (RIGHT - LEFT)
    }

    /// Top of the value axis: a nice number at or above the largest value (and `min_max`).
    pub fn y_max(&self) -> f64 {
        let data_max = self
            .in_window()
            .filter_map(|(_, v)| v)
            .fold(0.0f64, f64::max);
        nice_ceil(data_max.max(self.min_max.unwrap_or(0.0)))
    }

    /// Y coordinate of value `v` on an axis from 0 to `y_max`.
    pub fn y(&self, v: f64, y_max: f64) -> f64 {
        BOTTOM - v.clamp(0.0, y_max) / y_max * (BOTTOM - TOP)
    }

    fn in_window(&self) -> impl Iterator<Item = (i64, Option<f64>)> + '_ {
        self.series.iter().flat_map(|s| {
            s.points
                .iter()
                .copied()
                .filter(|(t, v)| *t >= self.from && *t <= self.to && v.is_none_or(f64::is_finite))
        })
    }

    /// The SVG document (no XML declaration, so it can be inlined into HTML).
    pub fn render(&self) -> String {
        let mut o = String::with_capacity(4096);
        let title = escape(self.title);
        let unit = escape(self.unit);
        // Writing to a String cannot fail; the results are ignored on purpose. No element ids:
        // a page inlines many charts and ids would collide.
        let _ = write!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0} {HEIGHT:.0}" role="img" aria-label="{title}" class="chart" font-family="sans-serif" font-size="11"><title>{title}</title>"#
        );
        let _ = write!(
            o,
            r#"<text x="{LEFT:.0}" y="16" font-size="13" font-weight="bold">{title}</text>"#
        );
        let has_data = self.in_window().any(|(_, v)| v.is_some());
        let y_max = self.y_max();
        // Value axis: five gridlines from 0 to y_max, unit above the axis.
        let _ = write!(
            o,
            r#"<text x="4" y="{:.1}" class="unit">{unit}</text>"#,
            TOP - 4.0
        );
        for i in 0..=4 {
            let v = y_max * f64::from(i) / 4.0;
            let y = self.y(v, y_max);
            let _ = write!(
                o,
                r##"<line x1="{LEFT:.0}" y1="{y:.1}" x2="{RIGHT:.0}" y2="{y:.1}" stroke="#ddd"/><text x="{:.0}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT - 4.0,
                y + 4.0,
                value_label(v)
            );
        }
        // Time axis: ticks on multiples of the step (UTC), so labels fall on round times.
        let step = time_step(self.to - self.from);
        let mut t = self.from.div_euclid(step) * step;
        if t < self.from {
            t += step;
        }
        while t <= self.to {
            let x = self.x(t);
            let _ = write!(
                o,
                r##"<line x1="{x:.1}" y1="{TOP:.0}" x2="{x:.1}" y2="{BOTTOM:.0}" stroke="#eee"/><text x="{x:.1}" y="{:.0}" text-anchor="middle">{}</text>"##,
                BOTTOM + 14.0,
                time_label(t, step)
            );
            t += step;
        }
        let _ = write!(
            o,
            r#"<text x="{RIGHT:.0}" y="{:.0}" text-anchor="end">UTC</text>"#,
            BOTTOM + 28.0
        );
        let _ = write!(
            o,
            r##"<rect x="{LEFT:.0}" y="{TOP:.0}" width="{:.0}" height="{:.0}" fill="none" stroke="#999"/>"##,
            RIGHT - LEFT,
            BOTTOM - TOP
        );
        if !has_data {
            let _ = write!(
                o,
                r##"<text x="{:.0}" y="{:.0}" text-anchor="middle" fill="#666" class="empty">{}</text></svg>"##,
                (LEFT + RIGHT) / 2.0,
                (TOP + BOTTOM) / 2.0,
                escape(self.empty_text)
            );
            return o;
        }
        for (i, s) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let name = escape(&s.name);
            let _ = write!(
                o,
                r#"<g class="series" data-name="{name}"><title>{name}</title>"#
            );
            let mut run: Vec<(f64, f64)> = Vec::new();
            let mut pts: Vec<(i64, Option<f64>)> = s
                .points
                .iter()
                .copied()
                .filter(|(t, _)| *t >= self.from && *t <= self.to)
                .collect();
            pts.sort_by_key(|(t, _)| *t);
            pts.push((i64::MAX, None)); // flushes the last run
            for (t, v) in pts {
                match v.filter(|v| v.is_finite()) {
                    Some(v) => run.push((self.x(t), self.y(v, y_max))),
                    None => flush(&mut o, &mut run, colour),
                }
            }
            // Legend entry to the right of the plot.
            let ly = TOP + 8.0 + 16.0 * i as f64;
            let _ = write!(
                o,
                r#"<line x1="{:.0}" y1="{ly:.1}" x2="{:.0}" y2="{ly:.1}" stroke="{colour}" stroke-width="3"/><text x="{:.0}" y="{:.1}" class="legend">{name}</text></g>"#,
                RIGHT + 8.0,
                RIGHT + 24.0,
                RIGHT + 28.0,
                ly + 4.0
            );
        }
        o.push_str("</svg>");
        o
    }
}

/// Draw a run of consecutive points: a polyline, or a dot when the run is one point long
/// (a polyline of one point draws nothing).
fn flush(o: &mut String, run: &mut Vec<(f64, f64)>, colour: &str) {
    match run.len() {
        0 => {}
        1 => {
            let _ = write!(
                o,
                r#"<circle cx="{:.1}" cy="{:.1}" r="2" fill="{colour}"/>"#,
                run[0].0, run[0].1
            );
        }
        _ => {
            o.push_str(r#"<polyline fill="none" stroke=""#);
            o.push_str(colour);
            o.push_str(r#"" stroke-width="1.5" points=""#);
            for (i, (x, y)) in run.iter().enumerate() {
                if i > 0 {
                    o.push(' ');
                }
                let _ = write!(o, "{x:.1},{y:.1}");
            }
            o.push_str(r#""/>"#);
        }
    }
    run.clear();
}

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
