//! The IP plan: which CIDR ranges each OPD (kode lokasi) may use. Diskominfo assigns
//! addresses on the government network (Perwali Kotamobagu Pasal 26), so an address outside
//! its OPD's ranges is a flag.
//!
//! Files: CSV with a header `opd,cidr,note` (note optional, `#` comments), or TOML with
//! `[[range]]` tables of `opd`, `cidr`, `note`. The API takes the TOML shape as JSON. A plan
//! is checked whole and replaced whole: one bad line and nothing changes, and every bad line
//! is reported with its place (`file:line`, or `range[i]`) and field.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanEntry {
    pub opd: String,
    pub cidr: String,
    pub note: String,
}

/// The plan as TOML and as the API's JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanDoc {
    pub range: Vec<PlanEntry>,
}

impl PlanEntry {
    /// The parsed range; entries are validated before they are stored, so this holds.
    pub fn net(&self) -> Option<IpNet> {
        self.cidr.parse().ok()
    }
}

/// Check every entry; `place(i)` names entry `i` in errors (`plan.csv:4`, `range[3]`).
/// Returns the entries with canonical CIDRs, or every error found.
pub fn validate(
    entries: &[PlanEntry],
    place: impl Fn(usize) -> String,
) -> Result<Vec<PlanEntry>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out: Vec<(usize, PlanEntry, IpNet)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let opd = e.opd.trim();
        if opd.is_empty() {
            errors.push(format!(
                "{}: opd: empty; give the OPD's kode lokasi",
                place(i)
            ));
            continue;
        }
        let cidr = e.cidr.trim();
        let net: IpNet = match cidr.parse() {
            Ok(n) => n,
            Err(_) => {
                errors.push(format!(
                    "{}: cidr: {cidr:?} is not a CIDR range like 10.12.3.0/24",
                    place(i)
                ));
                continue;
            }
        };
        // A range written with host bits (10.1.2.5/24) is most likely a typo for the
        // network or for a /32; guessing either would hide it.
        if net.trunc() != net {
            errors.push(format!(
                "{}: cidr: {cidr:?} has host bits set; the range is {}",
                place(i),
                net.trunc()
            ));
            continue;
        }
        if let Some((j, other, _)) = out
            .iter()
            .find(|(_, o, n)| (n.contains(&net) || net.contains(n)) && (o.opd != opd || *n == net))
        {
            errors.push(format!(
                "{}: cidr: {net} overlaps {} of OPD {} ({})",
                place(i),
                other.cidr,
                other.opd,
                place(*j)
            ));
            continue;
        }
        out.push((
            i,
            PlanEntry {
                opd: opd.to_string(),
                cidr: net.to_string(),
                note: e.note.trim().to_string(),
            },
            net,
        ));
    }
    if errors.is_empty() {
        Ok(out.into_iter().map(|(_, e, _)| e).collect())
    } else {
        Err(errors)
    }
}

/// Read a plan file by its extension (`.toml`, else CSV); errors are `file:line: field: ...`.
pub fn parse_file(name: &str, text: &str) -> Result<Vec<PlanEntry>, Vec<String>> {
    if name.to_ascii_lowercase().ends_with(".toml") {
        parse_toml(name, text)
    } else {
        parse_csv(name, text)
    }
}

pub fn parse_csv(name: &str, text: &str) -> Result<Vec<PlanEntry>, Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![format!("{name}:1: {e}")]),
    };
    if header.first().map(String::as_str) != Some("opd")
        || header.get(1).map(String::as_str) != Some("cidr")
        || header.len() > 3
        || header.get(2).is_some_and(|h| h != "note")
    {
        return Err(vec![format!(
            "{name}:1: the header must be opd,cidr,note (note may be left out), not {}",
            header.join(",")
        )]);
    }
    let mut entries = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => {
                // From the byte offset: the csv crate's own line count skips comment lines.
                let line = r.position().map_or(0, |p| line_of(text, p.byte()));
                if r.len() < 2 || r.len() > 3 {
                    errors.push(format!(
                        "{name}:{line}: expected opd,cidr[,note], found {} fields",
                        r.len()
                    ));
                    continue;
                }
                entries.push(PlanEntry {
                    opd: r[0].to_string(),
                    cidr: r[1].to_string(),
                    note: r.get(2).unwrap_or("").to_string(),
                });
                lines.push(line);
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(text, p.byte()));
                errors.push(format!("{name}:{line}: {e}"));
            }
        }
    }
    let checked = validate(&entries, |i| format!("{name}:{}", lines[i]));
    match checked {
        Ok(v) if errors.is_empty() => Ok(v),
        Ok(_) => Err(errors),
        Err(more) => {
            errors.extend(more);
            Err(errors)
        }
    }
}

/// The line a record starts on. The csv crate's position is where it started reading, which
/// is before any comment or blank lines it skipped, so those are stepped over here.
fn line_of(text: &str, byte: u64) -> usize {
    let end = (byte as usize).min(text.len());
    let first = text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let skipped = text
        .lines()
        .skip(first - 1)
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .count();
    first + skipped
}

pub fn parse_toml(name: &str, text: &str) -> Result<Vec<PlanEntry>, Vec<String>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[serde(default)]
        range: Vec<toml::Spanned<PlanEntry>>,
    }
    let doc: Doc = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| pantau_agent::config::line_col(text, s.start).0)
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        vec![format!("{name}{at}: {}", e.message())]
    })?;
    let lines: Vec<usize> = doc
        .range
        .iter()
        .map(|s| pantau_agent::config::line_col(text, s.span().start).0)
        .collect();
    let entries: Vec<PlanEntry> = doc.range.into_iter().map(|s| s.into_inner()).collect();
    validate(&entries, |i| format!("{name}:{}", lines[i]))
}

/// The ranges of one OPD.
pub fn ranges_of<'a>(plan: &'a [PlanEntry], opd: &'a str) -> impl Iterator<Item = IpNet> + 'a {
    plan.iter()
        .filter(move |e| e.opd == opd)
        .filter_map(|e| e.net())
}
