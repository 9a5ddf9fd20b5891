//! Evaluation: every host's latest usage facts and recent CPU windows against the policy,
//! into flag findings. Pure (no store, no clock): the job, `policy test` and the benchmark
//! call the same function.
//!
//! Matching results are cached per distinct name, path and package within a run: a city's
//! hosts share most of their process and package names, so 10,000 hosts cost a few thousand
//! glob matches, not millions.

use super::hours::Hours;
use super::model::{Category, Exemption, PolicyKind, Proto};
use super::Policy;
use crate::reconcile::fasthash::FastMap;
use crate::reconcile::{Finding, FlagKind, SubjectKind};
use chrono::{DateTime, NaiveDate, Utc};
use pantau_proto::body::usage::Software;
use serde_json::json;
use std::collections::BTreeMap;

pub use super::input::{class_id, class_of, Class, CpuWindow, HostInput, ProcCpu, UsageFacts};

/// Per-run caches of glob results (bitmasks of categories), looked up by borrowed key so a
/// hit allocates nothing: most of a run is hits.
#[derive(Default)]
struct Cache {
    names: FastMap<String, u64>,
    paths: FastMap<String, u64>,
    packages: FastMap<String, u64>,
    publishers: FastMap<String, u64>,
}

/// The cached value of `key`, computing and keeping it on a miss.
fn cached(map: &mut FastMap<String, u64>, key: &str, f: impl FnOnce() -> u64) -> u64 {
    if let Some(v) = map.get(key) {
        return *v;
    }
    let v = f();
    map.insert(key.to_owned(), v);
    v
}

impl Cache {
    fn process(&mut self, p: &Policy, name: &str, exe: Option<&str>, sha: Option<&str>) -> Mask {
        let m = &p.matchers;
        let by_name = cached(&mut self.names, name, || bits(&m.processes, name));
        let by_path = exe.map_or(0, |e| {
            cached(&mut self.paths, e, || bits(&m.paths, &e.replace('\\', "/")))
        });
        let by_hash = match sha {
            Some(s) if !m.sha256.is_empty() => {
                m.sha256.get(&s.to_ascii_lowercase()).copied().unwrap_or(0)
            }
            _ => 0,
        };
        Mask {
            name: by_name,
            path: by_path,
            hash: by_hash,
        }
    }

    fn package(&mut self, p: &Policy, s: &Software) -> u64 {
        let m = &p.matchers;
        let by_name = cached(&mut self.packages, &s.name, || bits(&m.software, &s.name));
        let by_publisher = s.publisher.as_deref().map_or(0, |x| {
            cached(&mut self.publishers, x, || bits(&m.publishers, x))
        });
        by_name | by_publisher
    }
}

fn bits(set: &(globset::GlobSet, Vec<u64>), s: &str) -> u64 {
    if set.1.is_empty() {
        return 0;
    }
    set.0
        .matches(s)
        .into_iter()
        .fold(0, |acc, i| acc | set.1[i])
}

struct Mask {
    name: u64,
    path: u64,
    hash: u64,
}

impl Mask {
    fn all(&self) -> u64 {
        self.name | self.path | self.hash
    }
    fn on(&self, bit: u64) -> &'static str {
        if self.hash & bit != 0 {
            "sha256"
        } else if self.path & bit != 0 {
            "path"
        } else {
            "name"
        }
    }
}

fn each_bit(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |i| mask & (1u64 << i) != 0)
}

/// The exemption that covers this (kind, category, port) on this host today, if any.
fn exemption<'a>(
    p: &'a Policy,
    h: &HostInput,
    kind: PolicyKind,
    category: Option<&str>,
    port: Option<u16>,
    today: NaiveDate,
) -> Option<&'a Exemption> {
    p.file.exemptions.iter().map(|s| s.get_ref()).find(|e| {
        let who = e.agent.as_deref() == Some(h.agent_id.as_str())
            || (e.asset.is_some() && e.asset == h.asset_key);
        who && today <= e.expires.0
            && (e.kinds.is_empty() || e.kinds.contains(&kind))
            && category.is_none_or(|c| {
                e.categories.is_empty() || e.categories.iter().any(|x| x.get_ref() == c)
            })
            && port.is_none_or(|p| e.ports.is_empty() || e.ports.iter().any(|r| r.contains(p)))
    })
}

/// Both languages of a summary; the flag stores the Indonesian, evidence the English.
fn said(id: String, en: String) -> (String, String) {
    (id, en)
}

fn finding(
    kind: FlagKind,
    h: &HostInput,
    (summary, summary_en): (String, String),
    mut evidence: serde_json::Value,
    fingerprint: String,
) -> Finding {
    if let Some(o) = evidence.as_object_mut() {
        o.insert("summary_en".into(), json!(summary_en));
        o.insert("agent_id".into(), json!(h.agent_id));
        o.insert("hostname".into(), json!(h.hostname));
        o.insert("opd".into(), json!(h.opd));
        if let Some(a) = &h.asset_key {
            o.insert("asset_key".into(), json!(a));
        }
    }
    Finding {
        kind,
        subject_kind: SubjectKind::Host,
        subject: h.agent_id.clone(),
        opd: h.opd.clone(),
        summary,
        evidence,
        fingerprint,
    }
}

/// Evaluate every host at `now`.
pub fn evaluate(p: &Policy, hosts: &[HostInput], now: DateTime<Utc>) -> Vec<Finding> {
    let mut e = Evaluator::new(p, now);
    let mut out = Vec::new();
    for h in hosts {
        e.host(h, &mut out);
    }
    out
}

/// Evaluation of hosts one page at a time, keeping the match caches between pages.
pub struct Evaluator<'a> {
    policy: &'a Policy,
    now: DateTime<Utc>,
    today: NaiveDate,
    cache: Cache,
}

impl<'a> Evaluator<'a> {
    pub fn new(policy: &'a Policy, now: DateTime<Utc>) -> Evaluator<'a> {
        let today = now
            .with_timezone(&policy.file.office_hours.timezone.0)
            .date_naive();
        Evaluator {
            policy,
            now,
            today,
            cache: Cache::default(),
        }
    }

    /// Append the findings of one host to `out`.
    pub fn host(&mut self, h: &HostInput, out: &mut Vec<Finding>) {
        host(self.policy, h, self.now, self.today, &mut self.cache, out);
    }
}

fn host(
    p: &Policy,
    h: &HostInput,
    now: DateTime<Utc>,
    today: NaiveDate,
    cache: &mut Cache,
    out: &mut Vec<Finding>,
) {
    if let Some(f) = &h.facts {
        processes(p, h, f, today, cache, out);
        software(p, h, f, today, cache, out);
        listeners(p, h, f, today, out);
    }
    let from = now - chrono::Duration::seconds(p.file.sustained.lookback_s as i64);
    let windows: Vec<&CpuWindow> = h
        .windows
        .iter()
        .filter(|w| {
            w.until > from && w.until > w.since && w.until <= now + chrono::Duration::minutes(10)
        })
        .collect();
    if !windows.is_empty() {
        mining(p, h, &windows, today, cache, out);
        after_hours(p, h, &windows, today, out);
    }
}

fn cat_names(p: &Policy, ids: impl Iterator<Item = usize>) -> (String, String) {
    let cats: Vec<&Category> = ids.map(|i| p.category(i)).collect();
    (
        cats.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        cats.iter()
            .map(|c| c.name_en.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
}

fn processes(
    p: &Policy,
    h: &HostInput,
    f: &UsageFacts,
    today: NaiveDate,
    cache: &mut Cache,
    out: &mut Vec<Finding>,
) {
    let mut hits = Vec::new();
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    let mut cats = 0u64;
    for pr in &f.processes {
        let m = cache.process(p, &pr.name, pr.exe.as_deref(), pr.sha256.as_deref());
        for i in each_bit(m.all()) {
            let c = p.category(i);
            if exemption(
                p,
                h,
                PolicyKind::UnauthorizedProcess,
                Some(c.id.get_ref()),
                None,
                today,
            )
            .is_some()
            {
                continue;
            }
            cats |= 1 << i;
            seen.insert(format!("{}:{}", c.id.get_ref(), pr.name.to_lowercase()), ());
            hits.push(json!({
                "category": c.id.get_ref(), "name": pr.name, "exe": pr.exe, "sha256": pr.sha256,
                "user": pr.user, "pid": pr.pid, "started_at": pr.started_at,
                "running_for_s": pr.started_at.map(|s| (f.collected_at - s).num_seconds().max(0)),
                "cpu_s": pr.cpu_s, "rss_bytes": pr.rss_bytes, "matched_on": m.on(1 << i),
            }));
        }
    }
    if hits.is_empty() {
        return;
    }
    let names: Vec<String> = seen
        .keys()
        .map(|k| k.split_once(':').map_or(k.clone(), |x| x.1.to_string()))
        .collect();
    let (cid, cen) = cat_names(p, each_bit(cats));
    let text = said(
        format!("Proses terlarang berjalan: {} ({cid})", names.join(", ")),
        format!("Forbidden processes running: {} ({cen})", names.join(", ")),
    );
    let ev = json!({ "collected_at": f.collected_at, "processes": hits });
    out.push(finding(
        FlagKind::UnauthorizedProcess,
        h,
        text,
        ev,
        seen.keys().cloned().collect::<Vec<_>>().join(","),
    ));
}

fn software(
    p: &Policy,
    h: &HostInput,
    f: &UsageFacts,
    today: NaiveDate,
    cache: &mut Cache,
    out: &mut Vec<Finding>,
) {
    let mut hits = Vec::new();
    let mut keys = Vec::new();
    let mut cats = 0u64;
    for s in &f.software {
        let m = cache.package(p, s);
        if m == 0 {
            continue;
        }
        for i in each_bit(m) {
            let c = p.category(i);
            if exemption(
                p,
                h,
                PolicyKind::UnauthorizedSoftware,
                Some(c.id.get_ref()),
                None,
                today,
            )
            .is_some()
            {
                continue;
            }
            cats |= 1 << i;
            keys.push(format!("{}:{}", c.id.get_ref(), s.name.to_lowercase()));
            hits.push(json!({
                "category": c.id.get_ref(), "name": s.name, "version": s.version,
                "publisher": s.publisher, "source": s.source, "installed_at": s.installed_at,
            }));
        }
    }
    if hits.is_empty() {
        return;
    }
    keys.sort();
    keys.dedup();
    let (cid, cen) = cat_names(p, each_bit(cats));
    let n = hits.len();
    let text = said(
        format!("{n} perangkat lunak tidak sah terpasang ({cid})"),
        format!("{n} unauthorized software packages installed ({cen})"),
    );
    let ev = json!({ "software_at": f.software_at.unwrap_or(f.collected_at), "software": hits });
    out.push(finding(
        FlagKind::UnauthorizedSoftware,
        h,
        text,
        ev,
        keys.join(","),
    ));
}

fn loopback(addr: &str) -> bool {
    addr.parse::<std::net::IpAddr>()
        .is_ok_and(|a| a.is_loopback())
}

fn listeners(p: &Policy, h: &HostInput, f: &UsageFacts, today: NaiveDate, out: &mut Vec<Finding>) {
    let (class, why) = class_of(p, h);
    let ac = &p.file.asset_class;
    let (rules, sets) = match class {
        Class::Workstation => (&ac.workstation, &p.matchers.allow[0]),
        Class::Laptop => (&ac.laptop, &p.matchers.allow[1]),
        Class::Server => (&ac.server, &p.matchers.allow[2]),
    };
    if !rules.check_listeners {
        return;
    }
    let mut hits = Vec::new();
    let mut keys = Vec::new();
    for l in &f.listeners {
        if loopback(&l.addr) {
            continue;
        }
        let proto = match l.proto.as_str() {
            "tcp" | "tcp6" => Proto::Tcp,
            "udp" | "udp6" => Proto::Udp,
            _ => Proto::Any,
        };
        let allowed = rules.allow.iter().zip(sets).any(|(r, set)| {
            (r.proto == Proto::Any || r.proto == proto)
                && r.ports.iter().any(|pr| pr.contains(l.port))
                && (r.processes.is_empty() || l.process.as_deref().is_some_and(|n| set.is_match(n)))
        });
        if allowed
            || exemption(
                p,
                h,
                PolicyKind::UnauthorizedServer,
                None,
                Some(l.port),
                today,
            )
            .is_some()
        {
            continue;
        }
        let key = format!("{}/{}", l.proto, l.port);
        if keys.contains(&key) {
            continue;
        }
        keys.push(key);
        hits.push(json!({
            "proto": l.proto, "addr": l.addr, "port": l.port, "pid": l.pid,
            "process": l.process, "exe": l.exe, "user": l.user,
        }));
    }
    if hits.is_empty() {
        return;
    }
    keys.sort();
    let text = said(
        format!(
            "Layanan server berjalan di {} ({}) di luar Pusat Data: {}",
            class_id(class),
            h.hostname.as_deref().unwrap_or(&h.agent_id),
            keys.join(", ")
        ),
        format!(
            "Server listening on a {} ({}) outside the Data Center: {}",
            class.name(),
            h.hostname.as_deref().unwrap_or(&h.agent_id),
            keys.join(", ")
        ),
    );
    let ev = json!({ "collected_at": f.collected_at, "class": class, "class_from": why, "listeners": hits });
    out.push(finding(
        FlagKind::UnauthorizedServer,
        h,
        text,
        ev,
        keys.join(","),
    ));
}

fn mining(
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

fn after_hours(
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
