//! Users, sessions, API tokens and the audit log in SQLite (migration 6).
//!
//! Times in these tables are RFC 3339 with a fixed number of digits and `Z`, so SQL can
//! compare them as text (expiry, lockout, `since`).

use crate::store::accounts::*;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

/// Sortable text form of a time.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn t(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

const USER_COLUMNS: &str =
    "id, name, role, created_at, disabled_at, locked_until, last_login_at, password_hash, failed_logins";

fn record_of(r: &Row) -> rusqlite::Result<LoginRecord> {
    let role: String = r.get(2)?;
    Ok(LoginRecord {
        user: User {
            id: r.get(0)?,
            name: r.get(1)?,
            // The CHECK constraint allows nothing else.
            role: Role::parse(&role).unwrap_or(Role::Auditor),
            opds: Vec::new(),
            created_at: t(r.get(3)?).unwrap_or_default(),
            disabled_at: t(r.get(4)?),
            locked_until: t(r.get(5)?),
            last_login_at: t(r.get(6)?),
        },
        password_hash: r.get(7)?,
        failed_logins: r.get(8)?,
    })
}

fn with_opds(c: &Connection, mut rec: LoginRecord) -> anyhow::Result<LoginRecord> {
    let mut stmt = c.prepare_cached("SELECT opd FROM user_opds WHERE user_id = ?1 ORDER BY opd")?;
    rec.user.opds = stmt
        .query_map([rec.user.id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rec)
}

fn record_where(
    c: &Connection,
    cond: &str,
    arg: &dyn rusqlite::ToSql,
) -> anyhow::Result<Option<LoginRecord>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {cond}");
    match c.query_row(&sql, [arg], record_of).optional()? {
        Some(rec) => Ok(Some(with_opds(c, rec)?)),
        None => Ok(None),
    }
}

pub fn user_count(c: &Connection) -> anyhow::Result<u64> {
    Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

pub fn add_user(
    c: &mut Connection,
    name: &str,
    role: Role,
    opds: &[String],
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<User> {
    let tx = c.transaction()?;
    if record_where(&tx, "name = ?1", &name)?.is_some() {
        crate::refuse!("user {name:?} exists already");
    }
    tx.execute(
        "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, role.name(), hash, ts(now)],
    )?;
    let id = tx.last_insert_rowid();
    for opd in opds {
        tx.execute(
            "INSERT OR IGNORE INTO user_opds (user_id, opd) VALUES (?1, ?2)",
            params![id, opd],
        )?;
    }
    let rec = record_where(&tx, "id = ?1", &id)?.expect("user just inserted");
    tx.commit()?;
    Ok(rec.user)
}

pub fn users(c: &Connection) -> anyhow::Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
    let mut stmt = c.prepare(&sql)?;
    let recs: Vec<LoginRecord> = stmt.query_map([], record_of)?.collect::<Result<_, _>>()?;
    recs.into_iter()
        .map(|r| with_opds(c, r).map(|r| r.user))
        .collect()
}

pub fn login_record(c: &Connection, name: &str) -> anyhow::Result<Option<LoginRecord>> {
    record_where(c, "name = ?1", &name)
}

pub fn set_password(c: &mut Connection, name: &str, hash: &str) -> anyhow::Result<bool> {
    let tx = c.transaction()?;
    let n = tx.execute(
        "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until = NULL WHERE name = ?1",
        params![name, hash],
    )?;
    tx.execute(
        "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
        [name],
    )?;
    tx.commit()?;
    Ok(n == 1)
}

pub fn set_disabled(
    c: &mut Connection,
    name: &str,
    disabled: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let tx = c.transaction()?;
    let at = disabled.then(|| ts(now));
    let n = tx.execute(
        "UPDATE users SET disabled_at = ?2 WHERE name = ?1",
        params![name, at],
    )?;
    if disabled {
        tx.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
            [name],
        )?;
    }
    tx.commit()?;
    Ok(n == 1)
}

pub fn login_failed(
    c: &mut Connection,
    id: i64,
    now: DateTime<Utc>,
    max: u32,
    lock_for: chrono::Duration,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let tx = c.transaction()?;
    let failed: u32 = tx.query_row(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?1 RETURNING failed_logins",
        [id],
        |r| r.get(0),
    )?;
    let locked = if max > 0 && failed >= max {
        let until = now + lock_for;
        // The count starts again after the lockout, so the next run of failures locks again.
        tx.execute(
            "UPDATE users SET locked_until = ?2, failed_logins = 0 WHERE id = ?1",
            params![id, ts(until)],
        )?;
        Some(until)
    } else {
        None
    };
    tx.commit()?;
    Ok(locked)
}

pub fn login_ok(c: &Connection, id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    c.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?2 WHERE id = ?1",
        params![id, ts(now)],
    )?;
    Ok(())
}

pub fn add_token(
    c: &Connection,
    name: &str,
    label: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let Some(rec) = login_record(c, name)? else {
        return Ok(None);
    };
    c.execute(
        "INSERT INTO api_tokens (user_id, label, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![rec.user.id, label, hash, ts(now)],
    )?;
    Ok(Some(c.last_insert_rowid()))
}

pub fn tokens(c: &Connection, name: &str) -> anyhow::Result<Option<Vec<ApiToken>>> {
    let Some(rec) = login_record(c, name)? else {
        return Ok(None);
    };
    let mut stmt = c.prepare(
        "SELECT id, label, created_at, last_used_at, revoked_at FROM api_tokens
         WHERE user_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([rec.user.id], |r| {
        Ok(ApiToken {
            id: r.get(0)?,
            label: r.get(1)?,
            created_at: t(r.get(2)?).unwrap_or_default(),
            last_used_at: t(r.get(3)?),
            revoked_at: t(r.get(4)?),
        })
    })?;
    Ok(Some(rows.collect::<Result<_, _>>()?))
}

pub fn revoke_token(
    c: &Connection,
    name: &str,
    id: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let n = c.execute(
        "UPDATE api_tokens SET revoked_at = ?3
         WHERE id = ?2 AND revoked_at IS NULL
           AND user_id = (SELECT id FROM users WHERE name = ?1)",
        params![name, id, ts(now)],
    )?;
    Ok(n == 1)
}

/// The token's owner (enabled), and whether `last_used_at` is older than a few minutes:
/// the caller then refreshes it, so a busy automation does not write on every request.
pub fn user_by_token(
    c: &Connection,
    hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(User, bool)>> {
    let row: Option<(i64, Option<String>)> = c
        .query_row(
            "SELECT t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
            [hash],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((uid, used)) = row else {
        return Ok(None);
    };
    let stale = t(used).is_none_or(|u| now - u > chrono::Duration::minutes(5));
    Ok(record_where(c, "id = ?1", &uid)?.map(|r| (r.user, stale)))
}

pub fn token_used(c: &Connection, hash: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    c.execute(
        "UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1",
        params![hash, ts(now)],
    )?;
    Ok(())
}

pub fn create_session(
    c: &Connection,
    id_hash: &str,
    user_id: i64,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> anyhow::Result<()> {
    // Expired sessions go when new ones come, so the table stays small without a job.
    c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [ts(now)])?;
    c.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id_hash, user_id, csrf, ts(now), ts(expires)],
    )?;
    Ok(())
}

pub fn session(
    c: &Connection,
    id_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<(User, String)>> {
    let row: Option<(i64, String)> = c
        .query_row(
            "SELECT s.user_id, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL",
            params![id_hash, ts(now)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((uid, csrf)) = row else {
        return Ok(None);
    };
    Ok(record_where(c, "id = ?1", &uid)?.map(|r| (r.user, csrf)))
}

pub fn delete_session(c: &Connection, id_hash: &str) -> anyhow::Result<()> {
    c.execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
    Ok(())
}

pub fn append_audit(c: &Connection, e: &AuditEntry) -> anyhow::Result<()> {
    c.execute(
        "INSERT INTO audit_log (at, actor, action, target, outcome, ip, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ts(e.at),
            e.actor,
            e.action,
            e.target,
            e.outcome,
            e.ip,
            e.detail.as_ref().map(|d| d.to_string())
        ],
    )?;
    Ok(())
}

pub fn audit(c: &Connection, f: &AuditFilter) -> anyhow::Result<Vec<AuditEntry>> {
    let (action, prefix) = match f.action.as_deref() {
        Some(a) if a.ends_with('.') => (None, Some(format!("{a}%"))),
        Some(a) => (Some(a.to_owned()), None),
        None => (None, None),
    };
    let mut stmt = c.prepare(
        "SELECT id, at, actor, action, target, outcome, ip, detail FROM audit_log
         WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2)
           AND (?3 IS NULL OR action LIKE ?3) AND (?4 IS NULL OR at >= ?4)
         ORDER BY id DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(
        params![
            f.actor,
            action,
            prefix,
            f.since.map(ts),
            f.limit.unwrap_or(1000)
        ],
        |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: t(r.get(1)?).unwrap_or_default(),
                actor: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                outcome: r.get(5)?,
                ip: r.get(6)?,
                detail: r
                    .get::<_, Option<String>>(7)?
                    .and_then(|d| serde_json::from_str(&d).ok()),
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait::async_trait]
impl AccountStore for super::SqliteStore {
    async fn user_count(&self) -> anyhow::Result<u64> {
        self.read(user_count).await
    }

    async fn add_user(
        &self,
        name: &str,
        role: Role,
        opds: &[String],
        password_hash: &str,
    ) -> anyhow::Result<User> {
        let (name, opds, hash) = (name.to_owned(), opds.to_vec(), password_hash.to_owned());
        self.write(move |c| add_user(c, &name, role, &opds, &hash, Utc::now()))
            .await
    }

    async fn users(&self) -> anyhow::Result<Vec<User>> {
        self.read(users).await
    }

    async fn login_record(&self, name: &str) -> anyhow::Result<Option<LoginRecord>> {
        let name = name.to_owned();
        self.read(move |c| login_record(c, &name)).await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> anyhow::Result<bool> {
        let (name, hash) = (name.to_owned(), password_hash.to_owned());
        self.write(move |c| set_password(c, &name, &hash)).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> anyhow::Result<bool> {
        let name = name.to_owned();
        self.write(move |c| set_disabled(c, &name, disabled, Utc::now()))
            .await
    }

    async fn login_failed(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        max_failures: u32,
        lock_for: chrono::Duration,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        self.write(move |c| login_failed(c, user_id, now, max_failures, lock_for))
            .await
    }

    async fn login_ok(&self, user_id: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.write(move |c| login_ok(c, user_id, now)).await
    }

    async fn add_token(
        &self,
        name: &str,
        label: &str,
        token_hash: &str,
    ) -> anyhow::Result<Option<i64>> {
        let (name, label, hash) = (name.to_owned(), label.to_owned(), token_hash.to_owned());
        self.write(move |c| add_token(c, &name, &label, &hash, Utc::now()))
            .await
    }

    async fn tokens(&self, name: &str) -> anyhow::Result<Option<Vec<ApiToken>>> {
        let name = name.to_owned();
        self.read(move |c| tokens(c, &name)).await
    }

    async fn revoke_token(&self, name: &str, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let name = name.to_owned();
        self.write(move |c| revoke_token(c, &name, id, now)).await
    }

    async fn user_by_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<User>> {
        let hash = token_hash.to_owned();
        let h = hash.clone();
        let found = self.read(move |c| user_by_token(c, &h, now)).await?;
        match found {
            Some((user, true)) => {
                self.write(move |c| token_used(c, &hash, now)).await?;
                Ok(Some(user))
            }
            Some((user, false)) => Ok(Some(user)),
            None => Ok(None),
        }
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (id, csrf) = (id_hash.to_owned(), csrf.to_owned());
        self.write(move |c| create_session(c, &id, user_id, &csrf, now, expires))
            .await
    }

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<(User, String)>> {
        let id = id_hash.to_owned();
        self.read(move |c| session(c, &id, now)).await
    }

    async fn delete_session(&self, id_hash: &str) -> anyhow::Result<()> {
        let id = id_hash.to_owned();
        self.write(move |c| delete_session(c, &id)).await
    }

    async fn append_audit(&self, entry: AuditEntry) -> anyhow::Result<()> {
        self.write(move |c| append_audit(c, &entry)).await
    }

    async fn audit(&self, filter: AuditFilter) -> anyhow::Result<Vec<AuditEntry>> {
        self.read(move |c| audit(c, &filter)).await
    }
}
