//! When each client secret was last used (issue 13, defect 9): so that a developer
//! who rotated a secret can see whether the old one is still in use somewhere
//! before it stops working, and is warned when it is.
//!
//! The token path never writes for this: a use is noted in memory (one map look-up
//! under a mutex), and [`SecretUses::flush`] writes what was noted, at most once a
//! minute per process, into `client_secret_uses` (m0014) — a table the change-feed
//! triggers do not watch, since a use is nothing any cache must hear about. Several
//! processes keep the newest time (`MAX` on conflict). A crash loses at most a
//! minute of "last used", never anything else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::platform::clock::Timestamp;

/// Secrets noted between two flushes at most (then new ones wait for the flush).
const CAPACITY: usize = 100_000;

/// Uses noted in this process and not yet written.
#[derive(Clone, Default)]
pub struct SecretUses {
    noted: Arc<Mutex<HashMap<String, Timestamp>>>,
}

impl SecretUses {
    /// Notes that the secret row `secret_id` was used at `now`.
    pub fn note(&self, secret_id: &str, now: Timestamp) {
        let Ok(mut noted) = self.noted.lock() else {
            return;
        };
        if let Some(at) = noted.get_mut(secret_id) {
            *at = (*at).max(now);
        } else if noted.len() < CAPACITY {
            noted.insert(secret_id.to_owned(), now);
        }
    }

    /// A use noted here and not yet written.
    pub fn pending(&self, secret_id: &str) -> Option<Timestamp> {
        self.noted.lock().ok()?.get(secret_id).copied()
    }

    /// Writes the noted uses; returns how many secrets were written. A secret
    /// deleted meanwhile is skipped (its row is gone, and so is its use).
    pub async fn flush<C: ConnectionTrait>(&self, conn: &C) -> usize {
        let taken: Vec<(String, Timestamp)> = match self.noted.lock() {
            Ok(mut noted) => noted.drain().collect(),
            Err(_) => return 0,
        };
        let backend = conn.get_database_backend();
        let (newest, id_p, at_p) = match backend {
            DbBackend::Postgres => ("GREATEST", "$1", "$2"),
            _ => ("MAX", "?1", "?2"),
        };
        // INSERT … SELECT: nothing is written for a secret deleted meanwhile.
        let sql = format!(
            "INSERT INTO client_secret_uses (secret_id, last_used_at) \
             SELECT s.id, {at_p} FROM client_secrets s WHERE s.id = {id_p} \
             ON CONFLICT (secret_id) DO UPDATE SET last_used_at = \
             {newest}(client_secret_uses.last_used_at, excluded.last_used_at)"
        );
        let mut written = 0;
        for (id, at) in taken {
            let stmt = Statement::from_sql_and_values(backend, &sql, [id.into(), at.into()]);
            match conn.execute_raw(stmt).await {
                Ok(r) => written += r.rows_affected() as usize,
                Err(e) => tracing::warn!(error = %e, "could not record a client secret's last use"),
            }
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_keeps_its_newest_use_and_the_map_stays_bounded() {
        let u = SecretUses::default();
        u.note("a", 10);
        u.note("a", 5);
        assert_eq!(u.pending("a"), Some(10));
        u.note("a", 12);
        assert_eq!(u.pending("a"), Some(12));
        assert_eq!(u.pending("b"), None);
    }
}
