//! Engine tests on the shared register sample (collector/src/register/testdata, the same
//! file as the project's register-sample.csv) and on generated fleets.

mod condition;
mod findings;
mod hardware;
mod matching;
mod props;

use super::*;
use chrono::TimeZone;

pub(super) const DISKOMINFO: &str = "82.71.02.16.01";
pub(super) const BKAD: &str = "82.71.02.01.01";
pub(super) const DINKES: &str = "82.71.03.02.01";
pub(super) const DISDIK: &str = "82.71.04.01.01";

/// Keys of sample rows (no NIBAR in the sample: `kode_lokasi|kode_barang|nomor_register`).
pub(super) const HP_PRODESK: &str = "82.71.02.16.01|1.3.2.10.01.02.001|000001";
pub(super) const ACER_RB: &str = "82.71.02.01.01|1.3.2.10.01.02.001|000014";
pub(super) const ACER_OEM: &str = "82.71.02.01.01|1.3.2.10.01.02.001|000015";
pub(super) const DELL_21: &str = "82.71.03.02.01|1.3.2.10.01.02.001|000021";
pub(super) const DELL_22: &str = "82.71.03.02.01|1.3.2.10.01.02.001|000022";
pub(super) const LENOVO_M70S: &str = "82.71.04.01.01|1.3.2.10.01.02.001|000003";
pub(super) const UNIFI: &str = "82.71.02.16.01|1.3.2.10.02.04.026|000005";

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 8, 0, 0).unwrap()
}

pub(super) fn sample_assets() -> Vec<AssetFacts> {
    let bytes = include_bytes!("../../register/testdata/register-sample.csv");
    let parsed = crate::register::parse_csv("register-sample.csv", bytes).expect("sample parses");
    parsed.rows.iter().map(AssetFacts::from).collect()
}

pub(super) fn asset<'a>(assets: &'a mut [AssetFacts], key: &str) -> &'a mut AssetFacts {
    assets.iter_mut().find(|a| a.key == key).expect(key)
}

/// A host that reported an hour ago.
pub(super) fn host(agent_id: &str, opd: &str) -> HostFacts {
    HostFacts {
        agent_id: agent_id.into(),
        opd: opd.into(),
        last_seen: Some(now() - chrono::Duration::hours(1)),
        ..HostFacts::default()
    }
}

pub(super) fn with_serial(mut h: HostFacts, serial: &str) -> HostFacts {
    h.serial = Some(serial.into());
    h
}

pub(super) fn inputs(assets: Vec<AssetFacts>, hosts: Vec<HostFacts>) -> Inputs {
    Inputs {
        assets,
        hosts,
        decisions: vec![],
        config: RuleConfig::default(),
        now: now(),
    }
}

pub(super) fn decision(
    agent_id: &str,
    asset_key: &str,
    kind: DecisionKind,
    hours_ago: i64,
) -> Decision {
    Decision {
        agent_id: agent_id.into(),
        asset_key: asset_key.into(),
        kind,
        by: "operator".into(),
        at: now() - chrono::Duration::hours(hours_ago),
        note: None,
    }
}

pub(super) fn outcome<'a>(r: &'a Reconciliation, agent_id: &str) -> &'a HostOutcome {
    &r.hosts
        .iter()
        .find(|h| h.agent_id == agent_id)
        .expect(agent_id)
        .outcome
}

pub(super) fn asset_result<'a>(r: &'a Reconciliation, key: &str) -> &'a AssetResult {
    r.assets.iter().find(|a| a.key == key).expect(key)
}

pub(super) fn findings_of(r: &Reconciliation, kind: FlagKind) -> Vec<&Finding> {
    r.findings.iter().filter(|f| f.kind == kind).collect()
}

pub(super) fn matched_key(o: &HostOutcome) -> Option<&str> {
    match o {
        HostOutcome::Matched { asset_key, .. } => Some(asset_key),
        _ => None,
    }
}
