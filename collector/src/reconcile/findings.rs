//! Every difference between register and reality as a [`Finding`].
//!
//! One finding per (kind, subject), sorted by kind then subject, so two runs over the same
//! inputs give the same list and the flag table can be updated by key. Summaries are in
//! Bahasa Indonesia (the dashboard and reports translate titles, not summaries); evidence
//! names the fields and values, so an operator can check them against the register.

use super::fasthash::FastMap as HashMap;
use super::matching::Matched;
use super::rules::norm_serial;
use super::*;
use chrono::Duration;
use serde_json::json;
use std::collections::BTreeMap;

pub fn find(inputs: &Inputs, matched: &Matched) -> Vec<Finding> {
    let assets: HashMap<&str, &AssetFacts> =
        inputs.assets.iter().map(|a| (a.key.as_str(), a)).collect();
    let hosts: HashMap<&str, &HostFacts> = inputs
        .hosts
        .iter()
        .map(|h| (h.agent_id.as_str(), h))
        .collect();
    let in_use_since = inputs.now - Duration::days(i64::from(inputs.config.silent_after_days));
    let mut out = Vec::new();

    for r in &matched.hosts {
        let Some(host) = hosts.get(r.agent_id.as_str()).copied() else {
            continue;
        };
        if let Some(change) = &host.hardware_change {
            out.push(hardware_changed(host, change, &r.outcome));
        }
        match &r.outcome {
            HostOutcome::Unregistered => out.push(unregistered(host)),
            HostOutcome::Matched { asset_key, .. } => {
                let Some(asset) = assets.get(asset_key.as_str()).copied() else {
                    continue;
                };
                out.extend(hardware_mismatch(host, asset));
                out.extend(location_mismatch(host, asset));
                out.extend(condition_discrepancy(host, asset, in_use_since));
            }
            HostOutcome::Review { .. } => {}
        }
    }
    for a in matched.assets.iter().filter(|a| a.silent) {
        if let Some(asset) = assets.get(a.key.as_str()) {
            out.push(silent(inputs, asset, a));
        }
    }
    out.extend(duplicate_register_entries(&inputs.assets));
    out.sort_by(|x, y| (x.kind, &x.subject).cmp(&(y.kind, &y.subject)));
    out.dedup_by(|x, y| x.kind == y.kind && x.subject == y.subject);
    out
}

fn host_finding(
    kind: FlagKind,
    host: &HostFacts,
    summary: String,
    evidence: serde_json::Value,
    fingerprint: String,
) -> Finding {
    Finding {
        kind,
        subject_kind: SubjectKind::Host,
        subject: host.agent_id.clone(),
        opd: host.opd.clone(),
        summary,
        evidence,
        fingerprint,
    }
}

fn host_name(host: &HostFacts) -> &str {
    host.hostname.as_deref().unwrap_or(&host.agent_id)
}

fn unregistered(host: &HostFacts) -> Finding {
    host_finding(
        FlagKind::Unregistered,
        host,
        format!(
            "Perangkat {} melapor tetapi tidak ada di register BMD",
            host_name(host)
        ),
        json!({
            "hostname": host.hostname,
            "serial": host.serial,
            "uuid": host.uuid,
            "macs": host.macs,
            "asset_tag": host.asset_tag,
            "vendor": host.vendor,
            "model": host.model,
            "virtual_machine": host.virtual_machine,
            "last_seen": host.last_seen,
        }),
        "unregistered".into(),
    )
}

fn silent(inputs: &Inputs, asset: &AssetFacts, r: &AssetResult) -> Finding {
    let days = inputs.config.silent_after_days;
    let (summary, last_seen, days_silent) = match r.last_seen {
        Some(t) => {
            let d = (inputs.now - t).num_days();
            (
                format!(
                    "{} {} ({}) tidak melapor selama {d} hari",
                    asset.nama_barang, asset.nomor_register, asset.kode_barang
                ),
                json!(t),
                json!(d),
            )
        }
        None => (
            format!(
                "{} {} ({}) belum pernah melapor",
                asset.nama_barang, asset.nomor_register, asset.kode_barang
            ),
            json!("never"),
            serde_json::Value::Null,
        ),
    };
    Finding {
        kind: FlagKind::Silent,
        subject_kind: SubjectKind::Asset,
        subject: asset.key.clone(),
        opd: asset.kode_lokasi.clone(),
        summary,
        evidence: json!({
            "kode_barang": asset.kode_barang,
            "nomor_register": asset.nomor_register,
            "agent_id": r.agent_id,
            "last_seen": last_seen,
            "days_silent": days_silent,
            "silent_after_days": days,
        }),
        fingerprint: "silent".into(),
    }
}

fn hardware_changed(
    host: &HostFacts,
    change: &hardware::HardwareChange,
    outcome: &HostOutcome,
) -> Finding {
    let asset_key = match outcome {
        HostOutcome::Matched { asset_key, .. } => Some(asset_key.clone()),
        _ => None,
    };
    let at = change.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    host_finding(
        FlagKind::HardwareChanged,
        host,
        format!(
            "Perangkat keras {} berubah: {}",
            host_name(host),
            change.changes.join("; ")
        ),
        json!({ "at": change.at, "changes": change.changes, "asset_key": asset_key }),
        format!("{at} {}", change.changes.join("; ")),
    )
}

fn location_mismatch(host: &HostFacts, asset: &AssetFacts) -> Option<Finding> {
    (host.opd != asset.kode_lokasi).then(|| {
        host_finding(
            FlagKind::LocationMismatch,
            host,
            format!(
                "{} terdaftar di kode lokasi {} tetapi melapor dari OPD {}",
                host_name(host),
                asset.kode_lokasi,
                host.opd
            ),
            json!({
                "asset_key": asset.key,
                "host_opd": host.opd,
                "register_kode_lokasi": asset.kode_lokasi,
            }),
            format!("{}→{}", host.opd, asset.kode_lokasi),
        )
    })
}

fn condition_discrepancy(
    host: &HostFacts,
    asset: &AssetFacts,
    in_use_since: DateTime<Utc>,
) -> Option<Finding> {
    let registered = asset.kondisi?;
    let suggestion = host.suggestion.as_ref();
    let worse = suggestion.is_some_and(|s| s.condition.severity() > registered.severity());
    // Rusak Berat is the step before write-off: a machine in daily use is not that.
    let in_use =
        registered == Condition::RusakBerat && host.last_seen.is_some_and(|t| t >= in_use_since);
    if !worse && !in_use {
        return None;
    }
    let summary = if worse {
        let s = suggestion.expect("worse implies a suggestion");
        format!(
            "Register mencatat {} tetapi telemetri menunjukkan {}",
            registered.label(),
            s.condition.label()
        )
    } else {
        format!(
            "Register mencatat {} tetapi perangkat masih dipakai (terakhir melapor {})",
            registered.label(),
            host.last_seen
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        )
    };
    let suggested = suggestion.map(|s| s.condition.code()).unwrap_or("aktif");
    Some(Finding {
        kind: FlagKind::ConditionDiscrepancy,
        subject_kind: SubjectKind::Asset,
        subject: asset.key.clone(),
        opd: asset.kode_lokasi.clone(),
        summary,
        evidence: json!({
            "agent_id": host.agent_id,
            "registered": registered,
            "suggested": suggestion.map(|s| s.condition),
            "suggestion_evidence": suggestion.map(|s| &s.evidence),
            "last_seen": host.last_seen,
        }),
        fingerprint: format!("{}→{suggested}", registered.code()),
    })
}

fn duplicate_register_entries(assets: &[AssetFacts]) -> Vec<Finding> {
    let mut by_serial: BTreeMap<String, Vec<&AssetFacts>> = BTreeMap::new();
    for a in assets {
        if let Some(s) = a.nomor_pabrik.as_deref().and_then(norm_serial) {
            by_serial.entry(s).or_default().push(a);
        }
    }
    by_serial
        .into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(serial, mut v)| {
            v.sort_by(|x, y| x.key.cmp(&y.key));
            let keys: Vec<&str> = v.iter().map(|a| a.key.as_str()).collect();
            Finding {
                kind: FlagKind::DuplicateRegisterEntry,
                subject_kind: SubjectKind::Serial,
                subject: serial.clone(),
                opd: v[0].kode_lokasi.clone(),
                summary: format!(
                    "Nomor pabrik {serial} tercatat pada {} aset register",
                    v.len()
                ),
                evidence: json!({
                    "nomor_pabrik": serial,
                    "asset_keys": keys,
                    "assets": v.iter().map(|a| json!({
                        "key": a.key,
                        "kode_lokasi": a.kode_lokasi,
                        "kode_barang": a.kode_barang,
                        "nomor_register": a.nomor_register,
                        "nomor_pabrik": a.nomor_pabrik,
                    })).collect::<Vec<_>>(),
                }),
                fingerprint: keys.join(","),
            }
        })
        .collect()
}

fn hardware_mismatch(host: &HostFacts, asset: &AssetFacts) -> Option<Finding> {
    // A virtual machine's firmware describes the hypervisor, not the asset it runs on.
    if host.virtual_machine {
        return None;
    }
    let mut diffs: Vec<(&str, String, String)> = Vec::new();
    if let (Some(h), Some(a)) = (&host.serial, &asset.nomor_pabrik) {
        if let (Some(hn), Some(an)) = (norm_serial(h), norm_serial(a)) {
            if hn != an {
                diffs.push(("serial", h.clone(), a.clone()));
            }
        }
    }
    let hv = host.vendor.as_deref().and_then(compare::vendor);
    let av = compare::vendor(&asset.merk);
    if let (Some(h), Some(a)) = (&hv, &av) {
        if !compare::same_vendor(h, a) {
            diffs.push((
                "vendor",
                host.vendor.clone().unwrap_or_default(),
                asset.merk.clone(),
            ));
        }
    }
    let lenovo = [&hv, &av]
        .iter()
        .any(|v| v.as_ref().is_some_and(|v| v.canon == "lenovo"));
    if let Some(model) = host.model.as_deref() {
        if compare::models_differ(model, &asset.tipe, lenovo) {
            diffs.push(("model", model.to_string(), asset.tipe.clone()));
        }
    }
    if diffs.is_empty() {
        return None;
    }
    let words: Vec<String> = diffs
        .iter()
        .map(|(f, h, a)| format!("{f} {h} ≠ {a}"))
        .collect();
    let mut evidence = serde_json::Map::new();
    evidence.insert("asset_key".into(), json!(asset.key));
    for (field, h, a) in &diffs {
        evidence.insert((*field).into(), json!({ "host": h, "register": a }));
    }
    Some(host_finding(
        FlagKind::HardwareMismatch,
        host,
        format!(
            "Perangkat keras {} berbeda dengan register {}: {}",
            host_name(host),
            asset.key,
            words.join("; ")
        ),
        serde_json::Value::Object(evidence),
        words.join("; "),
    ))
}

/// Vendor and model comparison tolerant of how firmware and register clerks write them.
pub mod compare {
    use pantau_proto::identifiers::is_placeholder_serial;

    /// A vendor name reduced for comparison.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Vendor {
        /// Canonical name from the alias table, else the squashed name.
        pub canon: String,
        /// Whether `canon` came from the alias table.
        pub known: bool,
    }

    /// Legal-form and filler words dropped before comparing ("Dell Inc." is "Dell").
    const SUFFIXES: &[&str] = &[
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "ltd",
        "limited",
        "llc",
        "gmbh",
        "plc",
        "pt",
        "tbk",
        "company",
        "electronics",
        "computer",
        "computers",
        "systems",
        "networks",
        "international",
        "technology",
        "com",
    ];

    /// Canonical vendor ← the squashed forms firmware, SNMP and registers use. HPE (servers
    /// since the 2015 split) is deliberately not HP (PCs and printers).
    const ALIASES: &[(&str, &[&str])] = &[
        ("hp", &["hp", "hewlettpackard"]),
        ("hpe", &["hpe", "hewlettpackardenterprise"]),
        ("dell", &["dell"]),
        ("lenovo", &["lenovo"]),
        ("acer", &["acer"]),
        ("asus", &["asus", "asustek"]),
        ("lg", &["lg"]),
        ("epson", &["epson", "seikoepson"]),
        ("cisco", &["cisco"]),
        ("mikrotik", &["mikrotik", "routerboard", "mikrotikls"]),
        ("ubiquiti", &["ubiquiti", "ubnt"]),
    ];

    /// Firmware filler in vendor and model fields. Short names are real here ("HP", "LG"),
    /// so the serial list's length test does not apply.
    fn placeholder(s: &str) -> bool {
        let l = s.trim().to_ascii_lowercase();
        (l.len() >= 4 && is_placeholder_serial(&l))
            || [
                "system manufacturer",
                "system product name",
                "system version",
            ]
            .contains(&l.as_str())
    }

    fn tokens(s: &str) -> Vec<String> {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    }

    pub fn vendor(raw: &str) -> Option<Vendor> {
        if placeholder(raw) {
            return None;
        }
        let squashed: String = tokens(raw)
            .into_iter()
            .filter(|t| !SUFFIXES.contains(&t.as_str()))
            .collect();
        if squashed.is_empty() {
            return None;
        }
        Some(
            match ALIASES
                .iter()
                .find(|(_, forms)| forms.contains(&squashed.as_str()))
            {
                Some((canon, _)) => Vendor {
                    canon: canon.to_string(),
                    known: true,
                },
                None => Vendor {
                    canon: squashed,
                    known: false,
                },
            },
        )
    }

    /// Same vendor: equal canonical names, or for vendors outside the table one name
    /// beginning with the other ("fujitsu" and "fujitsuclientcomputing").
    pub fn same_vendor(a: &Vendor, b: &Vendor) -> bool {
        a.canon == b.canon
            || (!(a.known && b.known)
                && (a.canon.starts_with(&b.canon) || b.canon.starts_with(&a.canon)))
    }

    /// A model-number token: letters and digits with at least one digit, two characters or
    /// more ("400", "G7", "3080", "E14", "M70s"; not "2" of "Gen 2").
    fn significant(t: &str) -> bool {
        t.len() >= 2 && t.chars().any(|c| c.is_ascii_digit())
    }

    /// Whether `observed` (DMI product name, SNMP model) clearly is another model than the
    /// register's `tipe`. Clearly: the register names model numbers and the observed model
    /// has model numbers too, yet none of the register's appears in it (containment counts:
    /// register "2960X" is in "WS-C2960X-48TS-L", "A416" in "X415JA_A416JA"). So
    /// "ProDesk 400 G7 MT" against "HP ProDesk 400 G7 Microtower PC" is the same model and
    /// "OptiPlex 3080" against "OptiPlex 7090" is not. Lenovo's DMI product name is a
    /// machine-type code ("11DBS0Q200") that never contains the marketing model, so a
    /// one-token model is not compared for Lenovo.
    pub fn models_differ(observed: &str, tipe: &str, lenovo: bool) -> bool {
        if placeholder(observed) || placeholder(tipe) {
            return false;
        }
        let obs = tokens(observed);
        let reg: Vec<String> = tokens(tipe)
            .into_iter()
            .filter(|t| significant(t))
            .collect();
        if reg.is_empty() || !obs.iter().any(|t| significant(t)) {
            return false;
        }
        if lenovo && obs.len() == 1 {
            return false;
        }
        let found = |r: &String| {
            obs.iter()
                .any(|o| o.contains(r.as_str()) || (significant(o) && r.contains(o.as_str())))
        };
        !reg.iter().any(found)
    }
}
