//! Accounts, sessions, API tokens and the audit log (issue 7): the part of the store the
//! web server's authentication and the `user` / `audit` commands use. A separate trait so
//! the [`super::Store`] trait stays about monitoring data; `Store` requires it.

use super::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a user may do. Admin: everything (Diskominfo). Operator: read and act on the OPDs
/// listed for them, nothing else. Auditor: read everything, change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Operator,
    Auditor,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

/// A user as the API and `user list` show it: never with its password hash.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// Kode lokasi of the OPDs an operator is scoped to; empty for admin and auditor.
    pub opds: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl User {
    /// Whether this user may see data of `opd` (a kode lokasi).
    pub fn sees_opd(&self, opd: &str) -> bool {
        self.role != Role::Operator || self.opds.iter().any(|o| o == opd)
    }
}

/// A user with what a password check needs.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub user: User,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub failed_logins: u32,
}

/// An API token as an admin sees it: never the token itself, which is not stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: i64,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One line of the audit log: who did what to what, when, and how it ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Assigned by the store; 0 when appending.
    #[serde(default)]
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The user name, or the name tried at a failed login (`-` if none).
    pub actor: String,
    /// What was done, e.g. `login`, `flag.ack`, `register.import`, `user.add`.
    pub action: String,
    /// What it was done to: a flag id, an agent id, a file name, a user name.
    pub target: String,
    /// `ok`, `denied`, `failed`, `locked`, or `error`.
    pub outcome: String,
    /// The client address, for web changes.
    pub ip: Option<String>,
    /// Anything else worth keeping (the note, the counts of an import).
    pub detail: Option<serde_json::Value>,
}

impl AuditEntry {
    pub fn new(actor: &str, action: &str, target: &str, outcome: &str) -> AuditEntry {
        AuditEntry {
            id: 0,
            at: Utc::now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: outcome.to_owned(),
            ip: None,
            detail: None,
        }
    }
}

/// Which audit lines to list, newest first.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditFilter {
    pub actor: Option<String>,
    /// Exact action, or a prefix ending in `.` (`flag.`).
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn user_count(&self) -> Result<u64>;
    /// Add a user; refused if the name is taken.
    async fn add_user(
        &self,
        name: &str,
        role: Role,
        opds: &[String],
        password_hash: &str,
    ) -> Result<User>;
    async fn users(&self) -> Result<Vec<User>>;
    async fn login_record(&self, name: &str) -> Result<Option<LoginRecord>>;
    /// Replace the password hash, clear a lockout and end the user's sessions. `false` if
    /// there is no such user.
    async fn set_password(&self, name: &str, password_hash: &str) -> Result<bool>;
    /// Disable (ending sessions; tokens stop working) or enable a user. `false` if unknown.
    async fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool>;
    /// Count a failed password; at `max_failures` consecutive ones, lock until
    /// `now + lock_for`. Returns the lockout end, if locked now.
    async fn login_failed(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        max_failures: u32,
        lock_for: chrono::Duration,
    ) -> Result<Option<DateTime<Utc>>>;
    /// Reset the failure count and record the login.
    async fn login_ok(&self, user_id: i64, now: DateTime<Utc>) -> Result<()>;
    /// Record an API token (its SHA-256) for the user; `None` if there is no such user.
    async fn add_token(&self, name: &str, label: &str, token_hash: &str) -> Result<Option<i64>>;
    /// The user's tokens, oldest first; `None` if there is no such user.
    async fn tokens(&self, name: &str) -> Result<Option<Vec<ApiToken>>>;
    /// Revoke one token of the user. False when the user has no such token or it was
    /// already revoked (the first revocation time is kept).
    async fn revoke_token(&self, name: &str, id: i64, now: DateTime<Utc>) -> Result<bool>;
    /// The enabled user owning this token, if it is valid.
    async fn user_by_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<()>;
    /// The enabled user of an unexpired session, and its CSRF token.
    async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    /// Append one line to the audit log (which cannot be changed afterwards).
    async fn append_audit(&self, entry: AuditEntry) -> Result<()>;
    async fn audit(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>>;
}
