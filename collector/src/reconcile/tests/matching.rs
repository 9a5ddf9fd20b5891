use super::*;
use crate::reconcile::matching::under_prefix;

#[test]
fn serial_matches_with_evidence_and_the_asset_is_not_silent() {
    let r = reconcile(&inputs(
        sample_assets(),
        vec![with_serial(host("a1", DISKOMINFO), "4ce1234abc")],
    ));
    match outcome(&r, "a1") {
        HostOutcome::Matched {
            asset_key,
            evidence: Some(e),
            manual: false,
        } => {
            assert_eq!(asset_key, HP_PRODESK);
            assert_eq!(e.rule, Rule::Serial);
            assert_eq!(e.value, "4CE1234ABC");
            assert_eq!(
                (e.host_value.as_str(), e.asset_value.as_str()),
                ("4ce1234abc", "4CE1234ABC")
            );
        }
        other => panic!("{other:?}"),
    }
    let a = asset_result(&r, HP_PRODESK);
    assert_eq!(a.agent_id.as_deref(), Some("a1"));
    assert!(a.expects_agent && !a.silent && a.last_seen.is_some());
}

#[test]
fn placeholder_serial_in_the_register_never_matches() {
    // BKAD's Acer 000015 has "To be filled by O.E.M." as nomor pabrik; a board that reports
    // the same filler (in any spelling) is not that asset.
    let hosts = [
        "To be filled by O.E.M.",
        "TO BE FILLED BY O.E.M",
        "to be filled by oem",
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| with_serial(host(&format!("h{i}"), BKAD), s))
    .collect();
    let r = reconcile(&inputs(sample_assets(), hosts));
    for h in &r.hosts {
        assert_eq!(h.outcome, HostOutcome::Unregistered, "{}", h.agent_id);
    }
    assert!(asset_result(&r, ACER_OEM).silent);
}

#[test]
fn duplicated_nomor_pabrik_sends_the_host_to_review_with_both_assets() {
    let r = reconcile(&inputs(
        sample_assets(),
        vec![with_serial(host("dinkes-1", DINKES), "5QK8XH3")],
    ));
    match outcome(&r, "dinkes-1") {
        HostOutcome::Review { candidates, reason } => {
            assert_eq!(*reason, ReviewReason::SeveralAssets);
            let keys: Vec<&str> = candidates.iter().map(|c| c.asset_key.as_str()).collect();
            assert_eq!(keys, [DELL_21, DELL_22]);
        }
        other => panic!("{other:?}"),
    }
    for key in [DELL_21, DELL_22] {
        let a = asset_result(&r, key);
        assert!(a.in_review && !a.silent && a.agent_id.is_none(), "{key}");
    }
    let dup = findings_of(&r, FlagKind::DuplicateRegisterEntry);
    assert_eq!(dup.len(), 1);
    assert_eq!(dup[0].subject_kind, SubjectKind::Serial);
    assert_eq!(dup[0].subject, "5QK8XH3");
    assert_eq!(dup[0].opd, DINKES);
    assert_eq!(
        dup[0].evidence["asset_keys"],
        serde_json::json!([DELL_21, DELL_22])
    );
}

#[test]
fn manual_link_beats_the_rules() {
    let mut i = inputs(
        sample_assets(),
        vec![with_serial(host("a1", DISKOMINFO), "4CE1234ABC")],
    );
    i.decisions = vec![decision("a1", ACER_RB, DecisionKind::Link, 2)];
    let r = reconcile(&i);
    assert_eq!(
        *outcome(&r, "a1"),
        HostOutcome::Matched {
            asset_key: ACER_RB.into(),
            evidence: None,
            manual: true
        }
    );
    assert_eq!(asset_result(&r, ACER_RB).agent_id.as_deref(), Some("a1"));
    assert_eq!(asset_result(&r, HP_PRODESK).agent_id, None);

    // Confirming what the rules found keeps the rule's evidence.
    i.decisions = vec![decision("a1", HP_PRODESK, DecisionKind::Confirm, 2)];
    match outcome(&reconcile(&i), "a1") {
        HostOutcome::Matched {
            evidence: Some(e),
            manual: true,
            ..
        } => assert_eq!(e.rule, Rule::Serial),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unlink_prevents_a_rematch_and_a_later_link_undoes_it() {
    let mut i = inputs(
        sample_assets(),
        vec![with_serial(host("a1", DISKOMINFO), "4CE1234ABC")],
    );
    i.decisions = vec![decision("a1", HP_PRODESK, DecisionKind::Unlink, 5)];
    let r = reconcile(&i);
    assert_eq!(*outcome(&r, "a1"), HostOutcome::Unregistered);
    assert_eq!(asset_result(&r, HP_PRODESK).agent_id, None);

    i.decisions
        .push(decision("a1", HP_PRODESK, DecisionKind::Link, 1));
    assert_eq!(matched_key(outcome(&reconcile(&i), "a1")), Some(HP_PRODESK));
}

#[test]
fn an_asset_linked_by_an_operator_is_no_rule_candidate_for_another_host() {
    let mut i = inputs(
        sample_assets(),
        vec![
            host("manual", DISKOMINFO),
            with_serial(host("clone", DISKOMINFO), "4CE1234ABC"),
        ],
    );
    i.decisions = vec![decision("manual", HP_PRODESK, DecisionKind::Link, 1)];
    let r = reconcile(&i);
    assert_eq!(matched_key(outcome(&r, "manual")), Some(HP_PRODESK));
    assert_eq!(*outcome(&r, "clone"), HostOutcome::Unregistered);
}

#[test]
fn learned_uuid_finds_a_reinstalled_host() {
    let mut assets = sample_assets();
    asset(&mut assets, LENOVO_M70S).learned.uuid =
        Some("4C4C4544-0042-3510-8052-B4C04F4E4D32".into());
    // Reinstalled: new agent id, and the board's serial is not in the register form.
    let mut h = with_serial(host("new-agent", DISDIK), "To be filled by O.E.M.");
    h.uuid = Some("4c4c4544-0042-3510-8052-b4c04f4e4d32".into());
    let r = reconcile(&inputs(assets, vec![h]));
    match outcome(&r, "new-agent") {
        HostOutcome::Matched {
            asset_key,
            evidence: Some(e),
            manual: false,
        } => {
            assert_eq!((asset_key.as_str(), e.rule), (LENOVO_M70S, Rule::Uuid));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn mac_shaped_nomor_pabrik_matches_network_gear() {
    let mut h = host("ap", DISKOMINFO);
    h.macs = vec!["02:42:ac:11:00:02".into(), "e0:63:da:1b:2c:3d".into()];
    let r = reconcile(&inputs(sample_assets(), vec![h]));
    match outcome(&r, "ap") {
        HostOutcome::Matched {
            asset_key,
            evidence: Some(e),
            ..
        } => {
            assert_eq!((asset_key.as_str(), e.rule), (UNIFI, Rule::Mac));
            assert_eq!(e.asset_value, "E063DA1B2C3D");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn asset_tag_in_register_number_forms() {
    let tagged = |id: &str, opd: &str, tag: &str| {
        let mut h = host(id, opd);
        h.asset_tag = Some(tag.into());
        h
    };
    let r = reconcile(&inputs(
        sample_assets(),
        vec![
            tagged("short", DISDIK, "1.3.2.10.01.02.001.000003"),
            tagged("short-elsewhere", DINKES, "1.3.2.10.01.02.001/000003"),
            tagged("long", DINKES, "82.71.02.16.01.1.3.2.10.02.04.026.000005"),
        ],
    ));
    assert_eq!(matched_key(outcome(&r, "short")), Some(LENOVO_M70S));
    // The short form is unique only within one kode lokasi.
    assert_eq!(*outcome(&r, "short-elsewhere"), HostOutcome::Unregistered);
    assert_eq!(matched_key(outcome(&r, "long")), Some(UNIFI));
}

#[test]
fn hostname_alone_goes_to_review_and_only_within_the_opd() {
    let mut assets = sample_assets();
    asset(&mut assets, ACER_RB).learned.hostname = Some("PC-ASET-01".into());
    let mut here = host("here", BKAD);
    here.hostname = Some("pc-aset-01.pemkot.local".into());
    let mut there = host("there", DINKES);
    there.hostname = Some("PC-ASET-01".into());
    let r = reconcile(&inputs(assets, vec![here, there]));
    match outcome(&r, "here") {
        HostOutcome::Review {
            candidates,
            reason: ReviewReason::WeakRule,
        } => {
            assert_eq!(candidates.len(), 1);
            assert_eq!(candidates[0].asset_key, ACER_RB);
            assert_eq!(candidates[0].evidence.value, "pcaset01");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(*outcome(&r, "there"), HostOutcome::Unregistered);
    assert!(asset_result(&r, ACER_RB).in_review);
}

#[test]
fn two_hosts_claiming_one_asset_both_go_to_review() {
    let r = reconcile(&inputs(
        sample_assets(),
        vec![
            with_serial(host("a", DISKOMINFO), "4CE1234ABC"),
            with_serial(host("b", DISKOMINFO), "4CE1234ABC"),
        ],
    ));
    for id in ["a", "b"] {
        match outcome(&r, id) {
            HostOutcome::Review {
                candidates,
                reason: ReviewReason::SharedAsset,
            } => {
                assert_eq!(candidates[0].asset_key, HP_PRODESK);
            }
            other => panic!("{id}: {other:?}"),
        }
    }
    let a = asset_result(&r, HP_PRODESK);
    assert!(a.in_review && a.agent_id.is_none() && !a.silent);
}

#[test]
fn rule_order_is_configurable() {
    let mut assets = sample_assets();
    asset(&mut assets, ACER_RB).learned.uuid = Some("4c4c4544-0042-3510-8052-b4c04f4e4d32".into());
    let mut h = with_serial(host("x", BKAD), "4CE1234ABC");
    h.uuid = Some("4c4c4544-0042-3510-8052-b4c04f4e4d32".into());
    let mut i = inputs(assets, vec![h]);
    assert_eq!(matched_key(outcome(&reconcile(&i), "x")), Some(HP_PRODESK));
    i.config.rules = vec![Rule::Uuid, Rule::Serial];
    assert_eq!(matched_key(outcome(&reconcile(&i), "x")), Some(ACER_RB));
}

#[test]
fn silent_assets_are_the_expected_ones_not_seen_lately() {
    let mut old = with_serial(host("old", DISKOMINFO), "4CE1234ABC");
    old.last_seen = Some(now() - chrono::Duration::days(8));
    let mut never = with_serial(host("never", DISKOMINFO), "7XK2M93");
    never.last_seen = None;
    let r = reconcile(&inputs(sample_assets(), vec![old, never]));
    let pc = asset_result(&r, HP_PRODESK);
    assert!(pc.silent && pc.agent_id.as_deref() == Some("old"));
    let server = asset_result(&r, "82.71.02.16.01|1.3.2.10.02.04.001|000001");
    assert!(server.expects_agent && server.silent && server.last_seen.is_none());
    // A switch does not run an agent, a monitor neither.
    let switch = asset_result(&r, "82.71.02.16.01|1.3.2.10.02.04.024|000002");
    assert!(!switch.expects_agent && !switch.silent);
    let silent: Vec<&str> = r
        .assets
        .iter()
        .filter(|a| a.silent)
        .map(|a| a.key.as_str())
        .collect();
    assert_eq!(findings_of(&r, FlagKind::Silent).len(), silent.len());
}

#[test]
fn expected_prefixes_stop_at_dot_boundaries() {
    assert!(under_prefix("1.3.2.10.01.02.001", "1.3.2.10.01"));
    assert!(under_prefix("1.3.2.10.01.02.001", "1.3.2.10.01."));
    assert!(under_prefix("1.3.2.10.01", "1.3.2.10.01"));
    assert!(!under_prefix("1.3.2.10.011.02.001", "1.3.2.10.01"));
    assert!(!under_prefix("1.3.2.10.01.02.001", ""));
}

#[test]
fn decisions_about_unknown_pairs_are_ignored() {
    let mut i = inputs(
        sample_assets(),
        vec![with_serial(host("a1", DISKOMINFO), "4CE1234ABC")],
    );
    i.decisions = vec![
        decision("a1", "removed|asset|000001", DecisionKind::Link, 1),
        decision("gone", HP_PRODESK, DecisionKind::Link, 1),
    ];
    assert_eq!(matched_key(outcome(&reconcile(&i), "a1")), Some(HP_PRODESK));
}
