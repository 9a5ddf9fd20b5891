//! `pantau-agent snmp-poll`: one or more polling rounds printed as the `snmp` report JSON;
//! sends nothing. For operators checking credentials against a device, for tests and for the
//! benchmark.

use super::Poller;
use pantau_proto::body::snmp_config::{Secret, SnmpConfig, SnmpCredentials, SnmpTarget};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct PollArgs {
    /// Targets and settings as JSON (an `snmp` config section: `{"targets": [...]}`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A target as `NAME=HOST[:PORT]` (repeatable), polled with the credentials below.
    #[arg(long = "target", value_name = "NAME=HOST[:PORT]")]
    pub targets: Vec<String>,
    /// v2c community (default `public`, or $PANTAU_SNMP_COMMUNITY).
    #[arg(long)]
    pub community: Option<String>,
    /// v3 user: switches the `--target`s to v3 authPriv; passwords from --auth-pass and
    /// --priv-pass, or $PANTAU_SNMP_AUTH_PASS and $PANTAU_SNMP_PRIV_PASS (kept out of `ps`).
    #[arg(long)]
    pub v3_user: Option<String>,
    #[arg(long)]
    pub auth_pass: Option<String>,
    #[arg(long)]
    pub priv_pass: Option<String>,
    #[arg(long, default_value = "sha")]
    pub auth_proto: String,
    #[arg(long, default_value = "aes")]
    pub priv_proto: String,
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    #[arg(long)]
    pub retries: Option<u32>,
    #[arg(long)]
    pub concurrency: Option<usize>,
    #[arg(long)]
    pub max_repetitions: Option<u32>,
    /// Rounds to run; rates appear from the second one. Only the last report is printed.
    #[arg(long, default_value_t = 1)]
    pub rounds: u32,
    /// Seconds between rounds.
    #[arg(long, default_value_t = 10)]
    pub every_s: u64,
    /// One line of JSON instead of pretty-printed.
    #[arg(long)]
    pub compact: bool,
    /// Run a round for every line read on stdin and print each report as one line, until
    /// end of input: for scripts (and tests) that change something between rounds.
    #[arg(long, conflicts_with = "rounds")]
    pub stdin_rounds: bool,
}

fn env_or(v: &Option<String>, var: &str, default: &str) -> String {
    v.clone()
        .or_else(|| std::env::var(var).ok())
        .unwrap_or_else(|| default.to_string())
}

pub fn config_of(a: &PollArgs) -> anyhow::Result<SnmpConfig> {
    let mut cfg = match &a.config {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            let de = &mut serde_json::Deserializer::from_str(&text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{}:{}: field `{}`: {}",
                    p.display(),
                    e.inner().line(),
                    e.inner().column(),
                    e.path(),
                    e.inner()
                )
            })?
        }
        None => SnmpConfig::default(),
    };
    let credentials = match &a.v3_user {
        Some(user) => SnmpCredentials::V3 {
            user: user.clone(),
            auth_protocol: a.auth_proto.clone(),
            auth_password: Secret(env_or(&a.auth_pass, "PANTAU_SNMP_AUTH_PASS", "")),
            priv_protocol: a.priv_proto.clone(),
            priv_password: Secret(env_or(&a.priv_pass, "PANTAU_SNMP_PRIV_PASS", "")),
        },
        None => SnmpCredentials::V2c {
            community: Secret(env_or(&a.community, "PANTAU_SNMP_COMMUNITY", "public")),
        },
    };
    for t in &a.targets {
        let (name, addr) = t
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--target {t:?}: expected NAME=HOST[:PORT]"))?;
        let (host, port) =
            match addr.rsplit_once(':') {
                Some((h, p)) if !h.contains(':') || h.ends_with(']') => (
                    h.trim_matches(['[', ']']).to_string(),
                    Some(p.parse::<u16>().map_err(|_| {
                        anyhow::anyhow!("--target {t:?}: {p:?} is not a port number")
                    })?),
                ),
                _ => (addr.to_string(), None),
            };
        cfg.targets.push(SnmpTarget {
            name: name.into(),
            host,
            port,
            credentials: credentials.clone(),
            ..SnmpTarget::default()
        });
    }
    if let Some(v) = a.timeout_ms {
        cfg.timeout_ms = v;
    }
    if let Some(v) = a.retries {
        cfg.retries = v;
    }
    if let Some(v) = a.concurrency {
        cfg.concurrency = v;
    }
    if let Some(v) = a.max_repetitions {
        cfg.max_repetitions = v;
    }
    cfg.enabled = true;
    super::pushed::validate(&cfg).map_err(|e| anyhow::anyhow!("snmp-poll: {e}"))?;
    if cfg.targets.is_empty() {
        anyhow::bail!("snmp-poll: no targets (--target NAME=HOST or --config FILE)");
    }
    Ok(cfg)
}

pub fn run(a: PollArgs) -> anyhow::Result<()> {
    let cfg = config_of(&a)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if a.stdin_rounds {
        let poller = Poller::default();
        let mut line = String::new();
        while std::io::stdin().read_line(&mut line)? > 0 {
            line.clear();
            let report = rt.block_on(poller.round(&cfg));
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", serde_json::to_string(&report)?)?;
            out.flush()?;
        }
        return Ok(());
    }
    let report = rt.block_on(async {
        let poller = Poller::default();
        let mut report = poller.round(&cfg).await;
        for _ in 1..a.rounds.max(1) {
            tokio::time::sleep(Duration::from_secs(a.every_s)).await;
            report = poller.round(&cfg).await;
        }
        report
    });
    let json = if a.compact {
        serde_json::to_string(&report)?
    } else {
        serde_json::to_string_pretty(&report)?
    };
    println!("{json}");
    Ok(())
}
