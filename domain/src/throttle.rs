//! Login throttling per account and per client IP, stored in the database so every
//! server process sharing it sees the same counters.
//!
//! A key collects failures in a fixed window; reaching the limit locks the key until
//! the lock expires. Unknown usernames are counted like real ones, so the throttle
//! does not reveal which accounts exist.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set};

use crate::clock::Timestamp;
use crate::entities::login_throttle as lt;
use crate::DomainResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub account_max_failures: i32,
    pub ip_max_failures: i32,
    pub window_secs: i64,
    pub lockout_secs: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            account_max_failures: 5,
            ip_max_failures: 50,
            window_secs: 15 * 60,
            lockout_secs: 15 * 60,
        }
    }
}

pub fn account_key(username: &str) -> String {
    format!("account:{}", username.trim().to_lowercase())
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Seconds until the first of `keys` that is locked unlocks, if any is locked.
pub async fn locked_for<C: ConnectionTrait>(
    conn: &C,
    keys: &[String],
    now: Timestamp,
) -> DomainResult<Option<i64>> {
    let rows = lt::Entity::find()
        .filter(lt::Column::Key.is_in(keys.iter().cloned()))
        .all(conn)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| r.locked_until)
        .filter(|&until| until > now)
        .map(|until| until - now)
        .max())
}

/// Counts one failure against `key` (limit `max`); returns true when this locked it.
pub async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    max: i32,
    policy: ThrottlePolicy,
    now: Timestamp,
) -> DomainResult<bool> {
    // Increment in place when the window is still open: one atomic statement, so
    // concurrent failures from several processes are all counted.
    let bumped = lt::Entity::update_many()
        .col_expr(lt::Column::Failures, Expr::col(lt::Column::Failures).add(1))
        .filter(lt::Column::Key.eq(key))
        .filter(lt::Column::WindowStartedAt.gt(now - policy.window_secs))
        .exec(conn)
        .await?
        .rows_affected;
    if bumped == 0 {
        // No row, or its window is over: start a new window at one failure.
        lt::Entity::insert(lt::ActiveModel {
            key: Set(key.to_owned()),
            failures: Set(1),
            window_started_at: Set(now),
            locked_until: Set(None),
        })
        .on_conflict(
            OnConflict::column(lt::Column::Key)
                .update_columns([
                    lt::Column::Failures,
                    lt::Column::WindowStartedAt,
                    lt::Column::LockedUntil,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    let locked = lt::Entity::update_many()
        .col_expr(
            lt::Column::LockedUntil,
            Expr::value(now + policy.lockout_secs),
        )
        .col_expr(lt::Column::Failures, Expr::value(0))
        .col_expr(lt::Column::WindowStartedAt, Expr::value(now))
        .filter(lt::Column::Key.eq(key))
        .filter(lt::Column::Failures.gte(max))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(locked > 0)
}

/// Forgets the failures of `key` (after a successful sign-in).
pub async fn clear<C: ConnectionTrait>(conn: &C, key: &str) -> DomainResult<()> {
    lt::Entity::delete_by_id(key.to_owned()).exec(conn).await?;
    Ok(())
}
