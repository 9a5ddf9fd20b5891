//! Enrollment: agent identities.
//!
//! Token enrollment (`enroll token create`, then `pantau-agent enroll` against
//! `POST /api/v1/enroll`) is the normal path: the agent's keys never leave its PC. `enroll
//! add` below, which makes the key on the collector host, is for manual installs and the demo.

pub mod api;
pub mod cli;
pub mod token;

use crate::store::{EnrolledAgent, Store};
use pantau_agent::config::AgentConfig;
use pantau_proto::AgentKey;
use std::path::{Path, PathBuf};

pub struct Enrolled {
    pub config_path: PathBuf,
}

/// Create `out/agent.key` and `out/agent.toml` for `agent_id` in `opd`, and record the key.
pub async fn add(
    store: &dyn Store,
    agent_id: &str,
    opd: &str,
    broker_url: &str,
    out: &Path,
    state_dir: &Path,
) -> anyhow::Result<Enrolled> {
    if !pantau_proto::topic::valid_agent_id(agent_id) {
        anyhow::bail!("agent id {agent_id:?}: use 1-64 letters, digits, '-', '_' or '.'");
    }
    if opd.trim().is_empty() {
        anyhow::bail!("--opd must name the OPD (kode lokasi or short code)");
    }
    if agent_id.starts_with("pantau-collector") {
        // The broker ACL gives that name the collector's rights.
        anyhow::bail!("agent id {agent_id:?}: names starting with pantau-collector are reserved");
    }
    std::fs::create_dir_all(out)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    let key_path = out.join("agent.key");
    if key_path.exists() {
        anyhow::bail!(
            "{} already exists; refusing to overwrite an identity",
            key_path.display()
        );
    }
    let key = AgentKey::generate();
    store
        .enroll(&EnrolledAgent {
            agent_id: agent_id.into(),
            opd: opd.trim().into(),
            public_key: key.public(),
            enrolled_at: chrono::Utc::now(),
        })
        .await?;
    write_private(&key_path, &(key.to_base64() + "\n"))?;
    let config = AgentConfig::new(
        agent_id,
        PathBuf::from("agent.key"),
        state_dir.to_owned(),
        broker_url,
    );
    let config_path = out.join("agent.toml");
    std::fs::write(
        &config_path,
        format!("# Pantau agent {agent_id}, OPD {opd}\n{}", config.to_toml()),
    )?;
    Ok(Enrolled { config_path })
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[derive(serde::Deserialize)]
struct ImportRow {
    agent_id: String,
    opd: String,
    public_key: String,
}

/// Record every identity in `file`, all or none: a bad entry names its index and field.
pub async fn import(store: &dyn Store, file: &Path) -> anyhow::Result<(usize, usize)> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let rows: Vec<ImportRow> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", file.display(), e.line(), e.column()))?;
    let rows_len = rows.len();
    let mut agents = Vec::with_capacity(rows.len());
    for (i, r) in rows.into_iter().enumerate() {
        let key = pantau_proto::PublicKey::from_base64(&r.public_key).map_err(|e| {
            anyhow::anyhow!(
                "{}: entry {i} ({}): public_key: {e}",
                file.display(),
                r.agent_id
            )
        })?;
        if !pantau_proto::topic::valid_agent_id(&r.agent_id) {
            anyhow::bail!(
                "{}: entry {i}: agent_id {:?} is not a valid id",
                file.display(),
                r.agent_id
            );
        }
        agents.push(EnrolledAgent {
            agent_id: r.agent_id,
            opd: r.opd,
            public_key: key,
            enrolled_at: chrono::Utc::now(),
        });
    }
    // Check everything before writing anything, so a bad file changes nothing.
    let mut todo = Vec::new();
    for a in agents {
        match store.agent(&a.agent_id).await? {
            Some(known) if known.public_key == a.public_key => {}
            Some(_) => anyhow::bail!(
                "{}: agent {} is already enrolled with a different key; nothing was imported",
                file.display(),
                a.agent_id
            ),
            None => todo.push(a),
        }
    }
    let skipped = rows_len - todo.len();
    for a in &todo {
        store.enroll(a).await?;
    }
    Ok((todo.len(), skipped))
}
