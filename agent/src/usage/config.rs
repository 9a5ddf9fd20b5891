//! `[usage]` in `agent.toml`: how often usage facts are read and when they are sent.
//! docs/agent.md documents it; docs/agent-collectors.md lists what is emitted.

use serde::{Deserialize, Serialize};

/// Usage facts (`usage` kind). On by default: the city's policy (official use only, servers
/// in the Data Center, legal software) is judged on them. docs/privacy.md says what they are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageConfig {
    /// Collect and send usage facts at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between readings (5 to 86,400). A reading is sent only when something changed.
    #[serde(default = "default_interval")]
    pub interval_s: u64,
    /// Send a full snapshot (with the software list) at least this often, in seconds
    /// (at least `interval_s`, at most 7 days).
    #[serde(default = "default_full_every")]
    pub full_every_s: u64,
    /// A process using more than this share of one core (percent, 1 to 100) since the last
    /// sent report counts as busy; a process becoming busy, or no longer busy, is a change.
    #[serde(default = "default_busy")]
    pub busy_cpu_pct: f64,
    /// Executables larger than this (MiB) are not hashed; 0 turns hashing off (0 to 4,096).
    #[serde(default = "default_hash_max_mib")]
    pub hash_max_mib: u64,
    /// Read installed software (dpkg, rpm, Windows Uninstall keys).
    #[serde(default = "yes")]
    pub software: bool,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig {
            enabled: true,
            interval_s: default_interval(),
            full_every_s: default_full_every(),
            busy_cpu_pct: default_busy(),
            hash_max_mib: default_hash_max_mib(),
            software: true,
        }
    }
}

impl UsageConfig {
    /// Bounds; the message names the key as `usage.KEY` (the caller adds the file).
    pub fn validate(&self) -> Result<(), String> {
        if !(5..=86_400).contains(&self.interval_s) {
            return Err(format!(
                "usage.interval_s = {}: must be between 5 and 86400",
                self.interval_s
            ));
        }
        if self.full_every_s < self.interval_s || self.full_every_s > 7 * 86_400 {
            return Err(format!(
                "usage.full_every_s = {}: must be between usage.interval_s ({}) and 604800",
                self.full_every_s, self.interval_s
            ));
        }
        if !(1.0..=100.0).contains(&self.busy_cpu_pct) {
            return Err(format!(
                "usage.busy_cpu_pct = {}: must be between 1 and 100",
                self.busy_cpu_pct
            ));
        }
        if self.hash_max_mib > 4096 {
            return Err(format!(
                "usage.hash_max_mib = {}: must be between 0 and 4096",
                self.hash_max_mib
            ));
        }
        Ok(())
    }

    pub fn hash_max_bytes(&self) -> u64 {
        self.hash_max_mib * 1024 * 1024
    }
}

fn yes() -> bool {
    true
}
fn default_interval() -> u64 {
    300
}
fn default_full_every() -> u64 {
    3600
}
fn default_busy() -> f64 {
    50.0
}
fn default_hash_max_mib() -> u64 {
    256
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(UsageConfig::default().validate(), Ok(()));
        type Change = fn(&mut UsageConfig);
        let bad: [(Change, &str); 5] = [
            (|c| c.interval_s = 1, "usage.interval_s"),
            (|c| c.full_every_s = 60, "usage.full_every_s"),
            (|c| c.full_every_s = 8 * 86_400, "usage.full_every_s"),
            (|c| c.busy_cpu_pct = 0.0, "usage.busy_cpu_pct"),
            (|c| c.hash_max_mib = 5000, "usage.hash_max_mib"),
        ];
        for (change, key) in bad {
            let mut c = UsageConfig::default();
            change(&mut c);
            let err = c.validate().unwrap_err();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn in_agent_toml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        let base = "agent_id = \"pc-1\"\nkey_file = \"k\"\nstate_dir = \"s\"\n[broker]\nurl = \"mqtt://h:1\"\n";
        std::fs::write(&path, base).unwrap();
        let cfg = crate::config::AgentConfig::load(&path).unwrap();
        assert_eq!(cfg.usage, UsageConfig::default());
        assert_eq!((cfg.usage.interval_s, cfg.usage.full_every_s), (300, 3600));
        std::fs::write(
            &path,
            format!("{base}[usage]\ninterval_s = 60\nfull_every_s = 600\nbusy_cpu_pct = 80\nsoftware = false\n"),
        )
        .unwrap();
        let u = crate::config::AgentConfig::load(&path).unwrap().usage;
        assert_eq!(
            (u.interval_s, u.full_every_s, u.busy_cpu_pct, u.software),
            (60, 600, 80.0, false)
        );
        std::fs::write(&path, format!("{base}[usage]\ninterval = 60\n")).unwrap();
        let err = crate::config::AgentConfig::load(&path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("agent.toml:7:1") && err.contains("interval"),
            "{err}"
        );
        std::fs::write(&path, format!("{base}[usage]\ninterval_s = 7200\n")).unwrap();
        let err = crate::config::AgentConfig::load(&path)
            .unwrap_err()
            .to_string();
        assert!(err.contains("usage.full_every_s"), "{err}");
    }
}
