//! OS, session and boot facts for the Linux inventory.

use super::{clean, read_str, utmp};
use chrono::{DateTime, Utc};
use pantau_proto::body::inventory::{LoggedInUser, OsInfo};
use std::fs;
use std::path::Path;

pub(super) fn read_os(root: &Path) -> OsInfo {
    let text = fs::read_to_string(root.join("etc/os-release"))
        .or_else(|_| fs::read_to_string(root.join("usr/lib/os-release")))
        .unwrap_or_default();
    let mut os = OsInfo {
        kernel: read_str(&root.join("proc/sys/kernel/osrelease")),
        ..OsInfo::default()
    };
    let mut version = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        match key.trim() {
            "NAME" => os.name = clean(&value),
            "VERSION_ID" => os.version = clean(&value),
            "VERSION" => version = clean(&value),
            "ID" => os.id = clean(&value),
            "PRETTY_NAME" => os.pretty_name = clean(&value),
            _ => {}
        }
    }
    os.version = os.version.or(version);
    os
}

/// Undo os-release shell quoting: `"..."` with backslash escapes, or `'...'`.
fn unquote(v: &str) -> String {
    if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return inner.to_string();
    }
    let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return v.to_string();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

pub(super) fn parse_uptime(text: &str) -> Option<u64> {
    let secs: f64 = text.split_ascii_whitespace().next()?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then_some(secs as u64)
}

/// Also used by `usage` for process start times.
pub(crate) fn read_btime(root: &Path) -> Option<DateTime<Utc>> {
    let text = fs::read_to_string(root.join("proc/stat")).ok()?;
    let secs = text
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    DateTime::from_timestamp(secs, 0)
}

/// Also the `usage` report's sessions.
pub(crate) fn read_users(root: &Path) -> Vec<LoggedInUser> {
    // Other layouts differ (see utmp.rs); reporting nobody beats reporting garbage.
    if !cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
        return Vec::new();
    }
    ["var/run/utmp", "run/utmp"]
        .iter()
        .find_map(|p| fs::read(root.join(p)).ok())
        .map(|data| utmp::parse(&data))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_os_release() {
        assert_eq!(unquote(r#""Ubuntu 22.04.4 LTS""#), "Ubuntu 22.04.4 LTS");
        assert_eq!(unquote(r#""say \"hi\"""#), r#"say "hi""#);
        assert_eq!(unquote("'single'"), "single");
        assert_eq!(unquote("debian"), "debian");
        assert_eq!(unquote("\""), "\"");
    }

    #[test]
    fn uptime_garbage() {
        assert_eq!(parse_uptime("12345.67 2345.10\n"), Some(12345));
        assert_eq!(parse_uptime("-5 1"), None);
        assert_eq!(parse_uptime("NaN"), None);
        assert_eq!(parse_uptime(""), None);
    }
}
