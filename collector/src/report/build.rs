//! From what the store holds to [`ReportData`]: gather (async, the store) and build (pure,
//! so tests can check every figure against their own computation).

use super::classes::{useful_life, Class};
use super::config::ReportConfig;
use super::data::*;
use super::period::Period;
use crate::store::sqlite::report::{stat, HostUsage, ReportFacts, Stat};
use crate::store::{Flag, FlagFilter, RegisterLine, Store};
use chrono::{DateTime, Datelike, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Everything a report is built from.
pub struct Inputs {
    /// Current register lines in scope, ordered by kode lokasi (as the store returns them).
    pub lines: Vec<RegisterLine>,
    /// Every flag, any state.
    pub flags: Vec<Flag>,
    pub facts: ReportFacts,
}

/// Read the store for `period` (one OPD's assets with `opd`). Asking for an OPD without
/// assets is an error: usually a mistyped kode lokasi.
pub async fn gather(
    store: &dyn Store,
    period: Period,
    opd: Option<&str>,
) -> anyhow::Result<Inputs> {
    let lines = store.register_lines(opd).await?;
    if let (Some(opd), true) = (opd, lines.is_empty()) {
        crate::refuse!(
            "opd: tidak ada aset dengan kode lokasi {opd:?} (no assets with kode lokasi {opd:?})"
        );
    }
    let flags = store
        .flags(FlagFilter {
            state: Some("all".into()),
            opd: opd.map(str::to_string),
            limit: Some(u32::MAX),
            ..Default::default()
        })
        .await?;
    let facts = store
        .report_facts(
            period.start().timestamp(),
            period.end().timestamp(),
            period.previous().start().timestamp(),
            period.zone.offset().local_minus_utc().into(),
        )
        .await?;
    Ok(Inputs {
        lines,
        flags,
        facts,
    })
}

/// The report. `generated_at` is passed in (never read from the clock here) so the same
/// inputs give the same bytes.
pub fn build(
    inputs: Inputs,
    period: Period,
    opd: Option<&str>,
    cfg: &ReportConfig,
    generated_at: DateTime<Utc>,
) -> ReportData {
    let (from, to) = (period.start(), period.end());
    let usage: HashMap<&str, &HostUsage> = inputs
        .facts
        .usage
        .iter()
        .map(|u| (u.agent_id.as_str(), u))
        .collect();
    let host = |l: &RegisterLine| l.agent_id.as_deref().and_then(|a| usage.get(a).copied());
    let reporting = |l: &RegisterLine| host(l).is_some_and(|u| u.active_hours > 0);
    let expected = &inputs.facts.expected;

    let mut notes = vec![Note::CurrentState];
    match inputs.facts.oldest_hour {
        None => notes.push(Note::NoUsage),
        Some(t) if t >= to.timestamp() => notes.push(Note::NoUsage),
        Some(t) if t > from.timestamp() => notes.push(Note::UsageFrom(t)),
        Some(_) => {}
    }

    let coverage_of = |lines: &[RegisterLine]| {
        let mut c = Coverage::default();
        for l in lines
            .iter()
            .filter(|l| Class::of(&l.kode_barang) != Class::NonIct)
        {
            c.registered_ict += 1;
            if expected.contains(&l.key) {
                c.expected += 1;
                if reporting(l) {
                    c.reporting += 1;
                } else {
                    c.silent.push(l.key.clone());
                }
            }
        }
        c
    };

    // Inventory by class, register and suggested condition side by side.
    let mut inventory: BTreeMap<Class, ClassInventory> = BTreeMap::new();
    for l in &inputs.lines {
        let class = Class::of(&l.kode_barang);
        let e = inventory.entry(class).or_insert_with(|| ClassInventory {
            class: Some(class),
            ..Default::default()
        });
        e.assets += 1;
        *e.register.entry(code(l.kondisi)).or_default() += 1;
        *e.suggested.entry(code(l.suggested_kondisi)).or_default() += 1;
    }

    // Utilization per class, and the candidates.
    let period_hours = period.hours().max(1) as f64;
    let mut per_class: BTreeMap<Class, Vec<&HostUsage>> = BTreeMap::new();
    let (mut underused, mut overused) = (Vec::new(), Vec::new());
    for l in &inputs.lines {
        let Some(u) = host(l).filter(|u| u.active_hours > 0) else {
            continue;
        };
        per_class
            .entry(Class::of(&l.kode_barang))
            .or_default()
            .push(u);
        let (Some(cpu), Some(mem)) = (u.cpu, u.mem) else {
            continue;
        };
        let disk = u.disk.map_or(0.0, |d| d.avg);
        let cand = || UsageCandidate {
            key: l.key.clone(),
            agent_id: u.agent_id.clone(),
            cpu_p95: cpu.p95,
            mem_p95: mem.p95,
            disk_avg: disk,
        };
        if cpu.p95 > cfg.overused_cpu_p95
            || mem.p95 > cfg.overused_mem_p95
            || disk > cfg.overused_disk_avg
        {
            overused.push(cand());
        } else if cpu.p95 < cfg.underused_cpu_p95 && mem.p95 < cfg.underused_mem_p95 {
            underused.push(cand());
        }
    }
    let class_stat = |hosts: &[&HostUsage], f: fn(&HostUsage) -> Option<Stat>| {
        let s: Vec<Stat> = hosts.iter().filter_map(|h| f(h)).collect();
        let avg = stat(s.iter().map(|s| s.avg).collect())?.avg;
        let p95 = stat(s.iter().map(|s| s.p95).collect())?.p95;
        Some(Stat { avg, p95 })
    };
    let usage_rows = per_class
        .iter()
        .map(|(class, hosts)| ClassUsage {
            class: Some(*class),
            hosts: hosts.len() as u64,
            cpu: class_stat(hosts, |h| h.cpu),
            mem: class_stat(hosts, |h| h.mem),
            disk: class_stat(hosts, |h| h.disk),
            availability: hosts
                .iter()
                .map(|h| (h.active_hours as f64 / period_hours).min(1.0))
                .sum::<f64>()
                / hosts.len() as f64,
        })
        .collect();

    let flags = flag_figures(&inputs.flags, from, to);
    let changes = changes(&inputs, from, to, &reporting);
    let recommendations = recommendations(&inputs.lines, period, cfg);

    // One row per OPD in scope.
    let net: HashMap<&str, _> = inputs
        .facts
        .net
        .iter()
        .map(|n| (n.opd.as_str(), n))
        .collect();
    let mut open_by_opd: HashMap<&str, u64> = HashMap::new();
    for f in inputs.flags.iter().filter(|f| f.state != "resolved") {
        *open_by_opd.entry(f.opd.as_str()).or_default() += 1;
    }
    let opds = inputs
        .lines
        .chunk_by(|a, b| a.kode_lokasi == b.kode_lokasi)
        .map(|group| OpdRow {
            opd: OpdName {
                kode: group[0].kode_lokasi.clone(),
                nama: group.iter().find_map(|l| l.nama_opd.clone()),
            },
            assets: group.len() as u64,
            coverage: coverage_of(group),
            net: net.get(group[0].kode_lokasi.as_str()).map(|n| (*n).clone()),
            open_flags: open_by_opd
                .get(group[0].kode_lokasi.as_str())
                .copied()
                .unwrap_or(0),
        })
        .collect();

    let summary = Part {
        inventory: inventory.into_values().collect(),
        coverage: coverage_of(&inputs.lines),
        usage: usage_rows,
        underused,
        overused,
        flags,
        changes,
        recommendations,
    };
    let appendix = inputs
        .lines
        .iter()
        .map(|l| {
            let u = host(l);
            AssetEntry {
                class: Class::of(&l.kode_barang),
                active_hours: u.map(|u| u.active_hours),
                cpu: u.and_then(|u| u.cpu),
                mem: u.and_then(|u| u.mem),
                disk: u.and_then(|u| u.disk),
                line: l.clone(),
            }
        })
        .collect();
    // Daily figures over the hosts matched to assets in scope, each host once.
    let mut seen = BTreeSet::new();
    let mut days: BTreeMap<i64, (u64, f64, u64, f64, u64)> = BTreeMap::new();
    for u in inputs.lines.iter().filter_map(host) {
        if !seen.insert(u.agent_id.as_str()) {
            continue;
        }
        for &(d, cpu, mem) in &u.daily {
            let e = days.entry(d).or_default();
            e.0 += 1;
            if let Some(c) = cpu {
                e.1 += c;
                e.2 += 1;
            }
            if let Some(m) = mem {
                e.3 += m;
                e.4 += 1;
            }
        }
    }
    let mean = |s: f64, n: u64| (n > 0).then(|| s / n as f64);
    let daily = days
        .into_iter()
        .map(|(day, (hosts, cs, cn, ms, mn))| DayFigure {
            day,
            hosts,
            cpu: mean(cs, cn),
            mem: mean(ms, mn),
        })
        .collect();
    ReportData {
        daily,
        city: cfg.city.clone(),
        period,
        opd: opd.map(|kode| OpdName {
            kode: kode.to_string(),
            nama: inputs.lines.iter().find_map(|l| l.nama_opd.clone()),
        }),
        generated_at,
        notes,
        summary,
        opds,
        coverage_threshold: cfg.coverage_threshold,
        appendix,
    }
}

pub fn code(c: Option<crate::register::Condition>) -> String {
    c.map_or("-", |c| c.code()).to_string()
}

/// Flags active at some time in the period (opened before its end, not resolved before its
/// start), counted by kind and their state now; the top open ones listed.
fn flag_figures(flags: &[Flag], from: DateTime<Utc>, to: DateTime<Utc>) -> FlagFigures {
    let mut out = FlagFigures::default();
    let active = |f: &&Flag| f.opened_at < to && f.resolved_at.is_none_or(|r| r >= from);
    for f in flags.iter().filter(active) {
        *out.by_kind
            .entry(f.kind.clone())
            .or_default()
            .entry(f.state.clone())
            .or_default() += 1;
    }
    let mut open: Vec<&Flag> = flags
        .iter()
        .filter(active)
        .filter(|f| f.state != "resolved")
        .collect();
    open.sort_by(|a, b| {
        (b.reopen_count, a.opened_at, a.id).cmp(&(a.reopen_count, b.opened_at, b.id))
    });
    out.top = open
        .into_iter()
        .take(TOP_FLAGS)
        .map(|f| FlagItem {
            kind: f.kind.clone(),
            subject: f.subject.clone(),
            opd: f.opd.clone(),
            state: f.state.clone(),
            summary: f.summary.clone(),
            article: f.article.clone(),
            opened_at: f.opened_at,
        })
        .collect();
    out
}

/// How many open flags the report lists by name.
pub const TOP_FLAGS: usize = 15;

fn field<'a>(v: &'a Option<serde_json::Value>, name: &str) -> &'a str {
    v.as_ref()
        .and_then(|v| v.get(name))
        .and_then(|v| v.as_str())
        .unwrap_or("")
}

fn changes(
    inputs: &Inputs,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reporting: &dyn Fn(&RegisterLine) -> bool,
) -> Changes {
    let in_scope: BTreeSet<&str> = inputs.lines.iter().map(|l| l.key.as_str()).collect();
    let opds: BTreeSet<&str> = inputs
        .lines
        .iter()
        .map(|l| l.kode_lokasi.as_str())
        .collect();
    let in_opds = |v: &Option<serde_json::Value>| opds.contains(field(v, "kode_lokasi"));
    let mut c = Changes::default();
    let mut removed_serials: HashMap<&str, (&str, &str)> = HashMap::new();
    for h in &inputs.facts.changes {
        match h.change.as_str() {
            "added" | "restored" if in_scope.contains(h.key.as_str()) => {
                c.added.push(h.key.clone())
            }
            "removed" if in_opds(&h.before) => {
                c.removed.push(h.key.clone());
                let serial = field(&h.before, "nomor_pabrik");
                if !serial.is_empty() {
                    removed_serials.insert(serial, (&h.key, field(&h.before, "kode_lokasi")));
                }
            }
            "changed" if in_scope.contains(h.key.as_str()) => {
                for f in ["ruangan", "pemegang"] {
                    let (a, b) = (field(&h.before, f), field(&h.after, f));
                    if a != b {
                        c.moved.push((h.key.clone(), a.to_string(), b.to_string()));
                    }
                }
            }
            _ => {}
        }
    }
    // Removed in one OPD and added in another with the same serial: a move between OPDs.
    for h in inputs.facts.changes.iter().filter(|h| h.change == "added") {
        let serial = field(&h.after, "nomor_pabrik");
        if let Some((old_key, old_opd)) = removed_serials.get(serial).filter(|_| !serial.is_empty())
        {
            c.moved.push((
                h.key.clone(),
                format!("{old_opd} ({old_key})"),
                field(&h.after, "kode_lokasi").to_string(),
            ));
        }
    }
    for l in &inputs.lines {
        let before = l
            .agent_id
            .as_deref()
            .is_some_and(|a| inputs.facts.active_before.contains(a));
        if before && !reporting(l) {
            c.missing.push(l.key.clone());
        }
    }
    c.hardware = inputs
        .flags
        .iter()
        .filter(|f| f.kind == "hardware_changed" && f.opened_at >= from && f.opened_at < to)
        .map(|f| (f.subject.clone(), f.summary.clone()))
        .collect();
    for v in [&mut c.added, &mut c.removed, &mut c.missing] {
        v.sort();
        v.dedup();
    }
    c.moved.sort();
    c.hardware.sort();
    c
}

/// Replace: Rusak Berat (register or suggested) or older than the useful life; repair:
/// Rusak Ringan. An asset is listed once, with every reason.
fn recommendations(
    lines: &[RegisterLine],
    period: Period,
    cfg: &ReportConfig,
) -> Vec<Recommendation> {
    use crate::register::Condition::{RusakBerat, RusakRingan};
    // The year the period ends in, locally (Q4 ends at the first instant of next year).
    let last = period.end() - chrono::Duration::seconds(1);
    let year = last.with_timezone(&period.zone.offset()).year();
    let mut out = Vec::new();
    for l in lines {
        let mut reasons = Vec::new();
        if l.kondisi == Some(RusakBerat) {
            reasons.push(Reason::RegisterRusakBerat);
        }
        if l.suggested_kondisi == Some(RusakBerat) {
            reasons.push(Reason::SuggestedRusakBerat);
        }
        let class = Class::of(&l.kode_barang);
        if let (Some(bought), Some(life)) =
            (l.tahun_perolehan, useful_life(class, &cfg.useful_life))
        {
            let age = year - bought;
            if age > life as i32 {
                reasons.push(Reason::BeyondLife { age, life });
            }
        }
        let action = if reasons.is_empty() {
            if l.kondisi == Some(RusakRingan) || l.suggested_kondisi == Some(RusakRingan) {
                reasons.push(Reason::RusakRingan);
                Action::Repair
            } else {
                continue;
            }
        } else {
            Action::Replace
        };
        out.push(Recommendation {
            key: l.key.clone(),
            action,
            reasons,
        });
    }
    out.sort_by(|a, b| (a.action, &a.key).cmp(&(b.action, &b.key)));
    out
}
