//! Accounts (both stores; the append-only check reaches into SQLite): the audit log cannot be rewritten, lockout counts, sessions expire,
//! disabling ends sessions and tokens.

use super::SqliteStore;
use crate::store::accounts::*;
use crate::store::testing::TestStore;
use chrono::{Duration, SubsecRound, Utc};

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("pantau.db")).unwrap();
    (dir, s)
}

#[tokio::test]
async fn the_audit_log_is_append_only() {
    let (_d, s) = store();
    s.append_audit(AuditEntry::new("budi", "flag.ack", "flag 1", "ok"))
        .await
        .unwrap();
    {
        let conn = s.writer.lock().unwrap();
        for sql in [
            "UPDATE audit_log SET actor = 'someone'",
            "DELETE FROM audit_log",
        ] {
            let e = conn.execute(sql, []).unwrap_err().to_string();
            assert!(e.contains("append-only"), "{sql}: {e}");
        }
    }
    let lines = s.audit(Default::default()).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].actor, "budi");
}

async fn failures_lock_then_count_again_and_a_login_resets(s: TestStore) {
    let u = s
        .add_user("sari", Role::Operator, &["82.71.01".into()], "h")
        .await
        .unwrap();
    assert_eq!(u.opds, vec!["82.71.01".to_string()]);
    // Stored to the microsecond.
    let now = Utc::now().trunc_subsecs(6);
    let lock = Duration::minutes(15);
    assert_eq!(s.login_failed(u.id, now, 3, lock).await.unwrap(), None);
    assert_eq!(s.login_failed(u.id, now, 3, lock).await.unwrap(), None);
    assert_eq!(
        s.login_failed(u.id, now, 3, lock).await.unwrap(),
        Some(now + lock)
    );
    let r = s.login_record("sari").await.unwrap().unwrap();
    assert_eq!(
        (r.failed_logins, r.user.locked_until),
        (0, Some(now + lock))
    );
    s.login_failed(u.id, now, 3, lock).await.unwrap();
    s.login_ok(u.id, now).await.unwrap();
    let r = s.login_record("sari").await.unwrap().unwrap();
    assert_eq!((r.failed_logins, r.user.locked_until), (0, None));
    assert!(s.add_user("sari", Role::Admin, &[], "h").await.is_err());
}

async fn sessions_expire_and_disabling_ends_sessions_and_tokens(s: TestStore) {
    let u = s.add_user("budi", Role::Admin, &[], "h").await.unwrap();
    let now = Utc::now();
    s.create_session("live", u.id, "c1", now, now + Duration::hours(1))
        .await
        .unwrap();
    s.create_session(
        "old",
        u.id,
        "c2",
        now - Duration::hours(2),
        now - Duration::hours(1),
    )
    .await
    .unwrap();
    assert_eq!(s.session("live", now).await.unwrap().unwrap().1, "c1");
    assert!(s.session("old", now).await.unwrap().is_none());
    s.add_token("budi", "ci", "tokenhash")
        .await
        .unwrap()
        .unwrap();
    assert!(s.user_by_token("tokenhash", now).await.unwrap().is_some());
    assert!(s.set_disabled("budi", true).await.unwrap());
    assert!(s.session("live", now).await.unwrap().is_none());
    assert!(s.user_by_token("tokenhash", now).await.unwrap().is_none());
    assert!(s.set_disabled("budi", false).await.unwrap());
    assert!(s.user_by_token("tokenhash", now).await.unwrap().is_some());
    assert!(!s.set_disabled("nobody", true).await.unwrap());
}

async fn one_token_is_revoked_and_the_others_keep_working(s: TestStore) {
    s.add_user("budi", Role::Admin, &[], "h").await.unwrap();
    s.add_user("sari", Role::Auditor, &[], "h").await.unwrap();
    let now = Utc::now();
    let ci = s.add_token("budi", "ci", "h-ci").await.unwrap().unwrap();
    s.add_token("budi", "prometheus", "h-prom").await.unwrap();
    let theirs = s.add_token("sari", "x", "h-sari").await.unwrap().unwrap();
    // Another user's token id is not this user's to revoke.
    assert!(!s.revoke_token("budi", theirs, now).await.unwrap());
    assert!(s.revoke_token("budi", ci, now).await.unwrap());
    assert!(!s
        .revoke_token("budi", ci, now + Duration::hours(1))
        .await
        .unwrap());
    assert!(s.user_by_token("h-ci", now).await.unwrap().is_none());
    assert!(s.user_by_token("h-prom", now).await.unwrap().is_some());
    assert!(s.user_by_token("h-sari", now).await.unwrap().is_some());
    let list = s.tokens("budi").await.unwrap().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].label, "ci");
    let revoked = list[0].revoked_at.unwrap();
    assert!(
        (revoked - now).num_seconds().abs() <= 1,
        "first revocation time kept"
    );
    assert!(list[1].revoked_at.is_none());
    assert!(s.tokens("nobody").await.unwrap().is_none());
}

crate::both!(
    failures_lock_then_count_again_and_a_login_resets,
    sessions_expire_and_disabling_ends_sessions_and_tokens,
    one_token_is_revoked_and_the_others_keep_working,
);
