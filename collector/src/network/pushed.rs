//! Pushed agent configuration: layers (global, per OPD, per agent) merged into one
//! [`PushedConfig`] per agent, published retained on `pantau/v1/{agent_id}/config`.
//!
//! A layer is a partial `PushedConfig` as JSON (`{"net": {"interval_s": 30}}`). Layers merge
//! key by key, the more specific one winning (agent over OPD over global); a list (targets,
//! checks) is replaced whole, never appended, so a layer can also remove entries.

use pantau_proto::body::PushedConfig;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Global,
    Opd,
    Agent,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "global" => Some(Scope::Global),
            "opd" => Some(Scope::Opd),
            "agent" => Some(Scope::Agent),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Opd => "opd",
            Scope::Agent => "agent",
        }
    }
}

fn merge_into(base: &mut Value, layer: &Value) {
    match (base, layer) {
        (Value::Object(b), Value::Object(l)) => {
            for (k, v) in l {
                merge_into(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, l) => *b = l.clone(),
    }
}

/// Merge layers, least specific first, into one config (version 0: the store numbers it).
pub fn merge<'a>(layers: impl IntoIterator<Item = &'a Value>) -> Result<PushedConfig, String> {
    let mut v = Value::Object(Map::new());
    for l in layers {
        merge_into(&mut v, l);
    }
    let cfg: PushedConfig = serde_json::from_value(v).map_err(|e| e.to_string())?;
    check(&cfg)?;
    Ok(PushedConfig { version: 0, ..cfg })
}

/// Refuse a layer with unknown sections or values an agent would refuse; the message names
/// the field.
pub fn validate_layer(layer: &Value) -> Result<(), String> {
    let Value::Object(m) = layer else {
        return Err("a layer is a JSON object like {\"net\": {...}, \"discovery\": {...}}".into());
    };
    for k in m.keys() {
        if k != "net" && k != "discovery" && k != "snmp" {
            return Err(format!("{k}: unknown section (net, discovery, snmp)"));
        }
    }
    merge([layer]).map(|_| ())
}

/// The bounds agents enforce (proto/src/body/config.rs), checked here so a bad value is
/// refused when it is set rather than ignored on a thousand PCs.
fn check(c: &PushedConfig) -> Result<(), String> {
    if let Some(s) = &c.snmp {
        if let Some(v) = s.interval_s.filter(|v| *v < 10) {
            return Err(format!("snmp.interval_s: {v} is below 10"));
        }
        if let Some(v) = s.concurrency.filter(|v| !(1..=1024).contains(v)) {
            return Err(format!("snmp.concurrency: {v} is not between 1 and 1024"));
        }
        for (n, t) in s.targets.iter().flatten().enumerate() {
            if t.host.trim().is_empty() {
                return Err(format!("snmp.targets[{n}].host: empty"));
            }
        }
    }
    if let Some(n) = &c.net {
        if let Some(v) = n.interval_s.filter(|v| *v < 10) {
            return Err(format!("net.interval_s: {v} is below 10"));
        }
        // The agent's own bound (agent/src/net/pushed.rs MAX_PINGS): a value it would refuse
        // is refused here, when it is set.
        if let Some(v) = n.pings.filter(|v| !(1..=20).contains(v)) {
            return Err(format!("net.pings: {v} is not within 1..=20"));
        }
        if let Some(t) = n.targets.as_ref().filter(|t| t.len() > 50) {
            return Err(format!("net.targets: {} targets, at most 50", t.len()));
        }
        for (i, t) in n.targets.iter().flatten().enumerate() {
            if t.host.trim().is_empty() {
                return Err(format!("net.targets[{i}].host: empty"));
            }
        }
        for (i, h) in n.http.iter().flatten().enumerate() {
            if h.name.trim().is_empty() {
                return Err(format!("net.http[{i}].name: empty"));
            }
            if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
                return Err(format!("net.http[{i}].url: {:?} is not http(s)", h.url));
            }
        }
    }
    if let Some(d) = &c.discovery {
        if d.sweep_interval_min == Some(0) {
            return Err("discovery.sweep_interval_min: 0 is below 1".into());
        }
        if let Some(r) = d.rate_per_s.filter(|r| !(1..=1000).contains(r)) {
            return Err(format!("discovery.rate_per_s: {r} is not within 1..=1000"));
        }
        if let Some(p) = d.max_prefix.filter(|p| !(16..=30).contains(p)) {
            return Err(format!("discovery.max_prefix: {p} is not within 16..=30"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn specific_layers_win_and_lists_are_replaced() {
        let global = json!({"net": {"interval_s": 60, "dns": ["a.go.id", "b.go.id"]}});
        let opd = json!({"net": {"dns": ["c.go.id"]}, "discovery": {"enabled": true}});
        let agent = json!({"net": {"interval_s": 30}});
        let c = merge([&global, &opd, &agent]).unwrap();
        let net = c.net.clone().unwrap();
        assert_eq!(net.interval_s, Some(30));
        assert_eq!(net.dns, Some(vec!["c.go.id".to_string()]));
        assert_eq!(
            net.pings, None,
            "unset stays unset: the agent keeps its file's value"
        );
        // Only the keys some layer set reach the agent.
        let doc = serde_json::to_value(&c).unwrap();
        assert_eq!(
            doc["net"],
            json!({"interval_s": 30, "dns": ["c.go.id"]}),
            "{doc}"
        );
        let d = c.discovery.unwrap();
        assert_eq!(d.enabled, Some(true));
        assert_eq!(
            d.rate_per_s, None,
            "unset stays unset: the agent keeps its own"
        );
    }

    #[test]
    fn discovery_keys_left_out_stay_out_of_the_document() {
        let opd = json!({"discovery": {"enabled": true, "rate_per_s": 20}});
        let agent = json!({"discovery": {"rate_per_s": 100}});
        let c = merge([&opd, &agent]).unwrap();
        let doc = serde_json::to_value(&c).unwrap();
        assert_eq!(
            doc["discovery"],
            json!({"enabled": true, "rate_per_s": 100}),
            "{doc}"
        );
        for (layer, field) in [
            (
                json!({"discovery": {"rate_per_s": 0}}),
                "discovery.rate_per_s:",
            ),
            (
                json!({"discovery": {"rate_per_s": 1001}}),
                "discovery.rate_per_s:",
            ),
            (
                json!({"discovery": {"max_prefix": 8}}),
                "discovery.max_prefix:",
            ),
            (
                json!({"discovery": {"sweep_interval_min": 0}}),
                "discovery.sweep_interval_min:",
            ),
        ] {
            let e = validate_layer(&layer).unwrap_err();
            assert!(e.starts_with(field), "{layer}: {e}");
        }
    }

    #[test]
    fn snmp_keys_left_out_stay_out_and_enabled_is_never_sent() {
        let agent = json!({"snmp": {"interval_s": 60, "enabled": true}});
        let doc = serde_json::to_value(merge([&agent]).unwrap()).unwrap();
        assert_eq!(doc["snmp"], json!({"interval_s": 60}), "{doc}");
    }

    #[test]
    fn bad_layers_name_the_field() {
        let e = validate_layer(&json!({"net": {"interval_s": 5}})).unwrap_err();
        assert!(e.starts_with("net.interval_s:"), "{e}");
        let e = validate_layer(&json!({"net": {"pings": 21}})).unwrap_err();
        assert!(e.starts_with("net.pings:"), "{e}");
        let e = validate_layer(&json!({"usage": {}})).unwrap_err();
        assert!(e.starts_with("usage:"), "{e}");
        let e = validate_layer(&json!({"snmp": {"interval_s": 1}})).unwrap_err();
        assert!(e.starts_with("snmp.interval_s:"), "{e}");
        let e = validate_layer(&json!({"net": {"interval_s": "x"}})).unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        let e = validate_layer(&json!({"net": {"http": [{"name": "sipd", "url": "ftp://x"}]}}))
            .unwrap_err();
        assert!(e.starts_with("net.http[0].url:"), "{e}");
    }
}
