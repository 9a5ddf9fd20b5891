//! Enrollment tokens, on both stores: uses are counted in the enrolling transaction (a race
//! for the last use has one winner), expired and revoked tokens enroll nobody, a refused
//! enrollment changes nothing, revocation is recorded once.

use crate::store::enrollment::*;
use crate::store::testing::TestStore;
use crate::store::{EnrolledAgent, Store};
use chrono::{Duration, Utc};
use pantau_proto::AgentKey;

fn token(hash: &str, uses: u32, expires_in: Duration) -> NewToken {
    let now = Utc::now();
    NewToken {
        hash: hash.into(),
        opd: "82.71.03.02.01".into(),
        uses_allowed: uses,
        created_by: "test".into(),
        created_at: now,
        expires_at: now + expires_in,
    }
}

fn agent(id: &str) -> (EnrolledAgent, AgentCert) {
    (
        EnrolledAgent {
            agent_id: id.into(),
            // What the agent claims is ignored: the token's OPD is recorded.
            opd: "claimed".into(),
            public_key: AgentKey::generate().public(),
            enrolled_at: Utc::now(),
        },
        AgentCert {
            serial: format!("{:0>32}", id.len()),
            not_after: Utc::now() + Duration::days(30),
        },
    )
}

async fn enroll(s: &dyn Store, hash: &str, id: &str) -> Result<i64, TokenProblem> {
    let (a, c) = agent(id);
    let mut c = c;
    c.serial = format!("{:x}", fastrand_u128(id));
    s.enroll_with_token(hash, Utc::now(), &a, &c).await.unwrap()
}

/// A distinct serial per id (no rand crate in the collector's dev-dependencies).
fn fastrand_u128(id: &str) -> u128 {
    id.bytes().fold(0x1234_5678_u128, |h, b| {
        h.wrapping_mul(31).wrapping_add(b as u128)
    }) | (1 << 120)
}

async fn a_single_use_token_enrolls_one_agent_in_its_opd(s: TestStore) {
    let id = s
        .create_enroll_token(&token("h1", 1, Duration::days(7)))
        .await
        .unwrap();
    assert_eq!(enroll(&*s, "h1", "pc-1").await, Ok(id));
    assert_eq!(enroll(&*s, "h1", "pc-2").await, Err(TokenProblem::UsedUp));
    let rows = s.agent_rows().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].opd, "82.71.03.02.01");
    assert_eq!(rows[0].token_id, Some(id));
    assert!(
        s.agent("pc-2").await.unwrap().is_none(),
        "refused: nothing stored"
    );
    let t = &s.enroll_tokens().await.unwrap()[0];
    assert_eq!((t.uses, t.uses_allowed), (1, 1));
    assert_eq!(t.state(Utc::now()), "token_used");
}

async fn counted_expired_revoked_and_unknown_tokens(s: TestStore) {
    s.create_enroll_token(&token("three", 3, Duration::days(1)))
        .await
        .unwrap();
    for i in 0..3 {
        assert!(enroll(&*s, "three", &format!("pc-{i}")).await.is_ok());
    }
    assert_eq!(
        enroll(&*s, "three", "pc-9").await,
        Err(TokenProblem::UsedUp)
    );

    s.create_enroll_token(&token("old", 5, Duration::seconds(-1)))
        .await
        .unwrap();
    assert_eq!(enroll(&*s, "old", "pc-a").await, Err(TokenProblem::Expired));

    let id = s
        .create_enroll_token(&token("cut", 5, Duration::days(1)))
        .await
        .unwrap();
    assert!(s.revoke_enroll_token(id, Utc::now()).await.unwrap());
    assert!(!s.revoke_enroll_token(id, Utc::now()).await.unwrap());
    assert_eq!(enroll(&*s, "cut", "pc-b").await, Err(TokenProblem::Revoked));
    assert_eq!(
        enroll(&*s, "nope", "pc-c").await,
        Err(TokenProblem::Unknown)
    );
    // None of the refused ones used anything up or stored an agent.
    assert_eq!(s.agent_rows().await.unwrap().len(), 3);
    let cut = s.enroll_token_by_hash("cut").await.unwrap().unwrap();
    assert_eq!(cut.uses, 0);
}

async fn a_taken_agent_id_counts_no_use(s: TestStore) {
    s.create_enroll_token(&token("t", 2, Duration::days(1)))
        .await
        .unwrap();
    assert!(enroll(&*s, "t", "pc-1").await.is_ok());
    let (a, c) = agent("pc-1");
    assert!(s.enroll_with_token("t", Utc::now(), &a, &c).await.is_err());
    assert_eq!(s.enroll_token_by_hash("t").await.unwrap().unwrap().uses, 1);
}

async fn racing_for_a_single_use_token_has_exactly_one_winner(s: TestStore) {
    s.create_enroll_token(&token("race", 1, Duration::days(1)))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = s.store.clone();
            tokio::spawn(async move { enroll(&*s, "race", &format!("racer-{i}")).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(p) => assert_eq!(p, TokenProblem::UsedUp),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(s.agent_rows().await.unwrap().len(), 1);
}

async fn revoking_an_agent_hides_it_from_ingest_and_lists_its_certificate(s: TestStore) {
    s.create_enroll_token(&token("t", 2, Duration::days(1)))
        .await
        .unwrap();
    enroll(&*s, "t", "pc-1").await.unwrap();
    enroll(&*s, "t", "pc-2").await.unwrap();
    assert!(s.revoke_agent("pc-1", "stolen", Utc::now()).await.unwrap());
    assert!(!s.revoke_agent("pc-1", "again", Utc::now()).await.unwrap());
    assert!(!s.revoke_agent("nobody", "x", Utc::now()).await.unwrap());
    assert!(s.agent("pc-1").await.unwrap().is_none());
    assert!(s.agent("pc-2").await.unwrap().is_some());
    assert_eq!(s.revoked_agents().await.unwrap(), vec!["pc-1".to_string()]);
    let certs = s.revoked_certs().await.unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].serial, format!("{:x}", fastrand_u128("pc-1")));
    let rows = s.agent_rows().await.unwrap();
    let r1 = rows.iter().find(|r| r.agent_id == "pc-1").unwrap();
    assert_eq!(r1.revoke_reason.as_deref(), Some("stolen"));
    assert!(r1.revoked_at.is_some() && r1.cert_serial.is_some());
}

crate::both!(
    a_single_use_token_enrolls_one_agent_in_its_opd,
    counted_expired_revoked_and_unknown_tokens,
    a_taken_agent_id_counts_no_use,
    racing_for_a_single_use_token_has_exactly_one_winner,
    revoking_an_agent_hides_it_from_ingest_and_lists_its_certificate,
);
