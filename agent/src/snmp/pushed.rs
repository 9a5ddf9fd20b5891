//! The pushed `snmp` section applied over the file's `[snmp]`: pushed keys replace the file's,
//! except `targets`, where the collector's (registered equipment) come first and the file's
//! extra addresses are kept after them. `enabled` stays the file's: whether this agent is a
//! poller is decided on the machine, never by a pushed document (the collector's merged
//! config always carries the key). A document out of bounds is refused whole.

use pantau_proto::body::snmp_config::{SnmpConfig, SnmpPatch};

pub const MIN_INTERVAL_S: u64 = 10;
pub const MAX_TARGETS: usize = 5000;
pub const MAX_CONCURRENCY: usize = 1024;

/// The effective `snmp` settings: `base` (the file's `[snmp]`) with the keys the collector
/// sent over it. `enabled` stays the file's: the file decides whether this agent polls. Pushed
/// targets come first and the file's extra targets are kept after them.
pub fn merge(base: &SnmpConfig, pushed: Option<&SnmpPatch>) -> Result<SnmpConfig, String> {
    let mut c = base.clone();
    if let Some(p) = pushed {
        if let Some(v) = p.interval_s {
            c.interval_s = v;
        }
        if let Some(v) = p.timeout_ms {
            c.timeout_ms = v;
        }
        if let Some(v) = p.retries {
            c.retries = v;
        }
        if let Some(v) = p.concurrency {
            c.concurrency = v;
        }
        if let Some(v) = p.max_repetitions {
            c.max_repetitions = v;
        }
        if let Some(t) = &p.targets {
            c.targets = t.iter().chain(&base.targets).cloned().collect();
        }
    }
    validate(&c).map_err(|e| format!("pushed snmp config: {e}"))?;
    Ok(c)
}

pub fn validate(c: &SnmpConfig) -> Result<(), String> {
    if c.interval_s < MIN_INTERVAL_S {
        return Err(format!("interval_s must be at least {MIN_INTERVAL_S}"));
    }
    if !(100..=60_000).contains(&c.timeout_ms) {
        return Err("timeout_ms must be between 100 and 60000".into());
    }
    if c.retries > 10 {
        return Err("retries must be at most 10".into());
    }
    if !(1..=MAX_CONCURRENCY).contains(&c.concurrency) {
        return Err(format!(
            "concurrency must be between 1 and {MAX_CONCURRENCY}"
        ));
    }
    if !(1..=100).contains(&c.max_repetitions) {
        return Err("max_repetitions must be between 1 and 100".into());
    }
    if c.targets.len() > MAX_TARGETS {
        return Err(format!("at most {MAX_TARGETS} targets"));
    }
    for (n, t) in c.targets.iter().enumerate() {
        if t.host.trim().is_empty() {
            return Err(format!("targets[{n}] ({:?}) has no host", t.name));
        }
        // The collector resolves profiles before it publishes; one left means its
        // collector.toml lost the profile: polling with the default empty community would
        // only look like a dead device.
        if let Some(p) = &t.profile {
            return Err(format!(
                "targets[{n}] ({:?}).profile: profile {p:?} was not resolved by the collector (no credentials)",
                t.name
            ));
        }
        for g in &t.groups {
            if !["interfaces", "entity", "printer", "ups"].contains(&g.as_str()) {
                return Err(format!(
                    "targets[{n}].groups: {g:?} is not one of interfaces, entity, printer, ups"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pantau_proto::body::snmp_config::{Secret, SnmpCredentials, SnmpTarget};

    /// A whole document as the agent takes it: parsed once, then the snmp section merged.
    fn merge_doc(base: &SnmpConfig, doc: &[u8]) -> Result<(u64, SnmpConfig), String> {
        let pushed = crate::pushed::parse(doc)?;
        Ok((pushed.version, merge(base, pushed.snmp.as_ref())?))
    }

    fn base() -> SnmpConfig {
        SnmpConfig {
            enabled: true,
            interval_s: 120,
            targets: vec![SnmpTarget {
                name: "extra".into(),
                host: "10.9.9.9".into(),
                credentials: SnmpCredentials::V2c {
                    community: Secret("lokal".into()),
                },
                ..SnmpTarget::default()
            }],
            ..SnmpConfig::default()
        }
    }

    #[test]
    fn pushed_targets_come_first_and_file_extras_stay() {
        let doc = br#"{"version": 3, "snmp": {"enabled": false, "retries": 1, "targets": [{"name": "sw-core", "host": "10.1.0.2",
            "credentials": {"version": "v3", "user": "pantau", "auth_password": "a", "priv_password": "p"}}]}}"#;
        let (v, c) = merge_doc(&base(), doc).unwrap();
        assert_eq!(v, 3);
        assert_eq!(c.retries, 1);
        assert!(c.enabled, "the file decides whether this agent polls");
        assert_eq!(c.interval_s, 120);
        let names: Vec<_> = c.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["sw-core", "extra"]);
        assert_eq!(c.targets[0].credentials.version(), "v3");
    }

    #[test]
    fn bad_documents_are_refused() {
        for doc in [
            r#"{"snmp": {"interval_s": 1}}"#,
            r#"{"snmp": {"concurrency": 0}}"#,
            r#"{"snmp": {"timeout_ms": 5}}"#,
            r#"{"snmp": {"targets": [{"name": "x", "host": ""}]}}"#,
            r#"{"snmp": {"targets": [{"name": "x", "host": "h", "groups": ["wifi"]}]}}"#,
            r#"{"snmp": {"targets": [{"name": "x", "host": "h", "credentials": {"version": "v1"}}]}}"#,
            r#"{"snmp": {"targets": [{"name": "x", "host": "h", "profile": "kantor"}]}}"#,
            "[]",
        ] {
            assert!(
                merge_doc(&base(), doc.as_bytes()).is_err(),
                "{doc} accepted"
            );
        }
    }
}
