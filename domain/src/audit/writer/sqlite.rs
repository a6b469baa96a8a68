//! The SQLite side of the group commit: one connection of its own, the remembered
//! chain head, and the WAL checkpointer (see the parent module).

use std::collections::HashSet;
use std::sync::Arc;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use sea_orm::DbBackend;

use super::{with_derived, Derivation, Derived, CHECKPOINT_EVERY, RESTART_FRAMES};
use crate::audit::chain::{self, Linked};
use crate::audit::AuditEvent;
use crate::oauth::agents::may_act_allows;
use crate::platform::clock::Timestamp;
use crate::platform::once::{self, Claim, Ledger};
use crate::{DomainError, DomainResult};

pub(super) struct SqliteSink {
    /// The pool's options (file, WAL, `synchronous=FULL`, busy timeout), so this
    /// connection behaves like every other.
    options: Arc<SqliteConnectOptions>,
    /// Opened on first use; dropped after an error, and opened again.
    conn: Option<SqliteConnection>,
    /// The (seq, hash) this connection last appended: a guess at the chain head.
    head: Option<(i64, String)>,
    /// The INSERT statement for n rows, for the batch sizes seen so far.
    sql: std::collections::HashMap<usize, Arc<str>>,
}

const COLUMNS: &str = "occurred_at, event_type, actor_kind, actor_id, target_kind, \
                       target_id, ip, data, data_client, seq, prev_hash, hash";

fn internal(e: sqlx::Error) -> DomainError {
    DomainError::Internal(format!("audit append: {e}"))
}

impl SqliteSink {
    pub(super) fn new(options: Arc<SqliteConnectOptions>) -> Self {
        Self {
            options,
            conn: None,
            head: None,
            sql: Default::default(),
        }
    }

    /// Closes the connection (the writer is stopping).
    pub(super) async fn close(self) {
        if let Some(conn) = self.conn {
            let _ = conn.close().await;
        }
    }

    /// Writes the batch: which claims won, and what became of each derivation,
    /// in order.
    pub(super) async fn write(
        &mut self,
        claims: &[Claim],
        derivations: &[Derivation],
        events: &[(Timestamp, AuditEvent)],
    ) -> DomainResult<(Vec<bool>, Vec<Derived>)> {
        let result = self.try_write(claims, derivations, events).await;
        if result.is_err() {
            // Whatever state the connection is in, start afresh next time.
            self.conn = None;
            self.head = None;
        }
        result
    }

    async fn try_write(
        &mut self,
        claims: &[Claim],
        derivations: &[Derivation],
        events: &[(Timestamp, AuditEvent)],
    ) -> DomainResult<(Vec<bool>, Vec<Derived>)> {
        if events.is_empty() && claims.is_empty() && derivations.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        if self.conn.is_none() {
            let mut conn = self.options.connect().await.map_err(internal)?;
            // The checkpointer task does it (see the module documentation).
            sqlx::query("PRAGMA wal_autocheckpoint = 0")
                .execute(&mut conn)
                .await
                .map_err(internal)?;
            self.conn = Some(conn);
        }
        if claims.is_empty() && derivations.is_empty() {
            if let Some((seq, hash)) = self.head.take() {
                let rows = chain::link(seq, hash, events);
                match self.insert(&rows).await {
                    Ok(()) => {
                        self.head = last(&rows);
                        return Ok((Vec::new(), Vec::new()));
                    }
                    // Someone else appended since: write it again under the lock.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
                    Err(e) => return Err(internal(e)),
                }
            }
        }
        let conn = self.conn.as_mut().expect("opened above");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        let won = self.claim(claims).await.map_err(internal)?;
        let derived = self.derive(derivations).await.map_err(internal)?;
        let events = with_derived(events, derivations, &derived);
        if events.is_empty() {
            self.commit().await?;
            return Ok((won, derived));
        }
        let conn = self.conn.as_mut().expect("opened above");
        let head: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        let (seq, hash) = chain::after(head);
        let rows = chain::link(seq, hash, &events);
        self.insert(&rows).await.map_err(internal)?;
        self.commit().await?;
        self.head = last(&rows);
        Ok((won, derived))
    }

    /// The derivations (inside the batch's transaction, which holds SQLite's
    /// write lock, so no revocation or change of `may_act` comes between the
    /// checks and the insert): each parent checked alive and the client allowed
    /// to act, then its lineage row written.
    async fn derive(&mut self, derivations: &[Derivation]) -> Result<Vec<Derived>, sqlx::Error> {
        let conn = self.conn.as_mut().expect("opened before deriving");
        let mut out = Vec::with_capacity(derivations.len());
        for d in derivations {
            let r = &d.row;
            let revoked: Option<(i64,)> =
                sqlx::query_as("SELECT 1 FROM revoked_tokens WHERE jti = ?")
                    .bind(r.parent_jti.as_str())
                    .fetch_optional(&mut *conn)
                    .await?;
            if revoked.is_some() {
                out.push(Derived::ParentRevoked);
                continue;
            }
            let grant: Option<(Option<String>,)> = match &r.user_id {
                Some(user) if r.client_id != r.origin_client_id => {
                    sqlx::query_as("SELECT may_act FROM grants WHERE user_id = ? AND client_id = ?")
                        .bind(user.as_str())
                        .bind(r.origin_client_id.as_str())
                        .fetch_optional(&mut *conn)
                        .await?
                }
                _ => None,
            };
            let stored = grant.as_ref().map(|(m,)| m.as_deref());
            if !may_act_allows(&r.origin_client_id, &r.client_id, stored) {
                out.push(Derived::NotAllowed);
                continue;
            }
            sqlx::query(
                "INSERT INTO token_lineage (jti, parent_jti, depth, client_id, origin_client_id, \
                 user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(r.jti.as_str())
            .bind(r.parent_jti.as_str())
            .bind(r.depth)
            .bind(r.client_id.as_str())
            .bind(r.origin_client_id.as_str())
            .bind(r.user_id.as_deref())
            .bind(r.expires_at)
            .bind(r.created_at)
            .execute(&mut *conn)
            .await?;
            out.push(Derived::Issued);
        }
        Ok(out)
    }

    async fn commit(&mut self) -> DomainResult<()> {
        let conn = self.conn.as_mut().expect("opened before committing");
        sqlx::query("COMMIT")
            .execute(&mut *conn)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// The claims, one conditional multi-row INSERT per ledger (inside the batch's
    /// transaction); which won, in order.
    async fn claim(&mut self, claims: &[Claim]) -> Result<Vec<bool>, sqlx::Error> {
        let conn = self.conn.as_mut().expect("opened before claiming");
        let mut inserted = std::collections::HashMap::new();
        for ledger in Ledger::ALL {
            let mine = once::of(claims, ledger);
            if mine.is_empty() {
                continue;
            }
            let sql = once::insert_sql(ledger, mine.len(), DbBackend::Sqlite);
            // Made of constants and placeholders only: every value is bound.
            let mut q = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
            for c in &mine {
                q = q
                    .bind(c.scope.as_str())
                    .bind(c.jti_hash.as_str())
                    .bind(c.expires_at);
            }
            let keys: HashSet<(String, String)> =
                q.fetch_all(&mut *conn).await?.into_iter().collect();
            inserted.insert(ledger, keys);
        }
        Ok(once::winners(claims, |l| {
            inserted.remove(&l).unwrap_or_default()
        }))
    }

    /// One multi-row INSERT; outside BEGIN it commits (and fsyncs) by itself.
    async fn insert(&mut self, rows: &[Linked]) -> Result<(), sqlx::Error> {
        let sql = self
            .sql
            .entry(rows.len())
            .or_insert_with(|| {
                let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows.len()].join(", ");
                format!("INSERT INTO audit_events ({COLUMNS}) VALUES {values}").into()
            })
            .clone();
        // Made of constants and placeholders only: every value is bound.
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in rows {
            q = q
                .bind(r.occurred_at)
                .bind(r.event_type)
                .bind(r.actor_kind)
                .bind(r.actor_id.as_deref())
                .bind(r.target_kind.as_deref())
                .bind(r.target_id.as_deref())
                .bind(r.ip.as_deref())
                .bind(r.data.as_str())
                .bind(r.data_client.as_deref())
                .bind(r.seq)
                .bind(r.prev_hash.as_str())
                .bind(r.hash.as_str());
        }
        let conn = self.conn.as_mut().expect("opened before inserting");
        q.execute(&mut *conn).await.map(|_| ())
    }
}

/// Copies SQLite's write-ahead log into the database file every [`CHECKPOINT_EVERY`]
/// without blocking the writer (PASSIVE); a RESTART when the log grew too long.
pub(super) async fn checkpoint(options: Arc<SqliteConnectOptions>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut conn: Option<SqliteConnection> = None;
    let mut restart = false;
    loop {
        tick.tick().await;
        if conn.is_none() {
            // A RESTART holds back writers while it waits for readers: give up after
            // 100 ms instead of the pool's long busy timeout, and try again later.
            let options = (*options)
                .clone()
                .busy_timeout(std::time::Duration::from_millis(100));
            match options.connect().await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "the WAL checkpointer cannot connect");
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let sql = if restart {
            "PRAGMA wal_checkpoint(RESTART)"
        } else {
            "PRAGMA wal_checkpoint(PASSIVE)"
        };
        match sqlx::query_as::<_, (i64, i64, i64)>(sql)
            .fetch_one(&mut *c)
            .await
        {
            // (busy, frames in the log, frames copied)
            Ok((_, log, _)) => restart = log > RESTART_FRAMES,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed");
                conn = None;
            }
        }
    }
}

fn last(rows: &[Linked]) -> Option<(i64, String)> {
    rows.last().map(|r| (r.seq, r.hash.clone()))
}
