//! `collector.toml`. The struct is the documentation; `docs/collector.md` has examples.

use crate::reconcile::condition::ConditionConfig;
use crate::reconcile::RuleConfig;
use crate::store::Retention;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorConfig {
    /// Where the database and generated files live. SQLite is `data_dir/pantau.db`.
    pub data_dir: PathBuf,
    pub mqtt: MqttConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub retention: Retention,
    /// Seconds between rollup and retention runs.
    #[serde(default = "default_maintain")]
    pub maintain_interval_s: u64,
    /// Matching rules and what counts as silent (docs/reconciliation.md).
    #[serde(default)]
    pub reconcile: RuleConfig,
    /// Thresholds behind the suggested condition (docs/reconciliation.md).
    #[serde(default)]
    pub condition: ConditionConfig,
    /// Seconds between reconciliation runs (also run after every import through the API).
    #[serde(default = "default_reconcile")]
    pub reconcile_interval_s: u64,
    /// Network flags: thresholds, windows, allow-listed MACs (docs/network.md).
    #[serde(default)]
    pub network: crate::network::NetworkConfig,
    /// Logins, lockout, sessions, `/metrics` access (docs/security.md).
    #[serde(default)]
    pub auth: crate::auth::AuthConfig,
    /// SNMP flags: thresholds (docs/snmp.md).
    #[serde(default)]
    pub snmp: crate::snmp::SnmpJudgeConfig,
    /// `snmp.profiles` with every secret read (from the file, the environment or a file),
    /// filled by [`CollectorConfig::load`]: a profile that cannot be resolved stops the load.
    #[serde(skip)]
    pub snmp_profiles: crate::snmp::profiles::Profiles,
    /// Seconds between runs of the usage policy (docs/policy.md); the policy itself is
    /// applied with `pantau-collector policy apply`, not configured here.
    #[serde(default = "default_policy_interval")]
    pub policy_interval_s: u64,
    /// Periodic condition reports: city, time zone, thresholds, schedule (docs/reports.md).
    #[serde(default)]
    pub reports: crate::report::config::ReportConfig,
    /// Token enrollment (`POST /api/v1/enroll`) and revocation: the PKI that signs agent
    /// certificates and the broker agents are sent to (docs/security.md). Without it, the
    /// route answers 404 (`not_configured`) and `agents revoke` cannot rewrite the CRL.
    #[serde(default)]
    pub enroll: Option<EnrollConfig>,
    /// Per-agent message rate limit (docs/operations.md).
    #[serde(default)]
    pub ingest: crate::ingest_limit::IngestLimits,
    /// Which database: SQLite in `data_dir` (the default) or PostgreSQL (docs/collector.md).
    #[serde(default)]
    pub database: DatabaseConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollConfig {
    /// The PKI folder of `pantau-collector pki init` (relative to this file): its CA signs
    /// agent certificates, and its `crl.pem` is rewritten on `agents revoke`.
    pub pki_dir: PathBuf,
    /// What enrolled agents connect to, e.g. `mqtts://mqtt.kota.go.id:8883`.
    pub broker_url: String,
    /// Validity of agent certificates, in days.
    #[serde(default = "default_cert_days")]
    pub cert_days: i64,
    /// Also answer enrollment over plain HTTP. Only for a test or a demo on one machine: the
    /// token and the answer would cross the network in clear text.
    #[serde(default)]
    pub allow_plain_http: bool,
    /// Enrollment attempts per minute from one address (like `[auth] login_per_minute_ip`).
    #[serde(default = "default_enroll_per_minute")]
    pub per_minute_ip: u32,
}

fn default_cert_days() -> i64 {
    825
}
fn default_enroll_per_minute() -> u32 {
    20
}

/// `[database]`: without `url`, SQLite at `data_dir/pantau.db`. With
/// `url = "postgres://user@host:port/db"`, PostgreSQL; the password inline in the URL, or
/// (better) from `password_env` (an environment variable) or `password_file` (a file whose
/// content, trailing newline removed, is the password), like the SNMP profiles' secrets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The password from `password_env` or `password_file`, filled by
    /// [`CollectorConfig::load`]; never serialized.
    #[serde(skip)]
    pub password: Option<String>,
}

impl DatabaseConfig {
    /// Check the section and read the password from its source; errors name the key.
    fn resolve(
        &mut self,
        env_of: &dyn Fn(&str) -> Option<String>,
        base: &Path,
    ) -> Result<(), String> {
        let Some(url) = &self.url else {
            if self.password_env.is_some() || self.password_file.is_some() {
                return Err("database: password_env / password_file need database.url".into());
            }
            return Ok(());
        };
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(format!(
                "database.url: {:?} is not a postgres:// URL (leave it out for SQLite in data_dir)",
                crate::store::postgres::redacted(url)
            ));
        }
        self.password = match (&self.password_env, &self.password_file) {
            (None, None) => None,
            (Some(v), None) => Some(env_of(v).ok_or_else(|| {
                format!("database.password_env: the environment variable {v} is not set")
            })?),
            (None, Some(f)) => {
                let f = if f.is_relative() {
                    base.join(f)
                } else {
                    f.clone()
                };
                Some(
                    std::fs::read_to_string(&f)
                        .map_err(|e| {
                            format!("database.password_file: cannot read {}: {e}", f.display())
                        })?
                        .trim_end_matches(['\r', '\n'])
                        .to_string(),
                )
            }
            (Some(_), Some(_)) => {
                return Err("database: give only one of password_env, password_file".into())
            }
        };
        if self.password.as_deref() == Some("") {
            return Err("database: the password is empty".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    /// `mqtt://host:port` or `mqtts://host:port`.
    pub url: String,
    /// Client id of the collector's persistent session. Keep it stable: the broker holds
    /// messages for this id while the collector is down.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// Several collectors consuming one stream: each subscribes as
    /// `$share/{shared_group}/pantau/v1/+/+`, and the broker hands every message to one
    /// member of the group. Every collector of the group needs its own `client_id`
    /// (docs/scale.md). Unset: one collector receives everything.
    #[serde(default)]
    pub shared_group: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// CA (PEM) for `mqtts://`.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Address of the API, dashboard and `/metrics`.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// PEM certificate chain for HTTPS (server certificate first). With `tls_key`, the API
    /// and dashboard are served over HTTPS only and the session cookie is always `Secure`.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `tls_cert`.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: default_listen(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

fn default_maintain() -> u64 {
    60
}
fn default_reconcile() -> u64 {
    300
}
fn default_policy_interval() -> u64 {
    300
}
fn default_client_id() -> String {
    "pantau-collector".into()
}
fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

/// A share name as MQTT 5 (4.8.2) and Mosquitto accept it: not empty, none of `/ + #`.
fn check_share_name(g: &str) -> Result<(), String> {
    if g.is_empty() {
        return Err("is empty; give a name, or remove the key for a single collector".into());
    }
    if let Some(c) = g
        .chars()
        .find(|c| matches!(c, '/' | '+' | '#') || c.is_control())
    {
        return Err(format!(
            "{g:?} contains {c:?}; a share name cannot contain '/', '+', '#' or control characters"
        ));
    }
    Ok(())
}

impl CollectorConfig {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let mut cfg: CollectorConfig = toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| pantau_agent::config::line_col(&text, s.start))
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            anyhow::anyhow!("{}{at}: {}", path.display(), e.message())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        if cfg.data_dir.is_relative() {
            cfg.data_dir = base.join(&cfg.data_dir);
        }
        pantau_agent::link::BrokerAddr::parse(&cfg.mqtt.url)
            .map_err(|e| anyhow::anyhow!("{}: mqtt.url: {e}", path.display()))?;
        if let Some(g) = &cfg.mqtt.shared_group {
            check_share_name(g)
                .map_err(|e| anyhow::anyhow!("{}: mqtt.shared_group: {e}", path.display()))?;
        }
        match (&mut cfg.http.tls_cert, &mut cfg.http.tls_key) {
            (Some(cert), Some(key)) => {
                for p in [cert, key] {
                    if p.is_relative() {
                        *p = base.join(&*p);
                    }
                }
            }
            (None, None) => {}
            _ => anyhow::bail!(
                "{}: http.tls_cert and http.tls_key go together: give both for HTTPS, or neither",
                path.display()
            ),
        }
        if let Some(e) = &mut cfg.enroll {
            if e.pki_dir.is_relative() {
                e.pki_dir = base.join(&e.pki_dir);
            }
            let addr = pantau_agent::link::BrokerAddr::parse(&e.broker_url)
                .map_err(|err| anyhow::anyhow!("{}: enroll.broker_url: {err}", path.display()))?;
            if !addr.tls {
                anyhow::bail!(
                    "{}: enroll.broker_url must be mqtts:// (enrolled agents authenticate with their certificate)",
                    path.display()
                );
            }
        }
        cfg.snmp_profiles = crate::snmp::profiles::Profiles::resolve(
            &cfg.snmp.profiles,
            &|v| std::env::var(v).ok(),
            base,
        )
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        cfg.database
            .resolve(&|v| std::env::var(v).ok(), base)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(cfg)
    }

    pub fn reconcile_settings(&self) -> crate::reconciler::Settings {
        crate::reconciler::Settings {
            rules: self.reconcile.clone(),
            condition: self.condition.clone(),
        }
    }

    /// The topic filter ingest subscribes to: every agent's messages, through the shared
    /// group when one is set.
    pub fn ingest_filter(&self) -> String {
        match &self.mqtt.shared_group {
            Some(g) => format!("$share/{g}/{}", pantau_proto::topic::ALL_AGENTS),
            None => pantau_proto::topic::ALL_AGENTS.to_owned(),
        }
    }

    /// The SQLite file, when no PostgreSQL is configured.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("pantau.db")
    }

    /// What the logs say the database is: the SQLite file or the URL without password.
    pub fn database_label(&self) -> String {
        match &self.database.url {
            Some(url) => crate::store::postgres::redacted(url),
            None => self.database().display().to_string(),
        }
    }

    /// The agent-side view of the same broker settings, to reuse its TLS setup.
    pub fn broker(&self) -> pantau_agent::config::BrokerConfig {
        pantau_agent::config::BrokerConfig {
            url: self.mqtt.url.clone(),
            ca_file: self.mqtt.ca_file.clone(),
            client_cert_file: self.mqtt.client_cert_file.clone(),
            client_key_file: self.mqtt.client_key_file.clone(),
            username: self.mqtt.username.clone(),
            password: self.mqtt.password.clone(),
            keep_alive_s: 30,
            max_in_flight: 100,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped example must load, and spell out the defaults it claims to show.
    #[test]
    fn the_installed_example_loads_with_the_documented_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../install/collector.toml");
        let cfg = CollectorConfig::load(&path).unwrap();
        assert_eq!(cfg.reconcile, RuleConfig::default());
        assert_eq!(cfg.condition, ConditionConfig::default());
        assert_eq!(cfg.reconcile_interval_s, default_reconcile());
        assert_eq!(cfg.network, crate::network::NetworkConfig::default());
        assert_eq!(cfg.auth, crate::auth::AuthConfig::default());
    }

    #[test]
    fn the_database_section_is_checked_and_its_password_read_from_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collector.toml");
        let load = |db: &str| {
            std::fs::write(
                &path,
                format!(
                    "data_dir = \"d\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n[database]\n{db}"
                ),
            )
            .unwrap();
            CollectorConfig::load(&path)
        };
        // SQLite when the section is empty; PostgreSQL with a URL.
        assert!(load("").unwrap().database.url.is_none());
        std::fs::write(dir.path().join("pw"), "rahasia\n").unwrap();
        let cfg = load("url = \"postgres://pantau@db/pantau\"\npassword_file = \"pw\"\n").unwrap();
        assert_eq!(cfg.database.password.as_deref(), Some("rahasia"));
        assert_eq!(cfg.database_label(), "postgres://pantau@db/pantau");
        let e = load("url = \"postgres://u:secret@db/p\"\nport = 5\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("collector.toml:6:1: unknown field `port`"),
            "{e}"
        );
        let e = load("url = \"mysql://u:secret@db/p\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("database.url") && !e.contains("secret"), "{e}");
        let e = load("url = \"postgres://u@db/p\"\npassword_env = \"PANTAU_TEST_NO_SUCH_VAR\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("database.password_env") && e.contains("PANTAU_TEST_NO_SUCH_VAR"),
            "{e}"
        );
        let e = load("password_file = \"pw\"\n").unwrap_err().to_string();
        assert!(e.contains("need database.url"), "{e}");
    }

    #[test]
    fn an_unknown_rule_is_refused_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collector.toml");
        std::fs::write(
            &path,
            "data_dir = \"d\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n\
             [reconcile]\nrules = [\"serial\", \"mac_address\"]\n",
        )
        .unwrap();
        let e = CollectorConfig::load(&path).unwrap_err().to_string();
        assert!(e.contains("collector.toml:5:"), "{e}");
        assert!(e.contains("mac_address"), "{e}");
    }

    fn load_mqtt(extra: &str) -> anyhow::Result<CollectorConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collector.toml");
        std::fs::write(
            &path,
            format!("data_dir = \"d\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n{extra}"),
        )
        .unwrap();
        CollectorConfig::load(&path)
    }

    #[test]
    fn a_shared_group_subscribes_through_share() {
        let one = load_mqtt("").unwrap();
        assert_eq!(one.ingest_filter(), "pantau/v1/+/+");
        let shared = load_mqtt("shared_group = \"ingest\"\n").unwrap();
        assert_eq!(shared.ingest_filter(), "$share/ingest/pantau/v1/+/+");
    }

    #[test]
    fn a_bad_share_name_is_refused_with_the_key() {
        for bad in ["", "a/b", "a+", "#"] {
            let e = load_mqtt(&format!("shared_group = {bad:?}\n"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("mqtt.shared_group"), "{bad:?}: {e}");
        }
    }
}
