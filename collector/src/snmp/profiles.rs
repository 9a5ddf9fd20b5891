//! SNMP credential profiles: `[snmp.profiles.NAME]` in collector.toml. Targets (in an agent
//! layer or from the equipment mapping) name a profile instead of carrying credentials; the
//! config publisher puts the profile's credentials into the one poller's config when it
//! publishes, so secrets sit in one place on the collector and never in the database, the
//! API or the audit log. Each secret is given inline, or (better) as `*_env` (an environment
//! variable) or `*_file` (a file whose content, trailing newline removed, is the secret).

use pantau_proto::body::snmp_config::{Secret, SnmpCredentials, SnmpTarget};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One `[snmp.profiles.NAME]` table as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// `v2c` or `v3` (USM authPriv).
    pub version: String,
    #[serde(default)]
    pub community: Option<Secret>,
    #[serde(default)]
    pub community_env: Option<String>,
    #[serde(default)]
    pub community_file: Option<PathBuf>,
    #[serde(default)]
    pub user: Option<String>,
    /// `sha` (default), `sha256`, `sha512`.
    #[serde(default)]
    pub auth_protocol: Option<String>,
    #[serde(default)]
    pub auth_password: Option<Secret>,
    #[serde(default)]
    pub auth_password_env: Option<String>,
    #[serde(default)]
    pub auth_password_file: Option<PathBuf>,
    /// `aes` (default), `aes192`, `aes256`.
    #[serde(default)]
    pub priv_protocol: Option<String>,
    #[serde(default)]
    pub priv_password: Option<Secret>,
    #[serde(default)]
    pub priv_password_env: Option<String>,
    #[serde(default)]
    pub priv_password_file: Option<PathBuf>,
}

/// Resolved profiles: name → credentials. `Debug` shows names only (credentials print as
/// `***` anyway).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profiles(BTreeMap<String, SnmpCredentials>);

/// One secret from exactly one of its three sources. Errors name the key, the variable or
/// the file, never a value.
fn secret(
    at: &str,
    key: &str,
    inline: &Option<Secret>,
    env: &Option<String>,
    file: &Option<PathBuf>,
    env_of: &dyn Fn(&str) -> Option<String>,
    base: &Path,
) -> Result<Secret, String> {
    let value = match (inline, env, file) {
        (Some(s), None, None) => s.expose().to_string(),
        (None, Some(v), None) => env_of(v)
            .ok_or_else(|| format!("{at}.{key}_env: the environment variable {v} is not set"))?,
        (None, None, Some(f)) => {
            let f = if f.is_relative() {
                base.join(f)
            } else {
                f.clone()
            };
            std::fs::read_to_string(&f)
                .map_err(|e| format!("{at}.{key}_file: cannot read {}: {e}", f.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string()
        }
        (None, None, None) => return Err(format!("{at}: give {key}, {key}_env or {key}_file")),
        _ => {
            return Err(format!(
                "{at}: give only one of {key}, {key}_env, {key}_file"
            ))
        }
    };
    if value.is_empty() {
        return Err(format!("{at}.{key}: empty"));
    }
    Ok(Secret(value))
}

impl Profiles {
    /// Resolve every profile; the first bad one is an error naming `snmp.profiles.NAME.key`.
    /// Relative `*_file` paths are relative to `base` (the config file's folder).
    pub fn resolve(
        raw: &BTreeMap<String, ProfileConfig>,
        env_of: &dyn Fn(&str) -> Option<String>,
        base: &Path,
    ) -> Result<Profiles, String> {
        let mut out = BTreeMap::new();
        for (name, p) in raw {
            let at = format!("snmp.profiles.{name}");
            if name.trim().is_empty() || name.contains(char::is_whitespace) {
                return Err(format!("{at}: a profile name is one word"));
            }
            let sec = |key: &str, i: &Option<Secret>, e: &Option<String>, f: &Option<PathBuf>| {
                secret(&at, key, i, e, f, env_of, base)
            };
            let creds = match p.version.as_str() {
                "v2c" => {
                    if p.user.is_some() || p.auth_password.is_some() || p.priv_password.is_some() {
                        return Err(format!("{at}: a v2c profile has a community only"));
                    }
                    SnmpCredentials::V2c {
                        community: sec(
                            "community",
                            &p.community,
                            &p.community_env,
                            &p.community_file,
                        )?,
                    }
                }
                "v3" => {
                    let user = p
                        .user
                        .clone()
                        .filter(|u| !u.trim().is_empty())
                        .ok_or_else(|| format!("{at}.user: a v3 profile needs a user"))?;
                    let auth_protocol = p.auth_protocol.clone().unwrap_or_else(|| "sha".into());
                    if !["sha", "sha256", "sha512"].contains(&auth_protocol.as_str()) {
                        return Err(format!(
                            "{at}.auth_protocol: {auth_protocol:?} is not sha, sha256 or sha512"
                        ));
                    }
                    let priv_protocol = p.priv_protocol.clone().unwrap_or_else(|| "aes".into());
                    if !["aes", "aes192", "aes256"].contains(&priv_protocol.as_str()) {
                        return Err(format!(
                            "{at}.priv_protocol: {priv_protocol:?} is not aes, aes192 or aes256"
                        ));
                    }
                    SnmpCredentials::V3 {
                        user,
                        auth_protocol,
                        auth_password: sec(
                            "auth_password",
                            &p.auth_password,
                            &p.auth_password_env,
                            &p.auth_password_file,
                        )?,
                        priv_protocol,
                        priv_password: sec(
                            "priv_password",
                            &p.priv_password,
                            &p.priv_password_env,
                            &p.priv_password_file,
                        )?,
                    }
                }
                v => return Err(format!("{at}.version: {v:?} is not v2c or v3")),
            };
            out.insert(name.clone(), creds);
        }
        Ok(Profiles(out))
    }

    pub fn names(&self) -> BTreeSet<String> {
        self.0.keys().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<&SnmpCredentials> {
        self.0.get(name)
    }

    /// Put each target's profile credentials in place (the config about to be published).
    /// A target whose profile is gone (collector.toml changed after it was set) is dropped
    /// with an error in the log: the poller would refuse the whole config for it.
    pub fn fill(&self, agent: &str, snmp: &mut Option<pantau_proto::body::snmp_config::SnmpPatch>) {
        let Some(targets) = snmp.as_mut().and_then(|s| s.targets.as_mut()) else {
            return;
        };
        targets.retain_mut(|t: &mut SnmpTarget| {
            let Some(p) = t.profile.take() else {
                return true;
            };
            match self.get(&p) {
                Some(c) => {
                    t.credentials = c.clone();
                    true
                }
                None => {
                    tracing::error!(
                        agent,
                        target = t.name,
                        profile = p,
                        "SNMP target dropped: no such profile in [snmp.profiles]"
                    );
                    false
                }
            }
        });
    }
}

/// The first target naming a profile that is not in `known`, as a
/// `snmp.targets[N].profile` error.
pub fn check_targets(targets: &[SnmpTarget], known: &BTreeSet<String>) -> Result<(), String> {
    for (n, t) in targets.iter().enumerate() {
        if let Some(p) = &t.profile {
            if !known.contains(p) {
                return Err(unknown(&format!("snmp.targets[{n}].profile"), p, known));
            }
        }
    }
    Ok(())
}

/// Every stored reference to a profile not in `known`: equipment rows and SNMP targets of
/// agent layers, each as `where: profile "NAME"`.
pub async fn dangling(
    store: &dyn crate::store::Store,
    known: &BTreeSet<String>,
) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for e in store.snmp_equipment().await? {
        let e = e.equipment;
        if !known.contains(&e.profile) {
            out.push(format!(
                "snmp equipment {:?} (poller {}): profile {:?}",
                e.asset_key, e.agent_id, e.profile
            ));
        }
    }
    for l in store.config_layers().await? {
        let Some(serde_json::Value::Array(ts)) = l.layer.pointer("/snmp/targets") else {
            continue;
        };
        for (n, t) in ts.iter().enumerate() {
            if let Some(p) = t.get("profile").and_then(|p| p.as_str()) {
                if !known.contains(p) {
                    out.push(format!(
                        "agent-config {}/{} snmp.targets[{n}].profile: profile {p:?}",
                        l.scope.name(),
                        l.key
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// The message for a profile name that is not defined.
pub fn unknown(field: &str, name: &str, known: &BTreeSet<String>) -> String {
    let list = if known.is_empty() {
        "none are defined".to_string()
    } else {
        format!(
            "defined: {}",
            known.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    format!("{field}: no SNMP profile {name:?} in collector.toml [snmp.profiles] ({list})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(toml_text: &str, env: &[(&str, &str)]) -> Result<Profiles, String> {
        let raw: BTreeMap<String, ProfileConfig> = toml::from_str(toml_text).unwrap();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Profiles::resolve(&raw, &|k| env.get(k).cloned(), Path::new("/nonexistent"))
    }

    #[test]
    fn secrets_come_inline_from_env_or_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("priv");
        std::fs::write(&file, "privpass-from-file\n").unwrap();
        let text = format!(
            "[kantor]\nversion = \"v2c\"\ncommunity = \"publik-kantor\"\n\
             [aman]\nversion = \"v3\"\nuser = \"pantau\"\nauth_protocol = \"sha256\"\n\
             auth_password_env = \"AUTH_VAR\"\npriv_password_file = {:?}\n",
            file.display().to_string()
        );
        let p = load(&text, &[("AUTH_VAR", "authpass-from-env")]).unwrap();
        assert_eq!(
            p.names().into_iter().collect::<Vec<_>>(),
            ["aman", "kantor"]
        );
        match p.get("aman").unwrap() {
            SnmpCredentials::V3 {
                user,
                auth_protocol,
                auth_password,
                priv_password,
                ..
            } => {
                assert_eq!(
                    (user.as_str(), auth_protocol.as_str()),
                    ("pantau", "sha256")
                );
                assert_eq!(auth_password.expose(), "authpass-from-env");
                assert_eq!(priv_password.expose(), "privpass-from-file");
            }
            c => panic!("{c:?}"),
        }
        assert!(!format!("{p:?}").contains("publik-kantor"));
    }

    #[test]
    fn bad_profiles_are_refused_naming_the_key_never_the_value() {
        for (text, want) in [
            ("[a]\nversion = \"v1\"\ncommunity = \"x\"", "snmp.profiles.a.version"),
            ("[a]\nversion = \"v2c\"", "give community, community_env or community_file"),
            (
                "[a]\nversion = \"v2c\"\ncommunity = \"rahasia-1\"\ncommunity_env = \"X\"",
                "give only one of community",
            ),
            ("[a]\nversion = \"v2c\"\ncommunity_env = \"MISSING\"", "MISSING is not set"),
            (
                "[a]\nversion = \"v3\"\nauth_password = \"rahasia-1\"\npriv_password = \"p\"",
                "snmp.profiles.a.user",
            ),
            (
                "[a]\nversion = \"v3\"\nuser = \"u\"\nauth_password = \"rahasia-1\"\npriv_password = \"p\"\npriv_protocol = \"des\"",
                "snmp.profiles.a.priv_protocol",
            ),
            (
                "[a]\nversion = \"v3\"\nuser = \"u\"\nauth_password = \"rahasia-1\"\npriv_password_file = \"nope\"",
                "snmp.profiles.a.priv_password_file",
            ),
        ] {
            let e = load(text, &[]).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
            assert!(!e.contains("rahasia-1"), "{e}");
        }
    }

    #[test]
    fn fill_puts_credentials_in_and_drops_unknown_profiles() {
        let p = load(
            "[kantor]\nversion = \"v2c\"\ncommunity = \"publik-kantor\"",
            &[],
        )
        .unwrap();
        let t = |name: &str, profile: Option<&str>| SnmpTarget {
            name: name.into(),
            host: "10.0.0.2".into(),
            profile: profile.map(Into::into),
            ..SnmpTarget::default()
        };
        let mut snmp = Some(pantau_proto::body::snmp_config::SnmpPatch {
            targets: Some(vec![
                t("sw1", Some("kantor")),
                t("sw2", Some("hilang")),
                t("sw3", None),
            ]),
            ..Default::default()
        });
        p.fill("poller-1", &mut snmp);
        let ts = snmp.unwrap().targets.unwrap();
        assert_eq!(
            ts.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["sw1", "sw3"]
        );
        assert_eq!(ts[0].profile, None);
        assert_eq!(
            ts[0].credentials,
            SnmpCredentials::V2c {
                community: Secret("publik-kantor".into())
            }
        );
        let known = p.names();
        assert!(check_targets(&[t("x", Some("kantor"))], &known).is_ok());
        let e = check_targets(&[t("x", None), t("y", Some("hilang"))], &known).unwrap_err();
        assert!(
            e.starts_with("snmp.targets[1].profile: no SNMP profile \"hilang\""),
            "{e}"
        );
        assert!(e.contains("defined: kantor"), "{e}");
    }
}
