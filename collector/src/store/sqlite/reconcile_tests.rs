//! Store side of reconciliation: what ingest keeps, the flag lifecycle, decisions, and the
//! views built on a stored result. The engine has its own tests (reconcile/tests).

use super::*;
use crate::reconcile::{
    Decision, DecisionKind, Finding, FlagKind, HostOutcome, HostResult, Reconciliation, SubjectKind,
};
use crate::register::parse_csv;
use crate::store::testing::TestStore;
use pantau_proto::body::Body;
use pantau_proto::body::Inventory;
use pantau_proto::{AgentKey, Envelope, Kind};

const SAMPLE: &str = include_str!("../../register/testdata/register-sample.csv");
const DISKOMINFO_PC: &str = "82.71.02.16.01|1.3.2.10.01.02.001|000001";

async fn host(s: &dyn Store, id: &str, opd: &str) -> AgentKey {
    let key = AgentKey::generate();
    s.enroll(&EnrolledAgent {
        agent_id: id.into(),
        opd: opd.into(),
        public_key: key.public(),
        enrolled_at: Utc::now(),
    })
    .await
    .unwrap();
    key
}

async fn send_inventory(s: &dyn Store, key: &AgentKey, id: &str, seq: u64, inv: &Inventory) {
    let json = serde_json::to_value(inv).unwrap();
    let out = s
        .commit(&[Accepted {
            envelope: Envelope::sign(key, id, seq, Utc::now(), Kind::Inventory, &json),
            body: Body::Inventory(Box::new(inv.clone())),
            received_at: Utc::now(),
        }])
        .await
        .unwrap();
    assert_eq!(out, vec![Outcome::Stored]);
}

fn pc(serial: &str, ram_gib: u64) -> Inventory {
    let mut inv = Inventory {
        hostname: "kominfo-pc01".into(),
        collected_at: Some(Utc::now()),
        ..Default::default()
    };
    inv.system.serial = Some(serial.into());
    inv.system.vendor = Some("HP".into());
    inv.system.model = Some("HP ProDesk 400 G7 Microtower PC".into());
    inv.memory.total_bytes = ram_gib * 1024 * 1024 * 1024;
    inv
}

fn finding(kind: FlagKind, subject: &str, fingerprint: &str) -> Finding {
    Finding {
        kind,
        subject_kind: SubjectKind::Host,
        subject: subject.into(),
        opd: "82.71.02.16.01".into(),
        summary: "uji".into(),
        evidence: serde_json::json!({ "fp": fingerprint }),
        fingerprint: fingerprint.into(),
    }
}

async fn run(s: &dyn Store, findings: Vec<Finding>) -> RunReport {
    s.save_reconciliation(
        Reconciliation {
            findings,
            ..Default::default()
        },
        Default::default(),
        RunReport {
            at: Utc::now(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

async fn only_flag(s: &dyn Store) -> Flag {
    let all = s
        .flags(FlagFilter {
            state: Some("all".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap()
}

async fn ingest_keeps_identifiers_and_records_a_hardware_change_once(s: TestStore) {
    let key = host(&*s, "pc01", "82.71.02.16.01").await;
    send_inventory(&*s, &key, "pc01", 1, &pc("4CE1234ABC", 8)).await;
    let inputs = s.reconcile_inputs().await.unwrap();
    let h = &inputs.hosts[0];
    assert_eq!(h.serial.as_deref(), Some("4CE1234ABC"));
    assert_eq!(h.vendor.as_deref(), Some("HP"));
    assert!(
        h.hardware_change.is_none(),
        "a first inventory changes nothing"
    );
    // RAM taken out: a change. A replay of the old inventory afterwards is history only.
    send_inventory(&*s, &key, "pc01", 3, &pc("4CE1234ABC", 4)).await;
    send_inventory(&*s, &key, "pc01", 2, &pc("4CE1234ABC", 8)).await;
    let inputs = s.reconcile_inputs().await.unwrap();
    let change = inputs.hosts[0].hardware_change.clone().expect("recorded");
    assert_eq!(change.changes, vec!["RAM: 8 GiB → 4 GiB".to_string()]);
    // The same hardware again keeps the last change on record, not a new one.
    send_inventory(&*s, &key, "pc01", 4, &pc("4CE1234ABC", 4)).await;
    let again = s.reconcile_inputs().await.unwrap().hosts[0]
        .hardware_change
        .clone();
    assert_eq!(again, Some(change));
}

async fn a_flag_opens_stays_and_is_resolved_when_the_problem_clears(s: TestStore) {
    let f = finding(FlagKind::Unregistered, "pc01", "unregistered");
    let r = run(&*s, vec![f.clone()]).await;
    assert_eq!((r.opened, r.reopened, r.resolved), (1, 0, 0));
    let flag = only_flag(&*s).await;
    assert_eq!(flag.state, "open");
    assert_eq!(flag.article, FlagKind::Unregistered.article());
    // Found again: still one flag, nothing new.
    let r = run(&*s, vec![f.clone()]).await;
    assert_eq!((r.opened, r.reopened, r.resolved), (0, 0, 0));
    // Gone: resolved by the collector itself.
    let r = run(&*s, vec![]).await;
    assert_eq!(r.resolved, 1);
    let flag = only_flag(&*s).await;
    assert_eq!(
        (flag.state.as_str(), flag.resolved_by.as_deref()),
        ("resolved", Some("pantau"))
    );
    // Back: the same flag reopens.
    let r = run(&*s, vec![f]).await;
    assert_eq!(r.reopened, 1);
    let flag = only_flag(&*s).await;
    assert_eq!((flag.state.as_str(), flag.reopen_count), ("open", 1));
}

async fn an_operator_resolve_holds_until_a_new_occurrence(s: TestStore) {
    run(&*s, vec![finding(FlagKind::HardwareChanged, "pc01", "t1")]).await;
    let id = only_flag(&*s).await.id;
    let f = s
        .flag_action(id, FlagAction::Ack, "andi", Some("sedang dicek"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (f.state.as_str(), f.ack_by.as_deref()),
        ("acknowledged", Some("andi"))
    );
    // Acknowledged stays acknowledged while the problem lasts.
    run(&*s, vec![finding(FlagKind::HardwareChanged, "pc01", "t1")]).await;
    assert_eq!(only_flag(&*s).await.state, "acknowledged");
    s.flag_action(id, FlagAction::Resolve, "andi", Some("RAM memang diganti"))
        .await
        .unwrap();
    // The same change found again does not undo the operator's decision...
    let r = run(&*s, vec![finding(FlagKind::HardwareChanged, "pc01", "t1")]).await;
    assert_eq!(r.reopened, 0);
    assert_eq!(only_flag(&*s).await.state, "resolved");
    // ...a new change does.
    let r = run(&*s, vec![finding(FlagKind::HardwareChanged, "pc01", "t2")]).await;
    assert_eq!(r.reopened, 1);
    assert_eq!(only_flag(&*s).await.state, "open");
    // Resolving twice is refused, and says why.
    s.flag_action(id, FlagAction::Resolve, "andi", None)
        .await
        .unwrap();
    let e = s
        .flag_action(id, FlagAction::Resolve, "andi", None)
        .await
        .unwrap_err();
    assert!(e.downcast_ref::<crate::store::Refusal>().is_some(), "{e}");
    assert!(s
        .flag_action(999, FlagAction::Ack, "andi", None)
        .await
        .unwrap()
        .is_none());
}

async fn flag_filters_are_checked_and_applied(s: TestStore) {
    run(
        &*s,
        vec![
            finding(FlagKind::Unregistered, "pc01", "u"),
            finding(FlagKind::Silent, "asset-1", "s"),
        ],
    )
    .await;
    let only = |kind: &str| FlagFilter {
        kind: Some(kind.into()),
        ..Default::default()
    };
    assert_eq!(s.flags(only("silent")).await.unwrap().len(), 1);
    let e = s.flags(only("bogus")).await.unwrap_err().to_string();
    assert!(e.starts_with("kind: \"bogus\" is not a flag kind"), "{e}");
    let e = s
        .flags(FlagFilter {
            state: Some("closed".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("state: \"closed\""), "{e}");
}

async fn decisions_are_checked_audited_and_learn_the_host(s: TestStore) {
    let rows = parse_csv("register-sample.csv", SAMPLE.as_bytes())
        .unwrap()
        .rows;
    s.import_register(&rows, "register-sample.csv", false)
        .await
        .unwrap();
    let key = host(&*s, "pc01", "82.71.02.16.01").await;
    let mut inv = pc("CZC0000000", 8);
    inv.system.uuid = Some("4c4c4544-0042-3510-8052-b4c04f4e4b32".into());
    send_inventory(&*s, &key, "pc01", 1, &inv).await;
    let d = |agent: &str, asset: &str, kind| Decision {
        agent_id: agent.into(),
        asset_key: asset.into(),
        kind,
        by: "andi".into(),
        at: Utc::now(),
        note: None,
    };
    let refused = |e: anyhow::Error| e.downcast::<crate::store::Refusal>().unwrap().0;
    let e = refused(
        s.decide(d("nope", DISKOMINFO_PC, DecisionKind::Link))
            .await
            .unwrap_err(),
    );
    assert!(e.contains("no host"), "{e}");
    let e = refused(
        s.decide(d("pc01", "x|y|z", DecisionKind::Link))
            .await
            .unwrap_err(),
    );
    assert!(e.contains("no register asset"), "{e}");
    let e = refused(
        s.decide(d("pc01", DISKOMINFO_PC, DecisionKind::Confirm))
            .await
            .unwrap_err(),
    );
    assert!(e.contains("did not propose"), "{e}");
    s.decide(d("pc01", DISKOMINFO_PC, DecisionKind::Link))
        .await
        .unwrap();
    let inputs = s.reconcile_inputs().await.unwrap();
    assert_eq!(inputs.decisions.len(), 1);
    let asset = inputs
        .assets
        .iter()
        .find(|a| a.key == DISKOMINFO_PC)
        .unwrap();
    assert_eq!(
        asset.learned.uuid.as_deref(),
        Some("4c4c4544-0042-3510-8052-b4c04f4e4b32")
    );
    // A re-import of the same register keeps the decision (keys are stable).
    s.import_register(&rows, "register-sample.csv", false)
        .await
        .unwrap();
    let inputs = s.reconcile_inputs().await.unwrap();
    assert_eq!(inputs.decisions[0].kind, DecisionKind::Link);
    // Unlink supersedes it; the audit trail keeps both.
    s.decide(d("pc01", DISKOMINFO_PC, DecisionKind::Unlink))
        .await
        .unwrap();
    let inputs = s.reconcile_inputs().await.unwrap();
    assert_eq!(inputs.decisions.len(), 1);
    assert_eq!(inputs.decisions[0].kind, DecisionKind::Unlink);
    let audit = s.scalar("SELECT count(*) FROM decisions").await;
    assert_eq!(audit, 2);
}

async fn stored_results_feed_the_summary_review_queue_and_register_lines(s: TestStore) {
    let rows = parse_csv("register-sample.csv", SAMPLE.as_bytes())
        .unwrap()
        .rows;
    s.import_register(&rows, "register-sample.csv", false)
        .await
        .unwrap();
    for id in ["pc01", "pc02", "pc03"] {
        host(&*s, id, "82.71.02.16.01").await;
    }
    let result = Reconciliation {
        hosts: vec![
            HostResult {
                agent_id: "pc01".into(),
                opd: "82.71.02.16.01".into(),
                outcome: HostOutcome::Matched {
                    asset_key: DISKOMINFO_PC.into(),
                    evidence: None,
                    manual: true,
                },
            },
            HostResult {
                agent_id: "pc02".into(),
                opd: "82.71.02.16.01".into(),
                outcome: HostOutcome::Review {
                    candidates: vec![],
                    reason: crate::reconcile::ReviewReason::WeakRule,
                },
            },
            HostResult {
                agent_id: "pc03".into(),
                opd: "82.71.02.16.01".into(),
                outcome: HostOutcome::Unregistered,
            },
        ],
        assets: vec![crate::reconcile::AssetResult {
            key: DISKOMINFO_PC.into(),
            kode_lokasi: "82.71.02.16.01".into(),
            agent_id: Some("pc01".into()),
            in_review: false,
            expects_agent: true,
            last_seen: None,
            silent: false,
        }],
        findings: vec![finding(FlagKind::Unregistered, "pc03", "u")],
    };
    s.save_reconciliation(
        result,
        Default::default(),
        RunReport {
            at: Utc::now(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let sum = s.reconcile_summary("1.3.2.10").await.unwrap();
    let kominfo = sum
        .opds
        .iter()
        .find(|o| o.kode_lokasi == "82.71.02.16.01")
        .unwrap();
    assert_eq!(kominfo.registered_ict, 5);
    assert_eq!(
        (kominfo.matched, kominfo.unregistered, kominfo.in_review),
        (1, 1, 1)
    );
    assert_eq!(kominfo.open_flags.get("unregistered"), Some(&1));
    assert_eq!(sum.city.registered_ict, rows.len() as u64);
    assert_eq!(s.review_queue(None).await.unwrap().len(), 1);
    let lines = s.register_lines(Some("82.71.02.16.01")).await.unwrap();
    let line = lines.iter().find(|l| l.key == DISKOMINFO_PC).unwrap();
    assert_eq!(
        (line.match_state.as_str(), line.match_rule.as_deref()),
        ("matched", Some("manual"))
    );
    assert_eq!(line.agent_id.as_deref(), Some("pc01"));
}

crate::both!(
    ingest_keeps_identifiers_and_records_a_hardware_change_once,
    a_flag_opens_stays_and_is_resolved_when_the_problem_clears,
    an_operator_resolve_holds_until_a_new_occurrence,
    flag_filters_are_checked_and_applied,
    decisions_are_checked_audited_and_learn_the_host,
    stored_results_feed_the_summary_review_queue_and_register_lines,
);
