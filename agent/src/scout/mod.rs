//! The `scout` role: who is on this LAN, by ARP (kind `discovery`).
//!
//! For every attached IPv4 subnet (see [`iface::select`]) a [`worker::Worker`] owns a raw ARP
//! socket and a listener thread that records every ARP sender it hears (passive). A sweep
//! asks each address of the subnet once, paced to `rate_per_s`, then waits a moment for late
//! replies; replies to us during a sweep count as active. [`Scout::report`] turns what was
//! seen since the previous report into a [`DiscoveryReport`]. Raw sockets need CAP_NET_RAW.
//!
//! All of it is blocking std code on its own threads; the agent's runtime drives it through
//! [`task::spawn`], the `pantau-agent scan` command directly.

pub mod arp;
pub mod config;
pub mod iface;
pub mod pushed;
pub mod table;
pub mod task;
pub mod worker;

pub use config::ScoutConfig;

use pantau_proto::body::discovery::{DiscoveryReport, SweptSubnet};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use table::Table;
use worker::Worker;

/// What one scout looks at and how hard it asks.
#[derive(Debug, Clone)]
pub struct ScoutOptions {
    /// Only these interfaces; all suitable ones when empty.
    pub interfaces: Vec<String>,
    pub rate_per_s: u32,
    pub max_prefix: u8,
    /// How long to keep listening for replies after the last request of a sweep.
    pub reply_wait: Duration,
}

/// Why a scout could not start at all.
#[derive(Debug, thiserror::Error)]
pub enum ScoutError {
    #[error("no interface to scout on{}", fmt_skipped(.0))]
    NoInterface(Vec<String>),
    #[error(
        "cannot open a raw ARP socket ({0}); the scout needs CAP_NET_RAW: run as root or give \
         the service AmbientCapabilities=CAP_NET_RAW (install/pantau-agent-scout.conf)"
    )]
    NotPermitted(String),
    #[error("cannot open a raw ARP socket: {0}")]
    Open(String),
}

fn fmt_skipped(skipped: &[String]) -> String {
    if skipped.is_empty() {
        " (no up, non-loopback Ethernet interface with an IPv4 address)".into()
    } else {
        format!(" ({})", skipped.join("; "))
    }
}

pub struct Scout {
    workers: Vec<Worker>,
    table: Arc<Mutex<Table>>,
    opts: ScoutOptions,
    /// Starts as `opts.rate_per_s`; a pushed config changes it between sweeps.
    rate_per_s: AtomicU32,
    cancel: AtomicBool,
}

impl Scout {
    /// Open a socket on each subnet to scout and start listening. Subnets left out are logged;
    /// it fails only when nothing at all could be opened.
    pub fn start(opts: ScoutOptions) -> Result<Scout, ScoutError> {
        let all = pnet_datalink::interfaces();
        let (targets, skipped) = iface::select(&all, &opts.interfaces, opts.max_prefix);
        for s in &skipped {
            tracing::warn!("scout: skipping {s}");
        }
        if targets.is_empty() {
            return Err(ScoutError::NoInterface(skipped));
        }
        let table = Arc::new(Mutex::new(Table::default()));
        let mut workers = Vec::new();
        let mut last_err = None;
        for t in targets {
            let ni = all
                .iter()
                .find(|n| n.index == t.index)
                .expect("selected from all");
            let name = format!("{} {}", t.interface, t.cidr());
            match Worker::open(t, ni, table.clone()) {
                Ok(w) => workers.push(w),
                Err(e) => {
                    tracing::warn!("scout: {name}: cannot open a raw ARP socket: {e}");
                    last_err = Some(e);
                }
            }
        }
        if workers.is_empty() {
            let e = last_err.expect("at least one target failed");
            return Err(match e.raw_os_error() {
                Some(libc::EPERM) | Some(libc::EACCES) => ScoutError::NotPermitted(e.to_string()),
                _ => ScoutError::Open(e.to_string()),
            });
        }
        Ok(Scout {
            workers,
            table,
            rate_per_s: AtomicU32::new(opts.rate_per_s),
            opts,
            cancel: AtomicBool::new(false),
        })
    }

    /// Sweep every subnet at once (each at `rate_per_s`), then wait for late replies.
    /// Blocking: a few seconds for a /24 at the default rate.
    pub fn sweep(&self) -> Vec<SweptSubnet> {
        let started = Instant::now();
        let rate = self.rate_per_s.load(Ordering::Relaxed);
        let probed: Vec<(u32, Duration)> = std::thread::scope(|s| {
            let running: Vec<_> = self
                .workers
                .iter()
                .map(|w| {
                    s.spawn(move || {
                        let t = Instant::now();
                        let n = w.sweep(rate, &self.cancel);
                        (n, t.elapsed())
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|h| h.join().expect("sweep thread"))
                .collect()
        });
        let deadline = Instant::now() + self.opts.reply_wait;
        while Instant::now() < deadline && !self.cancel.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50).min(self.opts.reply_wait));
        }
        for w in &self.workers {
            w.end_sweep();
        }
        let waited = started.elapsed();
        self.workers
            .iter()
            .zip(probed)
            .map(|(w, (n, sent_in))| SweptSubnet {
                interface: w.target.interface.clone(),
                cidr: w.target.cidr(),
                probed: n,
                // Sending plus the common wait for replies.
                duration_ms: (sent_in + waited.saturating_sub(sent_in).min(self.opts.reply_wait))
                    .as_millis() as u64,
                rate_per_s: rate,
            })
            .collect()
    }

    /// Devices seen since the previous report (passively, or by `subnets`' sweep).
    pub fn report(&self, subnets: Vec<SweptSubnet>) -> DiscoveryReport {
        DiscoveryReport {
            ts: Some(chrono::Utc::now()),
            subnets,
            devices: self.table.lock().expect("table lock").take_report(),
            sweep_interval_min: None,
        }
    }

    /// The pace of the next sweeps; the subnets stay open.
    pub fn set_rate(&self, rate_per_s: u32) {
        self.rate_per_s.store(rate_per_s.max(1), Ordering::Relaxed);
    }

    /// Whether these options need the sockets opened again (another interface list or
    /// subnet size limit); the rate does not.
    pub fn reopen_for(&self, opts: &ScoutOptions) -> bool {
        self.opts.interfaces != opts.interfaces || self.opts.max_prefix != opts.max_prefix
    }

    /// Make a running sweep return early (on shutdown).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}
