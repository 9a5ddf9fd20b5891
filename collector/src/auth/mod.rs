//! Accounts and access (issue 7): the `[auth]` settings, password hashing (argon2id),
//! random secrets (session ids, CSRF and API tokens), and the one password check that both
//! `POST /login` and HTTP Basic go through, so rate limits and lockout cannot be bypassed
//! by choosing the other door.

pub mod secret;

use crate::store::accounts::{AuditEntry, User};
use crate::store::Store;
use chrono::{DateTime, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

/// `[auth]` in collector.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Consecutive wrong passwords that lock an account.
    pub max_failures: u32,
    /// How long a lockout lasts.
    pub lockout_minutes: u32,
    /// Password attempts (login form, JSON login, HTTP Basic) per minute from one address.
    pub login_per_minute_ip: u32,
    /// Password attempts per minute for one user name, from anywhere.
    pub login_per_minute_user: u32,
    /// Lifetime of a session cookie.
    pub session_hours: u32,
    /// Serve `/metrics` without credentials (Prometheus scrapes); `false` requires a
    /// Bearer token or Basic credentials like the API.
    pub metrics_public: bool,
    /// Always mark the session cookie `Secure`. It is also marked when the request came
    /// through a TLS-terminating proxy (`X-Forwarded-Proto: https`).
    pub secure_cookie: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            max_failures: 5,
            lockout_minutes: 15,
            login_per_minute_ip: 20,
            login_per_minute_user: 10,
            session_hours: 12,
            metrics_public: true,
            secure_cookie: false,
        }
    }
}

/// Why a password check failed; the web layer turns it into a status and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Unknown user, disabled user or wrong password: one answer for all three.
    BadCredentials,
    Locked(DateTime<Utc>),
    RateLimited,
}

/// The server's authentication state: settings, rate limiters and a cache of verified
/// Basic credentials.
pub struct Auth {
    pub config: AuthConfig,
    per_ip: DefaultKeyedRateLimiter<String>,
    per_user: DefaultKeyedRateLimiter<String>,
    /// SHA-256 of `name:password` -> the password hash it was verified against. Basic
    /// clients send the password with every request; argon2id on each would cost tens of
    /// milliseconds of CPU. A changed password changes the stored hash, so the cache can
    /// never accept an old password.
    verified: Mutex<HashMap<String, String>>,
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new(AuthConfig::default())
    }
}

fn quota(per_minute: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(per_minute.max(1)).expect("at least 1"))
}

impl Auth {
    pub fn new(config: AuthConfig) -> Auth {
        Auth {
            per_ip: RateLimiter::keyed(quota(config.login_per_minute_ip)),
            per_user: RateLimiter::keyed(quota(config.login_per_minute_user)),
            config,
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Check a name and password: rate limits, lockout, argon2id, failure counting. Every
    /// outcome is appended to the audit log as `login` (`via` says which door).
    pub async fn check_password(
        &self,
        store: &dyn Store,
        name: &str,
        password: &str,
        ip: Option<&str>,
        via: &str,
    ) -> anyhow::Result<Result<User, Denied>> {
        let now = Utc::now();
        let record = store.login_record(name).await?;
        let cache_key = secret::sha256_hex(format!("{name}:{password}").as_bytes());
        if let Some(r) = &record {
            let cached = self
                .verified
                .lock()
                .expect("cache lock")
                .get(&cache_key)
                .cloned();
            let usable =
                r.user.disabled_at.is_none() && r.user.locked_until.is_none_or(|t| t <= now);
            if usable && cached.as_deref() == Some(r.password_hash.as_str()) {
                return Ok(Ok(r.user.clone()));
            }
        }
        let audit = |outcome: &str, detail: serde_json::Value| {
            let mut e = AuditEntry::new(name, "login", name, outcome);
            e.ip = ip.map(str::to_owned);
            let mut d = serde_json::json!({ "via": via });
            if let (Some(d), serde_json::Value::Object(more)) = (d.as_object_mut(), detail) {
                d.extend(more);
            }
            e.detail = Some(d);
            e
        };
        // Keys of addresses and names tried long ago go, so sprayed random names cannot
        // grow the limiters without bound.
        for limiter in [&self.per_ip, &self.per_user] {
            if limiter.len() > 10_000 {
                limiter.retain_recent();
            }
        }
        let ip_ok = ip.is_none_or(|ip| self.per_ip.check_key(&ip.to_owned()).is_ok());
        if !ip_ok || self.per_user.check_key(&name.to_owned()).is_err() {
            store
                .append_audit(audit("rate_limited", serde_json::json!({})))
                .await?;
            return Ok(Err(Denied::RateLimited));
        }
        let Some(record) = record else {
            // Spend the same time as for a real user, so timing does not tell names apart.
            let _ = secret::verify_password(password.to_owned(), secret::dummy_hash()).await;
            store
                .append_audit(audit("failed", serde_json::json!({})))
                .await?;
            return Ok(Err(Denied::BadCredentials));
        };
        if let Some(until) = record.user.locked_until.filter(|t| *t > now) {
            store
                .append_audit(audit("locked", serde_json::json!({ "until": until })))
                .await?;
            return Ok(Err(Denied::Locked(until)));
        }
        let good = secret::verify_password(password.to_owned(), record.password_hash.clone()).await;
        if !good || record.user.disabled_at.is_some() {
            let locked = if good {
                None
            } else {
                store
                    .login_failed(
                        record.user.id,
                        now,
                        self.config.max_failures,
                        chrono::Duration::minutes(self.config.lockout_minutes as i64),
                    )
                    .await?
            };
            let detail = match locked {
                Some(until) => serde_json::json!({ "locked_until": until }),
                None => serde_json::json!({}),
            };
            store.append_audit(audit("failed", detail)).await?;
            return Ok(Err(Denied::BadCredentials));
        }
        store.login_ok(record.user.id, now).await?;
        self.verified
            .lock()
            .expect("cache lock")
            .insert(cache_key, record.password_hash.clone());
        // A Basic client is audited once per verification, not per request.
        store
            .append_audit(audit("ok", serde_json::json!({})))
            .await?;
        Ok(Ok(record.user))
    }
}
