//! When a reading is sent: on change, and as a full snapshot at least every `full_every_s`.
//!
//! What counts as a change is what the collector's policy looks at: which programs run (by
//! name, executable and user, not pid: a restarted service is not news), which became busy or
//! idle, the listeners (by protocol, address, port and owning program), the sessions and the
//! software list's digest. CPU seconds and memory alone are not changes: they move every
//! cycle and are carried, accumulated, by the next report that is sent. One exception: while
//! any process stays busy, every reading is sent, so the collector sees sustained load (a
//! miner, a machine working all night) within one interval instead of at the next hourly
//! snapshot; an idle desk stays quiet.

use pantau_proto::body::usage::{Session, UsageReport};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// (name, executable, user): one program run by one user.
type Program = (String, Option<String>, Option<String>);
/// (protocol, address, port, process, executable): pid left out, as for programs.
type Bound = (String, String, u16, Option<String>, Option<String>);

/// The parts of a reading whose change is worth a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fingerprint {
    programs: BTreeSet<Program>,
    busy: BTreeSet<Program>,
    listeners: BTreeSet<Bound>,
    sessions: Vec<Session>,
    software: Option<String>,
}

impl Fingerprint {
    /// `busy_pct`: share of one core since the report's `since` (or the process's start,
    /// if later) above which a process is busy.
    pub fn of(r: &UsageReport, busy_pct: f64) -> Self {
        let program = |p: &pantau_proto::body::usage::ProcessUsage| -> Program {
            (p.name.clone(), p.exe.clone(), p.user.clone())
        };
        let busy = r
            .processes
            .iter()
            .filter(|p| {
                let from = match (r.since, p.started_at) {
                    (Some(s), Some(st)) => s.max(st),
                    (s, st) => s.or(st).unwrap_or_default(),
                };
                let window = r
                    .collected_at
                    .map_or(0.0, |c| (c - from).num_milliseconds() as f64 / 1000.0)
                    .max(1.0);
                p.cpu_s / window * 100.0 >= busy_pct
            })
            .map(program)
            .collect();
        Fingerprint {
            programs: r.processes.iter().map(program).collect(),
            busy,
            listeners: r
                .listeners
                .iter()
                .map(|l| {
                    let l = l.clone();
                    (l.proto, l.addr, l.port, l.process, l.exe)
                })
                .collect(),
            sessions: r.sessions.clone(),
            software: r.software_digest.clone(),
        }
    }

    /// Names of the sections that differ, for the log and the tests.
    pub fn diff(&self, other: &Fingerprint) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.programs != other.programs {
            out.push("processes");
        }
        if self.busy != other.busy {
            out.push("busy");
        }
        if self.listeners != other.listeners {
            out.push("listeners");
        }
        if self.sessions != other.sessions {
            out.push("sessions");
        }
        if self.software != other.software {
            out.push("software");
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Nothing changed and no snapshot is due.
    Skip,
    /// These sections changed.
    Changed(Vec<&'static str>),
    /// A full snapshot is due.
    Full,
}

/// What was last sent, and when the last full snapshot went.
#[derive(Debug, Default)]
pub struct SendState {
    last: Option<Fingerprint>,
    last_full: Option<Instant>,
}

impl SendState {
    /// Whether the next reading must be a full snapshot (so the software list is re-read).
    pub fn full_due(&self, now: Instant, every: Duration) -> bool {
        self.last_full
            .is_none_or(|t| now.saturating_duration_since(t) >= every)
    }

    pub fn decide(&self, fp: &Fingerprint, now: Instant, every: Duration) -> Decision {
        if self.full_due(now, every) {
            return Decision::Full;
        }
        match &self.last {
            Some(last) => match last.diff(fp) {
                d if d.is_empty() && fp.busy.is_empty() => Decision::Skip,
                d if d.is_empty() => Decision::Changed(vec!["busy"]),
                d => Decision::Changed(d),
            },
            None => Decision::Full,
        }
    }

    /// Shape `report` for `decision`: a change report leaves out an unchanged software list.
    pub fn prepare(&self, report: &mut UsageReport, decision: &Decision) {
        report.full = *decision == Decision::Full;
        let same_software = self
            .last
            .as_ref()
            .is_some_and(|l| l.software == report.software_digest);
        if !report.full && same_software {
            report.software = None;
        }
    }

    /// The report was sent (is in the spool).
    pub fn sent(&mut self, fp: Fingerprint, full: bool, now: Instant) {
        self.last = Some(fp);
        if full {
            self.last_full = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use pantau_proto::body::usage::{Listener, ProcessUsage};

    fn reading(cpu_s: f64) -> UsageReport {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 1, 0, 0).unwrap();
        UsageReport {
            collected_at: Some(t0 + chrono::Duration::seconds(300)),
            since: Some(t0),
            cpus: 4,
            processes: vec![ProcessUsage {
                pid: 10,
                name: "xmrig".into(),
                exe: Some("/tmp/xmrig".into()),
                user: Some("budi".into()),
                started_at: Some(t0 - chrono::Duration::hours(1)),
                cpu_s,
                rss_bytes: 1 << 20,
                sha256: None,
            }],
            software: Some(Vec::new()),
            software_digest: Some("d1".into()),
            ..UsageReport::default()
        }
    }

    #[test]
    fn first_is_full_then_only_changes() {
        let every = Duration::from_secs(3600);
        let t = Instant::now();
        let mut st = SendState::default();
        let r = reading(1.0);
        let fp = Fingerprint::of(&r, 50.0);
        assert_eq!(st.decide(&fp, t, every), Decision::Full);
        st.sent(fp.clone(), true, t);

        // CPU and memory move, pid changes (a restart): not a change.
        let mut same = reading(20.0);
        same.processes[0].pid = 11;
        same.processes[0].rss_bytes *= 3;
        let t1 = t + Duration::from_secs(300);
        assert_eq!(
            st.decide(&Fingerprint::of(&same, 50.0), t1, every),
            Decision::Skip
        );

        // Busy: 200 s of 300 is 67 % of a core.
        let busy = Fingerprint::of(&reading(200.0), 50.0);
        assert_eq!(st.decide(&busy, t1, every), Decision::Changed(vec!["busy"]));
        // Still busy in the next reading: sent again, so sustained load is seen.
        st.sent(busy.clone(), false, t1);
        let t2 = t1 + Duration::from_secs(300);
        assert_eq!(st.decide(&busy, t2, every), Decision::Changed(vec!["busy"]));
        // Idle again: that change is sent, then quiet.
        let idle = Fingerprint::of(&reading(1.0), 50.0);
        assert_eq!(st.decide(&idle, t2, every), Decision::Changed(vec!["busy"]));
        st.sent(idle.clone(), false, t2);
        assert_eq!(
            st.decide(&idle, t2 + Duration::from_secs(300), every),
            Decision::Skip
        );
        st.sent(fp.clone(), false, t2);

        let mut r2 = reading(1.0);
        r2.listeners.push(Listener {
            proto: "tcp".into(),
            addr: "0.0.0.0".into(),
            port: 3389,
            ..Listener::default()
        });
        r2.processes[0].user = Some("sari".into());
        assert_eq!(
            st.decide(&Fingerprint::of(&r2, 50.0), t1, every),
            Decision::Changed(vec!["processes", "listeners"])
        );

        let mut r3 = reading(1.0);
        r3.software_digest = Some("d2".into());
        let d = st.decide(&Fingerprint::of(&r3, 50.0), t1, every);
        assert_eq!(d, Decision::Changed(vec!["software"]));
        st.prepare(&mut r3, &d);
        assert!(
            !r3.full && r3.software.is_some(),
            "a changed list is carried"
        );

        let mut r4 = reading(1.0);
        r4.processes.clear();
        let d = st.decide(&Fingerprint::of(&r4, 50.0), t1, every);
        st.prepare(&mut r4, &d);
        assert_eq!(
            r4.software, None,
            "an unchanged list is left out of a change report"
        );

        // An hour after the last full snapshot, one is due whatever changed.
        let late = t + every;
        assert_eq!(st.decide(&fp, late, every), Decision::Full);
        let mut r5 = reading(1.0);
        st.prepare(&mut r5, &Decision::Full);
        assert!(r5.full && r5.software.is_some());
    }

    #[test]
    fn busy_counts_from_the_later_of_since_and_start() {
        // Started 10 s before the reading and used 9 s: busy, though 9 s of 300 is not.
        let mut r = reading(9.0);
        r.processes[0].started_at = r.collected_at.map(|c| c - chrono::Duration::seconds(10));
        assert_eq!(Fingerprint::of(&r, 50.0).busy.len(), 1);
        assert!(Fingerprint::of(&reading(9.0), 50.0).busy.is_empty());
    }
}
