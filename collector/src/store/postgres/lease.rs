//! Job leases (issue 9): of several collectors on one database, exactly one runs a periodic
//! job at a time. A lease is a session-level `pg_try_advisory_lock` taken on a connection
//! of its own (never a pooled one, which would keep the lock after being returned): the lock
//! lives exactly as long as that session, so it is released when the lease is dropped, and
//! by the server when the holder dies (SIGKILL, power loss: the TCP connection ends).

use crate::store::JobLease;

/// The advisory lock key of a job: FNV-1a (64-bit) of `pantau.job.{name}`, stable across
/// builds and versions (unlike std's hasher), so collectors of different versions agree.
pub fn key(name: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "pantau.job.".bytes().chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

pub async fn try_lease(store: &super::PgStore, name: &str) -> anyhow::Result<Option<JobLease>> {
    let client = store.dedicated().await?;
    let got: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&key(name)])
        .await?
        .get(0);
    // Not granted: the connection closes here, holding nothing.
    let k = key(name);
    Ok(got.then(|| {
        JobLease::released_by(Box::new(move || {
            Box::pin(async move {
                // Unlock before the connection goes: the server ends a closed session on its
                // own time, and until it has, the next try (on any collector) still finds
                // the lock held. If this fails the connection is dropped below, which frees
                // the lock all the same, only later.
                if let Err(e) = client.execute("SELECT pg_advisory_unlock($1)", &[&k]).await {
                    tracing::warn!("cannot give a job lease back at once: {e}");
                }
                drop(client);
            })
        }))
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_stable_and_distinct() {
        // Fixed values: a change would let old and new collectors run a job side by side.
        assert_eq!(super::key("maintain"), super::key("maintain"));
        assert_ne!(super::key("maintain"), super::key("reconcile"));
        assert_eq!(super::key(""), 0x4290_ce59_b614_0393_u64 as i64);
    }
}
