//! Pushed agent configuration; the twin of `sqlite/pushed.rs` (the checks and the merge are
//! shared with it, so both stores refuse and merge alike).

use crate::network::pushed::Scope;
use crate::store::sqlite::pushed::{check_key, check_layer, merge_for};
use crate::store::ConfigLayer;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use pantau_proto::body::PushedConfig;
use serde_json::Value;
use std::collections::BTreeSet;

pub async fn layers(c: &impl GenericClient) -> anyhow::Result<Vec<ConfigLayer>> {
    let rows = c
        .query(
            "SELECT scope, key, layer, updated_at, updated_by FROM agent_config
             ORDER BY CASE scope WHEN 'global' THEN 0 WHEN 'opd' THEN 1 ELSE 2 END, key",
            &[],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let (scope, key, layer, at, by): (&str, String, &str, &str, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        out.push(ConfigLayer {
            scope: Scope::parse(scope).unwrap_or(Scope::Global),
            key,
            layer: serde_json::from_str(layer)?,
            updated_at: DateTime::parse_from_rfc3339(at)?.with_timezone(&Utc),
            updated_by: by,
        });
    }
    Ok(out)
}

/// Set (or with `None`, remove) one layer; refused with the field at fault if invalid.
pub async fn set(
    c: &impl GenericClient,
    scope: Scope,
    key: &str,
    layer: Option<&Value>,
    by: &str,
    profiles: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = key.trim();
    check_key(scope, key)?;
    if scope == Scope::Agent
        && c.query_opt("SELECT 1 FROM agents WHERE agent_id = $1", &[&key])
            .await?
            .is_none()
    {
        crate::refuse!("key: no enrolled agent {key:?}");
    }
    match layer {
        None => {
            c.execute(
                "DELETE FROM agent_config WHERE scope = $1 AND key = $2",
                &[&scope.name(), &key],
            )
            .await?;
        }
        Some(l) => {
            check_layer(scope, l, profiles)?;
            c.execute(
                "INSERT INTO agent_config (scope, key, layer, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (scope, key) DO UPDATE SET layer = excluded.layer,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                &[&scope.name(), &key, &l.to_string(), &now.to_rfc3339(), &by],
            )
            .await?;
        }
    }
    Ok(())
}

/// The merged config of one agent (version 0), or `None` for an unknown agent or when no
/// layer applies to it.
pub async fn merged(
    c: &impl GenericClient,
    agent_id: &str,
) -> anyhow::Result<Option<PushedConfig>> {
    let opd: Option<String> = c
        .query_opt("SELECT opd FROM agents WHERE agent_id = $1", &[&agent_id])
        .await?
        .map(|r| r.get(0));
    let Some(opd) = opd else { return Ok(None) };
    let all = layers(c).await?;
    let equipment = super::equipment::of_agent(c, agent_id).await?;
    Ok(merge_for(agent_id, &opd, &all, &equipment))
}

/// Agents whose merged config differs from what they were last sent, each with a new
/// version (one counter for all agents, so versions only grow).
pub async fn pending(
    c: &impl GenericClient,
    all: bool,
) -> anyhow::Result<Vec<(String, PushedConfig)>> {
    let ids: Vec<String> = c
        .query(
            "SELECT agent_id FROM agents WHERE revoked_at IS NULL ORDER BY agent_id",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::new();
    for id in ids {
        let sent: Option<String> = c
            .query_opt(
                "SELECT body FROM agent_config_published WHERE agent_id = $1",
                &[&id],
            )
            .await?
            .map(|r| r.get(0));
        let cfg = merged(c, &id).await?.unwrap_or_default();
        let body = serde_json::to_string(&cfg)?;
        // Never sent and nothing to send: leave the agent on its file config.
        if (!all && sent.as_deref() == Some(body.as_str()))
            || (sent.is_none() && cfg == PushedConfig::default())
        {
            continue;
        }
        let version: i64 = c
            .query_one(
                "INSERT INTO jobs AS j (name, value) VALUES ('config_version', 1)
                 ON CONFLICT (name) DO UPDATE SET value = j.value + 1 RETURNING value",
                &[],
            )
            .await?
            .get(0);
        out.push((
            id,
            PushedConfig {
                version: version as u64,
                ..cfg
            },
        ));
    }
    Ok(out)
}

pub async fn published(
    c: &impl GenericClient,
    agent_id: &str,
    cfg: &PushedConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let body = serde_json::to_string(&PushedConfig {
        version: 0,
        ..cfg.clone()
    })?;
    c.execute(
        "INSERT INTO agent_config_published (agent_id, version, body, published_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (agent_id) DO UPDATE SET version = excluded.version,
             body = excluded.body, published_at = excluded.published_at",
        &[&agent_id, &(cfg.version as i64), &body, &now.to_rfc3339()],
    )
    .await?;
    Ok(())
}
