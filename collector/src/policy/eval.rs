//! Evaluation: every host's latest usage facts and recent CPU windows against the policy,
//! into flag findings. Pure (no store, no clock): the job, `policy test` and the benchmark
//! call the same function.
//!
//! Matching results are cached per distinct name, path and package within a run: a city's
//! hosts share most of their process and package names, so 10,000 hosts cost a few thousand
//! glob matches, not millions.

use super::model::{Category, Exemption, PolicyKind, Proto};
use super::sustained;
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
pub(super) struct Cache {
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
    pub(super) fn process(
        &mut self,
        p: &Policy,
        name: &str,
        exe: Option<&str>,
        sha: Option<&str>,
    ) -> Mask {
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

pub(super) struct Mask {
    name: u64,
    path: u64,
    hash: u64,
}

impl Mask {
    pub(super) fn all(&self) -> u64 {
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

pub(super) fn each_bit(mask: u64) -> impl Iterator<Item = usize> {
    (0..64).filter(move |i| mask & (1u64 << i) != 0)
}

/// The exemption that covers this (kind, category, port) on this host today, if any.
pub(super) fn exemption<'a>(
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
pub(super) fn said(id: String, en: String) -> (String, String) {
    (id, en)
}

pub(super) fn finding(
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
    e.page(hosts, &mut out);
    out
}

/// Evaluation of hosts one page at a time, keeping the match caches between pages.
pub struct Evaluator<'a> {
    policy: &'a Policy,
    now: DateTime<Utc>,
    today: NaiveDate,
    /// One cache per worker thread of [`Evaluator::page`]; the first serves [`Evaluator::host`].
    caches: Vec<Cache>,
}

/// Below this many hosts a page is evaluated on one thread: starting threads would cost more.
const PARALLEL_FROM: usize = 64;

impl<'a> Evaluator<'a> {
    pub fn new(policy: &'a Policy, now: DateTime<Utc>) -> Evaluator<'a> {
        let today = now
            .with_timezone(&policy.file.office_hours.timezone.0)
            .date_naive();
        // Evaluation is pure CPU over data already in memory: one worker per core, capped so
        // a big server does not hold many caches for one periodic job.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        Evaluator {
            policy,
            now,
            today,
            caches: (0..workers).map(|_| Cache::default()).collect(),
        }
    }

    /// Append the findings of one host to `out`.
    pub fn host(&mut self, h: &HostInput, out: &mut Vec<Finding>) {
        host(
            self.policy,
            h,
            self.now,
            self.today,
            &mut self.caches[0],
            out,
        );
    }

    /// Append the findings of a page of hosts to `out`, in the hosts' order, splitting the
    /// page over the cores. Each worker keeps its own match cache across pages; hosts share
    /// nothing else, so the result is the same as evaluating them one by one.
    pub fn page(&mut self, hosts: &[HostInput], out: &mut Vec<Finding>) {
        if hosts.len() < PARALLEL_FROM || self.caches.len() == 1 {
            for h in hosts {
                self.host(h, out);
            }
            return;
        }
        let chunk = hosts.len().div_ceil(self.caches.len());
        let (p, now, today) = (self.policy, self.now, self.today);
        let parts: Vec<Vec<Finding>> = std::thread::scope(|scope| {
            let workers: Vec<_> = hosts
                .chunks(chunk)
                .zip(self.caches.iter_mut())
                .map(|(part, cache)| {
                    scope.spawn(move || {
                        let mut found = Vec::new();
                        for h in part {
                            host(p, h, now, today, cache, &mut found);
                        }
                        found
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("policy evaluation worker panicked"))
                .collect()
        });
        for part in parts {
            out.extend(part);
        }
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
        sustained::mining(p, h, &windows, today, cache, out);
        sustained::after_hours(p, h, &windows, today, out);
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
