//! Refused token requests per client, day and OAuth error code (issue 13, "usage
//! for developers": errors such as an `invalid_grant` spike), for the client page's
//! usage card.
//!
//! Like [`super::secret_use`], the token path never writes for this: a refusal is
//! counted in memory (one map update under a mutex) and [`TokenRefusals::flush`]
//! adds the counts to `client_token_refusals` (m0045) at most once a minute per
//! process, when the usage is read, and at shutdown. Several processes add up
//! (`n + excluded.n`). A crash loses at most a minute of counts, nothing else.
//!
//! Only what a client's developer can act on is counted: refusals of the client's
//! own requests once it is identified — a wrong or old secret, a client that is
//! disabled or expired (`invalid_client`), and what its grants were refused after
//! it authenticated. Not counted: requests naming no existing client (nothing to
//! show them to, and a stranger could fill the table), the device flow's
//! `authorization_pending`/`slow_down` and DPoP's `use_dpop_nonce` (the protocol
//! working as meant), throttled requests (already a flood), and our own faults.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::platform::clock::Timestamp;

/// Distinct (client, day, code) counted between two flushes at most; beyond it new
/// ones wait for the flush (counts of ones already held still grow).
const CAPACITY: usize = 50_000;
const DAY: i64 = 86_400;

/// The error codes counted, each with what it usually means for the developer.
pub const COUNTED: [(&str, &str); 8] = [
    (
        "invalid_client",
        "the client's credentials were refused: a wrong or old secret, the wrong authentication method, or the client is disabled or expired",
    ),
    (
        "invalid_grant",
        "a code or refresh token that was expired, already used, revoked or issued to another client, or a PKCE verifier that did not match",
    ),
    (
        "invalid_request",
        "a request missing a parameter or with one twice or malformed",
    ),
    (
        "invalid_scope",
        "a scope the client does not have or that does not exist",
    ),
    (
        "unauthorized_client",
        "a grant type the client may not use, or third-party apps are turned off",
    ),
    (
        "unsupported_grant_type",
        "a grant type this server does not know",
    ),
    ("invalid_target", "a resource (API) the client may not ask for"),
    ("invalid_dpop_proof", "a DPoP proof that was missing or wrong"),
];

/// What `code` usually means, for a counted code.
pub fn meaning(code: &str) -> Option<&'static str> {
    COUNTED.iter().find(|(c, _)| *c == code).map(|(_, m)| *m)
}

/// A client, the first second of a UTC day, an error code.
type Key = (String, i64, &'static str);

/// Refusals counted in this process and not yet written.
#[derive(Clone, Default)]
pub struct TokenRefusals {
    counted: Arc<Mutex<HashMap<Key, u64>>>,
    /// One flush at a time: a flush that finds another under way waits for it, so
    /// when it returns, everything counted before it was called is in the table
    /// (two pages read at once must not see the other's counts in flight).
    flushing: Arc<tokio::sync::Mutex<()>>,
}

impl TokenRefusals {
    /// Counts a refusal with the OAuth error `code` of a request by the client
    /// `client_id` at `now`; codes not in [`COUNTED`] are ignored.
    pub fn note(&self, client_id: &str, code: &str, now: Timestamp) {
        let Some(&(code, _)) = COUNTED.iter().find(|(c, _)| *c == code) else {
            return;
        };
        let Ok(mut counted) = self.counted.lock() else {
            return;
        };
        let key = (client_id.to_owned(), now - now.rem_euclid(DAY), code);
        if let Some(n) = counted.get_mut(&key) {
            *n += 1;
        } else if counted.len() < CAPACITY {
            counted.insert(key, 1);
        }
    }

    /// Adds the counts to the table; returns how many rows were written. A client
    /// deleted meanwhile is skipped (its counts go with it).
    pub async fn flush<C: ConnectionTrait>(&self, conn: &C) -> usize {
        let _one_at_a_time = self.flushing.lock().await;
        let taken: Vec<(Key, u64)> = match self.counted.lock() {
            Ok(mut counted) => counted.drain().collect(),
            Err(_) => return 0,
        };
        if taken.is_empty() {
            return 0;
        }
        let backend = conn.get_database_backend();
        let p: [&str; 4] = match backend {
            DbBackend::Postgres => ["$1", "$2", "$3", "$4"],
            _ => ["?1", "?2", "?3", "?4"],
        };
        // INSERT … SELECT: nothing is written for a client deleted meanwhile.
        let sql = format!(
            "INSERT INTO client_token_refusals (client_id, day, code, n) \
             SELECT c.id, {}, {}, {} FROM clients c WHERE c.id = {} \
             ON CONFLICT (client_id, day, code) DO UPDATE SET \
             n = client_token_refusals.n + excluded.n",
            p[1], p[2], p[3], p[0]
        );
        let mut written = 0;
        for ((client, day, code), n) in taken {
            let n = i64::try_from(n).unwrap_or(i64::MAX);
            let stmt = Statement::from_sql_and_values(
                backend,
                &sql,
                [client.into(), day.into(), code.into(), n.into()],
            );
            match conn.execute_raw(stmt).await {
                Ok(r) => written += r.rows_affected() as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "could not record a client's refused token requests")
                }
            }
        }
        written
    }

    /// Deletes the counts of days before `before` (they are past every chart).
    pub async fn prune<C: ConnectionTrait>(
        conn: &C,
        before: Timestamp,
    ) -> crate::DomainResult<u64> {
        use crate::entities::client_token_refusal as r;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        Ok(r::Entity::delete_many()
            .filter(r::Column::Day.lt(before))
            .exec(conn)
            .await?
            .rows_affected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(r: &TokenRefusals) -> Vec<(Key, u64)> {
        let mut v: Vec<_> = r.counted.lock().unwrap().clone().into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn counts_by_client_day_and_code_and_ignores_codes_not_counted() {
        let r = TokenRefusals::default();
        let noon = 20_000 * DAY + 43_200;
        r.note("a", "invalid_grant", noon);
        r.note("a", "invalid_grant", noon + 60);
        r.note("a", "invalid_grant", noon + DAY);
        r.note("a", "invalid_client", noon);
        r.note("b", "invalid_grant", noon);
        for ignored in [
            "authorization_pending",
            "slow_down",
            "use_dpop_nonce",
            "server_error",
            "x",
        ] {
            r.note("a", ignored, noon);
        }
        assert_eq!(
            held(&r),
            vec![
                (("a".into(), 20_000 * DAY, "invalid_client"), 1),
                (("a".into(), 20_000 * DAY, "invalid_grant"), 2),
                (("a".into(), 20_001 * DAY, "invalid_grant"), 1),
                (("b".into(), 20_000 * DAY, "invalid_grant"), 1),
            ]
        );
    }

    #[test]
    fn holds_a_bounded_number_of_keys_and_still_counts_those_held() {
        let r = TokenRefusals::default();
        for i in 0..CAPACITY + 10 {
            r.note(&format!("c{i}"), "invalid_client", 0);
        }
        r.note("c0", "invalid_client", 0);
        let counted = r.counted.lock().unwrap();
        assert_eq!(counted.len(), CAPACITY);
        assert_eq!(counted[&("c0".to_owned(), 0, "invalid_client")], 2);
    }
}
