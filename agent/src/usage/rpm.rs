//! rpm packages, through `rpm -qa` when an `rpm` program exists.
//!
//! The database itself (Berkeley DB on older systems, SQLite on newer, ndb on SUSE) is not
//! read: three formats would need three readers, and `rpm` reads them all. It runs only when
//! the database changed or a full snapshot is due (see `software.rs`).

use chrono::{DateTime, Utc};
use pantau_proto::body::usage::Software;
use std::process::Command;

const FORMAT: &str = "%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{VENDOR}\\t%{INSTALLTIME}\\n";

/// Where distributions put it. Looked up here rather than through `PATH`, whose unreadable
/// entries (a root-only directory seen by the unprivileged agent) fail the search with a
/// permission error instead of "not found".
const RPM: [&str; 2] = ["/usr/bin/rpm", "/bin/rpm"];

/// `Err(None)` when there is no `rpm` program (most Debian machines).
pub fn query() -> Result<Vec<Software>, Option<String>> {
    let Some(rpm) = RPM.iter().find(|p| std::path::Path::new(p).is_file()) else {
        return Err(None);
    };
    let out = Command::new(rpm)
        .args(["-qa", "--qf", FORMAT])
        .output()
        .map_err(|e| Some(format!("{rpm}: {e}")))?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        return Err(Some(format!("{}: {}", out.status, msg.trim())));
    }
    Ok(parse(&String::from_utf8_lossy(&out.stdout)))
}

/// Lines of `NAME\tVERSION-RELEASE\tVENDOR\tINSTALLTIME`; rpm prints `(none)` for no vendor.
pub fn parse(text: &str) -> Vec<Software> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split('\t');
            let name = f
                .next()
                .filter(|n| !n.is_empty() && !n.starts_with("gpg-pubkey"))?;
            let known = |s: &&str| !s.is_empty() && *s != "(none)";
            let version = f.next().filter(known).map(str::to_owned);
            let publisher = f.next().filter(known).map(str::to_owned);
            let installed_at = f
                .next()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
            Some(Software {
                name: name.into(),
                version,
                publisher,
                source: "rpm".into(),
                installed_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qf_output() {
        let got = parse(
            "bash\t5.1.8-9.el9\tRocky Enterprise Software Foundation\t1700000000\n\
             gpg-pubkey\t1-2\t(none)\t1700000000\n\
             mystery\t(none)\t(none)\tx\n\n",
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].version.as_deref(), Some("5.1.8-9.el9"));
        assert_eq!(got[0].installed_at.unwrap().timestamp(), 1_700_000_000);
        assert_eq!(
            (got[1].version.as_ref(), got[1].publisher.as_ref()),
            (None, None)
        );
    }
}
