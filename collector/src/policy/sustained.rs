//! The flags that need CPU sustained over time rather than one snapshot: suspected
//! crypto-mining (a known miner busy for long) and after-hours use (the PC busy outside the
//! OPD's office hours while someone is logged in). Both read the host's recent CPU windows.

use super::eval::{
    class_of, each_bit, exemption, finding, said, Cache, Class, CpuWindow, HostInput,
};
use super::hours::Hours;
use super::model::PolicyKind;
use super::Policy;
use crate::reconcile::{Finding, FlagKind};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use std::collections::BTreeMap;

pub(super) fn mining(
    p: &Policy,
    h: &HostInput,
    windows: &[&CpuWindow],
    today: NaiveDate,
    cache: &mut Cache,
    out: &mut Vec<Finding>,
) {
    let mining = p.matchers.mining;
    if mining == 0 {
        return;
    }
    // Per miner process (name): CPU seconds and the seconds of the windows it was seen in.
    struct Acc {
        cpu_s: f64,
        span_s: f64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        exe: Option<String>,
        sha256: Option<String>,
        cats: u64,
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for w in windows {
        for pr in &w.procs {
            let m = cache.process(p, &pr.name, pr.exe.as_deref(), pr.sha256.as_deref());
            let cats = m.all() & mining;
            if cats == 0 {
                continue;
            }
            let a = acc.entry(pr.name.clone()).or_insert(Acc {
                cpu_s: 0.0,
                span_s: 0.0,
                from: w.since,
                to: w.until,
                exe: pr.exe.clone(),
                sha256: pr.sha256.clone(),
                cats: 0,
            });
            a.cpu_s += pr.cpu_s;
            a.span_s += (w.until - w.since).num_milliseconds() as f64 / 1000.0;
            a.from = a.from.min(w.since);
            a.to = a.to.max(w.until);
            a.cats |= cats;
        }
    }
    let s = &p.file.sustained;
    let mut hits = Vec::new();
    let mut keys = Vec::new();
    for (name, a) in acc {
        let core_pct = 100.0 * a.cpu_s / a.span_s.max(1.0);
        if a.span_s < s.mining_min_s as f64 || core_pct < s.mining_core_pct {
            continue;
        }
        let cat = p
            .category(each_bit(a.cats).next().unwrap_or(0))
            .id
            .get_ref();
        if exemption(p, h, PolicyKind::CryptoMining, Some(cat), None, today).is_some() {
            continue;
        }
        keys.push(name.to_lowercase());
        hits.push(json!({
            "name": name, "exe": a.exe, "sha256": a.sha256, "category": cat,
            "cpu_s": (a.cpu_s * 10.0).round() / 10.0, "observed_s": a.span_s.round(),
            "avg_core_pct": core_pct.round(), "from": a.from, "to": a.to,
        }));
    }
    if hits.is_empty() {
        return;
    }
    let text = said(
        format!(
            "Dugaan penambangan kripto: {} memakai CPU tinggi terus-menerus",
            keys.join(", ")
        ),
        format!(
            "Suspected crypto-mining: {} using sustained high CPU",
            keys.join(", ")
        ),
    );
    let ev = json!({
        "processes": hits,
        "threshold": { "mining_core_pct": s.mining_core_pct, "mining_min_s": s.mining_min_s },
    });
    out.push(finding(FlagKind::CryptoMining, h, text, ev, keys.join(",")));
}

pub(super) fn after_hours(
    p: &Policy,
    h: &HostInput,
    windows: &[&CpuWindow],
    today: NaiveDate,
    out: &mut Vec<Finding>,
) {
    if class_of(p, h).0 == Class::Server {
        return; // Data Center servers work around the clock by design.
    }
    let sessions = h.facts.as_ref().map_or(&[][..], |f| &f.sessions[..]);
    if sessions.is_empty() {
        return; // nobody logged in: background load (updates, backups) is not "use".
    }
    let hours = Hours::of(&p.file.office_hours, &h.opd);
    let s = &p.file.sustained;
    let holidays = &p.file.office_hours.holidays;
    let mut busy_s = 0.0;
    let mut spans = Vec::new();
    let mut top: BTreeMap<String, f64> = BTreeMap::new();
    for w in windows {
        let len = (w.until - w.since).num_milliseconds() as f64 / 1000.0;
        let mid = w.since + (w.until - w.since) / 2;
        let share = 100.0 * w.cpu_s / (len * w.cpus.max(1) as f64);
        if hours.is_office(mid, holidays) || share < s.after_hours_cpu_pct {
            continue;
        }
        busy_s += len;
        spans.push(json!({
            "from": hours.local(w.since), "to": hours.local(w.until),
            "cpu_pct": share.round(),
        }));
        for pr in &w.procs {
            *top.entry(pr.name.clone()).or_default() += pr.cpu_s;
        }
    }
    if busy_s < s.after_hours_min_s as f64
        || exemption(p, h, PolicyKind::AfterHoursUsage, None, None, today).is_some()
    {
        return;
    }
    let mut top: Vec<(String, f64)> = top.into_iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    top.truncate(5);
    let users: Vec<&str> = sessions.iter().map(|s| s.user.as_str()).collect();
    let minutes = (busy_s / 60.0).round();
    let text = said(
        format!(
            "Pemakaian di luar jam kerja: {minutes} menit aktif, pengguna {}",
            users.join(", ")
        ),
        format!(
            "After-hours use: {minutes} busy minutes, users {}",
            users.join(", ")
        ),
    );
    // One occurrence per local day of its first busy window.
    let first = spans
        .first()
        .and_then(|s| s["from"].as_str())
        .unwrap_or("")
        .get(..10)
        .unwrap_or("")
        .to_string();
    let ev = json!({
        "busy_s": busy_s.round(), "windows": spans,
        "top_processes": top.iter().map(|(n, c)| json!({"name": n, "cpu_s": c.round()})).collect::<Vec<_>>(),
        "sessions": sessions,
        "office_hours": {
            "timezone": hours.tz.name(), "days": hours.days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "start": hours.start.format("%H:%M").to_string(), "end": hours.end.format("%H:%M").to_string(),
        },
        "threshold": { "after_hours_cpu_pct": s.after_hours_cpu_pct, "after_hours_min_s": s.after_hours_min_s },
    });
    out.push(finding(FlagKind::AfterHoursUsage, h, text, ev, first));
}
