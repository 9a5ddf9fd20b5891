//! `pantau-loadgen`: the publisher and the plain subscriber of `tests/bench/ingest-ratio.sh`.
//!
//! `keys` makes signing identities and their `enrollment.json`. `run` publishes N signed
//! metrics envelopes (a simulated office PC's sample each, about the size agents send) at
//! QoS 1 as fast as the broker takes them, and times how long a consumer needs for all of
//! them, from the first publish:
//!
//! * `--consumer plain`: its own plain MQTT subscriber (QoS 1, acknowledges on receipt, does
//!   nothing else): the broker's pass-through rate for these messages;
//! * `--consumer metrics=URL`: a collector, by polling its `/metrics` until
//!   `pantau_ingest_messages_total` has grown by N (every message verified, committed, acked).
//!
//! Both runs start with one warm-up message that must arrive before the clock starts, so the
//! consumer's subscription is known to be in place. The result is one JSON line on stdout.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use pantau_agent::source::Source;
use pantau_proto::body::MetricsBatch;
use pantau_proto::{topic, AgentKey, Envelope, Kind};
use rumqttc::{AsyncClient, Event, Incoming, MqttOptions, QoS};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "pantau-loadgen",
    about = "Publisher and plain subscriber for ingest benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write DIR/keys.json (identities) and DIR/enrollment.json (for `enroll import`).
    Keys {
        #[arg(long, default_value_t = 100)]
        agents: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// Publish --messages envelopes and time the consumer.
    Run {
        /// `mqtt://127.0.0.1:PORT`.
        #[arg(long)]
        broker: String,
        /// The directory `keys` wrote.
        #[arg(long)]
        keys: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        messages: u64,
        /// First seq per agent (use a new range for each run against the same store).
        #[arg(long, default_value_t = 1)]
        seq_base: u64,
        /// `plain`, or `metrics=http://HOST:PORT/metrics`.
        #[arg(long)]
        consumer: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

#[derive(serde::Serialize, serde::Deserialize)]
struct KeyRow {
    agent_id: String,
    key: String,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().cmd {
        Cmd::Keys { agents, out } => keys(agents, &out),
        Cmd::Run {
            broker,
            keys,
            messages,
            seq_base,
            consumer,
            timeout,
        } => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(run(&broker, &keys, messages, seq_base, &consumer, timeout))
        }
    }
}

fn keys(agents: usize, out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut rows = Vec::new();
    let mut enroll = Vec::new();
    for i in 0..agents {
        let id = format!("load-{:05}", i + 1);
        let key = AgentKey::generate();
        enroll.push(serde_json::json!({
            "agent_id": id, "opd": format!("82.71.{:02}.01.01", 1 + i % 8),
            "public_key": key.public().to_base64(),
        }));
        rows.push(KeyRow {
            agent_id: id,
            key: key.to_base64(),
        });
    }
    std::fs::write(out.join("keys.json"), serde_json::to_vec(&rows)?)?;
    std::fs::write(
        out.join("enrollment.json"),
        serde_json::to_vec_pretty(&enroll)?,
    )?;
    Ok(())
}

/// Every envelope, signed before the clock starts: (topic, payload).
fn envelopes(keys: &[(String, AgentKey)], n: u64, seq_base: u64) -> Vec<(String, Vec<u8>)> {
    let mut sources: Vec<_> = (0..keys.len())
        .map(|i| pantau_agent::sim::SimSource::new(i as u64 + 1, "0101"))
        .collect();
    (0..n)
        .map(|k| {
            let i = (k % keys.len() as u64) as usize;
            let seq = seq_base + k / keys.len() as u64;
            let (id, key) = &keys[i];
            let body = MetricsBatch {
                interval_s: 30,
                samples: vec![sources[i].sample()],
                spool: Default::default(),
            };
            let env = Envelope::sign(key, id, seq, chrono::Utc::now(), Kind::Metrics, &body);
            (topic::topic(id, Kind::Metrics), env.to_bytes())
        })
        .collect()
}

fn options(broker: &str, client_id: &str) -> anyhow::Result<MqttOptions> {
    let rest = broker
        .strip_prefix("mqtt://")
        .context("--broker must be mqtt://HOST:PORT")?;
    let (host, port) = rest.rsplit_once(':').context("--broker needs a port")?;
    let mut o = MqttOptions::new(client_id, host, port.parse()?);
    o.set_keep_alive(Duration::from_secs(30))
        .set_inflight(100)
        .set_max_packet_size(1 << 20, 1 << 20);
    Ok(o)
}

/// The plain subscriber: counts publishes on `pantau/v1/+/+`; sends the count and the
/// instant of each arrival through `seen`.
async fn plain_subscriber(
    broker: String,
    ready: tokio::sync::oneshot::Sender<()>,
    seen: tokio::sync::watch::Sender<(u64, Option<Instant>)>,
) -> anyhow::Result<()> {
    let (client, mut events) = AsyncClient::new(
        options(&broker, &format!("loadgen-sub-{}", std::process::id()))?,
        10_000,
    );
    let mut ready = Some(ready);
    let mut count = 0u64;
    loop {
        match events.poll().await? {
            Event::Incoming(Incoming::ConnAck(_)) => {
                client
                    .subscribe(topic::ALL_AGENTS, QoS::AtLeastOnce)
                    .await?;
            }
            Event::Incoming(Incoming::SubAck(_)) => {
                if let Some(r) = ready.take() {
                    let _ = r.send(());
                }
            }
            Event::Incoming(Incoming::Publish(_)) => {
                count += 1;
                let _ = seen.send((count, Some(Instant::now())));
            }
            _ => {}
        }
    }
}

/// `pantau_ingest_messages_total` summed over kinds, from a collector's `/metrics`.
fn stored(url: &str) -> anyhow::Result<u64> {
    let body = ureq::get(url).call()?.body_mut().read_to_string()?;
    Ok(body
        .lines()
        .filter(|l| l.starts_with("pantau_ingest_messages_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

async fn run(
    broker: &str,
    keys_dir: &std::path::Path,
    messages: u64,
    seq_base: u64,
    consumer: &str,
    timeout: u64,
) -> anyhow::Result<()> {
    let rows: Vec<KeyRow> = serde_json::from_slice(&std::fs::read(keys_dir.join("keys.json"))?)?;
    let keys: Vec<(String, AgentKey)> = rows
        .into_iter()
        .map(|r| {
            Ok((
                r.agent_id,
                AgentKey::from_base64(&r.key).map_err(anyhow::Error::msg)?,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    // One warm-up envelope, then the measured ones, each agent's seqs ascending.
    let mut all = envelopes(&keys, messages + 1, seq_base);
    let warmup = all.remove(0);
    let bytes: usize = all.iter().map(|(_, p)| p.len()).sum();
    let deadline = Instant::now() + Duration::from_secs(timeout);

    // The consumer's count, as a function to poll.
    let (seen_tx, seen_rx) = tokio::sync::watch::channel((0u64, None::<Instant>));
    let metrics_url = consumer.strip_prefix("metrics=").map(str::to_owned);
    if consumer == "plain" {
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let b = broker.to_owned();
        tokio::spawn(async move {
            if let Err(e) = plain_subscriber(b, ready_tx, seen_tx).await {
                eprintln!("plain subscriber: {e:#}");
            }
        });
        tokio::time::timeout(Duration::from_secs(30), ready_rx)
            .await
            .context("plain subscriber never subscribed")??;
    } else if metrics_url.is_none() {
        bail!("--consumer is `plain` or `metrics=URL`, not {consumer:?}");
    }
    let base = match &metrics_url {
        Some(u) => stored(u)?,
        None => 0,
    };
    let count = |rx: &tokio::sync::watch::Receiver<(u64, Option<Instant>)>| -> anyhow::Result<u64> {
        Ok(match &metrics_url {
            Some(u) => stored(u)? - base,
            None => rx.borrow().0,
        })
    };

    let (client, mut events) = AsyncClient::new(
        options(broker, &format!("loadgen-pub-{}", std::process::id()))?,
        1000,
    );
    let acked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let acks = acked.clone();
    tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Incoming::PubAck(_))) => {
                    acks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("publisher: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    });
    client
        .publish(warmup.0, QoS::AtLeastOnce, false, warmup.1)
        .await?;
    while count(&seen_rx)? < 1 {
        if Instant::now() > deadline {
            bail!("the warm-up message never reached the consumer");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let start = Instant::now();
    for (t, p) in all {
        client.publish(t, QoS::AtLeastOnce, false, p).await?;
    }
    let mut published_at = None;
    let done_at = loop {
        if published_at.is_none() && acked.load(std::sync::atomic::Ordering::Relaxed) > messages {
            published_at = Some(start.elapsed());
        }
        let n = count(&seen_rx)?;
        if n > messages {
            break match &metrics_url {
                Some(_) => start.elapsed(),
                None => seen_rx
                    .borrow()
                    .1
                    .expect("an arrival time")
                    .duration_since(start),
            };
        }
        if Instant::now() > deadline {
            bail!(
                "only {} of {messages} consumed within {timeout} s",
                n.saturating_sub(1)
            );
        }
        tokio::time::sleep(Duration::from_millis(if metrics_url.is_some() {
            25
        } else {
            5
        }))
        .await;
    };
    let secs = done_at.as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "consumer": if metrics_url.is_some() { "collector" } else { "plain" },
            "messages": messages,
            "payload_bytes_avg": bytes as u64 / messages.max(1),
            "published_s": published_at.map(|d| d.as_secs_f64()),
            "consumed_s": secs,
            "rate_per_s": messages as f64 / secs,
        })
    );
    Ok(())
}
