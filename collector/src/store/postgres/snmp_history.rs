//! Interface utilization and error history of SNMP devices; the twin of
//! `sqlite/snmp_history.rs` (same pseudo agent id `snmp:{device_id}`, same names).

use super::Tx;
use crate::store::sqlite::snmp_history::{series_owner, values};
use crate::store::{Resolution, Series};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use pantau_proto::body::snmp::SnmpInterface;

pub async fn record(
    tx: &Tx<'_>,
    device_id: i64,
    ts: DateTime<Utc>,
    interfaces: &[SnmpInterface],
) -> anyhow::Result<()> {
    let mut pts = Vec::new();
    for i in interfaces {
        for (name, value) in values(i) {
            if value.is_finite() {
                pts.push((name, ts.timestamp(), value));
            }
        }
    }
    super::insert_points(tx, &series_owner(device_id), &pts).await
}

/// One interface's series, named `in_pct`, `out_pct`, `err_per_s` (without the ifIndex).
pub async fn interface(
    c: &impl GenericClient,
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
        super::query::series(c, &series_owner(device_id), from, to, step, &names).await?;
    for s in &mut series {
        if let Some((n, _)) = s.name.split_once(':') {
            s.name = n.to_string();
        }
    }
    Ok((res, series))
}
