//! Hosts to assets. See `docs/reconciliation.md`.
//!
//! One pass builds a hash index per rule from normalized register identifiers to assets;
//! each host then costs a handful of lookups, so 50,000 × 50,000 is linear work
//! (docs/benchmarks.md), not the 2.5 billion comparisons a pairwise match would be.

use super::fasthash::{FastMap as HashMap, FastSet as HashSet};
use super::rules::{norm_hostname, norm_mac, norm_serial, norm_tag, norm_uuid};
use super::*;
use chrono::Duration;

/// The matching step's result.
#[derive(Debug, Clone, Default)]
pub struct Matched {
    /// Sorted by agent id.
    pub hosts: Vec<HostResult>,
    /// Sorted by register key.
    pub assets: Vec<AssetResult>,
}

/// Which asset field an index entry came from, so the evidence can quote it as written.
#[derive(Debug, Clone, Copy)]
enum Source {
    NomorPabrik,
    LearnedSerial,
    LearnedUuid,
    LearnedMac(usize),
    Nibar,
    /// `kode_barang.nomor_register`: unique only within one kode lokasi.
    RegisterShort,
    /// `kode_lokasi.kode_barang.nomor_register`.
    RegisterLong,
    LearnedHostname,
}

impl Source {
    fn raw(self, a: &AssetFacts) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            Source::NomorPabrik => opt(&a.nomor_pabrik),
            Source::LearnedSerial => opt(&a.learned.serial),
            Source::LearnedUuid => opt(&a.learned.uuid),
            Source::LearnedMac(i) => a.learned.macs[i].clone(),
            Source::Nibar => opt(&a.nibar),
            Source::RegisterShort => format!("{}.{}", a.kode_barang, a.nomor_register),
            Source::RegisterLong => {
                format!("{}.{}.{}", a.kode_lokasi, a.kode_barang, a.nomor_register)
            }
            Source::LearnedHostname => opt(&a.learned.hostname),
        }
    }
}

/// Index keys for values only comparable within one OPD (hostnames, short register numbers).
/// The separator cannot occur in a normalized value, so scoped and global keys never meet.
fn scoped(opd: &str, value: &str) -> String {
    format!("{opd}\u{1f}{value}")
}

/// Normalized identifier → (asset index, where it came from), one map per rule.
#[derive(Default)]
struct Index {
    serial: HashMap<String, Vec<(usize, Source)>>,
    uuid: HashMap<String, Vec<(usize, Source)>>,
    mac: HashMap<String, Vec<(usize, Source)>>,
    tag: HashMap<String, Vec<(usize, Source)>>,
    hostname: HashMap<String, Vec<(usize, Source)>>,
}

fn add(map: &mut HashMap<String, Vec<(usize, Source)>>, key: String, asset: usize, src: Source) {
    let v = map.entry(key).or_default();
    // One asset can give the same value twice (nomor pabrik and learned serial): keep one,
    // the first, which is the register's own field.
    if v.last().map(|(a, _)| *a) != Some(asset) {
        v.push((asset, src));
    }
}

impl Index {
    fn build(assets: &[AssetFacts]) -> Index {
        let mut ix = Index::default();
        for (i, a) in assets.iter().enumerate() {
            if let Some(s) = a.nomor_pabrik.as_deref() {
                if let Some(n) = norm_serial(s) {
                    add(&mut ix.serial, n, i, Source::NomorPabrik);
                }
                // Network gear (Ubiquiti, MikroTik) carries its MAC as its serial.
                if let Some(m) = norm_mac(s) {
                    add(&mut ix.mac, m, i, Source::NomorPabrik);
                }
            }
            if let Some(n) = a.learned.serial.as_deref().and_then(norm_serial) {
                add(&mut ix.serial, n, i, Source::LearnedSerial);
            }
            if let Some(n) = a.learned.uuid.as_deref().and_then(norm_uuid) {
                add(&mut ix.uuid, n, i, Source::LearnedUuid);
            }
            for (k, m) in a.learned.macs.iter().enumerate() {
                if let Some(n) = norm_mac(m) {
                    add(&mut ix.mac, n, i, Source::LearnedMac(k));
                }
            }
            if let Some(n) = a.nibar.as_deref().and_then(norm_tag) {
                add(&mut ix.tag, n, i, Source::Nibar);
            }
            let short = format!("{}.{}", a.kode_barang, a.nomor_register);
            if let Some(n) = norm_tag(&short) {
                add(
                    &mut ix.tag,
                    scoped(&a.kode_lokasi, &n),
                    i,
                    Source::RegisterShort,
                );
            }
            if let Some(n) = norm_tag(&format!("{}.{short}", a.kode_lokasi)) {
                add(&mut ix.tag, n, i, Source::RegisterLong);
            }
            if let Some(n) = a.learned.hostname.as_deref().and_then(norm_hostname) {
                add(
                    &mut ix.hostname,
                    scoped(&a.kode_lokasi, &n),
                    i,
                    Source::LearnedHostname,
                );
            }
        }
        ix
    }

    /// Every asset `rule` finds for `host`, with the evidence, in index order (the caller
    /// sorts). An asset found through several values keeps the first.
    fn candidates(
        &self,
        rule: Rule,
        host: &HostFacts,
        assets: &[AssetFacts],
    ) -> Vec<(usize, MatchEvidence)> {
        // (host's raw value, lookup key, normalized value)
        let mut probes: Vec<(&str, String, String)> = Vec::new();
        let (map, raws): (_, Vec<&str>) = match rule {
            Rule::Serial => (&self.serial, host.serial.as_deref().into_iter().collect()),
            Rule::Uuid => (&self.uuid, host.uuid.as_deref().into_iter().collect()),
            Rule::Mac => (&self.mac, host.macs.iter().map(String::as_str).collect()),
            Rule::AssetTag => (&self.tag, host.asset_tag.as_deref().into_iter().collect()),
            Rule::Hostname => (
                &self.hostname,
                host.hostname.as_deref().into_iter().collect(),
            ),
        };
        for raw in raws {
            let norm = match rule {
                Rule::Serial => norm_serial(raw),
                Rule::Uuid => norm_uuid(raw),
                Rule::Mac => norm_mac(raw),
                Rule::AssetTag => norm_tag(raw),
                Rule::Hostname => norm_hostname(raw),
            };
            let Some(norm) = norm else { continue };
            match rule {
                Rule::Hostname => probes.push((raw, scoped(&host.opd, &norm), norm)),
                Rule::AssetTag => {
                    probes.push((raw, norm.clone(), norm.clone()));
                    probes.push((raw, scoped(&host.opd, &norm), norm));
                }
                _ => probes.push((raw, norm.clone(), norm)),
            }
        }
        let mut out: Vec<(usize, MatchEvidence)> = Vec::new();
        for (raw, key, norm) in probes {
            for &(a, src) in map.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
                if out.iter().any(|(b, _)| *b == a) {
                    continue;
                }
                out.push((
                    a,
                    MatchEvidence {
                        rule,
                        value: norm.clone(),
                        host_value: raw.to_string(),
                        asset_value: src.raw(&assets[a]),
                    },
                ));
            }
        }
        out
    }
}

/// The operators' decisions, resolved to indexes: the latest decision per pair counts.
struct Decisions {
    /// Pairs an operator said are not the same machine.
    unlinked: HashSet<(usize, usize)>,
    /// Host → the asset it is linked to by an operator (its latest Link or Confirm).
    forced: HashMap<usize, usize>,
    /// Asset → the host that owns it by an operator's decision (the latest, if several).
    owner: HashMap<usize, usize>,
}

impl Decisions {
    fn resolve(inputs: &Inputs, asset_ix: &HashMap<&str, usize>) -> Decisions {
        let host_ix: HashMap<&str, usize> = if inputs.decisions.is_empty() {
            HashMap::default()
        } else {
            inputs
                .hosts
                .iter()
                .enumerate()
                .map(|(i, h)| (h.agent_id.as_str(), i))
                .collect()
        };
        // Latest per pair; on equal times Unlink wins (the cautious reading).
        let rank = |d: &Decision| (d.at, d.kind == DecisionKind::Unlink);
        let mut latest: HashMap<(usize, usize), &Decision> = HashMap::default();
        for d in &inputs.decisions {
            // Decisions about removed assets or unknown hosts wait, unused, for them to return.
            let (Some(&h), Some(&a)) = (
                host_ix.get(d.agent_id.as_str()),
                asset_ix.get(d.asset_key.as_str()),
            ) else {
                continue;
            };
            let e = latest.entry((h, a)).or_insert(d);
            if rank(d) > rank(e) {
                *e = d;
            }
        }
        let mut unlinked = HashSet::default();
        let mut forced: HashMap<usize, (DateTime<Utc>, usize)> = HashMap::default();
        let mut owner: HashMap<usize, (DateTime<Utc>, usize)> = HashMap::default();
        // Ties between links are broken by key and agent id, so the result does not depend
        // on the order decisions were loaded in.
        let key = |a: usize| inputs.assets[a].key.as_str();
        let agent = |h: usize| inputs.hosts[h].agent_id.as_str();
        for (&(h, a), d) in &latest {
            if d.kind == DecisionKind::Unlink {
                unlinked.insert((h, a));
                continue;
            }
            let f = forced.entry(h).or_insert((d.at, a));
            if (d.at, std::cmp::Reverse(key(a))) > (f.0, std::cmp::Reverse(key(f.1))) {
                *f = (d.at, a);
            }
        }
        for (&h, &(at, a)) in &forced {
            let o = owner.entry(a).or_insert((at, h));
            if (at, std::cmp::Reverse(agent(h))) > (o.0, std::cmp::Reverse(agent(o.1))) {
                *o = (at, h);
            }
        }
        Decisions {
            unlinked,
            forced: forced.into_iter().map(|(h, (_, a))| (h, a)).collect(),
            owner: owner.into_iter().map(|(a, (_, h))| (a, h)).collect(),
        }
    }
}

/// True when `kode_barang` is `prefix` or lies below it at a dot boundary, so
/// `1.3.2.10.01` covers `1.3.2.10.01.02.001` but not `1.3.2.10.011`.
pub fn under_prefix(kode_barang: &str, prefix: &str) -> bool {
    let prefix = prefix.trim().trim_end_matches('.');
    !prefix.is_empty()
        && kode_barang
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

pub fn match_hosts(inputs: &Inputs) -> Matched {
    let assets = &inputs.assets;
    let hosts = &inputs.hosts;
    let index = Index::build(assets);
    let key_ix: HashMap<&str, usize> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| (a.key.as_str(), i))
        .collect();
    let decisions = Decisions::resolve(inputs, &key_ix);

    let mut outcomes: Vec<Option<HostOutcome>> = vec![None; hosts.len()];
    // Asset → hosts that a strong rule matched to it alone (not operators).
    let mut claims: HashMap<usize, Vec<(usize, MatchEvidence)>> = HashMap::default();

    for (h, host) in hosts.iter().enumerate() {
        let usable = |a: usize| {
            !decisions.unlinked.contains(&(h, a)) && decisions.owner.get(&a).is_none_or(|&o| o == h)
        };
        if let Some(&forced) = decisions.forced.get(&h) {
            let evidence = inputs.config.rules.iter().find_map(|&rule| {
                index
                    .candidates(rule, host, assets)
                    .into_iter()
                    .find(|(a, _)| *a == forced)
                    .map(|(_, e)| e)
            });
            outcomes[h] = Some(HostOutcome::Matched {
                asset_key: assets[forced].key.clone(),
                evidence,
                manual: true,
            });
            continue;
        }
        let mut outcome = HostOutcome::Unregistered;
        for &rule in &inputs.config.rules {
            let mut found = index.candidates(rule, host, assets);
            found.retain(|(a, _)| usable(*a));
            if found.is_empty() {
                continue;
            }
            found.sort_by(|x, y| assets[x.0].key.cmp(&assets[y.0].key));
            outcome = if found.len() == 1 && rule.is_strong() {
                let (a, evidence) = found.pop().expect("one candidate");
                claims.entry(a).or_default().push((h, evidence.clone()));
                HostOutcome::Matched {
                    asset_key: assets[a].key.clone(),
                    evidence: Some(evidence),
                    manual: false,
                }
            } else {
                HostOutcome::Review {
                    reason: if found.len() > 1 {
                        ReviewReason::SeveralAssets
                    } else {
                        ReviewReason::WeakRule
                    },
                    candidates: found
                        .into_iter()
                        .map(|(a, evidence)| Candidate {
                            asset_key: assets[a].key.clone(),
                            evidence,
                        })
                        .collect(),
                }
            };
            break;
        }
        outcomes[h] = Some(outcome);
    }

    // Two machines that both claim one asset are usually a cloned disk image or a
    // motherboard swapped between PCs: neither is linked until an operator says which.
    for (&a, claimants) in &claims {
        if claimants.len() < 2 {
            continue;
        }
        for (h, evidence) in claimants {
            outcomes[*h] = Some(HostOutcome::Review {
                candidates: vec![Candidate {
                    asset_key: assets[a].key.clone(),
                    evidence: evidence.clone(),
                }],
                reason: ReviewReason::SharedAsset,
            });
        }
    }

    let mut matched_host: Vec<Option<usize>> = vec![None; assets.len()];
    let mut in_review: Vec<bool> = vec![false; assets.len()];
    for (h, outcome) in outcomes.iter().enumerate() {
        match outcome.as_ref().expect("every host has an outcome") {
            HostOutcome::Matched { asset_key, .. } => {
                let a = key_ix[asset_key.as_str()];
                // Two operators' links to one asset: the owner (latest decision) shows.
                if decisions.owner.get(&a).is_none_or(|&o| o == h) {
                    matched_host[a] = Some(h);
                }
            }
            HostOutcome::Review { candidates, .. } => {
                for c in candidates {
                    in_review[key_ix[c.asset_key.as_str()]] = true;
                }
            }
            HostOutcome::Unregistered => {}
        }
    }

    let mut host_results: Vec<HostResult> = hosts
        .iter()
        .zip(outcomes)
        .map(|(host, outcome)| HostResult {
            agent_id: host.agent_id.clone(),
            opd: host.opd.clone(),
            outcome: outcome.expect("every host has an outcome"),
        })
        .collect();
    host_results.sort_by(|x, y| x.agent_id.cmp(&y.agent_id));

    let cfg = &inputs.config;
    let silent_before = inputs.now - Duration::days(i64::from(cfg.silent_after_days));
    let mut asset_results: Vec<AssetResult> = assets
        .iter()
        .enumerate()
        .map(|(a, asset)| {
            let host = matched_host[a].map(|h| &hosts[h]);
            let last_seen = host.and_then(|h| h.last_seen);
            let expects_agent = cfg
                .expect_agent
                .iter()
                .any(|p| under_prefix(&asset.kode_barang, p));
            let in_review = in_review[a];
            AssetResult {
                key: asset.key.clone(),
                kode_lokasi: asset.kode_lokasi.clone(),
                agent_id: host.map(|h| h.agent_id.clone()),
                in_review,
                expects_agent,
                last_seen,
                // In review means an operator is about to say which host it is: not silent yet.
                silent: expects_agent && !in_review && last_seen.is_none_or(|t| t < silent_before),
            }
        })
        .collect();
    asset_results.sort_by(|x, y| x.key.cmp(&y.key));

    Matched {
        hosts: host_results,
        assets: asset_results,
    }
}
