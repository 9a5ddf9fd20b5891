//! The collector's pushed config (`pantau/v1/{agent_id}/config`, retained) applied over the
//! agent's file config: keys present in the pushed `net` object replace the file's, absent
//! keys keep the file's value. A document that is too large, malformed or out of bounds is
//! refused as a whole; the caller keeps what it had.

use pantau_proto::body::config::{NetProbeConfig, NetProbePatch};

pub const MAX_TARGETS: usize = 50;
pub const MAX_DNS: usize = 50;
pub const MAX_HTTP: usize = 50;
pub const MIN_INTERVAL_S: u64 = 10;
pub const MAX_PINGS: u32 = 20;

/// The effective `net` settings: `base` (from the file) with the keys the collector sent
/// (`None`: no `net` section) over it, within the bounds below.
pub fn merge(
    base: &NetProbeConfig,
    pushed: Option<&NetProbePatch>,
) -> Result<NetProbeConfig, String> {
    let merged = pushed.map_or_else(|| base.clone(), |p| p.apply(base));
    validate(&merged).map_err(|e| format!("pushed net config: {e}"))?;
    Ok(merged)
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

    /// A whole document as the agent takes it: parsed once, then the net section merged.
    fn merge_doc(base: &NetProbeConfig, doc: &[u8]) -> Result<(u64, NetProbeConfig), String> {
        let pushed = crate::pushed::parse(doc)?;
        Ok((pushed.version, merge(base, pushed.net.as_ref())?))
    }

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
        let (version, c) = merge_doc(&base(), doc).unwrap();
        assert_eq!(version, 7);
        assert_eq!(c.pings, 10);
        assert_eq!(c.targets.len(), 1);
        assert_eq!(c.targets[0].host, "10.1.0.1");
        assert_eq!(c.targets[0].tcp_port, Some(80));
        assert_eq!(c.interval_s, 120, "from the file");
        assert_eq!(c.dns, base().dns, "from the file");

        let (_, same) = merge_doc(&base(), br#"{"version": 1}"#).unwrap();
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
            assert!(
                merge_doc(&base(), doc.as_bytes()).is_err(),
                "{doc} accepted"
            );
        }
        let huge = vec![b' '; pantau_proto::Kind::Config.max_bytes() + 1];
        assert!(merge_doc(&base(), &huge).unwrap_err().contains("bytes"));
    }
}
