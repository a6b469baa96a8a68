//! The change feed: how every process sharing the database learns, within
//! milliseconds, that a row it caches has changed (issue 14).
//!
//! Database triggers append one row to `cache_changes` per changed client, client
//! secret, scope, API, setting, revocation or signing key, in the writer's own
//! transaction (migration m0010), so no writer can forget to announce a change.
//! Each process reads the rows past the last one it has seen ([`Feed::poll`]) and
//! drops what it holds for them; the caches' TTLs stay only as a safety net.
//!
//! PostgreSQL hands out sequence numbers at insert time but makes rows visible at
//! commit, so a row may appear after a higher one was already read. The feed
//! therefore keeps a horizon below which it has seen every number, re-reads above
//! it, and applies each number once; a hole that stays open longer than
//! [`HOLE_GRACE`] is a rolled-back transaction's number and is passed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, FromQueryResult};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::cache_change;
use crate::DomainResult;

/// How long a hole in the sequence may stay open before it is taken for a
/// rolled-back transaction's number.
pub const HOLE_GRACE: Duration = Duration::from_secs(10);

/// Rows read per poll at most.
const BATCH: u64 = 5_000;

/// The database's clock in Unix milliseconds (the same expressions as m0013's).
const SQLITE_NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
const POSTGRES_NOW_MS: &str = "(floor(extract(epoch from clock_timestamp()) * 1000))::bigint";

/// A feed row with the database's time of reading it.
#[derive(FromQueryResult)]
struct Row {
    seq: i64,
    topic: String,
    key: String,
    at_ms: Option<i64>,
    read_ms: i64,
}

/// What changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A client's row or one of its secrets.
    Client(String),
    /// Scopes, APIs or their introspectors.
    Catalogue,
    /// Run-time settings.
    Settings,
    /// An access token put on the revocation list (by `jti`).
    Revocation(String),
    /// Signing keys were created, retired or deleted.
    Keys,
    /// An upstream OpenID provider was added, changed or removed (by `id`).
    Upstream(String),
}

impl Change {
    fn from_row(r: cache_change::Model) -> Option<Self> {
        Some(match r.topic.as_str() {
            "client" => Change::Client(r.key),
            "catalogue" => Change::Catalogue,
            "settings" => Change::Settings,
            "revocation" => Change::Revocation(r.key),
            "keys" => Change::Keys,
            "upstream" => Change::Upstream(r.key),
            other => {
                tracing::warn!(topic = other, "unknown change topic");
                return None;
            }
        })
    }
}

/// One process's position in the feed.
#[derive(Debug)]
pub struct Feed {
    /// Every number up to here has been applied.
    horizon: i64,
    /// Numbers above the horizon already applied.
    seen: BTreeSet<i64>,
    /// When each hole above the horizon was first noticed (monotonic).
    holes: BTreeMap<i64, Duration>,
}

impl Feed {
    /// Starts after the newest change: a process that starts has nothing cached.
    pub async fn start<C: ConnectionTrait>(conn: &C) -> DomainResult<Self> {
        let newest = cache_change::Entity::find()
            .order_by_desc(cache_change::Column::Seq)
            .one(conn)
            .await?
            .map_or(0, |r| r.seq);
        Ok(Self {
            horizon: newest,
            seen: BTreeSet::new(),
            holes: BTreeMap::new(),
        })
    }

    /// The changes committed since the last poll, each once. `now` is the
    /// monotonic clock (for the hole grace).
    ///
    /// Each new row's age — from its write to this read, both on the database's
    /// clock, so skew between nodes does not enter — is recorded as
    /// `portcullis_invalidation_lag_seconds`.
    pub async fn poll<C: ConnectionTrait>(
        &mut self,
        conn: &C,
        now: Duration,
    ) -> DomainResult<Vec<Change>> {
        let db_now = match conn.get_database_backend() {
            DbBackend::Postgres => POSTGRES_NOW_MS,
            _ => SQLITE_NOW_MS,
        };
        let rows = cache_change::Entity::find()
            .filter(cache_change::Column::Seq.gt(self.horizon))
            .order_by_asc(cache_change::Column::Seq)
            .limit(BATCH)
            .column_as(Expr::cust(db_now), "read_ms")
            .into_model::<Row>()
            .all(conn)
            .await?;
        let lag = metrics::histogram!("portcullis_invalidation_lag_seconds");
        let mut out = Vec::new();
        for r in rows {
            if self.seen.insert(r.seq) {
                if let Some(at) = r.at_ms {
                    lag.record((r.read_ms - at).max(0) as f64 / 1000.0);
                }
                out.extend(Change::from_row(cache_change::Model {
                    seq: r.seq,
                    topic: r.topic,
                    key: r.key,
                    at_ms: r.at_ms,
                }));
            }
        }
        self.advance(now);
        Ok(out)
    }

    /// Moves the horizon over what has been seen and over holes older than the grace.
    fn advance(&mut self, now: Duration) {
        loop {
            let next = self.horizon + 1;
            if self.seen.remove(&next) {
                self.holes.remove(&next);
                self.horizon = next;
                continue;
            }
            if self.seen.is_empty() {
                self.holes.clear();
                return;
            }
            // `next` is a hole below a number already seen.
            let since = *self.holes.entry(next).or_insert(now);
            if now.saturating_sub(since) >= HOLE_GRACE {
                self.holes.remove(&next);
                self.horizon = next;
                continue;
            }
            return;
        }
    }

    /// The newest number applied contiguously (for tests and metrics).
    pub fn horizon(&self) -> i64 {
        self.horizon
    }
}

/// The channel the triggers notify on PostgreSQL (at commit, once per transaction).
pub const CHANNEL: &str = "portcullis_changes";

/// On PostgreSQL, wakes `wake` whenever a transaction that changed a cached row
/// commits (`NOTIFY portcullis_changes`, sent by the triggers), so the feed is read
/// at once instead of at the next poll. The listener keeps one connection of the
/// pool; when it loses it, it wakes the feed (a notification may have been missed)
/// and listens again. On SQLite it does nothing: the poll is the only way.
pub fn spawn_wakeups(db: &sea_orm::DatabaseConnection, wake: std::sync::Arc<tokio::sync::Notify>) {
    use sea_orm::sqlx::postgres::PgListener;
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        loop {
            let listener = async {
                let mut l = PgListener::connect_with(&pool).await?;
                l.listen(CHANNEL).await?;
                Ok::<_, sea_orm::sqlx::Error>(l)
            };
            match listener.await {
                Ok(mut l) => loop {
                    match l.recv().await {
                        Ok(_) => wake.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "change notifications interrupted");
                            wake.notify_one();
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for change notifications"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Deletes changes every process has long read: all but the newest `keep`.
pub async fn prune<C: ConnectionTrait>(conn: &C, keep: i64) -> DomainResult<u64> {
    let Some(newest) = cache_change::Entity::find()
        .order_by_desc(cache_change::Column::Seq)
        .one(conn)
        .await?
    else {
        return Ok(0);
    };
    Ok(cache_change::Entity::delete_many()
        .filter(cache_change::Column::Seq.lte(newest.seq - keep))
        .exec(conn)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(horizon: i64, seen: &[i64]) -> Feed {
        Feed {
            horizon,
            seen: seen.iter().copied().collect(),
            holes: BTreeMap::new(),
        }
    }

    #[test]
    fn the_horizon_waits_at_a_hole_until_its_grace_is_over() {
        let mut f = feed(10, &[11, 12, 14]);
        f.advance(Duration::from_secs(100));
        assert_eq!(f.horizon, 12, "13 is not visible yet: wait there");
        f.advance(Duration::from_secs(105));
        assert_eq!(f.horizon, 12, "still within the grace");
        f.seen.insert(13);
        f.advance(Duration::from_secs(106));
        assert_eq!(f.horizon, 14, "13 committed late and was applied");
        let mut f = feed(10, &[12]);
        f.advance(Duration::from_secs(0));
        assert_eq!(f.horizon, 10);
        f.advance(HOLE_GRACE);
        assert_eq!(f.horizon, 12, "11 was rolled back: passed after the grace");
        assert!(f.holes.is_empty() && f.seen.is_empty());
    }
}
