//! Enrollment tokens, agent certificates and revocation (issue 10): the part of the store
//! that `enroll token`, `POST /api/v1/enroll` and `agents revoke` use. A separate trait, like
//! [`super::accounts::AccountStore`]; `Store` requires it.

use super::{EnrolledAgent, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An enrollment token as an admin sees it: never the token, which is stored only as SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct EnrollToken {
    pub id: i64,
    /// Kode lokasi of the OPD every agent enrolled with this token belongs to.
    pub opd: String,
    pub uses_allowed: u32,
    pub uses: u32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl EnrollToken {
    /// Why this token cannot enroll an agent at `now`, if it cannot.
    pub fn problem(&self, now: DateTime<Utc>) -> Option<TokenProblem> {
        if self.revoked_at.is_some() {
            Some(TokenProblem::Revoked)
        } else if self.expires_at <= now {
            Some(TokenProblem::Expired)
        } else if self.uses >= self.uses_allowed {
            Some(TokenProblem::UsedUp)
        } else {
            None
        }
    }

    /// `active`, `revoked`, `expired` or `used`, for `enroll token list`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        match self.problem(now) {
            None => "active",
            Some(p) => p.code(),
        }
    }
}

/// Why a token was refused. The code is what the API answers and the agent translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    Unknown,
    Expired,
    UsedUp,
    Revoked,
}

impl TokenProblem {
    pub fn code(self) -> &'static str {
        match self {
            TokenProblem::Unknown => "token_unknown",
            TokenProblem::Expired => "token_expired",
            TokenProblem::UsedUp => "token_used",
            TokenProblem::Revoked => "token_revoked",
        }
    }
}

/// A new token: its hash and limits.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub hash: String,
    pub opd: String,
    pub uses_allowed: u32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An agent's client certificate as recorded at enrollment (for the CRL).
#[derive(Debug, Clone)]
pub struct AgentCert {
    /// Hex of the certificate's serial number.
    pub serial: String,
    pub not_after: DateTime<Utc>,
}

/// An agent as `agents list` shows it, revoked ones included.
#[derive(Debug, Clone, Serialize)]
pub struct AgentRow {
    pub agent_id: String,
    pub opd: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    /// The enrollment token's id, for agents enrolled with one.
    pub token_id: Option<i64>,
    pub cert_serial: Option<String>,
}

#[async_trait]
pub trait EnrollStore: Send + Sync {
    async fn create_enroll_token(&self, token: &NewToken) -> Result<i64>;
    /// Every token, newest first.
    async fn enroll_tokens(&self) -> Result<Vec<EnrollToken>>;
    async fn enroll_token_by_hash(&self, hash: &str) -> Result<Option<EnrollToken>>;
    /// Revoke a token; false if there is none with this id or it was already revoked.
    async fn revoke_enroll_token(&self, id: i64, now: DateTime<Utc>) -> Result<bool>;
    /// In one transaction: check the token (known, not revoked, unexpired, uses left),
    /// count one use, record the agent (its OPD is the token's) and its certificate. Two
    /// enrollments racing for the last use: exactly one is recorded, the other gets
    /// `UsedUp`. An agent id already taken is an error (and nothing is counted).
    async fn enroll_with_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        agent: &EnrolledAgent,
        cert: &AgentCert,
    ) -> Result<std::result::Result<i64, TokenProblem>>;
    /// Every agent, revoked ones too, by id.
    async fn agent_rows(&self) -> Result<Vec<AgentRow>>;
    /// Revoke an agent: its messages are refused from now on. False if unknown or already
    /// revoked (the first revocation is kept).
    async fn revoke_agent(&self, agent_id: &str, reason: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Ids of revoked agents.
    async fn revoked_agents(&self) -> Result<Vec<String>>;
    /// Certificates of revoked agents, for the CRL: serial (hex) and revocation time.
    async fn revoked_certs(&self) -> Result<Vec<crate::pki::crl::Revoked>>;
}
