//! `net`: network health as this PC sees it. One round probes the gateway and the configured
//! targets (ICMP, or TCP where ICMP is not allowed), times DNS lookups, runs HTTP(S) checks and
//! reads the physical NICs' link state. Everything in a round runs concurrently, so a dead
//! target costs no more time than a live one. `docs/agent-collectors.md` lists every field.

pub mod dns;
pub mod gateway;
pub mod http;
pub mod links;
pub mod ping;
pub mod pushed;
pub mod stats;

use pantau_proto::body::config::NetProbeConfig;
use pantau_proto::body::net::NetReport;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Runs rounds. Cheap to keep: the HTTP client and its root certificates are made only when
/// the first round with HTTP checks needs them.
pub struct NetProber {
    root: PathBuf,
    http: OnceLock<Option<Arc<http::HttpChecker>>>,
    spacing: Duration,
}

impl NetProber {
    /// `root` is `/` in production; tests point it at a recorded tree.
    pub fn new(root: PathBuf) -> Self {
        NetProber {
            root,
            http: OnceLock::new(),
            spacing: Duration::from_millis(200),
        }
    }

    fn http(&self) -> Option<Arc<http::HttpChecker>> {
        self.http
            .get_or_init(|| match http::HttpChecker::new() {
                Ok(h) => Some(Arc::new(h)),
                Err(e) => {
                    tracing::error!("cannot set up HTTP checks: {e:#}");
                    None
                }
            })
            .clone()
    }

    /// One round. Takes at most about `pings × 200 ms + 1 s` for the probes (plus name
    /// resolution), 5 s for DNS and each HTTP check's timeout, all in parallel.
    pub async fn round(&self, cfg: &NetProbeConfig) -> NetReport {
        let ts = chrono::Utc::now();
        let started = tokio::time::Instant::now();
        let gateway = gateway::read(&self.root);
        let opts = ping::PingOptions {
            count: cfg.pings.max(1),
            spacing: self.spacing,
            ..ping::PingOptions::default()
        };
        let mut targets: Vec<(String, String, Option<u16>)> = Vec::new();
        if let (true, Some(gw)) = (cfg.gateway, gateway) {
            targets.push(("gateway".into(), gw.to_string(), None));
        }
        targets.extend(
            cfg.targets
                .iter()
                .map(|t| (t.name.clone(), t.host.clone(), t.tcp_port)),
        );
        let probes: Vec<_> = targets
            .into_iter()
            .map(|(name, host, port)| {
                tokio::spawn(async move { ping::probe(&name, &host, port, opts).await })
            })
            .collect();
        let lookups: Vec<_> = cfg
            .dns
            .iter()
            .cloned()
            .map(|n| tokio::spawn(async move { dns::resolve(&n).await }))
            .collect();
        let checks: Vec<_> = match (cfg.http.is_empty(), self.http()) {
            (false, Some(h)) => cfg
                .http
                .iter()
                .cloned()
                .map(|c| {
                    let h = h.clone();
                    tokio::spawn(async move { h.check(&c).await })
                })
                .collect(),
            _ => Vec::new(),
        };
        let interfaces = links::read(&self.root);
        let (probes, dns, http) = (
            join_all(probes).await,
            join_all(lookups).await,
            join_all(checks).await,
        );
        NetReport {
            ts: Some(ts),
            duration_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
            gateway: gateway.map(|g| g.to_string()),
            probes,
            dns,
            http,
            interfaces,
        }
    }
}

/// Results in the order the tasks were started; a task that panicked is left out.
async fn join_all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        match t.await {
            Ok(v) => out.push(v),
            Err(e) => tracing::error!("net probe failed: {e}"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pantau_proto::body::config::ProbeTarget;
    use pantau_proto::body::net::ProbeMethod;

    #[tokio::test]
    async fn a_round_has_every_target_even_dead_ones() {
        // Ports with no listener on loopback addresses: TCP probes to them fail at once, ICMP
        // probes to 127.0.0.x answer. Either way every target is in the report.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let targets: Vec<ProbeTarget> = (2..12)
            .map(|i| ProbeTarget {
                name: format!("t{i}"),
                host: format!("127.0.0.{i}"),
                tcp_port: Some(closed.port()),
            })
            .chain([ProbeTarget {
                name: "nowhere".into(),
                host: "no-such-host.invalid".into(),
                tcp_port: None,
            }])
            .collect();
        let cfg = NetProbeConfig {
            pings: 2,
            gateway: false,
            targets,
            dns: vec!["localhost".into()],
            ..NetProbeConfig::default()
        };
        let mut prober = NetProber::new(PathBuf::from("/nonexistent"));
        prober.spacing = Duration::from_millis(20);
        let start = std::time::Instant::now();
        let r = prober.round(&cfg).await;
        assert!(start.elapsed() < Duration::from_secs(30), "does not hang");
        assert_eq!(r.probes.len(), 11);
        let names: Vec<&str> = r.probes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names[0], "t2");
        assert_eq!(names[10], "nowhere");
        for p in &r.probes[..10] {
            assert_eq!(p.sent, 2, "{p:?}");
            if p.method == ProbeMethod::Tcp {
                assert_eq!(p.loss_pct, 100.0);
                assert!(p.error.is_some());
            }
        }
        assert!(r.probes[10].error.is_some());
        assert_eq!(r.dns.len(), 1);
        assert!(r.http.is_empty());
        assert_eq!(r.gateway, None);
        assert!(r.ts.is_some());
        let took = r.duration_ms.expect("the round says how long it took");
        assert!(took > 0.0 && took <= start.elapsed().as_secs_f64() * 1000.0);
    }
}
