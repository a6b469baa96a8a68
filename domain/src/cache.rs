//! A small bounded cache with a time-to-live, for read-mostly rows on hot paths
//! (clients and their secret hashes, the scope catalogue, run-time settings).
//!
//! Freshness is wall-clock (`Instant`), not the domain clock: it is about how stale
//! a copy may be, not about business time. A TTL of zero disables caching. Changes
//! made through this process are invalidated at once; changes made by another
//! process (the CLI, another server sharing PostgreSQL) are seen within the TTL.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct TtlCache<K, V> {
    inner: Arc<Mutex<HashMap<K, (Instant, V)>>>,
    ttl: Duration,
    capacity: usize,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(HashMap::new())),
            ttl,
            capacity,
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.inner.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.inner.lock() {
            if map.len() >= self.capacity {
                let ttl = self.ttl;
                map.retain(|_, (at, _)| at.elapsed() < ttl);
                if map.len() >= self.capacity {
                    map.clear();
                }
            }
            map.insert(key, (Instant::now(), value));
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

    #[test]
    fn entries_expire_and_zero_ttl_disables() {
        let c = TtlCache::new(Duration::from_millis(30), 10);
        c.insert("a", 1);
        assert_eq!(c.get(&"a"), Some(1));
        c.invalidate(&"a");
        assert_eq!(c.get(&"a"), None);
        c.insert("b", 2);
        std::thread::park_timeout(Duration::from_millis(40));
        assert_eq!(c.get(&"b"), None, "expired");
        let off = TtlCache::new(Duration::ZERO, 10);
        off.insert("a", 1);
        assert_eq!(off.get(&"a"), None);
    }

    #[test]
    fn capacity_is_bounded() {
        let c = TtlCache::new(Duration::from_secs(60), 3);
        for i in 0..10 {
            c.insert(i, i);
        }
        assert!(c.inner.lock().unwrap().len() <= 3);
    }
}
