//! Network health of one OPD over time (issue 4); the twin of `sqlite/history.rs`.

use crate::store::{Resolution, Series};
use deadpool_postgres::GenericClient;

/// Series names read here: `net_loss:gateway`, `net_rtt:gateway`, `http_up:{check}`.
const FILTER: &str =
    "(name IN ('net_loss:gateway', 'net_rtt:gateway') OR name ILIKE 'http\\_up:%')";

pub async fn opd(
    c: &impl GenericClient,
    opd: &str,
    from: i64,
    to: i64,
    step: i64,
) -> anyhow::Result<(Resolution, Vec<Series>)> {
    let step = step.max(1);
    let res = if step >= 3600 {
        Resolution::H1
    } else {
        Resolution::Raw
    };
    let sql = match res {
        Resolution::Raw => format!(
            "SELECT name, (ts / $1) * $1 AS b, avg(value), min(value), max(value)
             FROM points JOIN agents a USING (agent_id)
             WHERE a.opd = $2 AND ts >= $3 AND ts < $4 AND {FILTER}
             GROUP BY name, b ORDER BY name, b"
        ),
        _ => format!(
            "SELECT name, (bucket / $1) * $1 AS b, sum(sum) / sum(n), min(min), max(max)
             FROM rollups JOIN agents a USING (agent_id)
             WHERE a.opd = $2 AND bucket >= $3 AND bucket < $4 AND res = {} AND {FILTER}
             GROUP BY name, b ORDER BY name, b",
            Resolution::H1.seconds()
        ),
    };
    let rows = c.query(&sql, &[&step, &opd, &from, &to]).await?;
    Ok((res, super::query::collect_series(&rows)))
}
