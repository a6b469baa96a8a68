//! Throttling guesses — passwords at sign-in and client secrets at the token,
//! introspection and revocation endpoints — stored in the database so every server
//! process sharing it sees the same counters.
//!
//! A key collects failures in a fixed window; reaching the limit locks the key until
//! the lock expires. Unknown usernames and client ids are counted like real ones, so
//! the throttle does not reveal which exist.
//!
//! **Check and count are one step.** An attempt first *reserves* a failure slot on
//! every key it touches — one conditional upsert per key, in one transaction —
//! before the argon2 verification runs: the slot is counted as a failure at once and
//! given back only when the attempt succeeds. So 200 parallel guesses against a
//! limit of 5 get at most 5 verifications, in one process or many: a slot that is not
//! reserved cannot be evaluated. The reservation that takes the last slot locks the
//! key in the same statement.

mod local;

pub use local::Local;

use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
};
use serde::Deserialize;

use crate::entities::login_throttle as lt;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// The longest window an open-registration counter may use (a day).
pub const OPEN_REGISTRATION_MAX_WINDOW: i64 = 86_400;

/// Sign-in (the portal and the OAuth password grant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub account_max_failures: i32,
    pub ip_max_failures: i32,
    pub window_secs: i64,
    pub lockout_secs: i64,
    /// Client authentication at the protocol endpoints.
    pub clients: ClientThrottlePolicy,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_max_failures: 5,
            ip_max_failures: 50,
            window_secs: 15 * 60,
            lockout_secs: 15 * 60,
            clients: ClientThrottlePolicy::default(),
        }
    }
}

impl ThrottlePolicy {
    /// The longest window of any key: counters older than this can be purged.
    /// Open registrations are counted per address in a window of up to a day
    /// (`clients::dynamic::OpenRegistrationLimit`), so nothing younger goes.
    pub fn longest_window_secs(&self) -> i64 {
        Ord::max(
            Ord::max(self.window_secs, self.clients.window_secs),
            OPEN_REGISTRATION_MAX_WINDOW,
        )
    }
}

/// Failed client authentication (wrong secret, unknown client id), counted per
/// (client id, IP), per IP, and per client id. A client secret is 256 random bits, so
/// the point is not to stop guessing (hopeless anyway) but to bound the argon2 work
/// an attacker can cause, without letting the attacker lock the real client out for
/// long. See docs/SECURITY.md ("Client authentication throttling").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientThrottlePolicy {
    /// One client id from one address: the common case of an attacker (or a client
    /// with a stale secret). Locks only that pair, never the real client elsewhere.
    pub pair_max_failures: i32,
    /// One address, any client ids (including unknown ones).
    pub ip_max_failures: i32,
    /// One client id from all addresses together: the ceiling for a distributed
    /// attack. Higher, and its lock short, because it also stops the real client
    /// when its secret is not yet verified in this process.
    pub client_max_failures: i32,
    pub window_secs: i64,
    /// Lock of a pair or an address.
    pub lockout_secs: i64,
    /// Lock of a client id (all addresses).
    pub client_lockout_secs: i64,
}

impl Default for ClientThrottlePolicy {
    fn default() -> Self {
        Self {
            pair_max_failures: 10,
            ip_max_failures: 50,
            client_max_failures: 100,
            window_secs: 5 * 60,
            lockout_secs: 5 * 60,
            client_lockout_secs: 60,
        }
    }
}

impl ClientThrottlePolicy {
    /// The limits one client authentication attempt counts against.
    pub fn limits(&self, client_id: &str, ip: Option<&str>) -> Vec<Limit> {
        let id = bounded(client_id);
        let mut limits = vec![Limit {
            key: format!("client:{id}"),
            max: self.client_max_failures,
            window_secs: self.window_secs,
            lockout_secs: self.client_lockout_secs,
        }];
        if let Some(ip) = ip {
            limits.push(Limit {
                key: format!("client:{id}@{ip}"),
                max: self.pair_max_failures,
                window_secs: self.window_secs,
                lockout_secs: self.lockout_secs,
            });
            limits.push(Limit {
                key: format!("client-ip:{ip}"),
                max: self.ip_max_failures,
                window_secs: self.window_secs,
                lockout_secs: self.lockout_secs,
            });
        }
        limits
    }
}

/// A key fit for the table whatever the caller sent: client ids are attacker input
/// (any length, NUL, control characters), so anything unusual is keyed by its hash.
fn bounded(s: &str) -> String {
    if s.len() <= 100 && s.chars().all(|c| c.is_ascii_graphic()) {
        s.to_owned()
    } else {
        format!("sha256:{}", crate::platform::secret::token_hash(s))
    }
}

pub fn account_key(username: &str) -> String {
    format!("account:{}", username.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

impl ThrottlePolicy {
    /// The limits one sign-in attempt counts against.
    pub fn sign_in_limits(&self, username: &str, ip: Option<&str>) -> Vec<Limit> {
        let mut limits = vec![Limit {
            key: account_key(username),
            max: self.account_max_failures,
            window_secs: self.window_secs,
            lockout_secs: self.lockout_secs,
        }];
        if let Some(ip) = ip {
            limits.push(Limit {
                key: ip_key(ip),
                max: self.ip_max_failures,
                window_secs: self.window_secs,
                lockout_secs: self.lockout_secs,
            });
        }
        limits
    }
}

/// One counter an attempt counts against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub max: i32,
    pub window_secs: i64,
    pub lockout_secs: i64,
}

/// The outcome of [`reserve`].
#[derive(Debug)]
pub enum Reservation {
    /// Every key had a free slot; each now counts this attempt as a failure.
    Granted(Reserved),
    /// `key` is locked (or its slots are all taken): nothing was counted.
    Refused { key: String, retry_after_secs: i64 },
}

/// Slots held by one attempt: a failure keeps them, a success gives them back.
#[derive(Debug)]
pub struct Reserved {
    slots: Vec<Slot>,
    /// This reservation took the last slot of some key and locked it.
    pub locked: bool,
}

#[derive(Debug)]
struct Slot {
    key: String,
    max: i32,
    /// Set when taking this slot locked the key.
    locked_until: Option<Timestamp>,
    /// The window the slot was counted in: giving it back must not touch a later one.
    window_started_at: i64,
}

/// Seconds until the last of `keys` that is locked unlocks, if any is locked. A
/// read only: lets attempts against a locked key be refused without a write.
pub async fn locked_for<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    now: Timestamp,
) -> DomainResult<Option<i64>> {
    Ok(locks(conn, keys, now)
        .await?
        .into_iter()
        .map(|(_, until)| until - now)
        .max())
}

/// The keys among `keys` that are locked now, with the end of each lock.
pub async fn locks<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    now: Timestamp,
) -> DomainResult<Vec<(String, Timestamp)>> {
    let rows = lt::Entity::find()
        .filter(lt::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.key, r.locked_until?)))
        .filter(|&(_, until)| until > now)
        .collect())
}

/// Takes one failure slot on every key of `limits`, all or none, before the
/// attempt is evaluated (see the module comment).
pub async fn reserve(
    db: &DatabaseConnection,
    limits: &[Limit],
    now: Timestamp,
) -> DomainResult<Reservation> {
    // Keys in one order everywhere, so two transactions never wait for each other's
    // rows in opposite orders (PostgreSQL row locks).
    let mut limits: Vec<&Limit> = limits.iter().collect();
    limits.sort_by(|a, b| a.key.cmp(&b.key));
    let txn = crate::platform::db::write_txn(db).await?;
    let mut slots = Vec::with_capacity(limits.len());
    let mut locked = false;
    for limit in limits {
        match take_slot(&txn, limit, now).await? {
            Some((failures, window_started_at)) => {
                let locks = failures >= limit.max;
                locked |= locks;
                slots.push(Slot {
                    key: limit.key.clone(),
                    max: limit.max,
                    locked_until: locks.then_some(now + limit.lockout_secs),
                    window_started_at,
                });
            }
            None => {
                let retry = locked_for(&txn, std::slice::from_ref(&limit.key), now).await?;
                txn.rollback().await?;
                return Ok(Reservation::Refused {
                    key: limit.key.clone(),
                    retry_after_secs: Ord::max(retry.unwrap_or(1), 1),
                });
            }
        }
    }
    txn.commit().await?;
    Ok(Reservation::Granted(Reserved { slots, locked }))
}

/// One atomic statement: count one more failure on `limit.key` unless it is locked
/// or full, starting a new window when the old one (or its lock) is over, and lock
/// the key when this takes its last slot. Returns (failures, window start) after the
/// update, or None when refused. Concurrent statements on one key serialise on its
/// row (PostgreSQL re-checks the condition on the latest row version; SQLite has one
/// writer), so no more than `max` slots are ever handed out per window.
async fn take_slot<C: ConnectionTrait>(
    conn: &C,
    limit: &Limit,
    now: Timestamp,
) -> DomainResult<Option<(i32, i64)>> {
    let col = |c: lt::Column| Expr::col((lt::Entity, c));
    let lock_at = now + limit.lockout_secs;
    let first_lock: Option<i64> = (limit.max <= 1).then_some(lock_at);
    // The window is over, or the lock that ended it has expired.
    let fresh = col(lt::Column::WindowStartedAt)
        .lte(now - limit.window_secs)
        .or(col(lt::Column::LockedUntil).lte(now));
    let has_room = col(lt::Column::LockedUntil)
        .is_null()
        .and(col(lt::Column::Failures).lt(limit.max));
    let stmt = Query::insert()
        .into_table(lt::Entity)
        .columns([
            lt::Column::Key,
            lt::Column::Failures,
            lt::Column::WindowStartedAt,
            lt::Column::LockedUntil,
        ])
        .values_panic([
            limit.key.clone().into(),
            1i32.into(),
            now.into(),
            first_lock.into(),
        ])
        .on_conflict(
            OnConflict::column(lt::Column::Key)
                .values([
                    (
                        lt::Column::Failures,
                        Expr::case(fresh.clone(), 1i32)
                            .finally(col(lt::Column::Failures).add(1i32))
                            .into(),
                    ),
                    (
                        lt::Column::WindowStartedAt,
                        Expr::case(fresh.clone(), now)
                            .finally(col(lt::Column::WindowStartedAt))
                            .into(),
                    ),
                    (
                        lt::Column::LockedUntil,
                        Expr::case(fresh.clone(), Expr::val(first_lock))
                            .case(
                                col(lt::Column::Failures).add(1i32).gte(limit.max),
                                Expr::val(Some(lock_at)),
                            )
                            .finally(Expr::val(None::<i64>))
                            .into(),
                    ),
                ])
                .action_and_where(fresh.or(has_room))
                .to_owned(),
        )
        .returning(Query::returning().columns([lt::Column::Failures, lt::Column::WindowStartedAt]))
        .to_owned();
    let Some(row) = conn.query_one(&stmt).await? else {
        return Ok(None);
    };
    let failures: i32 = row.try_get("", "failures")?;
    let window: i64 = row.try_get("", "window_started_at")?;
    Ok(Some((failures, window)))
}

/// Gives back the slots of an attempt that succeeded: it was no failure. A slot
/// goes back only to the window it was taken in, and a lock stays only while the
/// remaining failures still reach the limit.
pub async fn release<C: ConnectionTrait>(conn: &C, reserved: &Reserved) -> DomainResult<()> {
    for slot in &reserved.slots {
        lt::Entity::update_many()
            .col_expr(
                lt::Column::Failures,
                Expr::col(lt::Column::Failures).sub(1i32),
            )
            .col_expr(
                lt::Column::LockedUntil,
                Expr::case(
                    Expr::col(lt::Column::Failures).sub(1i32).gte(slot.max),
                    Expr::col(lt::Column::LockedUntil),
                )
                .finally(Expr::val(None::<i64>))
                .into(),
            )
            .filter(lt::Column::Key.eq(slot.key.as_str()))
            .filter(lt::Column::WindowStartedAt.eq(slot.window_started_at))
            .filter(lt::Column::Failures.gt(0))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Forgets the failures of `key` (an account after a successful sign-in).
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str) -> DomainResult<()> {
    lt::Entity::delete_by_id(key.to_owned()).exec(conn).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        (dir, db)
    }

    fn limit(key: &str, max: i32) -> Limit {
        Limit {
            key: key.into(),
            max,
            window_secs: 100,
            lockout_secs: 50,
        }
    }

    async fn granted(db: &DatabaseConnection, limits: &[Limit], now: i64) -> Option<Reserved> {
        match reserve(db, limits, now).await.unwrap() {
            Reservation::Granted(r) => Some(r),
            Reservation::Refused { .. } => None,
        }
    }

    #[tokio::test]
    async fn the_last_slot_locks_and_a_success_gives_its_slot_back() {
        let (_d, db) = db().await;
        let k = [limit("k", 3)];
        let a = granted(&db, &k, 1000).await.unwrap();
        let _b = granted(&db, &k, 1000).await.unwrap();
        let c = granted(&db, &k, 1000).await.unwrap();
        assert!(!a.locked && c.locked, "the third of three locks");
        match reserve(&db, &k, 1010).await.unwrap() {
            Reservation::Refused {
                key,
                retry_after_secs,
            } => assert_eq!((key.as_str(), retry_after_secs), ("k", 40)),
            other => panic!("{other:?}"),
        }
        // The first attempt turns out right: two failures remain, below the limit.
        release(&db, &a).await.unwrap();
        assert!(granted(&db, &k, 1010).await.unwrap().locked);
        assert!(granted(&db, &k, 1010).await.is_none());
    }

    #[tokio::test]
    async fn a_lock_ends_and_a_new_window_starts() {
        let (_d, db) = db().await;
        let k = [limit("k", 1)];
        assert!(granted(&db, &k, 1000).await.unwrap().locked);
        assert!(granted(&db, &k, 1049).await.is_none());
        let again = granted(&db, &k, 1050).await.unwrap();
        assert!(again.locked, "a fresh window, and its one slot taken");
        // A slot is given back only to the window it came from.
        let k2 = [limit("w", 2)];
        let old = granted(&db, &k2, 1000).await.unwrap();
        let _new = granted(&db, &k2, 1200).await.unwrap();
        release(&db, &old).await.unwrap();
        let row = lt::Entity::find_by_id("w".to_owned())
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.failures, row.window_started_at), (1, 1200));
    }

    #[tokio::test]
    async fn all_keys_or_none() {
        let (_d, db) = db().await;
        let full = [limit("full", 1)];
        granted(&db, &full, 1000).await.unwrap();
        let both = [limit("free", 5), limit("full", 1)];
        assert!(granted(&db, &both, 1000).await.is_none());
        let free = lt::Entity::find_by_id("free".to_owned())
            .one(&db)
            .await
            .unwrap();
        assert!(free.is_none(), "nothing counted on the free key");
    }

    /// The race of finding M2: 100 parallel attempts, a limit of 5, one process.
    #[tokio::test]
    async fn parallel_attempts_get_no_more_slots_than_the_limit() {
        let (_d, db) = db().await;
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { granted(&db, &[limit("k", 5)], 1000).await.is_some() })
            })
            .collect();
        let mut n = 0;
        for t in tasks {
            n += t.await.unwrap() as usize;
        }
        assert_eq!(n, 5);
    }

    #[test]
    fn odd_client_ids_are_keyed_by_their_hash() {
        let p = ClientThrottlePolicy::default();
        let keys: Vec<_> = p
            .limits("a\0b", Some("10.0.0.1"))
            .into_iter()
            .map(|l| l.key)
            .collect();
        assert!(keys.iter().all(|k| !k.contains('\0')), "{keys:?}");
        assert!(p.limits(&"x".repeat(10_000), None)[0].key.len() < 100);
    }
}
