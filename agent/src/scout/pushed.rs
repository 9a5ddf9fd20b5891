//! The `discovery` part of the collector's pushed config over the file's `[scout]`: each key
//! the document sets replaces the file's, the rest (and `interfaces`, which is file-only:
//! interface names differ from PC to PC) keep the file's value. Checked with the same bounds
//! as the file, so a pushed value can never do what `agent.toml` may not.

use super::ScoutConfig;
use pantau_proto::body::config::DiscoveryConfig;

/// The effective scout settings, or what is wrong with the pushed ones.
pub fn merge(base: &ScoutConfig, pushed: Option<&DiscoveryConfig>) -> Result<ScoutConfig, String> {
    let Some(d) = pushed else {
        return Ok(base.clone());
    };
    let merged = ScoutConfig {
        enabled: d.enabled.unwrap_or(base.enabled),
        sweep_interval_min: d.sweep_interval_min.unwrap_or(base.sweep_interval_min),
        rate_per_s: d.rate_per_s.unwrap_or(base.rate_per_s),
        max_prefix: d.max_prefix.unwrap_or(base.max_prefix),
        interfaces: base.interfaces.clone(),
    };
    // The file's own bounds, named as the pushed field (`discovery.rate_per_s`).
    merged.validate().map_err(|e| {
        format!(
            "pushed discovery config: {}",
            e.replacen("scout.", "discovery.", 1)
        )
    })?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> ScoutConfig {
        ScoutConfig {
            enabled: true,
            rate_per_s: 20,
            interfaces: vec!["eth0".into()],
            ..ScoutConfig::default()
        }
    }

    #[test]
    fn set_keys_replace_the_file_others_stay() {
        assert_eq!(merge(&file(), None).unwrap(), file());
        let d = DiscoveryConfig {
            rate_per_s: Some(200),
            sweep_interval_min: Some(1),
            ..DiscoveryConfig::default()
        };
        let m = merge(&file(), Some(&d)).unwrap();
        assert_eq!(m.rate_per_s, 200);
        assert_eq!(m.sweep_interval_min, 1);
        assert!(m.enabled, "not set: the file's");
        assert_eq!(m.max_prefix, 22, "not set: the file's");
        assert_eq!(m.interfaces, ["eth0"], "file-only");

        let off = DiscoveryConfig {
            enabled: Some(false),
            ..DiscoveryConfig::default()
        };
        assert!(!merge(&file(), Some(&off)).unwrap().enabled);
        let on = DiscoveryConfig {
            enabled: Some(true),
            ..DiscoveryConfig::default()
        };
        let off_in_file = ScoutConfig::default();
        assert!(merge(&off_in_file, Some(&on)).unwrap().enabled);
    }

    #[test]
    fn out_of_bounds_is_refused_naming_the_field() {
        let cases = [
            (
                DiscoveryConfig {
                    rate_per_s: Some(0),
                    ..Default::default()
                },
                "discovery.rate_per_s",
            ),
            (
                DiscoveryConfig {
                    rate_per_s: Some(1001),
                    ..Default::default()
                },
                "discovery.rate_per_s",
            ),
            (
                DiscoveryConfig {
                    max_prefix: Some(12),
                    ..Default::default()
                },
                "discovery.max_prefix",
            ),
            (
                DiscoveryConfig {
                    max_prefix: Some(31),
                    ..Default::default()
                },
                "discovery.max_prefix",
            ),
            (
                DiscoveryConfig {
                    sweep_interval_min: Some(0),
                    ..Default::default()
                },
                "discovery.sweep_interval_min",
            ),
        ];
        for (d, field) in cases {
            let e = merge(&file(), Some(&d)).unwrap_err();
            assert!(e.contains(field), "{d:?}: {e}");
        }
    }
}
