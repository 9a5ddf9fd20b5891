//! The embedded MQTT broker (rumqttd) for `demo` and one trusted LAN.
//!
//! rumqttd 0.20 has no topic ACLs, so any client on it could publish under another agent's
//! topic and read every other agent's reports and pushed config (SNMP credentials included).
//! Signatures still stop forgery (see docs/security.md), not reading. So it listens on
//! loopback unless the operator says `--embedded-broker-unconfined`, with the reason printed;
//! a city runs Mosquitto with the per-agent ACLs of `broker-config mosquitto`.

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use std::collections::HashMap;
use std::net::SocketAddr;

/// Why the embedded broker refuses a non-loopback address (printed with the refusal).
pub const UNCONFINED: &str = "the embedded MQTT broker (rumqttd) has no topic ACLs: any client \
that reaches it can read every agent's reports and pushed config, and publish under any agent's \
topic (signatures still stop forged messages, not reading). Broker tertanam tidak punya ACL topik. \
Use Mosquitto with `pantau-collector broker-config mosquitto`, or, on one trusted LAN only, \
pass --embedded-broker-unconfined";

/// Check the address: loopback, or explicitly unconfined.
pub fn check_listen(listen: SocketAddr, unconfined: bool) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() && !unconfined {
        anyhow::bail!("refusing to listen for MQTT on {listen}: {UNCONFINED}");
    }
    if !listen.ip().is_loopback() {
        tracing::warn!("embedded broker on {listen} without ACLs (--embedded-broker-unconfined)");
    }
    Ok(())
}

pub fn start(listen: SocketAddr, unconfined: bool) -> anyhow::Result<()> {
    check_listen(listen, unconfined)?;
    // Fail early with a clear message if the port is taken; rumqttd would only log it.
    std::net::TcpListener::bind(listen)
        .map_err(|e| anyhow::anyhow!("cannot listen for MQTT on {listen}: {e}"))?;
    let server = ServerSettings {
        name: "pantau-demo".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 2 * 1024 * 1024,
            max_inflight_count: 200,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 20_000,
            max_outgoing_packet_count: 200,
            max_segment_size: 100 * 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Default::default()
    };
    let mut broker = Broker::new(config);
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!("embedded broker stopped: {e}");
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_unless_unconfined() {
        let lan = "10.1.2.3:1883".parse().unwrap();
        let e = super::check_listen(lan, false).unwrap_err().to_string();
        assert!(
            e.contains("no topic ACLs") && e.contains("--embedded-broker-unconfined"),
            "{e}"
        );
        assert!(super::check_listen(lan, true).is_ok());
        assert!(super::check_listen("127.0.0.1:1883".parse().unwrap(), false).is_ok());
        assert!(super::check_listen("[::1]:1883".parse().unwrap(), false).is_ok());
        assert!(super::check_listen("0.0.0.0:1883".parse().unwrap(), false).is_err());
    }
}
