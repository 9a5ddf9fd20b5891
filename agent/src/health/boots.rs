//! Unclean shutdowns, counted from boot ids. Emitted into `inventory.health.shutdowns`:
//!
//! | field | meaning |
//! |---|---|
//! | `boots_seen` | boots the agent has started in, since its state directory was created |
//! | `unclean_total` | boots that followed one in which the agent was never stopped cleanly |
//! | `unclean_recent` | when the newest of those were detected (the next agent start), newest last, at most [`KEEP_RECENT`] |
//!
//! How: the kernel draws a new random `/proc/sys/kernel/random/boot_id` at every boot. The
//! agent keeps `<state_dir>/boots.json` (`{boot_id, clean_stop, boots_seen, unclean_total,
//! unclean_recent}`, replaced atomically). At start, when the stored boot id differs from the
//! current one the machine has rebooted: `boots_seen` grows, and if the stored `clean_stop`
//! is false the previous boot ended without the agent being stopped, so it is counted as an
//! unclean shutdown (power cut, hard reset, kernel panic, freeze). The current boot id is then
//! stored with `clean_stop: false`; the runtime's shutdown path (after SIGTERM or Ctrl-C) sets
//! it to true.
//!
//! systemd sends SIGTERM to services at shutdown and reboot, so normal shutdowns count as
//! clean. An agent restart within the same boot (crash, upgrade) is not a reboot. Known false
//! positive: a machine powered off while the agent had been killed with SIGKILL, or had
//! crashed and not yet been restarted, counts as unclean. Known false negative: an agent
//! stopped by hand (`systemctl stop`) before a power cut makes that boot look clean.

use chrono::{DateTime, Utc};
use pantau_proto::body::health::ShutdownHealth;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Unclean shutdowns remembered with their time.
pub const KEEP_RECENT: usize = 20;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
struct State {
    boot_id: String,
    clean_stop: bool,
    boots_seen: u32,
    unclean_total: u32,
    unclean_recent: Vec<DateTime<Utc>>,
}

/// The boot ledger of one agent, kept in its state directory.
#[derive(Debug)]
pub struct BootTracker {
    path: PathBuf,
    state: State,
}

impl BootTracker {
    /// Record this agent start: read the current boot id under `root`, compare it with the
    /// stored one and store the result. `None` when the boot id cannot be read (not Linux,
    /// or a root without `/proc`); a state file that cannot be written is logged and the
    /// figures are still reported.
    pub fn start(root: &Path, state_dir: &Path, now: DateTime<Utc>) -> Option<BootTracker> {
        let boot_id = crate::inventory::clean(
            &std::fs::read_to_string(root.join("proc/sys/kernel/random/boot_id")).ok()?,
        )?;
        let path = state_dir.join("boots.json");
        // A missing or unreadable file is a first run: starting over beats refusing to count.
        let mut state: State = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if state.boot_id != boot_id {
            state.boots_seen += 1;
            // An empty stored id is a first run: there was no previous boot to judge.
            if !state.boot_id.is_empty() && !state.clean_stop {
                state.unclean_total += 1;
                state.unclean_recent.push(now);
                let excess = state.unclean_recent.len().saturating_sub(KEEP_RECENT);
                state.unclean_recent.drain(..excess);
            }
            state.boot_id = boot_id;
        }
        state.clean_stop = false;
        let tracker = BootTracker { path, state };
        tracker.save();
        Some(tracker)
    }

    /// The agent is stopping cleanly: the current boot is not to be counted as unclean.
    pub fn clean_stop(&mut self) {
        self.state.clean_stop = true;
        self.save();
    }

    pub fn shutdowns(&self) -> ShutdownHealth {
        ShutdownHealth {
            boots_seen: self.state.boots_seen,
            unclean_total: self.state.unclean_total,
            unclean_recent: self.state.unclean_recent.clone(),
        }
    }

    fn save(&self) {
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let json = serde_json::to_vec(&self.state).map_err(std::io::Error::other)?;
            crate::spool::write_atomic(&self.path, &json)
        };
        if let Err(e) = write() {
            tracing::debug!("cannot write {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Machine {
        root: tempfile::TempDir,
        state: tempfile::TempDir,
    }

    impl Machine {
        fn new() -> Machine {
            let m = Machine {
                root: tempfile::tempdir().unwrap(),
                state: tempfile::tempdir().unwrap(),
            };
            std::fs::create_dir_all(m.root.path().join("proc/sys/kernel/random")).unwrap();
            m.boot("8c1f0e6a-5d2b-4f3e-9a7c-0b1d2e3f4a5b");
            m
        }
        fn boot(&self, id: &str) {
            let p = self.root.path().join("proc/sys/kernel/random/boot_id");
            std::fs::write(p, format!("{id}\n")).unwrap();
        }
        fn start(&self, now: DateTime<Utc>) -> BootTracker {
            BootTracker::start(self.root.path(), self.state.path(), now).unwrap()
        }
    }

    fn t(day: u32) -> DateTime<Utc> {
        format!("2024-11-{day:02}T08:00:00Z").parse().unwrap()
    }

    #[test]
    fn first_run() {
        let m = Machine::new();
        let s = m.start(t(1)).shutdowns();
        assert_eq!((s.boots_seen, s.unclean_total), (1, 0));
        assert!(s.unclean_recent.is_empty());
    }

    #[test]
    fn restart_in_same_boot_is_not_a_reboot() {
        let m = Machine::new();
        m.start(t(1)); // killed, never stopped cleanly
        let s = m.start(t(1)).shutdowns();
        assert_eq!((s.boots_seen, s.unclean_total), (1, 0));
        m.start(t(1)).clean_stop();
        assert_eq!(m.start(t(1)).shutdowns().boots_seen, 1);
    }

    #[test]
    fn clean_reboot() {
        let m = Machine::new();
        m.start(t(1)).clean_stop();
        m.boot("11111111-2222-3333-4444-555555555555");
        let s = m.start(t(2)).shutdowns();
        assert_eq!((s.boots_seen, s.unclean_total), (2, 0));
    }

    #[test]
    fn unclean_reboot() {
        let m = Machine::new();
        m.start(t(1)); // power cut: no clean stop
        m.boot("11111111-2222-3333-4444-555555555555");
        let s = m.start(t(2)).shutdowns();
        assert_eq!((s.boots_seen, s.unclean_total), (2, 1));
        assert_eq!(s.unclean_recent, [t(2)]);
        // Survives in the state file.
        let again = m.start(t(2)).shutdowns();
        assert_eq!(again, s);
    }

    #[test]
    fn recent_list_is_capped() {
        let m = Machine::new();
        m.start(t(1));
        for day in 2..=26 {
            m.boot(&format!("00000000-0000-0000-0000-{day:012}"));
            m.start(t(day));
        }
        let s = m.start(t(26)).shutdowns();
        assert_eq!((s.boots_seen, s.unclean_total), (26, 25));
        assert_eq!(s.unclean_recent.len(), KEEP_RECENT);
        assert_eq!(s.unclean_recent.first(), Some(&t(7)));
        assert_eq!(s.unclean_recent.last(), Some(&t(26)), "newest last");
    }

    #[test]
    fn no_boot_id_no_tracking() {
        let empty = tempfile::tempdir().unwrap();
        assert!(BootTracker::start(empty.path(), empty.path(), t(1)).is_none());
    }
}
