//! The collector's pushed config (`pantau/v1/{agent_id}/config`, retained) applied over the
//! agent's file config: keys present in the pushed `net` object replace the file's, absent
//! keys keep the file's value. A document that is too large, malformed or out of bounds is
//! refused as a whole; the caller keeps what it had.

use pantau_proto::body::config::{NetProbeConfig, PushedConfig};
use pantau_proto::Kind;

pub const MAX_TARGETS: usize = 50;
pub const MAX_DNS: usize = 50;
pub const MAX_HTTP: usize = 50;
pub const MIN_INTERVAL_S: u64 = 10;
pub const MAX_PINGS: u32 = 20;

/// The effective `net` settings: `base` (from the file) with the pushed document's `net`
/// over it. Returns the document's version too.
pub fn merge(base: &NetProbeConfig, doc: &[u8]) -> Result<(u64, NetProbeConfig), String> {
    if doc.len() > Kind::Config.max_bytes() {
        return Err(format!(
            "pushed config is {} bytes, more than the {} allowed",
            doc.len(),
            Kind::Config.max_bytes()
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(doc).map_err(|e| format!("pushed config is not JSON: {e}"))?;
    // Checks the shape (types of every known field) before anything is taken from it.
    let typed: PushedConfig = serde_json::from_value(value.clone())
        .map_err(|e| format!("pushed config has the wrong shape: {e}"))?;
    let mut merged = serde_json::to_value(base).expect("config serializes");
    if let (Some(serde_json::Value::Object(net)), serde_json::Value::Object(m)) =
        (value.get("net"), &mut merged)
    {
        for (k, v) in net {
            // Keys this agent does not know are ignored: a newer collector may send more.
            if m.contains_key(k) {
                m.insert(k.clone(), v.clone());
            }
        }
    }
    let merged: NetProbeConfig =
        serde_json::from_value(merged).map_err(|e| format!("pushed net config: {e}"))?;
    validate(&merged).map_err(|e| format!("pushed net config: {e}"))?;
    Ok((typed.version, merged))
}

/// Bounds that keep a round small whatever the configuration says.
pub fn validate(c: &NetProbeConfig) -> Result<(), String> {
    if c.interval_s < MIN_INTERVAL_S {
        return Err(format!("interval_s must be at least {MIN_INTERVAL_S}"));
    }
    if !(1..=MAX_PINGS).contains(&c.pings) {
        return Err(format!("pings must be between 1 and {MAX_PINGS}"));
    }
    if c.targets.len() > MAX_TARGETS {
        return Err(format!("at most {MAX_TARGETS} targets"));
    }
    if c.dns.len() > MAX_DNS {
        return Err(format!("at most {MAX_DNS} dns names"));
    }
    if c.http.len() > MAX_HTTP {
        return Err(format!("at most {MAX_HTTP} http checks"));
    }
    for t in &c.targets {
        if t.host.trim().is_empty() {
            return Err(format!("target {:?} has no host", t.name));
        }
    }
    for h in &c.http {
        if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
            return Err(format!(
                "http check {:?}: url must start with http:// or https://",
                h.name
            ));
        }
        if h.timeout_s.is_some_and(|t| t == 0 || t > 60) {
            return Err(format!(
                "http check {:?}: timeout_s must be between 1 and 60",
                h.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pantau_proto::body::config::ProbeTarget;

    fn base() -> NetProbeConfig {
        NetProbeConfig {
            interval_s: 120,
            pings: 4,
            targets: vec![ProbeTarget {
                name: "dc".into(),
                host: "10.0.0.1".into(),
                tcp_port: None,
            }],
            dns: vec!["sipd.kemendagri.go.id".into()],
            ..NetProbeConfig::default()
        }
    }

    #[test]
    fn pushed_keys_replace_absent_keys_stay() {
        let doc = br#"{"version": 7, "net": {"pings": 10, "targets": [{"name": "pusat", "host": "10.1.0.1", "tcp_port": 80}], "future_knob": 1}, "discovery": null}"#;
        let (version, c) = merge(&base(), doc).unwrap();
        assert_eq!(version, 7);
        assert_eq!(c.pings, 10);
        assert_eq!(c.targets.len(), 1);
        assert_eq!(c.targets[0].host, "10.1.0.1");
        assert_eq!(c.targets[0].tcp_port, Some(80));
        assert_eq!(c.interval_s, 120, "from the file");
        assert_eq!(c.dns, base().dns, "from the file");

        let (_, same) = merge(&base(), br#"{"version": 1}"#).unwrap();
        assert_eq!(same, base(), "no net section: the file's settings");
    }

    #[test]
    fn bad_documents_are_refused() {
        let too_many: Vec<String> = (0..51)
            .map(|i| format!(r#"{{"name":"t{i}","host":"10.0.0.{i}"}}"#))
            .collect();
        let cases = [
            "not json".to_owned(),
            r#"{"version": "seven"}"#.to_owned(),
            r#"{"net": {"interval_s": 5}}"#.to_owned(),
            r#"{"net": {"pings": 0}}"#.to_owned(),
            r#"{"net": {"pings": 21}}"#.to_owned(),
            r#"{"net": {"pings": -1}}"#.to_owned(),
            format!(r#"{{"net": {{"targets": [{}]}}}}"#, too_many.join(",")),
            r#"{"net": {"targets": [{"name": "x", "host": ""}]}}"#.to_owned(),
            r#"{"net": {"http": [{"name": "x", "url": "ftp://x"}]}}"#.to_owned(),
            r#"{"net": {"http": [{"name": "x", "url": "https://x", "timeout_s": 0}]}}"#.to_owned(),
        ];
        for doc in &cases {
            assert!(merge(&base(), doc.as_bytes()).is_err(), "{doc} accepted");
        }
        let huge = vec![b' '; Kind::Config.max_bytes() + 1];
        assert!(merge(&base(), &huge).unwrap_err().contains("bytes"));
    }
}
