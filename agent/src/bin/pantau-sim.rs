//! `pantau-sim`: a fleet of simulated agents, each with its own key, spool and MQTT connection,
//! running the real agent code. For load tests, benchmarks and demos against a real broker.
//!
//! The collector must know the agents' keys: `pantau-sim` writes `DATA/enrollment.json`, which
//! `pantau-collector enroll import` records, and `DATA/register.csv`, the BMD register the city
//! would have for this fleet (`pantau-collector register import`). Identities are kept in
//! DATA, so reruns reuse them. At the end it prints what was sent and writes
//! `DATA/summary.json` (docs/scale.md).

use clap::Parser;
use pantau_agent::config::AgentConfig;
use pantau_agent::sim::fleet::{self, Behaviour, Member, Shares};
use pantau_agent::sim::Zone;
use pantau_agent::{runtime, Identity};
use pantau_proto::AgentKey;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "pantau-sim",
    version,
    about = "Simulated Pantau agents over real MQTT connections"
)]
struct Cli {
    /// Number of agents.
    #[arg(long, default_value_t = 10)]
    agents: usize,
    /// Number of OPDs the agents are spread over (round robin).
    #[arg(long, default_value_t = 4)]
    opds: usize,
    /// Time between metric samples: 30s, 5m, or plain seconds.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    interval: Duration,
    /// Broker URL (`mqtt://` or `mqtts://`).
    #[arg(long)]
    broker: String,
    /// Folder for identities, spools, enrollment.json, register.csv and summary.json.
    #[arg(long, default_value = "pantau-sim-data")]
    data: PathBuf,
    /// Stop after this long (30s, 5m, 1h, or plain seconds); default: until Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Agents start evenly over this time, as a real fleet's PCs are switched on at
    /// different moments (default: one interval, so their reports are spread evenly).
    #[arg(long, value_parser = parse_duration)]
    ramp: Option<Duration>,
    /// The city's time zone, for office hours: WIB, WITA or WIT.
    #[arg(long, default_value = "WIB")]
    zone: Zone,
    /// Percent of agents that never connect (enrolled and registered, silent).
    #[arg(long, default_value_t = 0.0)]
    silent: f64,
    /// Percent of agents that connect for 2-6 intervals, drop for 1-3, and again.
    #[arg(long, default_value_t = 0.0)]
    flapping: f64,
    /// Percent of agents whose PC is missing from register.csv.
    #[arg(long, default_value_t = 0.0)]
    unregistered: f64,
    /// Percent of agents whose clock is 5 min to 3 h off.
    #[arg(long, default_value_t = 0.0)]
    skew: f64,
    /// Spread the connections over N loopback addresses of the broker, 127.0.0.1 to
    /// 127.0.0.N (the broker must listen on each): Linux runs out of ephemeral ports at
    /// about 28,000 connections to one address and port. Needs a broker URL on 127.0.0.1.
    #[arg(long, default_value_t = 1)]
    spread_addrs: u8,
    /// Only write identities, enrollment.json and register.csv, then exit.
    #[arg(long)]
    enroll_only: bool,
}

/// `30s`, `5m`, `1h`, `2d`, `500ms`, or a plain number of seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration: use 30s, 5m, 1h or seconds"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?}; use ms, s, m, h or d"
            ))
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("{s:?} is not a duration"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[derive(serde::Serialize)]
struct Enrollment {
    agent_id: String,
    opd: String,
    public_key: String,
    /// Not read by `enroll import`; tells tests and people who misbehaves.
    behaviour: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    clock_skew_s: Option<i64>,
}

#[derive(serde::Serialize)]
struct AgentSummary {
    agent_id: String,
    behaviour: &'static str,
    /// Seq numbers this run used: `first_seq..=last_seq` (none when it made no envelope).
    first_seq: Option<u64>,
    last_seq: Option<u64>,
    /// Envelopes still in the spool at the end (not acknowledged by the broker).
    spooled: usize,
}

/// The next seq an agent's spool will use (the agent writes it before each envelope).
fn next_seq(state: &Path) -> u64 {
    std::fs::read_to_string(state.join("seq"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1)
}

fn spooled(state: &Path) -> usize {
    std::fs::read_dir(state.join("spool"))
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0)
}

/// The broker URL agent `i` uses: the same, or on 127.0.0.(1 + i % spread).
fn broker_for(url: &str, i: usize, spread: u8) -> String {
    if spread <= 1 {
        return url.to_owned();
    }
    let host = format!("127.0.0.{}", 1 + i % spread as usize);
    url.replacen("127.0.0.1", &host, 1)
}

/// Raise the soft limit on open files to the hard one: every agent holds a socket.
fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        lim.rlim_cur
    }
}

struct Prepared {
    member: Member,
    cfg: AgentConfig,
    identity: Identity,
    first_seq: u64,
}

fn main() -> anyhow::Result<()> {
    pantau_agent::service::init_logging("warn");
    let cli = Cli::parse();
    pantau_agent::link::BrokerAddr::parse(&cli.broker)
        .map_err(|e| anyhow::anyhow!("--broker: {e}"))?;
    if cli.spread_addrs > 1 && !cli.broker.contains("127.0.0.1") {
        anyhow::bail!(
            "--spread-addrs needs a broker URL on 127.0.0.1, not {}",
            cli.broker
        );
    }
    let shares = Shares {
        silent: cli.silent,
        flapping: cli.flapping,
        unregistered: cli.unregistered,
        skew: cli.skew,
    };
    shares.check().map_err(anyhow::Error::msg)?;
    let interval = cli.interval.max(Duration::from_secs(1));
    let plan = fleet::plan(cli.agents, cli.opds, &shares);
    let mut agents = Vec::new();
    let mut enrollment = Vec::new();
    for m in plan {
        let dir = cli.data.join("agents").join(&m.agent_id);
        std::fs::create_dir_all(&dir)?;
        let key_file = dir.join("agent.key");
        if !key_file.exists() {
            std::fs::write(&key_file, AgentKey::generate().to_base64() + "\n")?;
        }
        let skew = match m.behaviour {
            Behaviour::Skewed(s) => Some(s),
            _ => None,
        };
        let identity = Identity::load(&m.agent_id, &key_file)?.with_clock_skew(skew.unwrap_or(0));
        enrollment.push(Enrollment {
            agent_id: m.agent_id.clone(),
            opd: m.opd.clone(),
            public_key: identity.key.public().to_base64(),
            behaviour: m.behaviour.label(),
            clock_skew_s: skew,
        });
        let broker = broker_for(&cli.broker, m.index, cli.spread_addrs);
        let mut cfg = AgentConfig::new(&m.agent_id, key_file, dir.join("state"), &broker);
        cfg.metrics.interval_s = interval.as_secs().max(1);
        cfg.metrics.batch = 1;
        let first_seq = next_seq(&cfg.state_dir);
        agents.push(Prepared {
            member: m,
            cfg,
            identity,
            first_seq,
        });
    }
    let members: Vec<Member> = agents.iter().map(|a| a.member.clone()).collect();
    let enroll_path = cli.data.join("enrollment.json");
    std::fs::write(&enroll_path, serde_json::to_string_pretty(&enrollment)?)?;
    let register_path = cli.data.join("register.csv");
    std::fs::write(&register_path, fleet::register_csv(&members))?;
    eprintln!(
        "{} identities in {}; record them with: pantau-collector enroll import {}\n\
         the register for this fleet: pantau-collector register import {}",
        enrollment.len(),
        cli.data.display(),
        enroll_path.display(),
        register_path.display()
    );
    if cli.enroll_only {
        return Ok(());
    }
    let fds = raise_fd_limit();
    if (fds as usize) < cli.agents + 256 {
        eprintln!(
            "warning: {fds} open files allowed, {} agents need more: raise `ulimit -n`",
            cli.agents
        );
    }
    let ramp = cli.ramp.unwrap_or(interval);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let zone = cli.zone;
    let n = agents.len().max(1);
    let summary_input: Vec<(Member, PathBuf, u64)> = agents
        .iter()
        .map(|a| (a.member.clone(), a.cfg.state_dir.clone(), a.first_seq))
        .collect();
    rt.block_on(async move {
        let (stop, rx) = watch::channel(false);
        let mut handles = Vec::new();
        for (k, a) in agents.into_iter().enumerate() {
            if a.member.behaviour == Behaviour::Silent {
                continue;
            }
            let delay = ramp.mul_f64(k as f64 / n as f64);
            let rx = rx.clone();
            handles.push(tokio::spawn(run_agent(a, zone, delay, interval, rx)));
        }
        match cli.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => pantau_agent::service::stop_signal().await,
        }
        let _ = stop.send(true);
        for h in handles {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    });
    summarize(&cli.data, &summary_input, started.elapsed(), interval, zone)?;
    Ok(())
}

/// One agent for the whole run: after its start delay, the real agent runtime; a flapping
/// agent stops and starts it again and again, keeping its spool and seq in between.
async fn run_agent(
    a: Prepared,
    zone: Zone,
    delay: Duration,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let source = |m: &Member| {
        let s = m.source().in_zone(zone);
        match m.behaviour {
            Behaviour::Skewed(secs) => s.with_clock_skew(secs),
            _ => s,
        }
    };
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = stop.changed() => return,
    }
    if a.member.behaviour != Behaviour::Flapping {
        let src = Box::new(source(&a.member));
        if let Err(e) = runtime::run(a.cfg, a.identity, src, stop).await {
            tracing::error!(agent = %a.member.agent_id, "simulated agent stopped: {e:#}");
        }
        return;
    }
    let mut rng = fleet::Flaps::new(a.member.seed, interval);
    loop {
        let (down_tx, down_rx) = watch::channel(false);
        let run = tokio::spawn(runtime::run(
            a.cfg.clone(),
            a.identity.clone(),
            Box::new(source(&a.member)),
            down_rx,
        ));
        let (up, down) = rng.next_flap();
        let ended = tokio::select! {
            _ = tokio::time::sleep(up) => false,
            _ = stop.changed() => true,
        };
        let _ = down_tx.send(true);
        let _ = run.await;
        if ended {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(down) => {}
            _ = stop.changed() => return,
        }
    }
}

fn summarize(
    data: &Path,
    agents: &[(Member, PathBuf, u64)],
    ran: Duration,
    interval: Duration,
    zone: Zone,
) -> anyhow::Result<()> {
    let mut per_agent = Vec::with_capacity(agents.len());
    for (m, state, first) in agents {
        let next = next_seq(state);
        let made = next > *first;
        per_agent.push(AgentSummary {
            agent_id: m.agent_id.clone(),
            behaviour: m.behaviour.label(),
            first_seq: made.then_some(*first),
            last_seq: made.then_some(next - 1),
            spooled: spooled(state),
        });
    }
    let mut rows: Vec<(&str, usize, u64, usize)> = Vec::new();
    for a in &per_agent {
        let made = match (a.first_seq, a.last_seq) {
            (Some(f), Some(l)) => l - f + 1,
            _ => 0,
        };
        match rows.iter_mut().find(|r| r.0 == a.behaviour) {
            Some(r) => {
                r.1 += 1;
                r.2 += made;
                r.3 += a.spooled;
            }
            None => rows.push((a.behaviour, 1, made, a.spooled)),
        }
    }
    rows.sort_by_key(|r| r.0);
    println!(
        "pantau-sim: {} agents for {:.0} s, a sample every {} s, office hours in {zone:?}",
        agents.len(),
        ran.as_secs_f64(),
        interval.as_secs()
    );
    println!(
        "{:<14}{:>8}{:>12}{:>10}",
        "behaviour", "agents", "envelopes", "spooled"
    );
    let (mut ta, mut te, mut ts) = (0, 0, 0);
    for (b, n, e, s) in &rows {
        println!("{b:<14}{n:>8}{e:>12}{s:>10}");
        ta += n;
        te += e;
        ts += s;
    }
    println!("{:<14}{ta:>8}{te:>12}{ts:>10}", "total");
    println!(
        "(envelopes: signed and spooled this run; spooled: not yet acknowledged by the broker)"
    );
    std::fs::write(
        data.join("summary.json"),
        serde_json::to_string_pretty(&per_agent)?,
    )?;
    Ok(())
}
