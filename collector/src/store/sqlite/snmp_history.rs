//! Interface utilization and error history of SNMP devices. Each round's values go into
//! the same `points` table as host metrics, under the pseudo agent id `snmp:{device_id}`
//! (so a poller's own metrics stay its own) and the names `in_pct:{ifIndex}`,
//! `out_pct:{ifIndex}`, `err_per_s:{ifIndex}`: the maintenance job rolls them up to 5 min,
//! 1 h and 1 day and prunes them with the same `[retention]` as every other series.

use crate::store::{Resolution, Series};
use chrono::{DateTime, Utc};
use pantau_proto::body::snmp::SnmpInterface;
use rusqlite::Transaction;

/// The `points.agent_id` of device `id`.
pub fn series_owner(id: i64) -> String {
    format!("snmp:{id}")
}

/// In and out utilization (percent of the line speed) and errors + discards per second, for
/// the interfaces that have rates this round.
pub fn values(i: &SnmpInterface) -> Vec<(String, f64)> {
    let mut v = Vec::new();
    if let Some(speed) = i.speed_bps.filter(|s| *s > 0) {
        for (name, bps) in [("in_pct", i.in_bps), ("out_pct", i.out_bps)] {
            if let Some(b) = bps {
                v.push((format!("{name}:{}", i.index), b / speed as f64 * 100.0));
            }
        }
    }
    if i.errors_per_s.is_some() || i.discards_per_s.is_some() {
        v.push((
            format!("err_per_s:{}", i.index),
            i.errors_per_s.unwrap_or(0.0) + i.discards_per_s.unwrap_or(0.0),
        ));
    }
    v
}

pub fn record(
    tx: &Transaction,
    device_id: i64,
    ts: DateTime<Utc>,
    interfaces: &[SnmpInterface],
) -> anyhow::Result<()> {
    let mut ins = tx
        .prepare_cached("INSERT INTO points (agent_id, name, ts, value) VALUES (?1, ?2, ?3, ?4)")?;
    let owner = series_owner(device_id);
    for i in interfaces {
        for (name, value) in values(i) {
            if value.is_finite() {
                ins.execute(rusqlite::params![owner, name, ts.timestamp(), value])?;
            }
        }
    }
    Ok(())
}

/// One interface's series, named `in_pct`, `out_pct`, `err_per_s` (without the ifIndex).
pub fn interface(
    c: &rusqlite::Connection,
    device_id: i64,
    if_index: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: i64,
) -> anyhow::Result<(Resolution, Vec<Series>)> {
    let names: Vec<String> = ["in_pct", "out_pct", "err_per_s"]
        .iter()
        .map(|n| format!("{n}:{if_index}"))
        .collect();
    let (res, mut series) =
        super::query::series(c, &series_owner(device_id), from, to, step, &names)?;
    for s in &mut series {
        if let Some((n, _)) = s.name.split_once(':') {
            s.name = n.to_string();
        }
    }
    Ok((res, series))
}
