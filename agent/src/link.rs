//! The MQTT link: drains the spool to the broker in order and removes what the broker
//! acknowledged.
//!
//! Each connection is a fresh rumqttc client with a clean session. Nothing is trusted to
//! survive in the client library across a reconnect: the spool is the only queue, and after a
//! reconnect sending resumes from its oldest entry. A message that reached the broker but whose
//! PUBACK was lost is sent again; the collector deduplicates on `(agent_id, seq)`.

use crate::spool::{Entry, Spool};
use crate::Identity;
use pantau_proto::body::{AgentState, Status};
use pantau_proto::{topic, Envelope, Kind};
use rumqttc::{AsyncClient, Event, Incoming, LastWill, MqttOptions, Outgoing, QoS, Transport};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// A parsed `mqtt://` or `mqtts://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddr {
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl BrokerAddr {
    pub fn parse(url: &str) -> Result<BrokerAddr, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("mqtt://") {
            (false, r)
        } else {
            return Err(format!("{url:?} must start with mqtt:// or mqtts://"));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("{url:?}: port {p:?} is not a number"))?,
            ),
            _ => (rest, if tls { 8883 } else { 1883 }),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{url:?} has no host"));
        }
        Ok(BrokerAddr {
            host: host.to_owned(),
            port,
            tls,
        })
    }
}

/// Everything the link needs to know about the agent it serves.
pub struct LinkConfig {
    pub identity: Identity,
    pub broker: crate::config::BrokerConfig,
    pub hostname: String,
    pub roles: Vec<String>,
    /// Where the retained config the collector pushes (`pantau/v1/{agent_id}/config`) goes,
    /// as received on every (re)connection; an empty payload means the config was cleared.
    pub pushed: Option<watch::Sender<Option<Arc<Vec<u8>>>>>,
}

/// What was handed to rumqttc, in order, until it tells us the packet id it used.
enum Sent {
    Status,
    Data(u64),
}

/// Run until `shutdown` becomes true; then publish `offline` and disconnect cleanly.
pub async fn run(
    cfg: LinkConfig,
    spool: Arc<Mutex<Spool>>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let addr = BrokerAddr::parse(&cfg.broker.url).expect("validated config");
    let mut backoff = Duration::from_millis(500);
    loop {
        if *shutdown.borrow() {
            return;
        }
        let connected_at = chrono::Utc::now();
        let opts = match options(&cfg, &addr, &spool, connected_at) {
            Ok(o) => o,
            Err(e) => {
                tracing::error!("cannot set up the broker connection: {e:#}");
                if wait_or_shutdown(&mut shutdown, Duration::from_secs(60)).await {
                    return;
                }
                continue;
            }
        };
        let (client, mut events) = AsyncClient::new(opts, cfg.broker.max_in_flight * 2 + 8);
        let mut session = Session::default();
        let outcome = loop {
            tokio::select! {
                ev = events.poll() => match ev {
                    Ok(Event::Incoming(Incoming::ConnAck(_))) => {
                        tracing::info!(broker = %cfg.broker.url, "connected");
                        backoff = Duration::from_millis(500);
                        session.connected = true;
                        // Clean sessions: subscribe on every connection; the broker then sends
                        // the retained config again.
                        if cfg.pushed.is_some() {
                            let t = topic::topic(&cfg.identity.agent_id, Kind::Config);
                            if let Err(e) = client.try_subscribe(t, QoS::AtLeastOnce) {
                                tracing::warn!("cannot subscribe to the pushed config: {e}");
                            }
                        }
                        let status = status(&cfg, &spool, AgentState::Online, connected_at);
                        if client.try_publish(status.topic(), QoS::AtLeastOnce, true, status.to_bytes()).is_ok() {
                            session.sent.push_back(Sent::Status);
                        }
                        session.fill(&client, &spool, cfg.broker.max_in_flight);
                    }
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) => {
                        if let Some(s) = session.sent.pop_front() {
                            session.by_pkid.insert(pkid, s);
                        }
                    }
                    Ok(Event::Incoming(Incoming::Publish(p))) => {
                        if let Some(tx) = &cfg.pushed {
                            if p.topic == topic::topic(&cfg.identity.agent_id, Kind::Config) {
                                tx.send_replace(Some(Arc::new(p.payload.to_vec())));
                            }
                        }
                    }
                    Ok(Event::Incoming(Incoming::PubAck(ack))) => {
                        if let Some(Sent::Data(seq)) = session.by_pkid.remove(&ack.pkid) {
                            spool.lock().expect("spool lock").ack(seq);
                            session.in_flight -= 1;
                        }
                        session.fill(&client, &spool, cfg.broker.max_in_flight);
                    }
                    Ok(_) => {}
                    Err(e) => break Err(e),
                },
                _ = wake.notified() => {
                    if session.connected {
                        session.fill(&client, &spool, cfg.broker.max_in_flight);
                    }
                }
                _ = shutdown.changed() => break Ok(()),
            }
        };
        match outcome {
            Ok(()) => {
                // Say goodbye properly so the dashboard shows a stop, not a crash.
                let status = status(&cfg, &spool, AgentState::Offline, connected_at);
                let _ = client
                    .publish(status.topic(), QoS::AtLeastOnce, true, status.to_bytes())
                    .await;
                let _ = client.disconnect().await;
                let drain = async { while events.poll().await.is_ok() {} };
                let _ = tokio::time::timeout(Duration::from_secs(2), drain).await;
                return;
            }
            Err(e) => {
                if session.connected {
                    tracing::warn!("connection to broker lost: {e}");
                } else {
                    tracing::warn!(broker = %cfg.broker.url, "cannot connect to broker: {e}");
                }
                if wait_or_shutdown(&mut shutdown, backoff).await {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

#[derive(Default)]
struct Session {
    connected: bool,
    /// Highest seq handed to the client on this connection.
    cursor: u64,
    in_flight: usize,
    sent: VecDeque<Sent>,
    by_pkid: HashMap<u16, Sent>,
}

impl Session {
    /// Hand spooled envelopes to the client until `window` are unacknowledged.
    fn fill(&mut self, client: &AsyncClient, spool: &Mutex<Spool>, window: usize) {
        while self.in_flight < window {
            let (entry, payload): (Entry, Vec<u8>) = {
                let spool = spool.lock().expect("spool lock");
                let Some(entry) = spool.next_after(self.cursor) else {
                    return;
                };
                match spool.read(&entry) {
                    Ok(p) => (entry, p),
                    Err(e) => {
                        tracing::error!(
                            seq = entry.seq,
                            "spooled envelope unreadable, skipping: {e}"
                        );
                        self.cursor = entry.seq;
                        continue;
                    }
                }
            };
            let topic = topic_of(&payload, entry.kind);
            match client.try_publish(topic, QoS::AtLeastOnce, false, payload) {
                Ok(()) => {
                    self.cursor = entry.seq;
                    self.in_flight += 1;
                    self.sent.push_back(Sent::Data(entry.seq));
                }
                // The request channel is full; the next acknowledgement wakes us again.
                Err(_) => return,
            }
        }
    }
}

fn topic_of(payload: &[u8], kind: Kind) -> String {
    // The agent id is in the envelope; reading it back keeps the spool self-describing.
    #[derive(serde::Deserialize)]
    struct Head {
        agent_id: String,
    }
    let id = serde_json::from_slice::<Head>(payload)
        .map(|h| h.agent_id)
        .unwrap_or_default();
    topic::topic(&id, kind)
}

fn status(
    cfg: &LinkConfig,
    spool: &Mutex<Spool>,
    state: AgentState,
    since: chrono::DateTime<chrono::Utc>,
) -> Envelope {
    let spool = spool.lock().expect("spool lock");
    let body = Status {
        state,
        since,
        agent_version: crate::VERSION.into(),
        hostname: cfg.hostname.clone(),
        roles: cfg.roles.clone(),
        spool_queued: spool.len() as u64,
        spool_dropped_total: spool.dropped_total(),
    };
    cfg.identity
        .envelope(spool.high_water(), Kind::Status, &body)
}

fn options(
    cfg: &LinkConfig,
    addr: &BrokerAddr,
    spool: &Mutex<Spool>,
    since: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<MqttOptions> {
    let mut o = MqttOptions::new(&cfg.identity.agent_id, &addr.host, addr.port);
    o.set_keep_alive(Duration::from_secs(cfg.broker.keep_alive_s))
        .set_clean_session(true)
        .set_inflight(cfg.broker.max_in_flight as u16 + 2)
        .set_max_packet_size(
            Kind::Config.max_bytes() + 1024,
            Kind::Inventory.max_bytes() + 1024,
        );
    let will = status(cfg, spool, AgentState::Offline, since);
    o.set_last_will(LastWill::new(
        will.topic(),
        will.to_bytes(),
        QoS::AtLeastOnce,
        true,
    ));
    if let (Some(u), Some(p)) = (&cfg.broker.username, &cfg.broker.password) {
        o.set_credentials(u, p);
    }
    if addr.tls {
        o.set_transport(Transport::tls_with_config(crate::tls::client_config(
            &cfg.broker,
        )?));
    }
    Ok(o)
}

/// Sleep for `d` unless shutdown comes first; true means shut down.
async fn wait_or_shutdown(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_broker_urls() {
        let p = |u| BrokerAddr::parse(u);
        assert_eq!(
            p("mqtt://10.0.0.5:1884").unwrap(),
            BrokerAddr {
                host: "10.0.0.5".into(),
                port: 1884,
                tls: false
            }
        );
        assert_eq!(p("mqtts://broker.kota.go.id").unwrap().port, 8883);
        assert_eq!(p("mqtt://[::1]:1883").unwrap().host, "::1");
        assert!(p("tcp://x:1").is_err());
        assert!(p("mqtt://x:port").is_err());
        assert!(p("mqtt://").is_err());
    }
}
