//! Inventory: what the machine is (hardware, OS, identity), read once at start and then daily.
//!
//! On Linux every reader takes its paths relative to a `root` so tests can point it at a
//! recorded tree; in production `root` is `/`. Elsewhere the `sysinfo` crate fills what it can
//! and `root` is ignored. `docs/agent-collectors.md` lists every field and its source.

use pantau_proto::body::Inventory;
use std::path::Path;

pub mod identity;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) mod linux_devices;
#[cfg(target_os = "linux")]
pub(crate) mod linux_os;
#[cfg(not(target_os = "linux"))]
mod other;
pub mod utmp;

/// What the agent knows about itself that the host cannot tell us.
#[derive(Debug, Clone, Default)]
pub struct InventoryOptions {
    /// Asset tag typed in at install (the BMD register sticker), reported as given.
    pub asset_tag: Option<String>,
    pub agent_version: String,
}

/// Read the inventory of the host whose filesystem is mounted at `root` (`/` in production).
///
/// Never fails: a source that is missing or unreadable leaves its field empty.
pub fn collect(root: &Path, opts: &InventoryOptions) -> Inventory {
    #[cfg(target_os = "linux")]
    let mut inv = linux::collect(root);
    #[cfg(not(target_os = "linux"))]
    let mut inv = {
        let _ = root;
        other::collect()
    };
    inv.collected_at = Some(chrono::Utc::now());
    inv.asset_tag = opts.asset_tag.as_deref().and_then(clean);
    inv.agent_version = opts.agent_version.clone();
    inv.os.arch = std::env::consts::ARCH.to_string();
    inv.os.family = std::env::consts::OS.to_string();
    inv
}

/// Trim, and turn an empty string into `None`.
pub(crate) fn clean(s: &str) -> Option<String> {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!t.is_empty()).then(|| t.to_string())
}

/// Read a small text file as a trimmed string; missing, unreadable or empty gives `None`.
#[cfg(target_os = "linux")]
pub(crate) fn read_str(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    clean(&String::from_utf8_lossy(&bytes))
}

#[cfg(target_os = "linux")]
pub(crate) fn read_num<T: std::str::FromStr>(path: &Path) -> Option<T> {
    read_str(path)?.parse().ok()
}
