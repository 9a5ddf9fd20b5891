//! End-to-end harness: real Mosquitto, real `pantau-collector` and real `pantau-agent`
//! processes, each with its own port and temporary directory, so tests run in parallel.
//!
//! The binaries are not built by the tests: run `cargo build --workspace` first (same profile
//! and `CARGO_TARGET_DIR`), then `cargo nextest run -p pantau-tests` or
//! `cargo test -p pantau-tests`. Every child's output goes to a log file in its temporary
//! directory, and the logs are printed when a test fails. `PANTAU_TEST_LOG` sets the children's
//! log filter (for example `debug`).

pub mod agent;
pub mod broker;
pub mod browser;
pub mod collector;
pub mod fleet;
pub mod http;
pub mod impair;
pub mod mqtt;
pub mod netns;
pub mod postgres;
pub mod process;
pub mod prometheus;
pub mod secure;
pub mod snmp;
pub mod stream;
pub mod tls;

pub use agent::{Agent, AgentOptions};
pub use broker::Mosquitto;
pub use collector::{Collector, CollectorOptions, Ingest};
pub use http::{get_json, get_text, post_json, prom_has, prom_value, put_json, try_get_json};
pub use mqtt::Publisher;
pub use process::{bin, free_port, wait_for, wait_until};

use std::time::Duration;

/// Generous upper bound for anything that should happen within a few agent intervals, even on
/// a loaded two-core CI machine running several of these tests at once.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// This machine's hostname as the kernel reports it.
pub fn kernel_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("read /proc/sys/kernel/hostname")
        .trim()
        .to_owned()
}

/// `MemTotal` of /proc/meminfo, in bytes.
pub fn mem_total_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("read /proc/meminfo");
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("MemTotal in /proc/meminfo");
    kib * 1024
}
