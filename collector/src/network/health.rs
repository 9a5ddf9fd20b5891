//! Network health: per-OPD gateway rounds with hysteresis (`network_degraded`), e-Gov checks
//! seen from several OPDs (`service_down`), and the views the API shows.

use super::{Inputs, LatestNet, NetworkConfig};
use crate::reconcile::{Finding, FlagKind, SubjectKind};
use chrono::{DateTime, Duration, Utc};
use pantau_proto::body::net::{HttpResult, ProbeResult};
use pantau_proto::body::NetReport;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// The probe of the default gateway in a report.
pub fn gateway_probe(r: &NetReport) -> Option<&ProbeResult> {
    r.probes.iter().find(|p| p.name == "gateway")
}

/// A check passes when it answered without error, with a 2xx/3xx status, and with the
/// expected text when one was configured.
pub fn check_up(h: &HttpResult) -> bool {
    h.error.is_none()
        && h.status.is_some_and(|s| (200..400).contains(&s))
        && h.expected_found != Some(false)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// One round of one OPD: its agents' gateway figures within one `round_s` bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Round {
    pub start: DateTime<Utc>,
    pub agents: usize,
    /// Mean gateway loss of the agents' reports.
    pub loss_pct: f64,
    /// Median of the agents' gateway RTT medians; `None` when nothing came back.
    pub rtt_ms: Option<f64>,
    pub bad: bool,
}

/// Complete rounds per OPD, oldest first. The bucket still in progress is left out, so a
/// round is judged only once all its agents could report.
pub fn rounds(inputs: &Inputs) -> BTreeMap<String, Vec<Round>> {
    let cfg = &inputs.config;
    let len = cfg.round_s.max(1) as i64;
    // (opd, bucket start) -> (agents, losses, rtts)
    type Bucket<'a> = (BTreeSet<&'a str>, Vec<f64>, Vec<f64>);
    let mut buckets: BTreeMap<(String, i64), Bucket> = BTreeMap::new();
    for s in &inputs.gateway {
        let start = s.ts.timestamp().div_euclid(len) * len;
        if start + len > inputs.now.timestamp() {
            continue;
        }
        let b = buckets.entry((s.opd.clone(), start)).or_default();
        b.0.insert(&s.agent_id);
        b.1.push(s.loss_pct);
        b.2.extend(s.rtt_ms);
    }
    let mut out: BTreeMap<String, Vec<Round>> = BTreeMap::new();
    for ((opd, start), (agents, loss, rtt)) in buckets {
        let loss_pct = mean(&loss).unwrap_or(0.0);
        let rtt_ms = median(rtt);
        let bad = loss_pct > cfg.loss_pct || rtt_ms.is_some_and(|r| r > cfg.rtt_ms);
        out.entry(opd).or_default().push(Round {
            start: DateTime::from_timestamp(start, 0).unwrap_or_default(),
            agents: agents.len(),
            loss_pct,
            rtt_ms,
            bad,
        });
    }
    out
}

/// Hysteresis: an OPD becomes degraded after `rounds` bad rounds in a row and stays so until
/// `rounds` good rounds in a row, so one noisy minute neither raises nor clears the flag.
/// Too few rounds (agents silent) keeps the previous state.
pub fn degraded(inputs: &Inputs) -> (super::DegradedState, Vec<Finding>) {
    let n = inputs.config.rounds.max(1);
    let all = rounds(inputs);
    let mut opds: BTreeSet<&String> = all.keys().collect();
    opds.extend(inputs.degraded.keys());
    let mut state = super::DegradedState::new();
    let mut findings = Vec::new();
    let none = Vec::new();
    for opd in opds {
        let rs = all.get(opd).unwrap_or(&none);
        let last = &rs[rs.len().saturating_sub(n)..];
        let full = last.len() == n;
        let since = match inputs.degraded.get(opd) {
            Some(_) if full && last.iter().all(|r| !r.bad) => None,
            Some(since) => Some(*since),
            None if full && last.iter().all(|r| r.bad) => {
                // The episode starts at the first round of the trailing bad streak.
                let streak = rs.iter().rev().take_while(|r| r.bad).count();
                Some(rs[rs.len() - streak].start)
            }
            None => None,
        };
        let Some(since) = since else { continue };
        state.insert(opd.clone(), since);
        let cfg = &inputs.config;
        let latest = last.last();
        findings.push(Finding {
            kind: FlagKind::NetworkDegraded,
            subject_kind: SubjectKind::Opd,
            subject: opd.clone(),
            opd: opd.clone(),
            summary: match latest {
                Some(r) => format!(
                    "Jaringan OPD {opd} terganggu sejak {}: kehilangan paket gateway {:.1} %, RTT {} (batas {} % / {} ms)",
                    since.format("%Y-%m-%d %H:%M UTC"),
                    r.loss_pct,
                    r.rtt_ms.map_or("-".into(), |v| format!("{v:.0} ms")),
                    cfg.loss_pct,
                    cfg.rtt_ms
                ),
                None => format!("Jaringan OPD {opd} terganggu sejak {}", since.format("%Y-%m-%d %H:%M UTC")),
            },
            evidence: json!({
                "since": since,
                "rounds": last,
                "thresholds": { "loss_pct": cfg.loss_pct, "rtt_ms": cfg.rtt_ms, "rounds": n },
            }),
            fingerprint: since.to_rfc3339(),
        });
    }
    (state, findings)
}

fn recent<'a>(
    latest: &'a [LatestNet],
    now: DateTime<Utc>,
    cfg: &NetworkConfig,
) -> impl Iterator<Item = &'a LatestNet> {
    let since = now - Duration::seconds(cfg.service_window_s as i64);
    latest.iter().filter(move |l| l.ts >= since)
}

/// One e-Gov check as the OPDs see it now.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServiceState {
    pub name: String,
    pub url: String,
    /// OPDs where at least one agent passed the check.
    pub opds_ok: Vec<String>,
    /// OPDs where every agent that ran the check failed it.
    pub opds_failing: Vec<String>,
    pub agents_ok: usize,
    pub agents_failing: usize,
    /// Median response time of the passing checks.
    pub median_ms: Option<f64>,
    /// Fewest days to certificate expiry any agent saw.
    pub cert_days_left: Option<i64>,
    /// Distinct errors and statuses of the failing checks.
    pub errors: Vec<String>,
    pub down: bool,
}

/// Per check: which OPDs pass and fail it within the service window. An OPD fails a check
/// only when none of its agents passes it, so one broken PC does not fail its OPD.
pub fn services(
    latest: &[LatestNet],
    now: DateTime<Utc>,
    cfg: &NetworkConfig,
) -> Vec<ServiceState> {
    #[derive(Default)]
    struct Acc {
        url: String,
        ok: BTreeSet<String>,
        seen: BTreeSet<String>,
        agents_ok: usize,
        agents_failing: usize,
        ms: Vec<f64>,
        cert: Option<i64>,
        errors: BTreeSet<String>,
    }
    let mut by: BTreeMap<String, Acc> = BTreeMap::new();
    for l in recent(latest, now, cfg) {
        for h in &l.report.http {
            let a = by.entry(h.name.clone()).or_default();
            a.url = h.url.clone();
            a.seen.insert(l.opd.clone());
            if check_up(h) {
                a.ok.insert(l.opd.clone());
                a.agents_ok += 1;
                a.ms.extend(h.ms);
            } else {
                a.agents_failing += 1;
                a.errors.insert(match (&h.error, h.status) {
                    (Some(e), _) => e.clone(),
                    (None, Some(s)) if !(200..400).contains(&s) => format!("HTTP {s}"),
                    _ => "teks yang diharapkan tidak ditemukan".into(),
                });
            }
            if let Some(d) = h.cert_days_left {
                a.cert = Some(a.cert.map_or(d, |c: i64| c.min(d)));
            }
        }
    }
    by.into_iter()
        .map(|(name, a)| {
            let failing: Vec<String> = a.seen.difference(&a.ok).cloned().collect();
            ServiceState {
                down: failing.len() >= cfg.service_min_opds.max(1),
                name,
                url: a.url,
                opds_ok: a.ok.into_iter().collect(),
                opds_failing: failing,
                agents_ok: a.agents_ok,
                agents_failing: a.agents_failing,
                median_ms: median(a.ms),
                cert_days_left: a.cert,
                errors: a.errors.into_iter().collect(),
            }
        })
        .collect()
}

pub fn service_down(inputs: &Inputs) -> Vec<Finding> {
    services(&inputs.latest, inputs.now, &inputs.config)
        .into_iter()
        .filter(|s| s.down)
        .map(|s| Finding {
            kind: FlagKind::ServiceDown,
            subject_kind: SubjectKind::Service,
            subject: s.name.clone(),
            // The service is city-wide: Diskominfo acts, not one OPD.
            opd: "*".into(),
            summary: format!(
                "Layanan {} ({}) gagal diakses dari {} OPD: {}",
                s.name,
                s.url,
                s.opds_failing.len(),
                s.opds_failing.join(", ")
            ),
            fingerprint: s.opds_failing.join(","),
            evidence: serde_json::to_value(&s).unwrap_or_default(),
        })
        .collect()
}

/// The network of one OPD now, from its agents' latest reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OpdNet {
    pub opd: String,
    /// Agents whose latest report is within the service window.
    pub agents_reporting: usize,
    pub last_report: Option<DateTime<Utc>>,
    /// Mean gateway loss of those reports.
    pub gateway_loss_pct: Option<f64>,
    /// Median of their gateway RTT medians.
    pub gateway_rtt_ms: Option<f64>,
    /// The `network_degraded` flag is open or acknowledged.
    pub degraded: bool,
}

pub fn opd_views(latest: &[LatestNet], now: DateTime<Utc>, cfg: &NetworkConfig) -> Vec<OpdNet> {
    let mut by: BTreeMap<&str, (OpdNet, Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for l in recent(latest, now, cfg) {
        let e = by.entry(&l.opd).or_insert_with(|| {
            (
                OpdNet {
                    opd: l.opd.clone(),
                    ..Default::default()
                },
                Vec::new(),
                Vec::new(),
            )
        });
        e.0.agents_reporting += 1;
        e.0.last_report = e.0.last_report.max(Some(l.ts));
        if let Some(g) = gateway_probe(&l.report) {
            e.1.push(g.loss_pct);
            e.2.extend(g.rtt_median_ms.or(g.rtt_avg_ms));
        }
    }
    by.into_values()
        .map(|(mut v, loss, rtt)| {
            v.gateway_loss_pct = mean(&loss);
            v.gateway_rtt_ms = median(rtt);
            v
        })
        .collect()
}
