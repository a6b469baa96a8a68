//! One process's side of the throttle for client authentication: how much of the
//! database pool a flood of failed attempts may occupy, and what this process
//! already knows is locked.
//!
//! Why: without it, 400 parallel wrong secrets for one client id each open a
//! transaction and wait in PostgreSQL for the row lock of that id's counter, holding
//! a pooled connection while they wait — every connection of the pool, so a person's
//! sign-in waited seconds for one. Here at most `concurrency` reservations talk to
//! the database at once (the rest wait in memory, holding nothing), and a lock this
//! process has seen refuses the next attempts from memory. The database stays the
//! only authority on counts: a remembered lock only ever refuses, and is trusted for
//! at most [`REMEMBER_SECS`] (another process may end a lock early by giving a slot
//! back).

use std::collections::HashMap;
use std::sync::Mutex;

use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

use super::{Limit, Reservation, Reserved};
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// How long a lock seen in the database is believed without asking again.
pub const REMEMBER_SECS: i64 = 2;
/// Remembered locks kept at most (then forgotten all at once: bounded memory).
const CAPACITY: usize = 10_000;

pub struct Local {
    permits: Semaphore,
    /// key → until when it is known to be locked.
    locked: Mutex<HashMap<String, Timestamp>>,
}

impl Local {
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Semaphore::new(concurrency.max(1)),
            locked: Mutex::default(),
        }
    }

    /// Seconds until every remembered lock among `limits` has ended, if any is on.
    fn remembered(&self, limits: &[Limit], now: Timestamp) -> Option<i64> {
        let locked = self.locked.lock().ok()?;
        limits
            .iter()
            .filter_map(|l| locked.get(&l.key))
            .filter(|&&until| until > now)
            .map(|&until| until - now)
            .max()
    }

    fn remember(&self, key: &str, until: Timestamp, now: Timestamp) {
        if let Ok(mut locked) = self.locked.lock() {
            if locked.len() >= CAPACITY {
                locked.retain(|_, &mut u| u > now);
                if locked.len() >= CAPACITY {
                    locked.clear();
                }
            }
            locked.insert(key.to_owned(), until.min(now + REMEMBER_SECS));
        }
    }

    /// [`super::reserve`], refusing from memory when this process knows a key is
    /// locked, and otherwise waiting for one of its turns at the database.
    pub async fn reserve(
        &self,
        db: &DatabaseConnection,
        limits: &[Limit],
        now: Timestamp,
    ) -> DomainResult<Reservation> {
        let refused = |retry_after_secs: i64| Reservation::Refused {
            key: String::new(),
            retry_after_secs,
        };
        if let Some(retry) = self.remembered(limits, now) {
            return Ok(refused(retry));
        }
        let _turn = self
            .permits
            .acquire()
            .await
            .map_err(|e| crate::DomainError::Internal(e.to_string()))?;
        // The attempt ahead of this one may have locked a key meanwhile.
        if let Some(retry) = self.remembered(limits, now) {
            return Ok(refused(retry));
        }
        // A read first, so attempts against a locked key cost no write.
        let keys: Vec<String> = limits.iter().map(|l| l.key.clone()).collect();
        let locks = super::locks(db, &keys, now).await?;
        if let Some(retry) = locks.iter().map(|(_, until)| until - now).max() {
            for (key, until) in &locks {
                self.remember(key, *until, now);
            }
            return Ok(refused(retry));
        }
        let outcome = super::reserve(db, limits, now).await?;
        match &outcome {
            Reservation::Refused {
                key,
                retry_after_secs,
            } => self.remember(key, now + retry_after_secs, now),
            Reservation::Granted(r) => {
                for s in &r.slots {
                    if let Some(until) = s.locked_until {
                        self.remember(&s.key, until, now);
                    }
                }
            }
        }
        Ok(outcome)
    }

    /// [`super::release`], forgetting any lock the slots held here.
    pub async fn release(&self, db: &DatabaseConnection, reserved: &Reserved) -> DomainResult<()> {
        if let Ok(mut locked) = self.locked.lock() {
            for s in &reserved.slots {
                locked.remove(&s.key);
            }
        }
        super::release(db, reserved).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(key: &str, max: i32) -> Limit {
        Limit {
            key: key.into(),
            max,
            window_secs: 100,
            lockout_secs: 50,
        }
    }

    /// A lock seen once is answered from memory for a short while, then asked
    /// again; a slot given back here forgets it at once.
    #[tokio::test]
    async fn a_seen_lock_refuses_from_memory_briefly() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let local = Local::new(1);
        let k = [limit("k", 1)];
        let Reservation::Granted(r) = local.reserve(&db, &k, 1000).await.unwrap() else {
            panic!("the first slot is free")
        };
        assert!(r.locked);
        // The database is emptied behind this process's back: memory still refuses...
        super::super::clear(&db, "k").await.unwrap();
        assert!(matches!(
            local.reserve(&db, &k, 1000).await.unwrap(),
            Reservation::Refused {
                retry_after_secs: REMEMBER_SECS,
                ..
            }
        ));
        // ... but only for REMEMBER_SECS.
        let Reservation::Granted(r) = local.reserve(&db, &k, 1000 + REMEMBER_SECS).await.unwrap()
        else {
            panic!("asked the database again")
        };
        local.release(&db, &r).await.unwrap();
        assert!(matches!(
            local.reserve(&db, &k, 1000 + REMEMBER_SECS).await.unwrap(),
            Reservation::Granted(_)
        ));
    }
}
