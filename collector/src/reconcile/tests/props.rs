//! Properties: normalizers never panic and are idempotent; the engine's output does not
//! depend on the order of its inputs.

use super::*;
use crate::reconcile::rules::{norm_hostname, norm_mac, norm_serial, norm_tag, norm_uuid};
use proptest::prelude::*;

proptest! {
    #[test]
    fn normalizers_are_idempotent(s in "\\PC{0,40}") {
        for norm in [norm_serial, norm_uuid, norm_mac, norm_tag, norm_hostname] {
            if let Some(n) = norm(&s) {
                prop_assert_eq!(norm(&n), Some(n.clone()), "{:?}", s);
            }
        }
    }

    #[test]
    fn identifier_shaped_input_is_idempotent_too(
        s in "[0-9A-Fa-f:. -]{0,20}|\\{?[0-9a-fA-F-]{32,36}\\}?|[A-Za-z0-9._-]{0,20}"
    ) {
        for norm in [norm_serial, norm_uuid, norm_mac, norm_tag, norm_hostname] {
            if let Some(n) = norm(&s) {
                prop_assert_eq!(norm(&n), Some(n.clone()), "{:?}", s);
            }
        }
    }
}

/// A small fleet drawn from few values, so collisions (duplicates, shared serials, several
/// candidates, manual links over rules) are common.
fn fleet() -> impl Strategy<Value = Inputs> {
    let opds = [DISKOMINFO, BKAD, DINKES];
    let assets = prop::collection::vec(
        (
            0..3usize,
            prop::option::of(0..8u8),
            prop::option::of(0..4u8),
            prop::option::of(0..4u8),
        ),
        0..25,
    );
    let hosts = prop::collection::vec(
        (
            0..3usize,
            prop::option::of(0..10u8),
            prop::option::of(0..4u8),
            prop::option::of(0..5u8),
            0..20i64,
        ),
        0..25,
    );
    let decisions = prop::collection::vec((0..25usize, 0..25usize, 0..3u8, 0..4i64), 0..8);
    (assets, hosts, decisions).prop_map(move |(assets, hosts, decisions)| {
        let assets: Vec<AssetFacts> = assets
            .into_iter()
            .enumerate()
            .map(|(i, (opd, serial, uuid, host))| AssetFacts {
                key: format!("k{i:03}"),
                kode_lokasi: opds[opd].into(),
                kode_barang: "1.3.2.10.01.02.001".into(),
                nomor_register: format!("{i:06}"),
                nomor_pabrik: serial.map(|s| format!("SER{s}XYZ")),
                learned: LearnedIds {
                    uuid: uuid.map(|u| format!("4c4c4544-0042-3510-8052-b4c04f4e4d3{u}")),
                    hostname: host.map(|h| format!("pc-{h}")),
                    ..LearnedIds::default()
                },
                ..AssetFacts::default()
            })
            .collect();
        let hosts: Vec<HostFacts> = hosts
            .into_iter()
            .enumerate()
            .map(|(i, (opd, serial, uuid, name, days))| HostFacts {
                agent_id: format!("agent-{i:03}"),
                opd: opds[opd].into(),
                serial: serial.map(|s| format!("ser{s}xyz")),
                uuid: uuid.map(|u| format!("4C4C4544-0042-3510-8052-B4C04F4E4D3{u}")),
                hostname: name.map(|h| format!("PC-{h}.pemkot.local")),
                last_seen: Some(now() - chrono::Duration::days(days)),
                ..HostFacts::default()
            })
            .collect();
        let decisions = decisions
            .into_iter()
            .map(|(h, a, kind, hours)| {
                let kind = [
                    DecisionKind::Link,
                    DecisionKind::Confirm,
                    DecisionKind::Unlink,
                ][kind as usize];
                decision(&format!("agent-{h:03}"), &format!("k{a:03}"), kind, hours)
            })
            .collect();
        Inputs {
            assets,
            hosts,
            decisions,
            config: RuleConfig::default(),
            now: now(),
        }
    })
}

/// Fisher-Yates with xorshift64: enough to permute, no dependency.
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    seed |= 1;
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn output_does_not_depend_on_input_order(inputs in fleet(), seed in any::<u64>()) {
        let expected = reconcile(&inputs);
        let mut shuffled = inputs.clone();
        shuffle(&mut shuffled.assets, seed);
        shuffle(&mut shuffled.hosts, seed.rotate_left(17));
        shuffle(&mut shuffled.decisions, seed.rotate_left(33));
        prop_assert_eq!(reconcile(&shuffled), expected);
    }

    #[test]
    fn every_host_and_asset_has_exactly_one_result(inputs in fleet()) {
        let r = reconcile(&inputs);
        prop_assert_eq!(r.hosts.len(), inputs.hosts.len());
        prop_assert_eq!(r.assets.len(), inputs.assets.len());
        // An asset has at most one host, and that host's outcome names it.
        for a in r.assets.iter().filter(|a| a.agent_id.is_some()) {
            let id = a.agent_id.as_deref().unwrap();
            prop_assert_eq!(matched_key(outcome(&r, id)), Some(a.key.as_str()));
        }
    }
}
