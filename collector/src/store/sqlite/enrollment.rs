//! Enrollment tokens, agent certificates and revocation in SQLite (the issue 10 migration).

use super::accounts::ts;
use crate::pki::crl::Revoked;
use crate::store::enrollment::*;
use crate::store::EnrolledAgent;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn opt_time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.map(|s| time(&s))
}

const TOKEN_COLUMNS: &str =
    "id, opd, uses_allowed, uses, created_at, created_by, expires_at, revoked_at";

fn token_of(r: &Row) -> rusqlite::Result<EnrollToken> {
    Ok(EnrollToken {
        id: r.get(0)?,
        opd: r.get(1)?,
        uses_allowed: r.get(2)?,
        uses: r.get(3)?,
        created_at: time(&r.get::<_, String>(4)?),
        created_by: r.get(5)?,
        expires_at: time(&r.get::<_, String>(6)?),
        revoked_at: opt_time(r.get(7)?),
    })
}

fn create_token(c: &mut Connection, t: &NewToken) -> anyhow::Result<i64> {
    c.execute(
        "INSERT INTO enroll_tokens (hash, opd, uses_allowed, created_at, created_by, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            t.hash,
            t.opd,
            t.uses_allowed,
            ts(t.created_at),
            t.created_by,
            ts(t.expires_at)
        ],
    )?;
    Ok(c.last_insert_rowid())
}

fn tokens(c: &Connection) -> anyhow::Result<Vec<EnrollToken>> {
    let mut st = c.prepare(&format!(
        "SELECT {TOKEN_COLUMNS} FROM enroll_tokens ORDER BY id DESC"
    ))?;
    let rows = st.query_map([], token_of)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn token_by_hash(c: &Connection, hash: &str) -> anyhow::Result<Option<EnrollToken>> {
    Ok(c.query_row(
        &format!("SELECT {TOKEN_COLUMNS} FROM enroll_tokens WHERE hash = ?1"),
        [hash],
        token_of,
    )
    .optional()?)
}

fn revoke_token(c: &mut Connection, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let n = c.execute(
        "UPDATE enroll_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, ts(now)],
    )?;
    Ok(n == 1)
}

fn enroll_with_token(
    c: &mut Connection,
    hash: &str,
    now: DateTime<Utc>,
    agent: &EnrolledAgent,
    cert: &AgentCert,
) -> anyhow::Result<Result<i64, TokenProblem>> {
    // IMMEDIATE: the write lock is taken before the token is read, so a second enrollment
    // with the same token waits and then sees the use counted.
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(token) = token_by_hash(&tx, hash)? else {
        return Ok(Err(TokenProblem::Unknown));
    };
    if let Some(p) = token.problem(now) {
        return Ok(Err(p));
    }
    let taken: bool = tx
        .query_row(
            "SELECT 1 FROM agents WHERE agent_id = ?1",
            [&agent.agent_id],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if taken {
        anyhow::bail!("agent id {:?} is already enrolled", agent.agent_id);
    }
    let counted = tx.execute(
        "UPDATE enroll_tokens SET uses = uses + 1 WHERE id = ?1 AND uses < uses_allowed",
        [token.id],
    )?;
    if counted != 1 {
        return Ok(Err(TokenProblem::UsedUp));
    }
    tx.execute(
        "INSERT INTO agents (agent_id, opd, public_key, enrolled_at, token_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            agent.agent_id,
            token.opd,
            agent.public_key.to_base64(),
            agent.enrolled_at.to_rfc3339(),
            token.id
        ],
    )?;
    tx.execute(
        "INSERT INTO hosts (agent_id) VALUES (?1)",
        [&agent.agent_id],
    )?;
    tx.execute(
        "INSERT INTO agent_certs (serial, agent_id, issued_at, not_after) VALUES (?1, ?2, ?3, ?4)",
        params![cert.serial, agent.agent_id, ts(now), ts(cert.not_after)],
    )?;
    tx.commit()?;
    Ok(Ok(token.id))
}

fn agent_rows(c: &Connection) -> anyhow::Result<Vec<AgentRow>> {
    let mut st = c.prepare(
        "SELECT a.agent_id, a.opd, a.enrolled_at, a.revoked_at, a.revoke_reason, a.token_id,
                (SELECT serial FROM agent_certs k WHERE k.agent_id = a.agent_id
                 ORDER BY issued_at DESC LIMIT 1)
         FROM agents a ORDER BY a.agent_id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(AgentRow {
            agent_id: r.get(0)?,
            opd: r.get(1)?,
            enrolled_at: time(&r.get::<_, String>(2)?),
            revoked_at: opt_time(r.get(3)?),
            revoke_reason: r.get(4)?,
            token_id: r.get(5)?,
            cert_serial: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn revoke_agent(
    c: &mut Connection,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = c.execute(
        "UPDATE agents SET revoked_at = ?2, revoke_reason = ?3
         WHERE agent_id = ?1 AND revoked_at IS NULL",
        params![id, ts(now), reason],
    )?;
    Ok(n == 1)
}

fn revoked_agents(c: &Connection) -> anyhow::Result<Vec<String>> {
    let mut st =
        c.prepare("SELECT agent_id FROM agents WHERE revoked_at IS NOT NULL ORDER BY agent_id")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn revoked_certs(c: &Connection) -> anyhow::Result<Vec<Revoked>> {
    let mut st = c.prepare(
        "SELECT k.serial, a.revoked_at FROM agent_certs k JOIN agents a USING (agent_id)
         WHERE a.revoked_at IS NOT NULL ORDER BY k.serial",
    )?;
    let rows = st.query_map([], |r| {
        Ok(Revoked {
            serial: r.get(0)?,
            at: time(&r.get::<_, String>(1)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait::async_trait]
impl EnrollStore for super::SqliteStore {
    async fn create_enroll_token(&self, token: &NewToken) -> anyhow::Result<i64> {
        let t = token.clone();
        self.write(move |c| create_token(c, &t)).await
    }

    async fn enroll_tokens(&self) -> anyhow::Result<Vec<EnrollToken>> {
        self.read(tokens).await
    }

    async fn enroll_token_by_hash(&self, hash: &str) -> anyhow::Result<Option<EnrollToken>> {
        let h = hash.to_owned();
        self.read(move |c| token_by_hash(c, &h)).await
    }

    async fn revoke_enroll_token(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
        self.write(move |c| revoke_token(c, id, now)).await
    }

    async fn enroll_with_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        agent: &EnrolledAgent,
        cert: &AgentCert,
    ) -> anyhow::Result<Result<i64, TokenProblem>> {
        let (h, a, k) = (token_hash.to_owned(), agent.clone(), cert.clone());
        self.write(move |c| enroll_with_token(c, &h, now, &a, &k))
            .await
    }

    async fn agent_rows(&self) -> anyhow::Result<Vec<AgentRow>> {
        self.read(agent_rows).await
    }

    async fn revoke_agent(
        &self,
        agent_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let (id, reason) = (agent_id.to_owned(), reason.to_owned());
        self.write(move |c| revoke_agent(c, &id, &reason, now))
            .await
    }

    async fn revoked_agents(&self) -> anyhow::Result<Vec<String>> {
        self.read(revoked_agents).await
    }

    async fn revoked_certs(&self) -> anyhow::Result<Vec<Revoked>> {
        self.read(revoked_certs).await
    }
}
