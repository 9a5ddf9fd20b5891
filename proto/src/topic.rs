//! Topic layout: `pantau/v1/{agent_id}/{kind}`.

use crate::Kind;

pub const PREFIX: &str = "pantau/v1";

/// The subscription filter that receives everything agents send.
pub const ALL_AGENTS: &str = "pantau/v1/+/+";

pub fn topic(agent_id: &str, kind: Kind) -> String {
    format!("{PREFIX}/{agent_id}/{kind}")
}

/// An agent id is what enrollment gave out: ASCII letters, digits, `-`, `_` and `.`, 1 to 64
/// characters. The restriction keeps ids safe in topics (no `/`, `+`, `#`), file names and URLs.
pub fn valid_agent_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && id != "."
        && id != ".."
}

/// Split a topic into agent id and kind; `Err` says what is wrong with it.
pub fn parse(topic: &str) -> Result<(&str, Kind), String> {
    let rest = topic
        .strip_prefix(PREFIX)
        .and_then(|r| r.strip_prefix('/'))
        .ok_or_else(|| format!("topic {topic:?} is not below {PREFIX}/"))?;
    let (agent, kind) = rest
        .split_once('/')
        .ok_or_else(|| format!("topic {topic:?} has no kind"))?;
    if !valid_agent_id(agent) {
        return Err(format!("topic {topic:?}: invalid agent id {agent:?}"));
    }
    let kind = kind
        .parse::<Kind>()
        .map_err(|e| format!("topic {topic:?}: {e}"))?;
    Ok((agent, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses() {
        let t = topic("opd-0101-pc17", Kind::Metrics);
        assert_eq!(t, "pantau/v1/opd-0101-pc17/metrics");
        assert_eq!(parse(&t).unwrap(), ("opd-0101-pc17", Kind::Metrics));
    }

    #[test]
    fn rejects_bad_topics() {
        for bad in [
            "pantau/v2/a/metrics",
            "pantau/v1/a",
            "pantau/v1/a/b/metrics",
            "pantau/v1//metrics",
            "pantau/v1/a/bogus",
            "other/v1/a/metrics",
        ] {
            assert!(parse(bad).is_err(), "{bad} accepted");
        }
    }
}
