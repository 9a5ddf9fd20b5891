//! Store side of usage and the policy: what ingest keeps of `usage` reports, the policy job's
//! flags through the real store, and policy versions.

use super::*;
use crate::policy::job;
use crate::reconcile::FlagKind;
use crate::store::testing::TestStore;
use pantau_proto::body::usage::{ProcessUsage, Session, Software, UsageReport};
use pantau_proto::body::Body;
use pantau_proto::{AgentKey, Envelope, Kind};

async fn setup(s: &dyn Store) -> AgentKey {
    let key = AgentKey::generate();
    s.enroll(&EnrolledAgent {
        agent_id: "pc01".into(),
        opd: "82.71.03.02.01".into(),
        public_key: key.public(),
        enrolled_at: Utc::now(),
    })
    .await
    .unwrap();
    key
}

fn msg(key: &AgentKey, agent: &str, seq: u64, r: UsageReport) -> Accepted {
    let json = serde_json::to_value(&r).unwrap();
    Accepted {
        envelope: Envelope::sign(key, agent, seq, Utc::now(), Kind::Usage, &json),
        body: Body::Usage(Box::new(r)),
        received_at: Utc::now(),
    }
}

fn report(at: DateTime<Utc>, procs: &[(&str, f64)], software: Option<&[&str]>) -> UsageReport {
    UsageReport {
        collected_at: Some(at),
        since: Some(at - chrono::Duration::seconds(300)),
        cpus: 2,
        processes: procs
            .iter()
            .enumerate()
            .map(|(i, (n, c))| ProcessUsage {
                pid: i as u32 + 1,
                name: n.to_string(),
                exe: Some(format!("/usr/bin/{n}")),
                cpu_s: *c,
                ..Default::default()
            })
            .collect(),
        software: software.map(|s| {
            s.iter()
                .map(|n| Software {
                    name: n.to_string(),
                    source: "dpkg".into(),
                    ..Default::default()
                })
                .collect()
        }),
        sessions: vec![Session {
            user: "budi".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn latest_facts_keep_the_last_software_list_and_windows_accumulate(s: TestStore) {
    let key = setup(&*s).await;
    let t0 = Utc::now() - chrono::Duration::minutes(20);
    let min = |m: i64| t0 + chrono::Duration::minutes(m);
    s.commit(&[msg(
        &key,
        "pc01",
        1,
        report(min(0), &[("bash", 0.1)], Some(&["vim", "steam"])),
    )])
    .await
    .unwrap();
    s.commit(&[msg(
        &key,
        "pc01",
        2,
        report(min(5), &[("xmrig", 299.0), ("bash", 0.1)], None),
    )])
    .await
    .unwrap();
    let f = s.usage("pc01").await.unwrap().unwrap();
    assert_eq!(f.collected_at.timestamp(), min(5).timestamp());
    assert_eq!(f.processes.len(), 2);
    let names: Vec<&str> = f.software.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, vec!["vim", "steam"], "None keeps the last list");
    assert_eq!(f.software_at.unwrap().timestamp(), min(0).timestamp());
    // An older report delivered late adds its window but does not replace the facts.
    s.commit(&[msg(
        &key,
        "pc01",
        3,
        report(min(-5), &[("old", 1.0)], Some(&[])),
    )])
    .await
    .unwrap();
    let f = s.usage("pc01").await.unwrap().unwrap();
    assert_eq!(f.software.len(), 2);
    let inputs = s
        .usage_inputs(t0 - chrono::Duration::hours(1), "", 100)
        .await
        .unwrap();
    assert_eq!(inputs.len(), 1);
    let w = &inputs[0].windows;
    assert_eq!(w.len(), 3);
    // Only busy processes are kept in a window (bash at 0.1 s of 300 s is not).
    assert_eq!(w[2].procs.len(), 1);
    assert_eq!(w[2].procs[0].name, "xmrig");
    assert!((w[2].cpu_s - 299.1).abs() < 1e-9);
    // Windows beyond the retention are dropped by the next report.
    s.commit(&[msg(
        &key,
        "pc01",
        4,
        report(
            min(5) + chrono::Duration::seconds(usage::KEEP_S + 600),
            &[],
            None,
        ),
    )])
    .await
    .unwrap();
    let inputs = s
        .usage_inputs(t0 - chrono::Duration::hours(1), "", 100)
        .await
        .unwrap();
    assert_eq!(inputs[0].windows.len(), 1);
}

async fn a_batch_with_a_bad_message_stores_no_usage(s: TestStore) {
    let key = setup(&*s).await;
    let now = Utc::now();
    let good = msg(
        &key,
        "pc01",
        1,
        report(now, &[("bash", 1.0)], Some(&["vim"])),
    );
    // Signed by the same key but for an agent that was never enrolled: the store fails.
    let bad = msg(&key, "ghost", 1, report(now, &[("bash", 1.0)], None));
    assert!(s.commit(&[good, bad]).await.is_err());
    assert!(s.usage("pc01").await.unwrap().is_none());
    assert!(s
        .usage_inputs(now - chrono::Duration::hours(3), "", 100)
        .await
        .unwrap()
        .is_empty());
}

async fn the_policy_job_opens_and_resolves_only_its_own_flags(s: TestStore) {
    let key = setup(&*s).await;
    let now = Utc::now();
    let mut seq = 0;
    let mut send = |at: DateTime<Utc>, procs: &[(&str, f64)]| {
        seq += 1;
        msg(&key, "pc01", seq, report(at, procs, Some(&["qbittorrent"])))
    };
    let batch: Vec<Accepted> = (0..4)
        .map(|i| {
            send(
                now - chrono::Duration::minutes(5 * (3 - i)),
                &[("xmrig", 290.0)],
            )
        })
        .collect();
    s.commit(&batch).await.unwrap();
    let run = job::run_once(&*s, now).await.unwrap();
    assert_eq!(run.opened, 3, "{run:?}"); // process, software, mining
    let flags = s.flags(FlagFilter::default()).await.unwrap();
    let mut kinds: Vec<&str> = flags.iter().map(|f| f.kind.as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "crypto_mining",
            "unauthorized_process",
            "unauthorized_software"
        ]
    );
    let mining = flags.iter().find(|f| f.kind == "crypto_mining").unwrap();
    assert_eq!(mining.article, FlagKind::CryptoMining.article());
    assert_eq!(mining.evidence["processes"][0]["observed_s"], 1200.0);
    assert_eq!(mining.opd, "82.71.03.02.01");
    // A flag of another job is left alone when the policy job resolves its own.
    let tx_flag = crate::reconcile::Finding {
        kind: FlagKind::ServiceDown,
        subject_kind: crate::reconcile::SubjectKind::Service,
        subject: "sipd".into(),
        opd: "*".into(),
        summary: "x".into(),
        evidence: serde_json::json!({}),
        fingerprint: "x".into(),
    };
    s.save_network(vec![tx_flag], Default::default(), now)
        .await
        .unwrap();
    // The miner stops; the package is removed; the old windows age out of the lookback.
    let later = now + chrono::Duration::hours(3);
    let mut r = report(later, &[("bash", 1.0)], Some(&[]));
    r.sessions.clear();
    s.commit(&[msg(&key, "pc01", 99, r)]).await.unwrap();
    let run = job::run_once(&*s, later).await.unwrap();
    assert_eq!(run.resolved, 3, "{run:?}");
    let open = s.flags(FlagFilter::default()).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].kind, "service_down");
}

async fn applied_versions_are_kept_and_the_newest_is_in_force(s: TestStore) {
    let _key = setup(&*s).await;
    let (p, v) = job::in_force(&*s).await.unwrap();
    assert_eq!(v.version, 0);
    assert_eq!(p.sha256, crate::policy::Policy::default_policy().sha256);
    let text = crate::policy::DEFAULT_POLICY.replace("lookback_s = 7200", "lookback_s = 3600");
    let p2 = crate::policy::Policy::parse(&text).unwrap();
    let a = s
        .apply_policy(&p2.text, &p2.sha256, "budi", Some("satu jam"))
        .await
        .unwrap();
    assert_eq!(a.version, 1);
    let (p, v) = job::in_force(&*s).await.unwrap();
    assert_eq!((v.version, v.applied_by.as_str()), (1, "budi"));
    assert_eq!(p.file.sustained.lookback_s, 3600);
    assert_eq!(s.policy_versions().await.unwrap().len(), 1);
}

async fn inputs_come_in_pages_in_agent_order(s: TestStore) {
    let _key = setup(&*s).await;
    let now = Utc::now();
    for id in ["pc03", "pc02", "pc04"] {
        let key = AgentKey::generate();
        s.enroll(&EnrolledAgent {
            agent_id: id.into(),
            opd: "82.71".into(),
            public_key: key.public(),
            enrolled_at: now,
        })
        .await
        .unwrap();
        s.commit(&[msg(&key, id, 1, report(now, &[("xmrig", 250.0)], None))])
            .await
            .unwrap();
    }
    let from = now - chrono::Duration::hours(1);
    let p1 = s.usage_inputs(from, "", 2).await.unwrap();
    let ids: Vec<&str> = p1.iter().map(|h| h.agent_id.as_str()).collect();
    assert_eq!(ids, vec!["pc02", "pc03"]);
    assert!(p1.iter().all(|h| h.facts.is_some() && h.windows.len() == 1));
    let p2 = s.usage_inputs(from, "pc03", 2).await.unwrap();
    assert_eq!(p2.len(), 1);
    assert_eq!(p2[0].agent_id, "pc04");
    assert_eq!(p2[0].windows.len(), 1, "windows of the page's agents only");
    assert!(s.usage_inputs(from, "pc04", 2).await.unwrap().is_empty());
}

crate::both!(
    latest_facts_keep_the_last_software_list_and_windows_accumulate,
    a_batch_with_a_bad_message_stores_no_usage,
    the_policy_job_opens_and_resolves_only_its_own_flags,
    applied_versions_are_kept_and_the_newest_is_in_force,
    inputs_come_in_pages_in_agent_order,
);
