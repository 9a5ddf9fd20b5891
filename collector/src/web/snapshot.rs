//! Shared snapshots of what the busiest pages read for the whole city, a few seconds old at
//! most. Without them every request for the overview or the flags inbox recomputed the city
//! from the store (10,000 hosts, the reconciliation summary over the register, every open
//! flag), and 50 operators with the overview open queued behind each other for seconds.
//!
//! A dashboard a few seconds old is normal in monitoring (Grafana's default refresh is 5 s,
//! the agents report every 30 s); what must never be stale is a change the viewer made
//! themself. So every successful change through the web or the API (the access guard sees
//! them all) starts a new generation, and the next page load reads the store afresh.
//! Changes the collector makes itself (ingest, reconciliation, the policy job) show within
//! [`MAX_AGE`].
//!
//! Loads are single-flight: when a snapshot is due, one request reads the store and the
//! others wait for its result instead of all reading at once.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The oldest a snapshot may be when served.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// Distinct flag filters kept at once; beyond this the oldest are dropped. Operators use a
/// handful (per OPD, per kind); a crawler walking every filter must not grow memory.
const MAX_KEYS: usize = 64;

struct Slot<T> {
    at: Instant,
    generation: u64,
    value: Arc<T>,
}

/// One value, loaded on demand and shared until it is [`MAX_AGE`] old or a change was made.
pub struct Cached<T> {
    slot: tokio::sync::Mutex<Option<Slot<T>>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            slot: tokio::sync::Mutex::new(None),
        }
    }
}

impl<T> Cached<T> {
    async fn get<F, Fut>(&self, generation: u64, now: Instant, load: F) -> anyhow::Result<Arc<T>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<T>>,
    {
        // Held across the load: the single flight.
        let mut slot = self.slot.lock().await;
        if let Some(s) = slot.as_ref() {
            if s.generation == generation && now.saturating_duration_since(s.at) < MAX_AGE {
                return Ok(s.value.clone());
            }
        }
        let value = Arc::new(load().await?);
        *slot = Some(Slot {
            at: Instant::now(),
            generation,
            value: value.clone(),
        });
        Ok(value)
    }
}

/// A key's value and when it was last asked for.
type Entry<T> = (Instant, Arc<Cached<T>>);

/// Values by key (the flags inbox by filter), each [`Cached`].
pub struct Keyed<K, T> {
    map: std::sync::Mutex<HashMap<K, Entry<T>>>,
}

impl<K, T> Default for Keyed<K, T> {
    fn default() -> Self {
        Keyed {
            map: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, T> Keyed<K, T> {
    fn entry(&self, key: &K) -> Arc<Cached<T>> {
        let mut map = self.map.lock().expect("snapshot map");
        let now = Instant::now();
        if let Some((used, c)) = map.get_mut(key) {
            *used = now;
            return c.clone();
        }
        if map.len() >= MAX_KEYS {
            let oldest = map
                .iter()
                .min_by_key(|(_, (t, _))| *t)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let c = Arc::new(Cached::default());
        map.insert(key.clone(), (now, c.clone()));
        c
    }
}

/// Key of a flag list: (state, kind, OPD) as the store's filter takes them.
pub type FlagKey = (Option<String>, Option<String>, Option<String>);

/// Everything the overview reads, for the whole city; each request keeps what its caller
/// may see.
pub struct City {
    pub hosts_by_opd: Vec<crate::store::OpdHosts>,
    pub summary: crate::store::ReconcileSummary,
    pub latest_net: Vec<crate::network::LatestNet>,
    pub hosts: Vec<crate::store::HostSummary>,
}

#[derive(Default)]
pub struct Snapshots {
    generation: AtomicU64,
    city: Cached<City>,
    flags: Keyed<FlagKey, Vec<crate::store::Flag>>,
}

impl Snapshots {
    /// A change was made: the next read goes to the store.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub async fn city<F, Fut>(&self, load: F) -> anyhow::Result<Arc<City>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<City>>,
    {
        self.city.get(self.generation(), Instant::now(), load).await
    }

    pub async fn flags<F, Fut>(
        &self,
        key: &FlagKey,
        load: F,
    ) -> anyhow::Result<Arc<Vec<crate::store::Flag>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = anyhow::Result<Vec<crate::store::Flag>>>,
    {
        self.flags
            .entry(key)
            .get(self.generation(), Instant::now(), load)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[tokio::test]
    async fn served_until_old_or_changed() {
        let c: Cached<u32> = Cached::default();
        let loads = AtomicUsize::new(0);
        let load = || async { Ok(loads.fetch_add(1, Ordering::SeqCst) as u32) };
        let t0 = Instant::now();
        assert_eq!(*c.get(0, t0, load).await.unwrap(), 0);
        // Fresh and same generation: shared, not loaded again.
        assert_eq!(
            *c.get(0, t0 + Duration::from_secs(1), load).await.unwrap(),
            0
        );
        // A change: loaded again at once.
        assert_eq!(
            *c.get(1, t0 + Duration::from_secs(1), load).await.unwrap(),
            1
        );
        // Too old: loaded again.
        let later = Instant::now() + MAX_AGE;
        assert_eq!(*c.get(1, later, load).await.unwrap(), 2);
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failed_load_is_not_kept() {
        let c: Cached<u32> = Cached::default();
        let now = Instant::now();
        assert!(c
            .get(0, now, || async { anyhow::bail!("store down") })
            .await
            .is_err());
        assert_eq!(*c.get(0, now, || async { Ok(7) }).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn concurrent_requests_load_once() {
        let s = Arc::new(Snapshots::default());
        let loads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (s, loads) = (s.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                let key: FlagKey = (None, None, Some("1.2".into()));
                s.flags(&key, || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok(Vec::new())
                })
                .await
                .unwrap()
                .len()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn keys_are_bounded() {
        let k: Keyed<u32, ()> = Keyed::default();
        for i in 0..(MAX_KEYS as u32 + 10) {
            k.entry(&i);
        }
        assert_eq!(k.map.lock().unwrap().len(), MAX_KEYS);
    }
}
