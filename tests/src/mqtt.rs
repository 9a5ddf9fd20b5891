//! A plain MQTT client for tests that publish by hand (forged, broken or replayed messages).

use crate::broker::Mosquitto;
use rumqttc::{Client, Connection, Event, Incoming, MqttOptions, QoS};
use std::time::{Duration, Instant};

pub struct Publisher {
    client: Client,
    conn: Connection,
}

impl Publisher {
    /// Connect to `broker` as `client_id` and wait for the CONNACK.
    pub fn connect(broker: &Mosquitto, client_id: &str) -> Publisher {
        Publisher::connect_port(broker.port(), client_id)
    }

    /// [`Publisher::connect`] to the broker on 127.0.0.1:`port` (from another thread).
    pub fn connect_port(port: u16, client_id: &str) -> Publisher {
        let mut opts = MqttOptions::new(client_id, "127.0.0.1", port);
        opts.set_keep_alive(Duration::from_secs(30));
        // Room for the deliberately oversized payloads.
        opts.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
        let (client, conn) = Client::new(opts, 16);
        let mut p = Publisher { client, conn };
        p.wait_for("CONNACK", |e| matches!(e, Incoming::ConnAck(_)));
        p
    }

    /// Publish at QoS 1 and wait for the broker's PUBACK.
    pub fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .unwrap_or_else(|e| panic!("publish to {topic}: {e}"));
        self.wait_for(&format!("PUBACK for {topic}"), |e| {
            matches!(e, Incoming::PubAck(_))
        });
    }

    /// Publish a retained message at QoS 1 and wait for the broker's PUBACK.
    pub fn publish_retained(&mut self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, true, payload.into())
            .unwrap_or_else(|e| panic!("publish to {topic}: {e}"));
        self.wait_for(&format!("PUBACK for {topic}"), |e| {
            matches!(e, Incoming::PubAck(_))
        });
    }

    /// Subscribe to `topic` and return the first payload on it that `want` accepts within
    /// `timeout`.
    pub fn first_matching(
        &mut self,
        topic: &str,
        timeout: Duration,
        want: impl Fn(&[u8]) -> bool,
    ) -> Option<Vec<u8>> {
        self.client
            .subscribe(topic, QoS::AtLeastOnce)
            .unwrap_or_else(|e| panic!("subscribe to {topic}: {e}"));
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.conn.recv_timeout(left) {
                Ok(Ok(Event::Incoming(Incoming::Publish(m))))
                    if m.topic == topic && want(&m.payload) =>
                {
                    return Some(m.payload.to_vec())
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("MQTT connection error while reading {topic}: {e}"),
                Err(_) => return None,
            }
        }
    }

    fn wait_for(&mut self, what: &str, want: impl Fn(&Incoming) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "MQTT: no {what} within 15 s");
            match self.conn.recv_timeout(left) {
                Ok(Ok(Event::Incoming(i))) if want(&i) => return,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("MQTT connection error while waiting for {what}: {e}"),
                Err(_) => {}
            }
        }
    }
}

/// The retained message on `topic`, if the broker has one within `timeout`.
pub fn retained(
    broker: &Mosquitto,
    client_id: &str,
    topic: &str,
    timeout: Duration,
) -> Option<Vec<u8>> {
    let mut p = Publisher::connect(broker, client_id);
    p.client
        .subscribe(topic, QoS::AtLeastOnce)
        .unwrap_or_else(|e| panic!("subscribe to {topic}: {e}"));
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        match p.conn.recv_timeout(left) {
            Ok(Ok(Event::Incoming(Incoming::Publish(m)))) if m.topic == topic => {
                return Some(m.payload.to_vec())
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("MQTT connection error while reading {topic}: {e}"),
            Err(_) => return None,
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
    }
}
