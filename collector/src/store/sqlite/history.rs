//! Network health of one OPD over time (issue 4): gateway loss and RTT, and every HTTP
//! check's availability, averaged over the OPD's agents per time bucket. Windows up to a
//! day read raw points; longer ones read the hourly rollups, which `maintain` keeps for
//! every series, so a week costs 168 rows per series instead of ~10,000.

use crate::store::{Resolution, Series};
use rusqlite::{params, Connection};

/// Series names read here: `net_loss:gateway`, `net_rtt:gateway`, `http_up:{check}`
/// (1 passed / 0 failed, so the bucket average is the fraction available).
const FILTER: &str =
    "(name IN ('net_loss:gateway', 'net_rtt:gateway') OR name LIKE 'http\\_up:%' ESCAPE '\\')";

/// Buckets of `step` seconds from `from` (inclusive) to `to` (exclusive), Unix seconds.
/// Series are ordered by name, points by time; buckets without data are absent.
pub fn opd(
    c: &Connection,
    opd: &str,
    from: i64,
    to: i64,
    step: i64,
) -> anyhow::Result<(Resolution, Vec<Series>)> {
    let step = step.max(1);
    // Raw points for short steps: rollups at 5 min would blur a 15-minute bucket less than
    // they save, and raw data is kept two weeks.
    let res = if step >= 3600 {
        Resolution::H1
    } else {
        Resolution::Raw
    };
    let sql = match res {
        Resolution::Raw => format!(
            "SELECT name, (ts / ?1) * ?1 AS b, avg(value), min(value), max(value)
             FROM points JOIN agents a USING (agent_id)
             WHERE a.opd = ?2 AND ts >= ?3 AND ts < ?4 AND {FILTER}
             GROUP BY name, b ORDER BY name, b"
        ),
        _ => format!(
            "SELECT name, (bucket / ?1) * ?1 AS b, sum(sum) / sum(n), min(min), max(max)
             FROM rollups JOIN agents a USING (agent_id)
             WHERE a.opd = ?2 AND bucket >= ?3 AND bucket < ?4 AND res = {} AND {FILTER}
             GROUP BY name, b ORDER BY name, b",
            Resolution::H1.seconds()
        ),
    };
    let mut st = c.prepare(&sql)?;
    let out = super::query::collect_series(st.query(params![step, opd, from, to])?)?;
    Ok((res, out))
}
