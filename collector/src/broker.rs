//! The embedded MQTT broker (rumqttd) for `demo` and one trusted LAN.
//!
//! rumqttd 0.20 has no topic ACLs, so any client on it could publish under another agent's
//! topic. Signatures still stop forgery (see docs/security.md), but this broker is bound to
//! loopback by default and is not offered by `serve`: a city runs Mosquitto with per-agent ACLs.

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};
use std::collections::HashMap;
use std::net::SocketAddr;

pub fn start(listen: SocketAddr) -> anyhow::Result<()> {
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
