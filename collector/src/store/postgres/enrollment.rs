//! Enrollment tokens, agent certificates and revocation in PostgreSQL; the twin of
//! `sqlite/enrollment.rs` (same text times, same refusals).

use crate::pki::crl::Revoked;
use crate::store::enrollment::*;
use crate::store::sqlite::accounts::ts;
use crate::store::EnrolledAgent;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

fn time(s: String) -> DateTime<Utc> {
    super::ts(Some(s)).unwrap_or_default()
}

const TOKEN_COLUMNS: &str =
    "id, opd, uses_allowed, uses, created_at, created_by, expires_at, revoked_at";

fn token_of(r: &Row) -> EnrollToken {
    EnrollToken {
        id: r.get(0),
        opd: r.get(1),
        uses_allowed: r.get::<_, i64>(2) as u32,
        uses: r.get::<_, i64>(3) as u32,
        created_at: time(r.get(4)),
        created_by: r.get(5),
        expires_at: time(r.get(6)),
        revoked_at: super::ts(r.get(7)),
    }
}

async fn token_where(
    c: &impl GenericClient,
    hash: &str,
    lock: &str,
) -> anyhow::Result<Option<EnrollToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM enroll_tokens WHERE hash = $1 {lock}");
    Ok(c.query_opt(&sql, &[&hash]).await?.map(|r| token_of(&r)))
}

async fn enroll_with_token(
    c: &mut deadpool_postgres::Client,
    hash: &str,
    now: DateTime<Utc>,
    agent: &EnrolledAgent,
    cert: &AgentCert,
) -> anyhow::Result<Result<i64, TokenProblem>> {
    let tx = c.transaction().await?;
    // FOR UPDATE: a second enrollment with the same token waits here until the first
    // commits, then reads the use it counted (READ COMMITTED re-reads the locked row).
    let Some(token) = token_where(&tx, hash, "FOR UPDATE").await? else {
        return Ok(Err(TokenProblem::Unknown));
    };
    if let Some(p) = token.problem(now) {
        return Ok(Err(p));
    }
    let taken = tx
        .query_opt(
            "SELECT 1 FROM agents WHERE agent_id = $1",
            &[&agent.agent_id],
        )
        .await?
        .is_some();
    if taken {
        anyhow::bail!("agent id {:?} is already enrolled", agent.agent_id);
    }
    let counted = tx
        .execute(
            "UPDATE enroll_tokens SET uses = uses + 1 WHERE id = $1 AND uses < uses_allowed",
            &[&token.id],
        )
        .await?;
    if counted != 1 {
        return Ok(Err(TokenProblem::UsedUp));
    }
    tx.execute(
        "INSERT INTO agents (agent_id, opd, public_key, enrolled_at, token_id)
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &agent.agent_id,
            &token.opd,
            &agent.public_key.to_base64(),
            &agent.enrolled_at.to_rfc3339(),
            &token.id,
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO hosts (agent_id) VALUES ($1)",
        &[&agent.agent_id],
    )
    .await?;
    tx.execute(
        "INSERT INTO agent_certs (serial, agent_id, issued_at, not_after)
         VALUES ($1, $2, $3, $4)",
        &[&cert.serial, &agent.agent_id, &ts(now), &ts(cert.not_after)],
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(token.id))
}

#[async_trait::async_trait]
impl EnrollStore for super::PgStore {
    async fn create_enroll_token(&self, t: &NewToken) -> anyhow::Result<i64> {
        let c = self.conn().await?;
        let row = c
            .query_one(
                "INSERT INTO enroll_tokens
                     (hash, opd, uses_allowed, created_at, created_by, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    &t.hash,
                    &t.opd,
                    &(t.uses_allowed as i64),
                    &ts(t.created_at),
                    &t.created_by,
                    &ts(t.expires_at),
                ],
            )
            .await?;
        Ok(row.get(0))
    }

    async fn enroll_tokens(&self) -> anyhow::Result<Vec<EnrollToken>> {
        let c = self.conn().await?;
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM enroll_tokens ORDER BY id DESC");
        Ok(c.query(&sql, &[]).await?.iter().map(token_of).collect())
    }

    async fn enroll_token_by_hash(&self, hash: &str) -> anyhow::Result<Option<EnrollToken>> {
        token_where(&self.conn().await?, hash, "").await
    }

    async fn revoke_enroll_token(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let n = self
            .conn()
            .await?
            .execute(
                "UPDATE enroll_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &ts(now)],
            )
            .await?;
        Ok(n == 1)
    }

    async fn enroll_with_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        agent: &EnrolledAgent,
        cert: &AgentCert,
    ) -> anyhow::Result<Result<i64, TokenProblem>> {
        enroll_with_token(&mut self.conn().await?, token_hash, now, agent, cert).await
    }

    async fn agent_rows(&self) -> anyhow::Result<Vec<AgentRow>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT a.agent_id, a.opd, a.enrolled_at, a.revoked_at, a.revoke_reason,
                        a.token_id,
                        (SELECT serial FROM agent_certs k WHERE k.agent_id = a.agent_id
                         ORDER BY issued_at DESC LIMIT 1)
                 FROM agents a ORDER BY a.agent_id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AgentRow {
                agent_id: r.get(0),
                opd: r.get(1),
                enrolled_at: time(r.get(2)),
                revoked_at: super::ts(r.get(3)),
                revoke_reason: r.get(4),
                token_id: r.get(5),
                cert_serial: r.get(6),
            })
            .collect())
    }

    async fn revoke_agent(
        &self,
        agent_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let n = self
            .conn()
            .await?
            .execute(
                "UPDATE agents SET revoked_at = $2, revoke_reason = $3
                 WHERE agent_id = $1 AND revoked_at IS NULL",
                &[&agent_id, &ts(now), &reason],
            )
            .await?;
        Ok(n == 1)
    }

    async fn revoked_agents(&self) -> anyhow::Result<Vec<String>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT agent_id FROM agents WHERE revoked_at IS NOT NULL ORDER BY agent_id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn revoked_certs(&self) -> anyhow::Result<Vec<Revoked>> {
        let c = self.conn().await?;
        let rows = c
            .query(
                "SELECT k.serial, a.revoked_at FROM agent_certs k JOIN agents a USING (agent_id)
                 WHERE a.revoked_at IS NOT NULL ORDER BY k.serial",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Revoked {
                serial: r.get(0),
                at: time(r.get(1)),
            })
            .collect())
    }
}
