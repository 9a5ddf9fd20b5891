//! The network judge on hand-built inputs.

use super::*;
use crate::reconcile::FlagKind;
use chrono::TimeZone;

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + chrono::Duration::minutes(min)
}

fn plan_of(entries: &[(&str, &str)]) -> Vec<PlanEntry> {
    entries
        .iter()
        .map(|(o, c)| PlanEntry {
            opd: o.to_string(),
            cidr: c.to_string(),
            note: String::new(),
        })
        .collect()
}

fn kinds(j: &Judged, k: FlagKind) -> Vec<String> {
    j.findings
        .iter()
        .filter(|f| f.kind == k)
        .map(|f| f.subject.clone())
        .collect()
}

#[test]
fn macs_normalize_and_vendors_come_from_the_compiled_table() {
    assert_eq!(
        normalize_mac("00-1A-2B-3C-4D-5E").as_deref(),
        Some("00:1a:2b:3c:4d:5e")
    );
    assert_eq!(
        normalize_mac("001a.2b3c.4d5e").as_deref(),
        Some("00:1a:2b:3c:4d:5e")
    );
    assert_eq!(normalize_mac("SN-12345"), None);
    // 00:00:00 is Xerox's in the IEEE MA-L registry.
    assert_eq!(
        vendor("00:00:00:12:34:56").as_deref(),
        Some("XEROX CORPORATION")
    );
    // Locally administered (second bit of the first octet): randomized, no vendor.
    assert_eq!(vendor("02:00:00:12:34:56"), None);
}

#[test]
fn plan_validation_names_every_bad_entry() {
    let entries = plan_of(&[
        ("0101", "10.1.0.0/24"),
        ("", "10.2.0.0/24"),
        ("0102", "10.1.0.5/24"),
        ("0103", "10.1.0.0/25"),
        ("0104", "bogus"),
    ]);
    let errors = plan::validate(&entries, |i| format!("range[{i}]")).unwrap_err();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert!(errors[0].starts_with("range[1]: opd:"), "{errors:?}");
    assert!(errors[1].contains("range[2]: cidr:") && errors[1].contains("10.1.0.0/24"));
    assert!(errors[2].contains("range[3]: cidr:") && errors[2].contains("overlaps"));
    assert!(errors[3].starts_with("range[4]: cidr:"));
}

#[test]
fn csv_and_toml_plans_report_file_and_line() {
    let csv = "opd,cidr,note\n0101,10.1.0.0/24,lantai 1\n# comment\n0102,10.1.999.0/24,\n";
    let e = plan::parse_csv("plan.csv", csv).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("plan.csv:4: cidr:"), "{e:?}");
    let ok = plan::parse_csv("plan.csv", "opd,cidr\n0101, 10.1.0.0/24\n").unwrap();
    assert_eq!(ok[0].cidr, "10.1.0.0/24");
    let bad_header = plan::parse_csv("plan.csv", "kode,range\n").unwrap_err();
    assert!(bad_header[0].starts_with("plan.csv:1:"), "{bad_header:?}");
    let toml = "[[range]]\nopd = \"0101\"\ncidr = \"10.1.0.0/24\"\n\n[[range]]\nopd = \"0102\"\ncidr = \"10.1.0.0/16\"\n";
    let e = plan::parse_toml("plan.toml", toml).unwrap_err();
    assert!(e[0].starts_with("plan.toml:5: cidr:"), "{e:?}");
}

fn host(id: &str, opd: &str, addrs: &[(&str, &str)]) -> HostNet {
    HostNet {
        agent_id: id.into(),
        opd: opd.into(),
        ip: None,
        addresses: addrs
            .iter()
            .map(|(m, ip)| NicAddress {
                mac: Some(m.to_string()),
                ip: ip.to_string(),
            })
            .collect(),
        macs: addrs.iter().map(|(m, _)| m.to_string()).collect(),
        last_seen: Some(t(0)),
    }
}

fn device(mac: &str, ip: &str, opd: &str, seen: DateTime<Utc>) -> LanDevice {
    LanDevice {
        ip: ip.into(),
        mac: mac.into(),
        opd: opd.into(),
        first_seen: seen,
        last_seen: seen,
        seen_by: vec!["scout-1".into()],
        vendor: None,
    }
}

#[test]
fn addresses_outside_conflicting_and_rogue() {
    let mut inputs = Inputs {
        now: t(1),
        plan: plan_of(&[("0101", "10.1.0.0/24")]),
        hosts: vec![
            host("pc-in", "0101", &[("aa:00:00:00:00:01", "10.1.0.10")]),
            host("pc-out", "0101", &[("aa:00:00:00:00:02", "192.168.5.7")]),
            // No plan for this OPD: nothing to judge against.
            host("pc-noplan", "0202", &[("aa:00:00:00:00:03", "172.16.0.1")]),
            // Link-local and IPv6 are not judged against an IPv4 plan.
            host(
                "pc-ll",
                "0101",
                &[
                    ("aa:00:00:00:00:04", "169.254.1.1"),
                    ("aa:00:00:00:00:04", "fd00::1"),
                ],
            ),
        ],
        devices: vec![
            // The printer, allow-listed, but outside the plan.
            device("bb:00:00:00:00:01", "10.9.9.9", "0101", t(0)),
            // An agent's NIC as a scout sees it: judged as the host.
            device("aa:00:00:00:00:01", "10.1.0.10", "0101", t(0)),
            // Someone's laptop, on pc-in's address: conflict and rogue.
            device("cc:00:00:00:00:01", "10.1.0.10", "0101", t(0)),
            // A register asset (MAC as nomor pabrik).
            device("dd:00:00:00:00:01", "10.1.0.30", "0101", t(0)),
            // Same IP as pc-in but in another OPD's LAN: no conflict.
            device("ee:00:00:00:00:01", "10.1.0.10", "0202", t(0)),
        ],
        register_macs: vec!["DD-00-00-00-00-01".into()],
        ..Default::default()
    };
    inputs.config.allow_macs = vec!["bb0000000001".into(), "ee:00:00:00:00:01".into()];
    let j = find(&inputs);
    assert_eq!(
        kinds(&j, FlagKind::IpOutsidePlan),
        vec!["pc-out", "bb:00:00:00:00:01"]
    );
    assert_eq!(kinds(&j, FlagKind::IpConflict), vec!["0101/10.1.0.10"]);
    assert_eq!(kinds(&j, FlagKind::RogueDevice), vec!["cc:00:00:00:00:01"]);
    for f in &j.findings {
        assert!(FlagKind::NETWORK.contains(&f.kind));
    }

    // An hour later the laptop is gone from the conflict window, still a rogue for a day.
    inputs.now = t(62);
    inputs.hosts[0].last_seen = Some(t(61));
    let j = find(&inputs);
    assert!(kinds(&j, FlagKind::IpConflict).is_empty());
    assert_eq!(kinds(&j, FlagKind::RogueDevice), vec!["cc:00:00:00:00:01"]);
}

fn gw(opd: &str, agent: &str, min: i64, loss: f64, rtt: f64) -> GatewaySample {
    GatewaySample {
        opd: opd.into(),
        agent_id: agent.into(),
        ts: t(min),
        loss_pct: loss,
        rtt_ms: Some(rtt),
    }
}

#[test]
fn degraded_needs_three_bad_rounds_and_three_good_ones_to_clear() {
    let mut inputs = Inputs::default();
    let step = |inputs: &mut Inputs, min: i64, bad: bool| -> bool {
        // Two agents; a bad round is high loss on one and slow on the other.
        let (loss, rtt) = if bad { (20.0, 150.0) } else { (0.0, 5.0) };
        inputs.gateway.push(gw("0101", "a", min, loss, 5.0));
        inputs.gateway.push(gw("0101", "b", min, 0.0, rtt));
        inputs.now = t(min + 1);
        let j = find(inputs);
        let raised = !kinds(&j, FlagKind::NetworkDegraded).is_empty();
        inputs.degraded = j.degraded;
        raised
    };
    assert!(!step(&mut inputs, 0, true));
    assert!(!step(&mut inputs, 1, true));
    assert!(step(&mut inputs, 2, true), "third bad round raises");
    let since = inputs.degraded["0101"];
    assert_eq!(since, t(0), "the episode starts at its first bad round");
    assert!(step(&mut inputs, 3, false), "one good round keeps it");
    assert!(step(&mut inputs, 4, false));
    assert!(!step(&mut inputs, 5, false), "third good round clears");
    assert!(inputs.degraded.is_empty());
    // A single bad minute among good ones raises nothing.
    assert!(!step(&mut inputs, 6, true));
    assert!(!step(&mut inputs, 7, false));
}

fn report(checks: &[(&str, bool)]) -> pantau_proto::body::NetReport {
    pantau_proto::body::NetReport {
        http: checks
            .iter()
            .map(|(name, up)| pantau_proto::body::net::HttpResult {
                name: name.to_string(),
                url: format!("https://{name}.example.go.id/"),
                status: Some(if *up { 200 } else { 503 }),
                ms: Some(120.0),
                cert_days_left: Some(40),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn latest(agent: &str, opd: &str, min: i64, checks: &[(&str, bool)]) -> LatestNet {
    LatestNet {
        agent_id: agent.into(),
        opd: opd.into(),
        ts: t(min),
        report: report(checks),
    }
}

#[test]
fn a_service_is_down_only_when_two_opds_fail_it() {
    let mut inputs = Inputs {
        now: t(1),
        latest: vec![
            latest("a1", "0101", 0, &[("sipd", false), ("simpeg", false)]),
            // Another agent of 0101 passes simpeg: 0101 is not failing simpeg.
            latest("a2", "0101", 0, &[("simpeg", true)]),
            latest("b1", "0102", 0, &[("sipd", false), ("simpeg", false)]),
            // Too old to count.
            latest("c1", "0103", -30, &[("sipd", false)]),
        ],
        ..Default::default()
    };
    let j = find(&inputs);
    assert_eq!(kinds(&j, FlagKind::ServiceDown), vec!["sipd"]);
    let s = health::services(&inputs.latest, inputs.now, &inputs.config);
    let simpeg = s.iter().find(|s| s.name == "simpeg").unwrap();
    assert_eq!(simpeg.opds_failing, vec!["0102"]);
    assert!(!simpeg.down);
    inputs.latest.remove(2);
    assert!(kinds(&find(&inputs), FlagKind::ServiceDown).is_empty());
}
