//! `agent.toml`: every option the agent reads. This struct is the documentation; `docs/agent.md`
//! repeats it with examples. Unknown keys are an error, so a typo never silently does nothing.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Identity given at enrollment; also the MQTT client id and the topic segment.
    pub agent_id: String,
    /// File holding the agent's ed25519 signing key (base64, one line). Keep it mode 0600.
    pub key_file: PathBuf,
    /// Where the spool, the `seq` counter and other state live. Must survive reboots.
    pub state_dir: PathBuf,
    /// The register's asset tag written on the machine (nomor register / label BMD), if known.
    #[serde(default)]
    pub asset_tag: Option<String>,
    /// Roles this agent runs: `host`, and `scout` when `[scout]` is enabled (added by itself
    /// then), `poller` when `[snmp]` is enabled (added by itself too; listed without it, the
    /// poller waits for a pushed `snmp` section).
    #[serde(default = "default_roles")]
    pub roles: Vec<String>,
    pub broker: BrokerConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
    #[serde(default)]
    pub inventory: InventoryConfig,
    #[serde(default)]
    pub spool: SpoolConfig,
    #[serde(default)]
    pub health: HealthConfig,
    /// LAN discovery by ARP (the `scout` role); off by default.
    #[serde(default)]
    pub scout: crate::scout::ScoutConfig,
    #[serde(default)]
    pub net: NetConfig,
    /// SNMP polling (the `poller` role): extra targets and defaults; the collector pushes the
    /// registered equipment and its credentials. Off by default.
    #[serde(default)]
    pub snmp: pantau_proto::body::snmp_config::SnmpConfig,
    /// Usage facts (`usage` kind): processes, software, listeners, sessions. On by default.
    #[serde(default)]
    pub usage: crate::usage::UsageConfig,
    /// Root of the filesystem the readers look at. Always `/` in production; tests point it at
    /// a recorded tree.
    #[serde(default = "default_root")]
    pub root: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerConfig {
    /// `mqtt://host:port` or `mqtts://host:port` (TLS).
    pub url: String,
    /// CA certificate (PEM) that signed the broker's certificate; for `mqtts://`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key (PEM) for brokers that require one.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// MQTT keep-alive. The broker declares the agent gone (and publishes its `offline` last
    /// will) after 1.5 times this without traffic, so 30 s shows a dead agent within 45 s.
    #[serde(default = "default_keep_alive")]
    pub keep_alive_s: u64,
    /// Envelopes sent but not yet acknowledged at any moment. Bounds memory during a replay.
    #[serde(default = "default_window")]
    pub max_in_flight: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between samples.
    #[serde(default = "default_interval")]
    pub interval_s: u64,
    /// Samples per message. 2 at 30 s sends one message a minute per host.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// How many of the busiest processes each sample names.
    #[serde(default = "default_top")]
    pub top_processes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryConfig {
    /// Re-read the inventory this often and send it when it changed.
    #[serde(default = "default_check")]
    pub check_interval_s: u64,
    /// Send it anyway at least this often, so the collector sees the host is still what it was.
    #[serde(default = "default_full")]
    pub full_interval_s: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpoolConfig {
    /// Upper bound of the on-disk spool. 64 MiB holds well over a week of a host's messages.
    #[serde(default = "default_spool_bytes")]
    pub max_bytes: u64,
}

/// Physical health evidence (`inventory.health`): where SMART data comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// Directory where the root-run `pantau-smart.timer` leaves one smartctl JSON report per
    /// disk (`sda.json`, `nvme0.json`). This is how an unprivileged agent gets SMART data;
    /// reports older than 3 days are ignored.
    #[serde(default = "default_smart_cache_dir")]
    pub smart_cache_dir: PathBuf,
    /// Run `smartctl` itself when the agent runs as root (at most every 6 hours, 10 s per
    /// disk). The packaged service runs unprivileged, so there the timer's cache is used.
    #[serde(default = "yes")]
    pub smartctl: bool,
}

/// Network health (`net` kind): what one round probes and how often. This is the base; a
/// config the collector pushes (`pantau/v1/{agent_id}/config`) replaces the keys it names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetConfig {
    /// Run network health rounds at all. Only real hosts probe; simulated agents never do.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Seconds between rounds (at least 10).
    #[serde(default = "default_net_interval")]
    pub interval_s: u64,
    /// Echo requests per target per round (1 to 20), 200 ms apart, 1 s timeout each.
    #[serde(default = "default_pings")]
    pub pings: u32,
    /// Probe the default gateway (from the routing table) too.
    #[serde(default = "yes")]
    pub gateway: bool,
    /// Hosts to probe, e.g. the Data Center: `{ name = "dc", host = "10.0.0.1" }`.
    #[serde(default)]
    pub targets: Vec<NetTarget>,
    /// Names to resolve, timed, through the system resolver.
    #[serde(default)]
    pub dns: Vec<String>,
    /// HTTP(S) checks of e-Gov services.
    #[serde(default)]
    pub http: Vec<NetHttpCheck>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetTarget {
    /// Name in the report.
    pub name: String,
    /// IP address or host name.
    pub host: String,
    /// Port for the TCP fallback when ICMP is not allowed (default 443).
    #[serde(default)]
    pub tcp_port: Option<u16>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetHttpCheck {
    /// Name in the report, e.g. `sipd`.
    pub name: String,
    /// `http://` or `https://` URL, fetched with GET.
    pub url: String,
    /// Text the body must contain for the check to pass.
    #[serde(default)]
    pub expect: Option<String>,
    /// Seconds before the check counts as failed (1 to 60, default 10).
    #[serde(default)]
    pub timeout_s: Option<u64>,
}

fn default_net_interval() -> u64 {
    60
}
fn default_pings() -> u32 {
    5
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            enabled: true,
            interval_s: default_net_interval(),
            pings: default_pings(),
            gateway: true,
            targets: Vec::new(),
            dns: Vec::new(),
            http: Vec::new(),
        }
    }
}

impl NetConfig {
    /// The settings in the form the collector pushes them.
    pub fn probe_config(&self) -> pantau_proto::body::config::NetProbeConfig {
        use pantau_proto::body::config::{HttpCheck, NetProbeConfig, ProbeTarget};
        NetProbeConfig {
            interval_s: self.interval_s,
            pings: self.pings,
            gateway: self.gateway,
            targets: self
                .targets
                .iter()
                .map(|t| ProbeTarget {
                    name: t.name.clone(),
                    host: t.host.clone(),
                    tcp_port: t.tcp_port,
                })
                .collect(),
            dns: self.dns.clone(),
            http: self
                .http
                .iter()
                .map(|h| HttpCheck {
                    name: h.name.clone(),
                    url: h.url.clone(),
                    expect: h.expect.clone(),
                    timeout_s: h.timeout_s,
                })
                .collect(),
        }
    }
}

/// Where `install/pantau-smart-scan.sh` writes its reports.
pub const DEFAULT_SMART_CACHE_DIR: &str = "/var/lib/pantau-smart";

fn default_smart_cache_dir() -> PathBuf {
    PathBuf::from(DEFAULT_SMART_CACHE_DIR)
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            smart_cache_dir: default_smart_cache_dir(),
            smartctl: true,
        }
    }
}

impl HealthConfig {
    pub fn options(&self) -> crate::health::HealthOptions {
        crate::health::HealthOptions {
            smart_cache_dir: self.smart_cache_dir.clone(),
            run_smartctl: self.smartctl,
        }
    }
}

fn yes() -> bool {
    true
}
fn default_roles() -> Vec<String> {
    vec!["host".into()]
}
fn default_root() -> PathBuf {
    PathBuf::from("/")
}
fn default_keep_alive() -> u64 {
    30
}
fn default_window() -> usize {
    16
}
fn default_interval() -> u64 {
    30
}
fn default_batch() -> usize {
    2
}
fn default_top() -> usize {
    5
}
fn default_check() -> u64 {
    600
}
fn default_full() -> u64 {
    86_400
}
fn default_spool_bytes() -> u64 {
    64 * 1024 * 1024
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            interval_s: default_interval(),
            batch: default_batch(),
            top_processes: default_top(),
        }
    }
}

impl Default for InventoryConfig {
    fn default() -> Self {
        InventoryConfig {
            check_interval_s: default_check(),
            full_interval_s: default_full(),
        }
    }
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            max_bytes: default_spool_bytes(),
        }
    }
}

impl AgentConfig {
    /// A config for `agent_id` with every default filled in.
    pub fn new(agent_id: &str, key_file: PathBuf, state_dir: PathBuf, broker_url: &str) -> Self {
        AgentConfig {
            agent_id: agent_id.into(),
            key_file,
            state_dir,
            asset_tag: None,
            roles: default_roles(),
            broker: BrokerConfig {
                url: broker_url.into(),
                ca_file: None,
                client_cert_file: None,
                client_key_file: None,
                username: None,
                password: None,
                keep_alive_s: default_keep_alive(),
                max_in_flight: default_window(),
            },
            metrics: MetricsConfig::default(),
            inventory: InventoryConfig::default(),
            spool: SpoolConfig::default(),
            health: HealthConfig::default(),
            scout: crate::scout::ScoutConfig::default(),
            net: NetConfig::default(),
            snmp: Default::default(),
            usage: Default::default(),
            root: default_root(),
        }
    }

    /// Read and check a config file; the error names the file, line and column.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let cfg: AgentConfig = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| line_col(&text, s.start))
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            anyhow::anyhow!("{}{at}: {}", path.display(), e.message())
        })?;
        // Relative paths are relative to the config file, not to wherever the service started.
        let base = path.parent().unwrap_or(Path::new("."));
        let mut cfg = cfg.resolve_paths(base);
        if cfg.scout.enabled && !cfg.roles.iter().any(|r| r == "scout") {
            cfg.roles.push("scout".into());
        }
        if cfg.snmp.enabled && !cfg.roles.iter().any(|r| r == "poller") {
            cfg.roles.push("poller".into());
        }
        cfg.validate()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    fn resolve_paths(mut self, base: &Path) -> Self {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.key_file);
        fix(&mut self.state_dir);
        fix(&mut self.health.smart_cache_dir);
        for p in [
            &mut self.broker.ca_file,
            &mut self.broker.client_cert_file,
            &mut self.broker.client_key_file,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
        self
    }

    pub fn validate(&self) -> Result<(), String> {
        if !pantau_proto::topic::valid_agent_id(&self.agent_id) {
            return Err(format!(
                "agent_id {:?}: use 1-64 letters, digits, '-', '_' or '.'",
                self.agent_id
            ));
        }
        crate::link::BrokerAddr::parse(&self.broker.url).map_err(|e| format!("broker.url: {e}"))?;
        if self.metrics.interval_s == 0 {
            return Err("metrics.interval_s must be at least 1".into());
        }
        if self.metrics.batch == 0 {
            return Err("metrics.batch must be at least 1".into());
        }
        if self.broker.keep_alive_s < 5 {
            return Err("broker.keep_alive_s must be at least 5".into());
        }
        if self.broker.max_in_flight == 0 || self.broker.max_in_flight > 1000 {
            return Err("broker.max_in_flight must be between 1 and 1000".into());
        }
        if self.spool.max_bytes < 64 * 1024 {
            return Err("spool.max_bytes must be at least 64 KiB".into());
        }
        crate::net::pushed::validate(&self.net.probe_config()).map_err(|e| format!("net.{e}"))?;
        for role in &self.roles {
            match role.as_str() {
                "host" => {}
                "scout" if self.scout.enabled => {}
                "scout" => return Err("roles: \"scout\" needs [scout] enabled = true".into()),
                "poller" => {}
                _ => {
                    return Err(format!(
                        "roles: {role:?} is not available in this version (\"host\", \"scout\", \"poller\")"
                    ))
                }
            }
        }
        self.scout.validate()?;
        crate::snmp::pushed::validate(&self.snmp).map_err(|e| format!("snmp.{e}"))?;
        self.usage.validate()?;
        Ok(())
    }

    pub fn metrics_interval(&self) -> Duration {
        Duration::from_secs(self.metrics.interval_s)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config serializes")
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(
            &path,
            "agent_id = \"pc-1\"\nkey_file = \"agent.key\"\nstate_dir = \"state\"\n[broker]\nurl = \"mqtt://127.0.0.1:1883\"\n",
        )
        .unwrap();
        let cfg = AgentConfig::load(&path).unwrap();
        assert_eq!(cfg.key_file, dir.path().join("agent.key"));
        assert_eq!(cfg.metrics.interval_s, 30);
        assert_eq!(cfg.broker.keep_alive_s, 30);
        assert_eq!(
            cfg.health.smart_cache_dir,
            PathBuf::from("/var/lib/pantau-smart")
        );
        assert!(cfg.health.smartctl);
    }

    #[test]
    fn health_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        let base = "agent_id = \"pc-1\"\nkey_file = \"k\"\nstate_dir = \"s\"\n[broker]\nurl = \"mqtt://h:1\"\n";
        std::fs::write(
            &path,
            format!("{base}[health]\nsmart_cache_dir = \"smart\"\nsmartctl = false\n"),
        )
        .unwrap();
        let cfg = AgentConfig::load(&path).unwrap();
        assert_eq!(cfg.health.smart_cache_dir, dir.path().join("smart"));
        assert!(!cfg.health.options().run_smartctl);
        std::fs::write(&path, format!("{base}[health]\nsmartctl_path = \"/x\"\n")).unwrap();
        let err = AgentConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("smartctl_path"), "{err}");
    }

    #[test]
    fn scout_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        let base = "agent_id = \"pc-1\"\nkey_file = \"k\"\nstate_dir = \"s\"\n[broker]\nurl = \"mqtt://h:1\"\n";
        std::fs::write(&path, base).unwrap();
        let cfg = AgentConfig::load(&path).unwrap();
        assert!(!cfg.scout.enabled);
        assert_eq!(cfg.roles, ["host"]);

        std::fs::write(
            &path,
            format!("{base}[scout]\nenabled = true\nrate_per_s = 20\ninterfaces = [\"eth0\"]\n"),
        )
        .unwrap();
        let cfg = AgentConfig::load(&path).unwrap();
        assert_eq!(cfg.roles, ["host", "scout"]);
        assert_eq!(cfg.scout.rate_per_s, 20);
        assert_eq!(cfg.scout.sweep_interval_min, 15);
        assert_eq!(cfg.scout.options().interfaces, ["eth0"]);

        for (bad, key) in [
            ("[scout]\nenabled = true\nmax_prefix = 8\n", "max_prefix"),
            ("[scout]\nenabled = true\nrate_per_s = 0\n", "rate_per_s"),
            ("[scout]\nrate = 5\n", "rate"),
            ("roles = [\"host\", \"scout\"]\n", "scout"),
        ] {
            let text = if bad.starts_with('[') {
                format!("{base}{bad}")
            } else {
                format!("{bad}{base}")
            };
            std::fs::write(&path, text).unwrap();
            let err = AgentConfig::load(&path).unwrap_err().to_string();
            assert!(err.contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn net_section() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        let base = "agent_id = \"pc-1\"\nkey_file = \"k\"\nstate_dir = \"s\"\n[broker]\nurl = \"mqtt://h:1\"\n";
        std::fs::write(&path, base).unwrap();
        let cfg = AgentConfig::load(&path).unwrap();
        assert!(cfg.net.enabled && cfg.net.gateway);
        assert_eq!((cfg.net.interval_s, cfg.net.pings), (60, 5));
        std::fs::write(
            &path,
            format!(
                "{base}[net]\ninterval_s = 30\npings = 3\ndns = [\"sipd.kemendagri.go.id\"]\n\
                 [[net.targets]]\nname = \"dc\"\nhost = \"10.0.0.1\"\ntcp_port = 22\n\
                 [[net.http]]\nname = \"web\"\nurl = \"https://kota.go.id/\"\nexpect = \"Beranda\"\n"
            ),
        )
        .unwrap();
        let p = AgentConfig::load(&path).unwrap().net.probe_config();
        assert_eq!((p.interval_s, p.pings), (30, 3));
        assert_eq!(p.targets[0].tcp_port, Some(22));
        assert_eq!(p.http[0].expect.as_deref(), Some("Beranda"));
        for bad in [
            "[net]\ninterval_s = 5\n",
            "[net]\npings = 0\n",
            "[[net.targets]]\nname = \"x\"\nhost = \"y\"\nport = 1\n",
        ] {
            std::fs::write(&path, format!("{base}{bad}")).unwrap();
            assert!(AgentConfig::load(&path).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        std::fs::write(
            &path,
            "agent_id = \"pc-1\"\nkey_file = \"k\"\nstate_dir = \"s\"\n[broker]\nurl = \"mqtt://h:1\"\nkeep_alive = 3\n",
        )
        .unwrap();
        let err = AgentConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("agent.toml:6:1"), "{err}");
        assert!(err.contains("keep_alive"), "{err}");

        std::fs::write(
            &path,
            "agent_id = \"pc/1\"\nkey_file = \"k\"\nstate_dir = \"s\"\n[broker]\nurl = \"mqtt://h:1\"\n",
        )
        .unwrap();
        let err = AgentConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("agent_id"), "{err}");
    }
}
