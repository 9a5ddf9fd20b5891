//! Users, sessions, API tokens and the audit log in PostgreSQL; the twin of
//! `sqlite/accounts.rs` (same sortable text times, so expiry and lockout compare as text).

use crate::store::accounts::*;
use crate::store::sqlite::accounts::ts;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

fn t(s: Option<String>) -> Option<DateTime<Utc>> {
    super::ts(s)
}

const USER_COLUMNS: &str =
    "id, name, role, created_at, disabled_at, locked_until, last_login_at, password_hash, failed_logins";

fn record_of(r: &Row) -> LoginRecord {
    let role: &str = r.get(2);
    LoginRecord {
        user: User {
            id: r.get(0),
            name: r.get(1),
            // The CHECK constraint allows nothing else.
            role: Role::parse(role).unwrap_or(Role::Auditor),
            opds: Vec::new(),
            created_at: t(r.get(3)).unwrap_or_default(),
            disabled_at: t(r.get(4)),
            locked_until: t(r.get(5)),
            last_login_at: t(r.get(6)),
        },
        password_hash: r.get(7),
        failed_logins: r.get::<_, i64>(8) as u32,
    }
}

async fn record_where(
    c: &impl GenericClient,
    cond: &str,
    arg: &(dyn ToSql + Sync),
) -> anyhow::Result<Option<LoginRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {cond}");
    let Some(mut rec) = c.query_opt(&sql, &[arg]).await?.map(|r| record_of(&r)) else {
        return Ok(None);
    };
    rec.user.opds = c
        .query(
            "SELECT opd FROM user_opds WHERE user_id = $1 ORDER BY opd",
            &[&rec.user.id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(Some(rec))
}

#[async_trait::async_trait]
impl AccountStore for super::PgStore {
    async fn user_count(&self) -> anyhow::Result<u64> {
        let c = self.conn().await?;
        let n: i64 = c.query_one("SELECT count(*) FROM users", &[]).await?.get(0);
        Ok(n as u64)
    }

    async fn add_user(
        &self,
        name: &str,
        role: Role,
        opds: &[String],
        password_hash: &str,
    ) -> anyhow::Result<User> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        // Serializes two adds of one name: the second waits, then sees the first.
        tx.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", &[])
            .await?;
        if record_where(&tx, "name = $1", &name).await?.is_some() {
            crate::refuse!("user {name:?} exists already");
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
                 RETURNING id",
                &[&name, &role.name(), &password_hash, &ts(Utc::now())],
            )
            .await?
            .get(0);
        for opd in opds {
            tx.execute(
                "INSERT INTO user_opds (user_id, opd) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&id, opd],
            )
            .await?;
        }
        let rec = record_where(&tx, "id = $1", &id)
            .await?
            .expect("user just inserted");
        tx.commit().await?;
        Ok(rec.user)
    }

    async fn users(&self) -> anyhow::Result<Vec<User>> {
        let c = self.conn().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
        let mut out = Vec::new();
        for r in c.query(&sql, &[]).await? {
            let id: i64 = r.get(0);
            if let Some(rec) = record_where(&c, "id = $1", &id).await? {
                out.push(rec.user);
            }
        }
        Ok(out)
    }

    async fn login_record(&self, name: &str) -> anyhow::Result<Option<LoginRecord>> {
        let c = self.conn().await?;
        record_where(&c, "name = $1", &name).await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> anyhow::Result<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL
                 WHERE name = $1",
                &[&name, &password_hash],
            )
            .await?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)",
            &[&name],
        )
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> anyhow::Result<bool> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let at = disabled.then(|| ts(Utc::now()));
        let n = tx
            .execute(
                "UPDATE users SET disabled_at = $2 WHERE name = $1",
                &[&name, &at],
            )
            .await?;
        if disabled {
            tx.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)",
                &[&name],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn login_failed(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        max_failures: u32,
        lock_for: chrono::Duration,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let mut c = self.conn().await?;
        let tx = c.transaction().await?;
        let failed: i64 = tx
            .query_one(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1
                 RETURNING failed_logins",
                &[&user_id],
            )
            .await?
            .get(0);
        let locked = if max_failures > 0 && failed >= max_failures as i64 {
            let until = now + lock_for;
            // The count starts again after the lockout, so the next run of failures locks again.
            tx.execute(
                "UPDATE users SET locked_until = $2, failed_logins = 0 WHERE id = $1",
                &[&user_id, &ts(until)],
            )
            .await?;
            Some(until)
        } else {
            None
        };
        tx.commit().await?;
        Ok(locked)
    }

    async fn login_ok(&self, user_id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
        let c = self.conn().await?;
        c.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2
             WHERE id = $1",
            &[&user_id, &ts(now)],
        )
        .await?;
        Ok(())
    }

    async fn add_token(
        &self,
        name: &str,
        label: &str,
        token_hash: &str,
    ) -> anyhow::Result<Option<i64>> {
        let c = self.conn().await?;
        let Some(rec) = record_where(&c, "name = $1", &name).await? else {
            return Ok(None);
        };
        let id: i64 = c
            .query_one(
                "INSERT INTO api_tokens (user_id, label, token_hash, created_at)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[&rec.user.id, &label, &token_hash, &ts(Utc::now())],
            )
            .await?
            .get(0);
        Ok(Some(id))
    }

    async fn tokens(&self, name: &str) -> anyhow::Result<Option<Vec<ApiToken>>> {
        let c = self.conn().await?;
        let Some(rec) = record_where(&c, "name = $1", &name).await? else {
            return Ok(None);
        };
        let rows = c
            .query(
                "SELECT id, label, created_at, last_used_at, revoked_at FROM api_tokens
                 WHERE user_id = $1 ORDER BY id",
                &[&rec.user.id],
            )
            .await?;
        Ok(Some(
            rows.iter()
                .map(|r| ApiToken {
                    id: r.get(0),
                    label: r.get(1),
                    created_at: t(r.get(2)).unwrap_or_default(),
                    last_used_at: t(r.get(3)),
                    revoked_at: t(r.get(4)),
                })
                .collect(),
        ))
    }

    async fn revoke_token(&self, name: &str, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let c = self.conn().await?;
        let n = c
            .execute(
                "UPDATE api_tokens SET revoked_at = $3
                 WHERE id = $2 AND revoked_at IS NULL
                   AND user_id = (SELECT id FROM users WHERE name = $1)",
                &[&name, &id, &ts(now)],
            )
            .await?;
        Ok(n == 1)
    }

    async fn user_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<User>> {
        let c = self.conn().await?;
        let row: Option<(i64, Option<String>)> = c
            .query_opt(
                "SELECT t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
                &[&token_hash],
            )
            .await?
            .map(|r| (r.get(0), r.get(1)));
        let Some((uid, used)) = row else {
            return Ok(None);
        };
        // `last_used_at` is refreshed only when a few minutes old, so a busy automation does
        // not write on every request.
        if t(used).is_none_or(|u| now - u > chrono::Duration::minutes(5)) {
            c.execute(
                "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1",
                &[&token_hash, &ts(now)],
            )
            .await?;
        }
        Ok(record_where(&c, "id = $1", &uid).await?.map(|r| r.user))
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let c = self.conn().await?;
        // Expired sessions go when new ones come, so the table stays small without a job.
        c.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&ts(now)])
            .await?;
        c.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[&id_hash, &user_id, &csrf, &ts(now), &ts(expires)],
        )
        .await?;
        Ok(())
    }

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<(User, String)>> {
        let c = self.conn().await?;
        let row: Option<(i64, String)> = c
            .query_opt(
                "SELECT s.user_id, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
                &[&id_hash, &ts(now)],
            )
            .await?
            .map(|r| (r.get(0), r.get(1)));
        let Some((uid, csrf)) = row else {
            return Ok(None);
        };
        Ok(record_where(&c, "id = $1", &uid)
            .await?
            .map(|r| (r.user, csrf)))
    }

    async fn delete_session(&self, id_hash: &str) -> anyhow::Result<()> {
        let c = self.conn().await?;
        c.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
            .await?;
        Ok(())
    }

    async fn append_audit(&self, e: AuditEntry) -> anyhow::Result<()> {
        let c = self.conn().await?;
        c.execute(
            "INSERT INTO audit_log (at, actor, action, target, outcome, ip, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &ts(e.at),
                &e.actor,
                &e.action,
                &e.target,
                &e.outcome,
                &e.ip,
                &e.detail.as_ref().map(|d| d.to_string()),
            ],
        )
        .await?;
        Ok(())
    }

    async fn audit(&self, f: AuditFilter) -> anyhow::Result<Vec<AuditEntry>> {
        let c = self.conn().await?;
        let (action, prefix) = match f.action.as_deref() {
            Some(a) if a.ends_with('.') => (None, Some(format!("{a}%"))),
            Some(a) => (Some(a.to_owned()), None),
            None => (None, None),
        };
        let rows = c
            .query(
                "SELECT id, at, actor, action, target, outcome, ip, detail FROM audit_log
                 WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)
                   AND ($3::text IS NULL OR action ILIKE $3) AND ($4::text IS NULL OR at >= $4)
                 ORDER BY id DESC LIMIT $5",
                &[
                    &f.actor,
                    &action,
                    &prefix,
                    &f.since.map(ts),
                    &(f.limit.unwrap_or(1000) as i64),
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: t(r.get(1)).unwrap_or_default(),
                actor: r.get(2),
                action: r.get(3),
                target: r.get(4),
                outcome: r.get(5),
                ip: r.get(6),
                detail: r
                    .get::<_, Option<&str>>(7)
                    .and_then(|d| serde_json::from_str(d).ok()),
            })
            .collect())
    }
}
