//! The policy engine without a store: parsing with positions, every category, exemptions,
//! asset classes, office hours across zones and holidays, sustained vs short bursts.

use super::eval::{evaluate, CpuWindow, HostInput, ProcCpu, UsageFacts};
use super::hours::Hours;
use super::*;
use crate::reconcile::{Finding, FlagKind};
use chrono::{DateTime, TimeZone, Utc};
use pantau_proto::body::usage::{Listener, ProcessUsage, Session, Software};

const BASE: &str = r#"
[office_hours]
timezone = "WIT"
days = ["senin", "selasa", "rabu", "kamis", "jumat"]
start = "07:30"
end = "16:30"
holidays = ["2026-08-17"]

[[office_hours.opd]]
opd = "11.01"
timezone = "WIB"

[[office_hours.opd]]
opd = "22.01"
timezone = "Asia/Makassar"

[[office_hours.opd]]
opd = "33.01.09"
always = true

[asset_class]
datacenter_opds = ["99.01"]
laptop_kode_barang = ["1.3.2.10.01.02.002"]
laptop_chassis = ["Notebook"]
[asset_class.workstation]
allow = [{ proto = "tcp", ports = [445] }, { proto = "tcp", ports = ["49152-65535"], processes = ["svchost.exe"] }]
[asset_class.laptop]
allow = []
[asset_class.server]
check_listeners = false

[[category]]
id = "games"
name = "permainan"
name_en = "games"
processes = ["steam*"]
software = ["Steam"]
publishers = ["Valve*"]

[[category]]
id = "p2p"
name = "P2P"
name_en = "P2P"
paths = ["**/qbittorrent/**"]

[[category]]
id = "miner"
name = "penambangan kripto"
name_en = "crypto-mining"
mining = true
processes = ["xmrig*"]
sha256 = ["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
"#;

fn policy(extra: &str) -> Policy {
    Policy::parse(&format!("{BASE}{extra}")).unwrap_or_else(|e| panic!("{}", describe("t", &e)))
}

fn errors(text: &str) -> Vec<PolicyError> {
    Policy::parse(text).expect_err("should be refused")
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Tuesday 2026-11-24 03:00 UTC = 12:00 WIT: office hours.
const NOON_WIT: &str = "2026-11-24T03:00:00Z";

fn proc(name: &str) -> ProcessUsage {
    ProcessUsage {
        pid: 4242,
        name: name.into(),
        exe: Some(format!("/usr/bin/{name}")),
        user: Some("budi".into()),
        started_at: Some(t("2026-11-24T01:00:00Z")),
        ..Default::default()
    }
}

fn host(opd: &str) -> HostInput {
    HostInput {
        agent_id: "pc01".into(),
        opd: opd.into(),
        hostname: Some("pc01".into()),
        facts: Some(UsageFacts {
            collected_at: t(NOON_WIT),
            cpus: 4,
            processes: vec![proc("bash"), proc("firefox")],
            sessions: vec![Session {
                user: "budi".into(),
                line: Some(":0".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn kinds(f: &[Finding], k: FlagKind) -> Vec<&Finding> {
    f.iter().filter(|x| x.kind == k).collect()
}

#[test]
fn the_default_policy_is_valid() {
    let p = Policy::default_policy();
    assert!(p.file.categories.len() >= 6);
    assert_eq!(p.sha256.len(), 64);
}

#[test]
fn errors_carry_line_and_column() {
    // Unknown key.
    let e = errors(&format!("{BASE}\n[sustained]\nlookbak_s = 5\n"));
    let line = BASE.lines().count() + 3;
    assert_eq!((e[0].line, e[0].column), (line, 1), "{e:?}");
    assert!(e[0].message.contains("lookbak_s"), "{e:?}");
    // Bad glob, at its value.
    let e = errors(&BASE.replace("processes = [\"steam*\"]", "processes = [\"steam[\"]"));
    assert!(e[0].message.contains("bad glob"), "{e:?}");
    let steam = BASE
        .lines()
        .position(|l| l.contains("processes = [\"steam*"))
        .unwrap()
        + 1;
    assert_eq!((e[0].line, e[0].column), (steam, 13), "{e:?}");
    // Bad time and bad zone.
    let e = errors(&BASE.replace("\"07:30\"", "\"7.30\""));
    assert!(e[0].message.contains("HH:MM"), "{e:?}");
    assert_eq!(e[0].line, 5);
    let e = errors(&BASE.replace("\"WIT\"", "\"Asia/Ternate\""));
    assert!(e[0].message.contains("unknown time zone"), "{e:?}");
    assert_eq!((e[0].line, e[0].column), (3, 12));
    // End before start, at `end`.
    let e = errors(&BASE.replace("\"16:30\"", "\"07:00\""));
    assert_eq!((e[0].line, e[0].column), (6, 7), "{e:?}");
    // Unknown category in an exemption, at the category.
    let e = errors(&format!(
        "{BASE}\n[[exemption]]\nagent = \"pc01\"\ncategories = [\"games\", \"gamez\"]\nreason = \"r\"\napproved_by = \"a\"\nexpires = \"2026-12-31\"\n"
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("unknown category \"gamez\""), "{e:?}");
    assert_eq!((e[0].line, e[0].column), (BASE.lines().count() + 4, 24));
    // Unknown flag kind, bad date, a port out of range.
    let ex = "\n[[exemption]]\nagent = \"pc01\"\nreason = \"r\"\napproved_by = \"a\"\n";
    let e = errors(&format!("{BASE}{ex}expires = \"2026-02-30\"\n"));
    assert!(e[0].message.contains("bad date"), "{e:?}");
    let e = errors(&format!(
        "{BASE}{ex}expires = 2026-12-31\nkinds = [\"games\"]\n"
    ));
    assert!(e[0].message.contains("unknown variant"), "{e:?}");
    let e = errors(&format!(
        "{BASE}{ex}expires = 2026-12-31\nports = [70000]\n"
    ));
    assert!(e[0].message.contains("bad port"), "{e:?}");
    // Neither agent nor asset.
    let e = errors(&format!(
        "{BASE}\n[[exemption]]\nreason = \"r\"\napproved_by = \"a\"\nexpires = 2026-12-31\n"
    ));
    assert!(
        e[0].message.contains("exactly one of agent or asset"),
        "{e:?}"
    );
    // A TOML date literal is accepted as well as a string.
    policy(&format!("{ex}expires = 2026-12-31\n"));
}

#[test]
fn processes_match_on_name_path_and_hash() {
    let p = policy("");
    let mut h = host("82.71");
    let facts = h.facts.as_mut().unwrap();
    facts.processes.push(proc("Steam"));
    let mut q = proc("qbt");
    q.exe = Some(r"C:\Program Files\qBittorrent\qbt.exe".into());
    facts.processes.push(q);
    let mut m = proc("innocent");
    m.sha256 = Some("a".repeat(64));
    facts.processes.push(m);
    let f = evaluate(&p, &[h], t(NOON_WIT));
    let found = kinds(&f, FlagKind::UnauthorizedProcess);
    assert_eq!(found.len(), 1, "{f:#?}");
    let ev = &found[0].evidence["processes"];
    let on: Vec<(&str, &str)> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["category"].as_str().unwrap(),
                x["matched_on"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        on,
        vec![("games", "name"), ("p2p", "path"), ("miner", "sha256")]
    );
    assert_eq!(
        found[0].kind.article(),
        "Perwali Ternate 33/2021 Pasal 12 ayat 6"
    );
    assert!(
        found[0].summary.starts_with("Proses terlarang"),
        "{}",
        found[0].summary
    );
    assert!(found[0].evidence["summary_en"]
        .as_str()
        .unwrap()
        .starts_with("Forbidden"));
    assert_eq!(ev[0]["running_for_s"], 7200);
    // A clean host: nothing.
    assert!(evaluate(&p, &[host("82.71")], t(NOON_WIT)).is_empty());
}

#[test]
fn software_matches_on_name_and_publisher() {
    let p = policy("");
    let mut h = host("82.71");
    h.facts.as_mut().unwrap().software = vec![
        Software {
            name: "steam".into(),
            source: "dpkg".into(),
            ..Default::default()
        },
        Software {
            name: "Half-Life".into(),
            publisher: Some("Valve Corporation".into()),
            source: "windows".into(),
            ..Default::default()
        },
        Software {
            name: "libreoffice".into(),
            source: "dpkg".into(),
            ..Default::default()
        },
    ];
    let f = evaluate(&p, &[h], t(NOON_WIT));
    let s = kinds(&f, FlagKind::UnauthorizedSoftware);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].evidence["software"].as_array().unwrap().len(), 2);
    assert_eq!(s[0].fingerprint, "games:half-life,games:steam");
}

const EXEMPT: &str = r#"
[[exemption]]
agent = "pc01"
kinds = ["unauthorized_process"]
categories = ["games"]
reason = "uji aplikasi"
approved_by = "Kabid TIK"
expires = "2026-11-30"
"#;

#[test]
fn an_exemption_holds_until_its_last_day_then_expires() {
    let p = policy(EXEMPT);
    let mut h = host("82.71");
    h.facts.as_mut().unwrap().processes.push(proc("steam"));
    let hosts = [h];
    assert!(evaluate(&p, &hosts, t(NOON_WIT)).is_empty());
    // The last day, late evening in WIT, still holds ...
    assert!(evaluate(&p, &hosts, t("2026-11-30T14:00:00Z")).is_empty());
    // ... the next day (00:30 WIT on 1 December) it no longer does.
    let f = evaluate(&p, &hosts, t("2026-11-30T15:30:00Z"));
    assert_eq!(kinds(&f, FlagKind::UnauthorizedProcess).len(), 1);
    // Another agent is not covered, and neither is another category.
    let mut other = hosts[0].clone();
    other.agent_id = "pc02".into();
    assert_eq!(evaluate(&p, &[other], t(NOON_WIT)).len(), 1);
}

fn listen(proto: &str, addr: &str, port: u16, process: &str) -> Listener {
    Listener {
        proto: proto.into(),
        addr: addr.into(),
        port,
        process: Some(process.into()),
        ..Default::default()
    }
}

#[test]
fn listeners_are_judged_by_asset_class() {
    let p = policy("");
    let mut h = host("82.71");
    h.facts.as_mut().unwrap().listeners = vec![
        listen("tcp", "0.0.0.0", 8080, "python3"),
        listen("tcp", "127.0.0.1", 5432, "postgres"),
        listen("tcp", "::1", 631, "cupsd"),
        listen("tcp", "0.0.0.0", 445, "System"),
        listen("tcp", "0.0.0.0", 49670, "svchost.exe"),
        listen("tcp", "0.0.0.0", 49671, "nc"),
    ];
    let f = evaluate(&p, std::slice::from_ref(&h), t(NOON_WIT));
    let s = kinds(&f, FlagKind::UnauthorizedServer);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].fingerprint, "tcp/49671,tcp/8080");
    assert_eq!(s[0].evidence["class"], "workstation");
    assert!(s[0].kind.article().contains("Kotamobagu Pasal 27 ayat 3"));
    // A laptop (by chassis) allows nothing, so 445 counts too.
    let mut lap = h.clone();
    lap.chassis = Some("Notebook".into());
    let f = evaluate(&p, &[lap.clone()], t(NOON_WIT));
    assert_eq!(f[0].evidence["class"], "laptop");
    assert!(f[0].fingerprint.contains("tcp/445"));
    // The register's kode barang wins over the chassis.
    lap.kode_barang = Some("1.3.2.10.01.02.001".into());
    let f = evaluate(&p, &[lap], t(NOON_WIT));
    assert_eq!(f[0].evidence["class"], "workstation");
    // A Data Center host is a server: not judged.
    let mut dc = h;
    dc.opd = "99.01".into();
    assert!(evaluate(&p, &[dc], t(NOON_WIT)).is_empty());
    // An exemption for one port leaves the other.
    let p = policy(
        "\n[[exemption]]\nagent = \"pc01\"\nports = [8080]\nreason = \"r\"\napproved_by = \"a\"\nexpires = 2027-01-01\n",
    );
    let mut h = host("82.71");
    h.facts.as_mut().unwrap().listeners = vec![
        listen("tcp", "0.0.0.0", 8080, "python3"),
        listen("udp", "0.0.0.0", 69, "tftpd"),
    ];
    let f = evaluate(&p, &[h], t(NOON_WIT));
    assert_eq!(f[0].fingerprint, "udp/69");
}

#[test]
fn office_hours_across_zones_and_holidays() {
    let p = policy("");
    let oh = &p.file.office_hours;
    let wit = Hours::of(oh, "82.71.01");
    let wib = Hours::of(oh, "11.01.02");
    let wita = Hours::of(oh, "22.01");
    let always = Hours::of(oh, "33.01.09.01");
    // Tuesday 09:00 UTC = 16:00 WIB (in), 17:00 WITA (out), 18:00 WIT (out).
    let at = t("2026-11-24T09:00:00Z");
    let h = &oh.holidays;
    assert!(wib.is_office(at, h));
    assert!(!wita.is_office(at, h));
    assert!(!wit.is_office(at, h));
    assert_eq!(wit.local(at), "2026-11-24 18:00 WIT");
    assert_eq!(wita.local(at), "2026-11-24 17:00 WITA");
    // Tuesday 23:00 UTC Monday = 07:00 WITA / 08:00 WIT Tuesday: WIT in, WITA not yet.
    let at = t("2026-11-23T23:00:00Z");
    assert!(wit.is_office(at, h));
    assert!(!wita.is_office(at, h));
    assert!(!wib.is_office(at, h));
    // A holiday (Monday 17 August, 10:00 WIT) and a Saturday have no office hours.
    assert!(!wit.is_office(t("2026-08-17T01:00:00Z"), h));
    assert!(wit.is_office(t("2026-08-18T01:00:00Z"), h));
    assert!(!wit.is_office(t("2026-11-28T01:00:00Z"), h));
    // A 24-hour unit is always in.
    assert!(always.is_office(t("2026-11-28T20:00:00Z"), h));
    // No daylight saving: the same local hour maps to the same UTC hour all year.
    for m in 1..=12 {
        let jan = Utc.with_ymd_and_hms(2026, m, 10, 0, 30, 0).unwrap();
        assert_eq!(wit.local(jan).get(11..), Some("09:30 WIT"));
        assert_eq!(wib.local(jan).get(11..), Some("07:30 WIB"));
    }
}

/// `n` consecutive 5-minute windows ending at `end`, with `cpu_share` of the machine busy
/// and `proc` using `proc_core` of one core.
fn windows(
    end: &str,
    n: i64,
    cpus: u32,
    cpu_share: f64,
    proc: &str,
    proc_core: f64,
) -> Vec<CpuWindow> {
    let end = t(end);
    (0..n)
        .rev()
        .map(|i| {
            let until = end - chrono::Duration::seconds(300 * i);
            CpuWindow {
                since: until - chrono::Duration::seconds(300),
                until,
                cpus,
                cpu_s: 300.0 * cpus as f64 * cpu_share,
                procs: vec![ProcCpu {
                    name: proc.into(),
                    exe: Some(format!("/opt/{proc}")),
                    sha256: None,
                    cpu_s: 300.0 * proc_core,
                }],
            }
        })
        .collect()
}

#[test]
fn after_hours_needs_sustained_use_with_someone_logged_in() {
    let p = policy("");
    // 21:00 WIT Tuesday = 12:00 UTC; 40 minutes busy at 60 %.
    let now = "2026-11-24T12:00:00Z";
    let mut h = host("82.71.01");
    h.windows = windows(now, 8, 4, 0.6, "blender", 2.4);
    let f = evaluate(&p, std::slice::from_ref(&h), t(now));
    let a = kinds(&f, FlagKind::AfterHoursUsage);
    assert_eq!(a.len(), 1, "{f:#?}");
    assert_eq!(a[0].evidence["busy_s"], 2400.0);
    assert_eq!(a[0].evidence["office_hours"]["timezone"], "Asia/Jayapura");
    assert_eq!(a[0].evidence["top_processes"][0]["name"], "blender");
    assert_eq!(a[0].fingerprint, "2026-11-24");
    // A short burst (10 minutes) is not sustained.
    let mut short = h.clone();
    short.windows = windows(now, 2, 4, 0.9, "blender", 3.6);
    assert!(kinds(&evaluate(&p, &[short], t(now)), FlagKind::AfterHoursUsage).is_empty());
    // Light load (10 %) is not use.
    let mut light = h.clone();
    light.windows = windows(now, 8, 4, 0.1, "blender", 0.4);
    assert!(kinds(&evaluate(&p, &[light], t(now)), FlagKind::AfterHoursUsage).is_empty());
    // Nobody logged in: background load.
    let mut nobody = h.clone();
    nobody.facts.as_mut().unwrap().sessions.clear();
    assert!(kinds(&evaluate(&p, &[nobody], t(now)), FlagKind::AfterHoursUsage).is_empty());
    // The same UTC time is 19:00 WIB... still after 16:30; but 09:00 UTC on a WIB host is
    // 16:00 WIB, within hours, while the WIT host is out.
    let at = "2026-11-24T09:00:00Z";
    let mut wib = h.clone();
    wib.opd = "11.01".into();
    wib.windows = windows(at, 8, 4, 0.6, "blender", 2.4);
    assert!(kinds(
        &evaluate(&p, &[wib.clone()], t(at)),
        FlagKind::AfterHoursUsage
    )
    .is_empty());
    let mut wit = wib;
    wit.opd = "82.71".into();
    assert_eq!(
        kinds(&evaluate(&p, &[wit], t(at)), FlagKind::AfterHoursUsage).len(),
        1
    );
    // Daytime on a holiday counts as after hours.
    let hol = "2026-08-17T03:00:00Z";
    let mut h2 = h.clone();
    h2.windows = windows(hol, 8, 4, 0.6, "blender", 2.4);
    assert_eq!(
        kinds(
            &evaluate(&p, &[h2.clone()], t(hol)),
            FlagKind::AfterHoursUsage
        )
        .len(),
        1
    );
    // Daytime on a working day does not.
    h2.windows = windows(NOON_WIT, 8, 4, 0.6, "blender", 2.4);
    assert!(kinds(&evaluate(&p, &[h2], t(NOON_WIT)), FlagKind::AfterHoursUsage).is_empty());
    // Windows older than the lookback do not count.
    assert!(evaluate(&p, &[h], t("2026-11-24T16:00:00Z")).is_empty());
}

#[test]
fn mining_needs_a_miner_with_sustained_cpu() {
    let p = policy("");
    let now = NOON_WIT;
    let mut h = host("82.71");
    h.windows = windows(now, 4, 4, 0.3, "xmrig", 1.0);
    let f = evaluate(&p, std::slice::from_ref(&h), t(now));
    let m = kinds(&f, FlagKind::CryptoMining);
    assert_eq!(m.len(), 1, "{f:#?}");
    let ev = &m[0].evidence["processes"][0];
    assert_eq!(ev["observed_s"], 1200.0);
    assert_eq!(ev["avg_core_pct"], 100.0);
    assert_eq!(ev["category"], "miner");
    assert!(m[0].summary.contains("penambangan kripto"));
    // A short burst (5 minutes) is not sustained.
    h.windows = windows(now, 1, 4, 0.3, "xmrig", 1.0);
    assert!(evaluate(&p, std::slice::from_ref(&h), t(now)).is_empty());
    // An idle miner (5 % of a core) is not mining, even for long.
    h.windows = windows(now, 12, 4, 0.1, "xmrig", 0.05);
    assert!(evaluate(&p, std::slice::from_ref(&h), t(now)).is_empty());
    // High CPU from a non-miner is not mining.
    h.windows = windows(now, 12, 4, 0.9, "ffmpeg", 3.6);
    assert!(evaluate(&p, std::slice::from_ref(&h), t(now)).is_empty());
    // An exemption for mining (a research OPD, say) until yesterday no longer holds.
    let p = policy(
        "\n[[exemption]]\nagent = \"pc01\"\nkinds = [\"crypto_mining\"]\nreason = \"r\"\napproved_by = \"a\"\nexpires = 2026-11-23\n",
    );
    h.windows = windows(now, 4, 4, 0.3, "xmrig", 1.0);
    assert_eq!(evaluate(&p, &[h], t(now)).len(), 1);
}

/// A page split over worker threads finds exactly what one-by-one evaluation finds, in the
/// hosts' order.
#[test]
fn a_page_over_several_workers_equals_one_by_one() {
    let p = policy("");
    let now = "2026-11-24T12:00:00Z"; // 21:00 WIT: after hours
    let hosts: Vec<HostInput> = (0..300)
        .map(|i| {
            let mut h = host(["82.71", "11.01", "22.01"][i % 3]);
            h.agent_id = format!("pc{i:03}");
            let f = h.facts.as_mut().unwrap();
            f.collected_at = t(now);
            if i % 7 == 0 {
                f.processes.push(proc("steam"));
            }
            if i % 5 == 0 {
                h.windows = windows(now, 12, 4, 0.6, "xmrig", 0.9);
            }
            h
        })
        .collect();
    let mut one_by_one = Vec::new();
    let mut e = super::eval::Evaluator::new(&p, t(now));
    for h in &hosts {
        e.host(h, &mut one_by_one);
    }
    let mut paged = Vec::new();
    let mut e = super::eval::Evaluator::new(&p, t(now));
    for page in hosts.chunks(128) {
        e.page(page, &mut paged);
    }
    assert!(one_by_one.len() > 100, "{}", one_by_one.len());
    assert_eq!(one_by_one, paged);
}
