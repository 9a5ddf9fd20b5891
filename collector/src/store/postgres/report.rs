//! What a periodic report (issue 8) reads; the twin of `sqlite/report.rs` (same hourly
//! rollups, same statistics, which are shared).

use crate::store::sqlite::report::{daily, stat, AssetChange, HostUsage, OpdNet, ReportFacts};
use deadpool_postgres::GenericClient;
use std::collections::BTreeSet;

/// Hourly rollups (`Resolution::H1`).
const H1: i64 = 3600;

pub async fn report_facts(
    c: &impl GenericClient,
    from: i64,
    to: i64,
    prev_from: i64,
    utc_offset: i64,
) -> anyhow::Result<ReportFacts> {
    let agents: Vec<(String, String)> = c
        .query("SELECT agent_id, opd FROM agents ORDER BY agent_id", &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let series = c
        .prepare_cached(
            "SELECT bucket, sum / n FROM rollups
             WHERE res = $1 AND agent_id = $2 AND name = $3 AND bucket >= $4 AND bucket < $5
             ORDER BY bucket",
        )
        .await?;
    let values = |agent: &str, name: &'static str, a: i64, b: i64| {
        let (series, agent) = (series.clone(), agent.to_owned());
        async move {
            let rows = c.query(&series, &[&H1, &agent, &name, &a, &b]).await?;
            anyhow::Ok(
                rows.iter()
                    .map(|r| (r.get::<_, i64>(0), r.get::<_, f64>(1)))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let vals = |v: &[(i64, f64)]| v.iter().map(|p| p.1).collect::<Vec<f64>>();
    let mut usage = Vec::with_capacity(agents.len());
    let mut active_before = BTreeSet::new();
    for (agent_id, opd) in &agents {
        let cpu = values(agent_id, "cpu", from, to).await?;
        let mem = values(agent_id, "mem", from, to).await?;
        let disk = values(agent_id, "disk", from, to).await?;
        if !values(agent_id, "cpu", prev_from, from).await?.is_empty() {
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
        net: net(c, from, to).await?,
        changes: changes(c, from, to).await?,
        expected: c
            .query(
                "SELECT key FROM reconcile_assets WHERE expects_agent = 1",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect(),
        oldest_hour: c
            .query_one("SELECT min(bucket) FROM rollups WHERE res = $1", &[&H1])
            .await?
            .get(0),
    })
}

async fn net(c: &impl GenericClient, from: i64, to: i64) -> anyhow::Result<Vec<OpdNet>> {
    let rows = c
        .query(
            "SELECT a.opd, r.name, sum(r.sum) / sum(r.n)
             FROM agents a JOIN rollups r ON r.res = $1 AND r.agent_id = a.agent_id
             WHERE r.bucket >= $2 AND r.bucket < $3
               AND (r.name IN ('net_loss:gateway', 'net_rtt:gateway')
                    OR r.name ILIKE 'http\\_up:%')
             GROUP BY a.opd, r.name ORDER BY a.opd, r.name",
            &[&H1, &from, &to],
        )
        .await?;
    let mut out: Vec<OpdNet> = Vec::new();
    for r in &rows {
        let opd: String = r.get(0);
        let name: String = r.get(1);
        let v: f64 = r.get(2);
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

/// History rows whose time falls in the period, compared after parsing.
async fn changes(c: &impl GenericClient, from: i64, to: i64) -> anyhow::Result<Vec<AssetChange>> {
    let rows = c
        .query(
            "SELECT key, at, change, before, after FROM asset_history ORDER BY id",
            &[],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let at: String = r.get(1);
        let Ok(t) = chrono::DateTime::parse_from_rfc3339(&at) else {
            continue;
        };
        if !(from..to).contains(&t.timestamp()) {
            continue;
        }
        let json = |s: Option<&str>| s.and_then(|s| serde_json::from_str(s).ok());
        out.push(AssetChange {
            key: r.get(0),
            at,
            change: r.get(2),
            before: json(r.get(3)),
            after: json(r.get(4)),
        });
    }
    Ok(out)
}
