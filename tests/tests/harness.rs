//! The harness itself: a private broker starts, stops, restarts on its port, and keeps
//! messages queued for a persistent session across the restart.

use pantau_tests::{wait_until, Mosquitto, Publisher};
use rumqttc::{Client, Event, Incoming, MqttOptions, QoS};
use std::time::Duration;

#[test]
fn broker_restarts_on_its_port_and_keeps_queued_messages() {
    let mut broker = Mosquitto::start();
    let port = broker.port();

    // A persistent session subscribes, then goes away.
    let session = |broker: &Mosquitto| {
        let mut o = MqttOptions::new("harness-sub", "127.0.0.1", broker.port());
        o.set_clean_session(false);
        Client::new(o, 16)
    };
    {
        let (client, mut conn) = session(&broker);
        client.subscribe("t/x", QoS::AtLeastOnce).unwrap();
        let subscribed = conn
            .iter()
            .take(20)
            .any(|e| matches!(e, Ok(Event::Incoming(Incoming::SubAck(_)))));
        assert!(subscribed, "no SUBACK");
        client.disconnect().unwrap();
        // Drive the connection until the DISCONNECT is out.
        while let Ok(Ok(e)) = conn.recv_timeout(Duration::from_secs(2)) {
            if matches!(e, Event::Outgoing(rumqttc::Outgoing::Disconnect)) {
                break;
            }
        }
    }

    // A message queued for it survives a broker restart on the same port.
    Publisher::connect(&broker, "harness-pub").publish("t/x", "hello");
    broker.stop();
    assert!(!pantau_tests::process::port_open(port));
    broker.restart();
    assert_eq!(broker.port(), port);

    let (_client, mut conn) = session(&broker);
    let mut got = None;
    assert!(wait_until(Duration::from_secs(15), || {
        if let Ok(Ok(Event::Incoming(Incoming::Publish(p)))) =
            conn.recv_timeout(Duration::from_millis(200))
        {
            got = Some(p.payload.to_vec());
        }
        got.is_some()
    }));
    assert_eq!(got.as_deref(), Some(&b"hello"[..]));
}
