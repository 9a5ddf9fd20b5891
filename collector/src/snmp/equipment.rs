//! Network equipment registered as SNMP targets: the register (KIB B) has no IP column, so
//! this mapping says, per register asset, at which address it answers SNMP, with which
//! credentials profile, which poller polls it and which interfaces are its uplinks. The
//! config publisher turns each row into a target named after the register key, so the
//! `target` match rule links the polled device back to the asset.

use pantau_proto::body::snmp_config::SnmpTarget;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// One mapping row, as set through the API, the CLI or a CSV file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equipment {
    /// Register key of the asset (`kode_lokasi/kode_barang/nomor_register`).
    pub asset_key: String,
    /// The address the device answers SNMP on.
    pub ip: String,
    /// UDP port, 161 when absent.
    #[serde(default)]
    pub port: Option<u16>,
    /// A `[snmp.profiles.NAME]` of collector.toml.
    pub profile: String,
    /// The poller agent that polls it.
    pub agent_id: String,
    /// ifName, ifDescr or ifIndex of its uplinks.
    #[serde(default)]
    pub uplinks: Vec<String>,
}

/// A stored row, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EquipmentRow {
    #[serde(flatten)]
    pub equipment: Equipment,
    /// The asset's OPD (kode lokasi), for scoping operators.
    pub opd: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// What is wrong with row `row` (0-based) of a batch, and in which field.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub row: usize,
    pub field: &'static str,
    pub message: String,
}

impl Equipment {
    /// The checks that need nothing but the row itself.
    pub fn check_shape(&self) -> Result<(), (&'static str, String)> {
        if self.asset_key.trim().is_empty() {
            return Err(("asset_key", "empty".into()));
        }
        if self.ip.trim().parse::<IpAddr>().is_err() {
            return Err(("ip", format!("{:?} is not an IP address", self.ip)));
        }
        if self.port == Some(0) {
            return Err(("port", "0 is not a port".into()));
        }
        if self.profile.trim().is_empty() {
            return Err(("profile", "empty".into()));
        }
        if self.agent_id.trim().is_empty() {
            return Err(("agent_id", "empty".into()));
        }
        Ok(())
    }

    /// The target the poller receives: named after the register key, credentials by
    /// profile (filled in by the publisher).
    pub fn target(&self) -> SnmpTarget {
        SnmpTarget {
            name: self.asset_key.clone(),
            host: self.ip.clone(),
            port: self.port,
            profile: Some(self.profile.clone()),
            uplinks: self.uplinks.clone(),
            ..SnmpTarget::default()
        }
    }
}

/// Columns of the CSV file, in order; `port` and `uplinks` may be empty, uplinks are
/// separated by `;` or spaces.
pub const CSV_HEADER: [&str; 6] = ["asset_key", "ip", "port", "profile", "agent_id", "uplinks"];

/// A CSV file parsed whole: the rows with their line numbers, or every error as
/// `name:line:column: field: message`.
pub fn parse_csv(name: &str, text: &str) -> Result<Vec<(usize, Equipment)>, Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => return Err(vec![format!("{name}:1:1: {e}")]),
    };
    if header != CSV_HEADER {
        return Err(vec![format!(
            "{name}:1:1: the header must be {}, not {}",
            CSV_HEADER.join(","),
            header.join(",")
        )]);
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for rec in rdr.records() {
        let r = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(text, p.byte()));
                errors.push(format!("{name}:{line}:1: {e}"));
                continue;
            }
        };
        let line = r.position().map_or(0, |p| line_of(text, p.byte()));
        if r.len() != CSV_HEADER.len() {
            errors.push(format!(
                "{name}:{line}:1: expected {} fields ({}), found {}",
                CSV_HEADER.len(),
                CSV_HEADER.join(","),
                r.len()
            ));
            continue;
        }
        let port = match r[2].trim() {
            "" => None,
            p => match p.parse::<u16>() {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(format!("{name}:{line}:3: port: {p:?} is not a port number"));
                    continue;
                }
            },
        };
        let e = Equipment {
            asset_key: r[0].to_string(),
            ip: r[1].to_string(),
            port,
            profile: r[3].to_string(),
            agent_id: r[4].to_string(),
            uplinks: r[5]
                .split([';', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        };
        if let Err((field, msg)) = e.check_shape() {
            errors.push(format!("{name}:{line}:{}: {field}: {msg}", column(field)));
            continue;
        }
        if let Some((prev, _)) = out
            .iter()
            .find(|(_, x): &&(usize, Equipment)| x.asset_key == e.asset_key)
        {
            errors.push(format!(
                "{name}:{line}:1: asset_key: {:?} is already on line {prev}",
                e.asset_key
            ));
            continue;
        }
        out.push((line, e));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The 1-based CSV column of a field.
pub fn column(field: &str) -> usize {
    CSV_HEADER
        .iter()
        .position(|h| *h == field)
        .map_or(1, |i| i + 1)
}

/// The line a record starts on. The csv crate's position is just after the previous
/// record, so comment and blank lines in between are skipped here.
fn line_of(text: &str, byte: u64) -> usize {
    let end = (byte as usize).min(text.len());
    let mut line = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    for l in text[end..].lines() {
        let t = l.trim();
        if !(t.is_empty() || t.starts_with('#')) {
            break;
        }
        line += 1;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_file_parses_with_lines_and_bad_rows_name_line_and_column() {
        let good = "asset_key,ip,port,profile,agent_id,uplinks\n\
                    # core switch\n\
                    1.02.01/02.06.01.05.001/7,10.12.0.2,,kantor,poller-1,Te1/0/1;Te1/0/2\n\
                    1.02.01/02.06.01.05.001/8,10.12.0.3,1161,kantor,poller-1,\n";
        let rows = parse_csv("eq.csv", good).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 3);
        assert_eq!(rows[0].1.uplinks, ["Te1/0/1", "Te1/0/2"]);
        assert_eq!(rows[1].1.port, Some(1161));
        let t = rows[0].1.target();
        assert_eq!(
            (t.name.as_str(), t.host.as_str(), t.profile.as_deref()),
            ("1.02.01/02.06.01.05.001/7", "10.12.0.2", Some("kantor"))
        );

        let bad = "asset_key,ip,port,profile,agent_id,uplinks\n\
                   k1,10.0.0.300,,kantor,p1,\n\
                   k2,10.0.0.2,99999,kantor,p1,\n\
                   k3,10.0.0.3,,,p1,\n\
                   k4,10.0.0.4,,kantor\n\
                   k3,10.0.0.5,,kantor,p1,\n";
        let errs = parse_csv("eq.csv", bad).unwrap_err();
        assert_eq!(
            errs,
            [
                "eq.csv:2:2: ip: \"10.0.0.300\" is not an IP address",
                "eq.csv:3:3: port: \"99999\" is not a port number",
                "eq.csv:4:4: profile: empty",
                "eq.csv:5:1: expected 6 fields (asset_key,ip,port,profile,agent_id,uplinks), found 4",
            ]
        );
        let e = parse_csv("eq.csv", "key,ip\n").unwrap_err();
        assert!(e[0].starts_with("eq.csv:1:1: the header must be"), "{e:?}");
        let dup =
            "asset_key,ip,port,profile,agent_id,uplinks\nk,10.0.0.1,,a,p,\nk,10.0.0.2,,a,p,\n";
        assert_eq!(
            parse_csv("eq.csv", dup).unwrap_err(),
            ["eq.csv:3:1: asset_key: \"k\" is already on line 2"]
        );
    }
}
