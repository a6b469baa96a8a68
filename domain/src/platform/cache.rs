//! A small bounded cache with a time-to-live, for read-mostly rows on hot paths
//! (clients and their secret hashes, the scope catalogue, run-time settings).
//!
//! Freshness is measured on the clock's monotonic reading (`Clock::monotonic`),
//! not business time: it is about how stale a copy may be. A TTL of zero disables
//! caching. Changes made through this process are invalidated at once; changes
//! made by another process (the CLI, another server sharing the database) arrive
//! through the change feed (`platform::changes`) within milliseconds, so the TTL
//! is only a safety net.
//!
//! Each cache counts its hits and misses (`portcullis_cache_requests_total`, by
//! cache name), with handles registered once so the hot path pays one atomic add.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::platform::clock::Clock;

#[derive(Clone)]
pub struct TtlCache<K, V> {
    inner: Arc<Mutex<HashMap<K, (Duration, V)>>>,
    ttl: Duration,
    capacity: usize,
    clock: Arc<dyn Clock>,
    hits: metrics::Counter,
    misses: metrics::Counter,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// `name` labels the cache's metrics.
    pub fn new(name: &'static str, ttl: Duration, capacity: usize, clock: Arc<dyn Clock>) -> Self {
        let counter = |result: &'static str| metrics::counter!("portcullis_cache_requests_total", "cache" => name, "result" => result);
        Self {
            inner: Arc::new(Mutex::new(HashMap::new())),
            ttl,
            capacity,
            clock,
            hits: counter("hit"),
            misses: counter("miss"),
        }
    }

    fn fresh(&self, at: Duration, now: Duration) -> bool {
        now.saturating_sub(at) < self.ttl
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let now = self.clock.monotonic();
        let map = self.inner.lock().ok()?;
        let found = map
            .get(key)
            .filter(|(at, _)| self.fresh(*at, now))
            .map(|(_, v)| v.clone());
        if found.is_some() {
            &self.hits
        } else {
            &self.misses
        }
        .increment(1);
        found
    }

    pub fn insert(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        let now = self.clock.monotonic();
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= self.capacity {
                map.retain(|_, (at, _)| self.fresh(*at, now));
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            map.insert(key, (now, value));
        }
    }

    pub fn invalidate(&self, key: &K) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(key);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.lock() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::platform::clock::ManualClock;

    #[test]
    fn entries_expire_and_zero_ttl_disables() {
        let clock = ManualClock::new(0);
        let c = TtlCache::new(
            "test",
            Duration::from_millis(30),
            10,
            Arc::new(clock.clone()),
        );
        c.insert("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        c.invalidate(&"a");
        assert_eq!(c.get(&"a"), None);
        c.insert("b", 2);
        clock.advance_monotonic(Duration::from_millis(29));
        assert_eq!(c.get(&"b"), Some(2), "still fresh");
        clock.advance_monotonic(Duration::from_millis(1));
        assert_eq!(c.get(&"b"), None, "expired");
        let off = TtlCache::new("test", Duration::ZERO, 10, Arc::new(clock));
        off.insert("a", 1);
        assert_eq!(off.get(&"a"), None);
    }

    #[test]
    fn capacity_is_bounded() {
        let c = TtlCache::new(
            "test",
            Duration::from_secs(60),
            3,
            Arc::new(ManualClock::new(0)),
        );
        for i in 0..10 {
            c.insert(i, i);
        }
        assert!(c.inner.lock().unwrap().len() <= 3);
    }
}
