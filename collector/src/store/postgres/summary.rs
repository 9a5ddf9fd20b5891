//! Reconciliation as people read it; the twin of `sqlite/summary.rs`.

use super::ts;
use crate::reconcile::HostOutcome;
use crate::store::sqlite::summary::city_of;
use crate::store::{ReconcileCounts, ReconcileSummary, ReviewItem, RunReport};
use deadpool_postgres::GenericClient;
use std::collections::BTreeMap;

/// `(opd, label, count)` rows of a GROUP BY query.
async fn counts(c: &impl GenericClient, sql: &str) -> anyhow::Result<Vec<(String, String, u64)>> {
    Ok(c.query(sql, &[])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get::<_, i64>(2) as u64))
        .collect())
}

pub async fn summary(c: &impl GenericClient, ict_prefix: &str) -> anyhow::Result<ReconcileSummary> {
    let last_run = c
        .query_opt(
            "SELECT at, duration_ms, hosts, assets, findings, opened, reopened, resolved
             FROM reconcile_runs ORDER BY id DESC LIMIT 1",
            &[],
        )
        .await?
        .map(|r| RunReport {
            at: ts(r.get(0)).unwrap_or_default(),
            duration_ms: r.get::<_, i64>(1) as u64,
            hosts: r.get::<_, i64>(2) as usize,
            assets: r.get::<_, i64>(3) as usize,
            findings: r.get::<_, i64>(4) as usize,
            opened: r.get::<_, i64>(5) as usize,
            reopened: r.get::<_, i64>(6) as usize,
            resolved: r.get::<_, i64>(7) as usize,
            ..Default::default()
        });
    let mut opds: BTreeMap<String, ReconcileCounts> = BTreeMap::new();
    let entry = |opds: &mut BTreeMap<String, ReconcileCounts>, k: &str| {
        if !opds.contains_key(k) {
            opds.insert(
                k.to_string(),
                ReconcileCounts {
                    kode_lokasi: k.to_string(),
                    ..Default::default()
                },
            );
        }
    };
    // ICT assets (the kode barang prefix, at a dot boundary) with their reconciliation.
    let like = format!("{ict_prefix}.%");
    for r in &c
        .query(
            "SELECT a.kode_lokasi, a.row::jsonb ->> 'nama_opd', coalesce(a.kondisi, '-'),
                    coalesce(r.expects_agent, 0), r.agent_id IS NOT NULL, coalesce(r.silent, 0),
                    r.suggested
             FROM assets a LEFT JOIN reconcile_assets r USING (key)
             WHERE a.removed_at IS NULL AND (a.kode_barang = $1 OR a.kode_barang ILIKE $2)",
            &[&ict_prefix, &like],
        )
        .await?
    {
        let opd: String = r.get(0);
        entry(&mut opds, &opd);
        let o = opds.get_mut(&opd).expect("inserted");
        if o.nama_opd.is_none() {
            o.nama_opd = r.get(1);
        }
        o.registered_ict += 1;
        o.expected_agents += (r.get::<_, i64>(3) != 0) as u64;
        o.matched += r.get::<_, bool>(4) as u64;
        o.silent += (r.get::<_, i64>(5) != 0) as u64;
        *o.register_condition.entry(r.get(2)).or_default() += 1;
        if let Some(s) = r.get::<_, Option<String>>(6) {
            *o.suggested_condition.entry(s).or_default() += 1;
        }
    }
    for (opd, state, n) in counts(
        c,
        "SELECT opd, state, count(*) FROM reconcile_hosts GROUP BY 1, 2",
    )
    .await?
    {
        entry(&mut opds, &opd);
        let o = opds.get_mut(&opd).expect("inserted");
        match state.as_str() {
            "unregistered" => o.unregistered += n,
            "review" => o.in_review += n,
            _ => {}
        }
    }
    for (opd, kind, n) in counts(
        c,
        "SELECT opd, kind, count(*) FROM flags WHERE state != 'resolved' GROUP BY 1, 2",
    )
    .await?
    {
        entry(&mut opds, &opd);
        *opds
            .get_mut(&opd)
            .expect("inserted")
            .open_flags
            .entry(kind)
            .or_default() += n;
    }
    Ok(ReconcileSummary {
        last_run,
        city: city_of(&opds),
        opds: opds.into_values().collect(),
    })
}

pub async fn review_queue(
    c: &impl GenericClient,
    opd: Option<&str>,
) -> anyhow::Result<Vec<ReviewItem>> {
    let rows = c
        .query(
            "SELECT r.agent_id, r.opd, h.hostname, r.detail
             FROM reconcile_hosts r LEFT JOIN hosts h USING (agent_id)
             WHERE r.state = 'review' AND ($1::text IS NULL OR r.opd = $1)
             ORDER BY r.opd, r.agent_id",
            &[&opd],
        )
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        if let Some(HostOutcome::Review { candidates, reason }) = r
            .get::<_, Option<&str>>(3)
            .and_then(|d| serde_json::from_str(d).ok())
        {
            out.push(ReviewItem {
                agent_id: r.get(0),
                opd: r.get(1),
                hostname: r.get(2),
                reason,
                candidates,
            });
        }
    }
    Ok(out)
}
