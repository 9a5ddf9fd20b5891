//! The `poller` role: SNMP polling of network equipment that runs no agent (switches,
//! routers, access points, printers, UPS). Each round polls every target at once up to
//! `concurrency`, each with its own timeouts and retries, so a dead device costs only its own
//! slot; the round's report lists every target, answered or not.

pub mod cli;
pub mod mibs;
pub mod pushed;
pub mod rates;
pub mod session;
pub mod task;

use pantau_proto::body::snmp::{SnmpDevice, SnmpReport};
use pantau_proto::body::snmp_config::{SnmpConfig, SnmpTarget};
use session::{Client, Limits, PollError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Polls rounds and keeps what rates need between them.
pub struct Poller {
    prev: Mutex<HashMap<String, rates::DevicePrev>>,
    epoch: Instant,
}

impl Default for Poller {
    fn default() -> Self {
        Poller {
            prev: Mutex::new(HashMap::new()),
            epoch: Instant::now(),
        }
    }
}

/// Whether to read an optional group: all of them when `groups` is empty; `["interfaces"]`
/// alone reads only the system group and the interfaces.
fn wants(t: &SnmpTarget, group: &str) -> bool {
    t.groups.is_empty() || t.groups.iter().any(|g| g == group)
}

/// Everything read from one device; the first failure (the system group) makes it
/// unreachable, a later one (an optional MIB) only leaves that part out.
async fn poll_device(t: &SnmpTarget, limits: Limits) -> SnmpDevice {
    let start = Instant::now();
    let mut dev = SnmpDevice {
        target: t.name.clone(),
        address: format!("{}:{}", t.host, t.port.unwrap_or(161)),
        version: t.credentials.version().into(),
        ..SnmpDevice::default()
    };
    let mut requests = 0;
    let result: Result<(), PollError> = async {
        let mut c = Client::open(t, limits).await?;
        let done = async {
            let sys = c.get(&mibs::SYSTEM).await?;
            if sys.is_empty() {
                return Err(PollError::Protocol(format!(
                    "{}: the system group is not readable with these credentials",
                    dev.address
                )));
            }
            dev.system = mibs::system(&sys);
            dev.reachable = true;
            let ift = c.walk(mibs::IF_TABLE).await?;
            let ifx = c.walk(mibs::IF_X_TABLE).await?;
            dev.interfaces = mibs::interfaces(&ift, &ifx, &t.uplinks);
            if wants(t, "entity") {
                dev.entities = mibs::entities(&c.walk(mibs::ENT_PHYSICAL).await?);
            }
            if wants(t, "printer") {
                let life = c.walk(mibs::PRT_MARKER_LIFE).await?;
                let supplies = c.walk(mibs::PRT_SUPPLIES).await?;
                let serial = if life.is_empty() && supplies.is_empty() {
                    Vec::new()
                } else {
                    c.walk(mibs::PRT_SERIAL).await?
                };
                dev.printer = mibs::printer(&serial, &life, &supplies);
            }
            if wants(t, "ups") {
                dev.ups = mibs::ups(&c.walk(mibs::UPS_OBJECTS).await?);
            }
            Ok(())
        }
        .await;
        requests = c.requests;
        done
    }
    .await;
    if let Err(e) = result {
        dev.error_kind = Some(e.kind().into());
        dev.error = Some(e.message().into());
    }
    dev.requests = requests;
    dev.duration_ms = start.elapsed().as_millis() as u64;
    dev
}

impl Poller {
    /// One round over every target of `cfg`.
    pub async fn round(&self, cfg: &SnmpConfig) -> SnmpReport {
        let start = Instant::now();
        let limits = Limits {
            timeout: Duration::from_millis(cfg.timeout_ms.max(1)),
            retries: cfg.retries,
            max_repetitions: cfg.max_repetitions.clamp(1, 100),
        };
        let gate = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for (n, t) in cfg.targets.iter().cloned().enumerate() {
            let gate = gate.clone();
            set.spawn(async move {
                let _slot = gate.acquire_owned().await.expect("semaphore never closed");
                (n, poll_device(&t, limits).await)
            });
        }
        let mut devices: Vec<(usize, SnmpDevice)> = Vec::with_capacity(cfg.targets.len());
        while let Some(r) = set.join_next().await {
            match r {
                Ok(d) => devices.push(d),
                Err(e) => tracing::error!("snmp: a device poll failed: {e}"),
            }
        }
        devices.sort_by_key(|(n, _)| *n);
        let now_s = self.epoch.elapsed().as_secs_f64();
        let mut prev = self.prev.lock().expect("rates lock");
        let mut devices: Vec<SnmpDevice> = devices.into_iter().map(|(_, d)| d).collect();
        for d in &mut devices {
            if d.reachable {
                let key = format!("{}@{}", d.target, d.address);
                let next = rates::apply(prev.get(&key), d, now_s);
                prev.insert(key, next);
            }
        }
        SnmpReport {
            ts: Some(chrono::Utc::now()),
            interval_s: cfg.interval_s,
            duration_ms: start.elapsed().as_millis() as u64,
            devices,
        }
    }
}
