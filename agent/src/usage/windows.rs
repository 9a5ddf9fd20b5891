//! Windows: installed programs from the Uninstall registry keys, read with `reg query`.
//!
//! UNTESTED on Windows (no Windows toolchain where this was written): the parser below is
//! unit-tested on Linux with recorded `reg query` output; `installed()` is compiled only on
//! Windows. `reg.exe` is used instead of a registry crate so that the agent needs no
//! Windows-only dependency; it prints `Name    REG_TYPE    value` lines under each key.

use chrono::{DateTime, NaiveDate, Utc};
use pantau_proto::body::usage::Software;

/// Machine-wide (64- and 32-bit views) and the current user's installs.
#[cfg(windows)]
const KEYS: [&str; 3] = [
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
    r"HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
    r"HKCU\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
];

#[cfg(windows)]
pub fn installed() -> Result<Vec<Software>, String> {
    let mut out = Vec::new();
    for key in KEYS {
        let o = std::process::Command::new("reg")
            .args(["query", key, "/s"])
            .output()
            .map_err(|e| format!("reg query {key}: {e}"))?;
        // A missing key (no 32-bit programs) exits 1 with nothing useful: skip it.
        if o.status.success() {
            out.extend(parse_reg_query(&String::from_utf8_lossy(&o.stdout)));
        }
    }
    Ok(out)
}

/// One entry per subkey with a `DisplayName`; updates and system components are left out,
/// as the Control Panel's program list does.
pub fn parse_reg_query(text: &str) -> Vec<Software> {
    let mut out = Vec::new();
    let mut cur: Option<Software> = None;
    let mut hidden = false;
    let mut flush = |cur: &mut Option<Software>, hidden: bool| {
        if let Some(s) = cur.take().filter(|s| !s.name.is_empty() && !hidden) {
            out.push(s);
        }
    };
    for line in text.lines() {
        if line.starts_with("HKEY_") {
            flush(&mut cur, hidden);
            hidden = false;
            cur = Some(Software {
                source: "windows".into(),
                ..Software::default()
            });
            continue;
        }
        let Some(s) = cur.as_mut() else { continue };
        let mut f = line.trim_start().splitn(3, "    ");
        let (Some(name), Some(_ty), Some(value)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let value = value.trim();
        match name {
            "DisplayName" => s.name = value.into(),
            "DisplayVersion" => s.version = Some(value.into()),
            "Publisher" => s.publisher = Some(value.into()),
            "InstallDate" => {
                s.installed_at = NaiveDate::parse_from_str(value, "%Y%m%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| DateTime::<Utc>::from_naive_utc_and_offset(d, Utc));
            }
            "SystemComponent" if value == "0x1" => hidden = true,
            "ParentKeyName" => hidden = true,
            _ => {}
        }
    }
    flush(&mut cur, hidden);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reg_output() {
        let text = "\r
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\7-Zip\r
    DisplayName    REG_SZ    7-Zip 23.01 (x64)\r
    DisplayVersion    REG_SZ    23.01\r
    Publisher    REG_SZ    Igor Pavlov\r
    InstallDate    REG_SZ    20240115\r
\r
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{ABC}\r
    DisplayName    REG_SZ    Some Runtime\r
    SystemComponent    REG_DWORD    0x1\r
\r
HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\NoName\r
    UninstallString    REG_SZ    C:\\x.exe\r
";
        let got = parse_reg_query(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].name, "7-Zip 23.01 (x64)");
        assert_eq!(got[0].publisher.as_deref(), Some("Igor Pavlov"));
        assert_eq!(
            got[0].installed_at.unwrap().to_rfc3339(),
            "2024-01-15T00:00:00+00:00"
        );
        assert_eq!(got[0].source, "windows");
    }
}
