//! DNS resolution time through the system resolver (`getaddrinfo`): the same path, caches and
//! `/etc/resolv.conf` (or `systemd-resolved`) the PC's browser uses, which is what users feel.
//! A slow answer from a local cache or a slow upstream both show here.

use pantau_proto::body::net::DnsResult;
use std::time::Duration;
use tokio::time::Instant;

/// How long a lookup may take before it counts as failed.
pub const TIMEOUT: Duration = Duration::from_secs(5);

pub async fn resolve(name: &str) -> DnsResult {
    let mut r = DnsResult {
        name: name.to_owned(),
        ..DnsResult::default()
    };
    let start = Instant::now();
    match tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((name, 0))).await {
        Ok(Ok(addrs)) => {
            r.ms = Some(start.elapsed().as_secs_f64() * 1000.0);
            for a in addrs {
                let ip = a.ip().to_string();
                if !r.addresses.contains(&ip) {
                    r.addresses.push(ip);
                }
            }
        }
        Ok(Err(e)) => r.error = Some(e.to_string()),
        Err(_) => r.error = Some(format!("timed out after {} s", TIMEOUT.as_secs())),
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn localhost_and_a_name_that_does_not_exist() {
        let ok = resolve("localhost").await;
        assert!(ok.error.is_none(), "{ok:?}");
        assert!(ok.ms.is_some());
        assert!(!ok.addresses.is_empty());
        let bad = resolve("no-such-host.invalid").await;
        assert!(bad.error.is_some());
        assert!(bad.ms.is_none());
    }
}
