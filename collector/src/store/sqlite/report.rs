//! What a periodic report (issue 8) reads that no other view does: per-host utilization and
//! active hours over a period from the hourly rollups, per-OPD network health over the
//! period, the register's change history in the period, and which assets are expected to
//! run an agent. Everything else (register lines, flags) comes from the existing queries.
//!
//! Hourly rollups, not raw points: raw points are kept two weeks, hourly rollups two years
//! (`[retention]`), so a month or a quarter is answerable for as long as reports are asked
//! for, and one hour is the finest grain a monthly report needs. Each host's three series
//! are read by primary-key range (res, agent, name, bucket), so the cost grows with the
//! period's hours per host, not with everything retention keeps.

use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Average and 95th percentile (nearest rank) of one series' hourly averages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Stat {
    pub avg: f64,
    pub p95: f64,
}

/// One host over the period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostUsage {
    pub agent_id: String,
    pub opd: String,
    /// Hours of the period with at least one metrics sample (the `cpu` series).
    pub active_hours: u32,
    pub cpu: Option<Stat>,
    pub mem: Option<Stat>,
    pub disk: Option<Stat>,
    /// Per local day (Unix seconds of its midnight): mean of the hourly CPU and memory.
    pub daily: Vec<(i64, Option<f64>, Option<f64>)>,
}

/// One OPD's network health over the period, averaged over its agents' hourly values.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OpdNet {
    pub opd: String,
    pub gateway_loss_pct: Option<f64>,
    pub gateway_rtt_ms: Option<f64>,
    /// e-Gov HTTP checks: name → fraction of checks that passed (0..1).
    pub services: BTreeMap<String, f64>,
}

/// One row of the register's change history.
#[derive(Debug, Clone, Serialize)]
pub struct AssetChange {
    pub key: String,
    pub at: String,
    /// `added`, `changed`, `removed`, `restored`.
    pub change: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Everything [`report_facts`] reads for one period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReportFacts {
    pub usage: Vec<HostUsage>,
    /// Agents with metrics in the previous period (for "missing since last period").
    pub active_before: BTreeSet<String>,
    pub net: Vec<OpdNet>,
    pub changes: Vec<AssetChange>,
    /// Keys of current assets that the latest reconciliation expects to run an agent.
    pub expected: BTreeSet<String>,
    /// Oldest hourly rollup kept, Unix seconds: a period before it has no utilization data.
    pub oldest_hour: Option<i64>,
}

/// Hourly rollups (`Resolution::H1`).
const H1: i64 = 3600;

/// Facts for `[from, to)` (Unix seconds); `prev_from` starts the previous period (which
/// ends at `from`); days are cut at local midnight, `utc_offset` seconds east of UTC.
pub fn report_facts(
    c: &Connection,
    from: i64,
    to: i64,
    prev_from: i64,
    utc_offset: i64,
) -> anyhow::Result<ReportFacts> {
    let agents: Vec<(String, String)> = c
        .prepare("SELECT agent_id, opd FROM agents ORDER BY agent_id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut series = c.prepare_cached(
        "SELECT bucket, sum / n FROM rollups
         WHERE res = ?1 AND agent_id = ?2 AND name = ?3 AND bucket >= ?4 AND bucket < ?5
         ORDER BY bucket",
    )?;
    let mut values = |agent: &str, name: &str, a: i64, b: i64| -> anyhow::Result<Vec<(i64, f64)>> {
        let rows = series.query_map(params![H1, agent, name, a, b], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let vals = |v: &[(i64, f64)]| v.iter().map(|p| p.1).collect::<Vec<f64>>();
    let mut usage = Vec::with_capacity(agents.len());
    let mut active_before = BTreeSet::new();
    for (agent_id, opd) in &agents {
        let cpu = values(agent_id, "cpu", from, to)?;
        let mem = values(agent_id, "mem", from, to)?;
        let disk = values(agent_id, "disk", from, to)?;
        if !values(agent_id, "cpu", prev_from, from)?.is_empty() {
            active_before.insert(agent_id.clone());
        }
        usage.push(HostUsage {
            agent_id: agent_id.clone(),
            opd: opd.clone(),
            active_hours: cpu.len() as u32,
            cpu: stat(vals(&cpu)),
            mem: stat(vals(&mem)),
            disk: stat(vals(&disk)),
            daily: daily(&cpu, &mem, utc_offset),
        });
    }
    Ok(ReportFacts {
        usage,
        active_before,
        net: net(c, from, to)?,
        changes: changes(c, from, to)?,
        expected: c
            .prepare("SELECT key FROM reconcile_assets WHERE expects_agent = 1")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?,
        oldest_hour: c.query_row(
            "SELECT min(bucket) FROM rollups WHERE res = ?1",
            [H1],
            |r| r.get(0),
        )?,
    })
}

/// Hourly values (ordered by time) folded into local days.
pub(crate) fn daily(
    cpu: &[(i64, f64)],
    mem: &[(i64, f64)],
    utc_offset: i64,
) -> Vec<(i64, Option<f64>, Option<f64>)> {
    let day = |t: i64| (t + utc_offset).div_euclid(86_400) * 86_400 - utc_offset;
    let mut days: BTreeMap<i64, [(f64, u32); 2]> = BTreeMap::new();
    for (i, series) in [cpu, mem].into_iter().enumerate() {
        for &(t, v) in series {
            let e = &mut days.entry(day(t)).or_default()[i];
            e.0 += v;
            e.1 += 1;
        }
    }
    let mean = |(s, n): (f64, u32)| (n > 0).then(|| s / n as f64);
    days.into_iter()
        .map(|(d, [c, m])| (d, mean(c), mean(m)))
        .collect()
}

/// Average and nearest-rank 95th percentile; `None` without values.
pub fn stat(mut v: Vec<f64>) -> Option<Stat> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let avg = v.iter().sum::<f64>() / v.len() as f64;
    // Nearest rank: the smallest value with at least 95 % of values at or below it.
    let rank = ((0.95 * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(Stat {
        avg,
        p95: v[rank - 1],
    })
}

fn net(c: &Connection, from: i64, to: i64) -> anyhow::Result<Vec<OpdNet>> {
    let mut st = c.prepare(
        "SELECT a.opd, r.name, sum(r.sum) / sum(r.n)
         FROM agents a JOIN rollups r ON r.res = ?1 AND r.agent_id = a.agent_id
         WHERE r.bucket >= ?2 AND r.bucket < ?3
           AND (r.name IN ('net_loss:gateway', 'net_rtt:gateway')
                OR r.name LIKE 'http\\_up:%' ESCAPE '\\')
         GROUP BY a.opd, r.name ORDER BY a.opd, r.name",
    )?;
    let mut out: Vec<OpdNet> = Vec::new();
    let mut rows = st.query(params![H1, from, to])?;
    while let Some(r) = rows.next()? {
        let opd: String = r.get(0)?;
        let name: String = r.get(1)?;
        let v: f64 = r.get(2)?;
        if out.last().is_none_or(|o| o.opd != opd) {
            out.push(OpdNet {
                opd,
                ..Default::default()
            });
        }
        let o = out.last_mut().expect("pushed above");
        match name.as_str() {
            "net_loss:gateway" => o.gateway_loss_pct = Some(v),
            "net_rtt:gateway" => o.gateway_rtt_ms = Some(v),
            n => {
                let check = n.strip_prefix("http_up:").unwrap_or(n);
                o.services.insert(check.to_string(), v);
            }
        }
    }
    Ok(out)
}

/// History rows whose time falls in the period. Times are RFC 3339 UTC text written by
/// the import, so they are compared after parsing, never as strings.
fn changes(c: &Connection, from: i64, to: i64) -> anyhow::Result<Vec<AssetChange>> {
    let mut st =
        c.prepare("SELECT key, at, change, before, after FROM asset_history ORDER BY id")?;
    let mut out = Vec::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let at: String = r.get(1)?;
        let Ok(t) = chrono::DateTime::parse_from_rfc3339(&at) else {
            continue;
        };
        if !(from..to).contains(&t.timestamp()) {
            continue;
        }
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        out.push(AssetChange {
            key: r.get(0)?,
            at,
            change: r.get(2)?,
            before: json(r.get(3)?),
            after: json(r.get(4)?),
        });
    }
    Ok(out)
}
