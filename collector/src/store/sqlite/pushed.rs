//! Pushed agent configuration: layers, the merged config per agent, and which agents need a
//! new publication (`crate::config_push` publishes them).

use crate::network::pushed::{self, Scope};
use crate::store::ConfigLayer;
use chrono::{DateTime, Utc};
use pantau_proto::body::PushedConfig;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use std::collections::BTreeSet;

pub fn layers(c: &Connection) -> anyhow::Result<Vec<ConfigLayer>> {
    let mut stmt = c.prepare(
        "SELECT scope, key, layer, updated_at, updated_by FROM agent_config
         ORDER BY CASE scope WHEN 'global' THEN 0 WHEN 'opd' THEN 1 ELSE 2 END, key",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (scope, key, layer, at, by) = row?;
        out.push(ConfigLayer {
            scope: Scope::parse(&scope).unwrap_or(Scope::Global),
            key,
            layer: serde_json::from_str(&layer)?,
            updated_at: DateTime::parse_from_rfc3339(&at)?.with_timezone(&Utc),
            updated_by: by,
        });
    }
    Ok(out)
}

/// Set (or with `None`, remove) one layer; refused with the field at fault if invalid.
pub fn set(
    c: &Connection,
    scope: Scope,
    key: &str,
    layer: Option<&Value>,
    by: &str,
    profiles: &BTreeSet<String>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = key.trim();
    check_key(scope, key)?;
    if scope == Scope::Agent {
        let known: bool = c
            .query_row("SELECT 1 FROM agents WHERE agent_id = ?1", [key], |_| {
                Ok(true)
            })
            .optional()?
            .unwrap_or(false);
        if !known {
            crate::refuse!("key: no enrolled agent {key:?}");
        }
    }
    match layer {
        None => {
            c.execute(
                "DELETE FROM agent_config WHERE scope = ?1 AND key = ?2",
                params![scope.name(), key],
            )?;
        }
        Some(l) => {
            check_layer(scope, l, profiles)?;
            c.execute(
                "INSERT OR REPLACE INTO agent_config (scope, key, layer, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![scope.name(), key, l.to_string(), now.to_rfc3339(), by],
            )?;
        }
    }
    Ok(())
}

/// The key fits the scope: none for global, one for an OPD or agent layer.
pub(crate) fn check_key(scope: Scope, key: &str) -> anyhow::Result<()> {
    match (scope, key.is_empty()) {
        (Scope::Global, false) => crate::refuse!("key: the global layer has no key"),
        (Scope::Opd | Scope::Agent, true) => {
            crate::refuse!("key: name the {} of this layer", scope.name())
        }
        _ => Ok(()),
    }
}

/// A layer is valid alone, keeps credentials to agent layers, and names known profiles.
pub(crate) fn check_layer(
    scope: Scope,
    l: &Value,
    profiles: &BTreeSet<String>,
) -> anyhow::Result<()> {
    if let Err(e) = pushed::validate_layer(l) {
        crate::refuse!("layer: {e}");
    }
    // Credentials reach only the poller that uses them: SNMP targets (which carry
    // them) are refused in a global or OPD layer, which every agent receives.
    if scope != pushed::Scope::Agent && l.pointer("/snmp/targets").is_some() {
        crate::refuse!(
            "layer: snmp.targets: SNMP targets carry credentials and go only in an agent layer (scope agent), so only that poller receives them"
        );
    }
    check_profiles(l, profiles)
}

/// Each SNMP target names a profile the collector has, or carries its own credentials,
/// never both (which would win would be a guess).
fn check_profiles(layer: &Value, profiles: &BTreeSet<String>) -> anyhow::Result<()> {
    let Some(Value::Array(targets)) = layer.pointer("/snmp/targets") else {
        return Ok(());
    };
    for (n, t) in targets.iter().enumerate() {
        match t.get("profile") {
            None | Some(Value::Null) => {}
            Some(Value::String(p)) => {
                if t.get("credentials").is_some() {
                    crate::refuse!(
                        "layer: snmp.targets[{n}]: give either profile or credentials, not both"
                    );
                }
                if !profiles.contains(p) {
                    crate::refuse!(
                        "layer: {}",
                        crate::snmp::profiles::unknown(
                            &format!("snmp.targets[{n}].profile"),
                            p,
                            profiles
                        )
                    );
                }
            }
            Some(_) => crate::refuse!("layer: snmp.targets[{n}].profile: a profile name (text)"),
        }
    }
    Ok(())
}

/// The merged config of one agent (version 0), or `None` for an unknown agent or when no
/// layer applies to it.
pub fn merged(c: &Connection, agent_id: &str) -> anyhow::Result<Option<PushedConfig>> {
    let opd: Option<String> = c
        .query_row(
            "SELECT opd FROM agents WHERE agent_id = ?1",
            [agent_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(opd) = opd else { return Ok(None) };
    let all = layers(c)?;
    let equipment = super::equipment::of_agent(c, agent_id)?;
    Ok(merge_for(agent_id, &opd, &all, &equipment))
}

/// The layers that apply to one agent merged, with its registered equipment as SNMP
/// targets; `None` when nothing applies or the combination is invalid (logged).
pub(crate) fn merge_for(
    agent_id: &str,
    opd: &str,
    all: &[ConfigLayer],
    equipment: &[crate::snmp::equipment::Equipment],
) -> Option<PushedConfig> {
    let applying: Vec<&Value> = all
        .iter()
        .filter(|l| match l.scope {
            Scope::Global => true,
            Scope::Opd => l.key == opd,
            Scope::Agent => l.key == agent_id,
        })
        .map(|l| &l.layer)
        .collect();
    if applying.is_empty() && equipment.is_empty() {
        return None;
    }
    // Layers were valid alone; a combination that is not (rare) is logged and not pushed.
    match pushed::merge(applying) {
        Ok(mut cfg) => {
            // Registered equipment first (named after register keys), then the extra
            // addresses of the agent layer.
            if !equipment.is_empty() {
                let snmp = cfg.snmp.get_or_insert_with(Default::default);
                let extra = snmp.targets.take().unwrap_or_default();
                snmp.targets = Some(equipment.iter().map(|e| e.target()).chain(extra).collect());
            }
            Some(cfg)
        }
        Err(e) => {
            tracing::warn!(agent = agent_id, "merged config refused: {e}");
            None
        }
    }
}

/// Agents whose merged config differs from what they were last sent (with `all`, every
/// agent that has or had one), each with a new version (one counter for all agents, so
/// versions only grow).
pub fn pending(c: &Connection, all: bool) -> anyhow::Result<Vec<(String, PushedConfig)>> {
    let ids: Vec<String> = {
        let mut stmt =
            c.prepare("SELECT agent_id FROM agents WHERE revoked_at IS NULL ORDER BY agent_id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut out = Vec::new();
    for id in ids {
        let sent: Option<String> = c
            .query_row(
                "SELECT body FROM agent_config_published WHERE agent_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()?;
        let cfg = merged(c, &id)?.unwrap_or_default();
        let body = serde_json::to_string(&cfg)?;
        // Never sent and nothing to send: leave the agent on its file config.
        if (!all && sent.as_deref() == Some(body.as_str()))
            || (sent.is_none() && cfg == PushedConfig::default())
        {
            continue;
        }
        let version: i64 = c.query_row(
            "INSERT INTO jobs (name, value) VALUES ('config_version', 1)
             ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            [],
            |r| r.get(0),
        )?;
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

pub fn published(
    c: &Connection,
    agent_id: &str,
    cfg: &PushedConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let body = serde_json::to_string(&PushedConfig {
        version: 0,
        ..cfg.clone()
    })?;
    c.execute(
        "INSERT OR REPLACE INTO agent_config_published (agent_id, version, body, published_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![agent_id, cfg.version as i64, body, now.to_rfc3339()],
    )?;
    Ok(())
}
