//! Group commit for events that have no transaction of their own to ride in — the
//! token endpoint's `token.issued` for client credentials and the password grant.
//!
//! A request hands its event to one background task and waits. The task takes
//! whatever is queued (up to [`MAX_BATCH`]), appends it all in one transaction, and
//! answers every waiter once the commit returned — only then is the token sent, so a
//! crash can never lose the event of a token someone holds. It does not wait to fill
//! a batch: while one commit (an fsync) is in progress the next requests queue up,
//! so batches grow with the load by themselves and a lone request pays no extra delay.
//!
//! On SQLite the task writes through a connection of its own and remembers the chain
//! head it last wrote, so a batch is one autocommit multi-row `INSERT` — one trip to
//! SQLite's thread and one fsync — with no separate BEGIN, head read or COMMIT. The
//! remembered head is only a guess: when another connection or process appended in
//! the meantime, the guessed `seq` is taken, the unique index on `seq` refuses the
//! whole statement, and the batch is written again the careful way (`BEGIN
//! IMMEDIATE`, read the head under the write lock, insert, commit). PostgreSQL
//! always takes the careful way through the pool, under the chain's advisory lock
//! (`chain::append`), because several processes appending at once is normal there.
//!
//! The same task also writes the hot path's once-only claims
//! ([`crate::platform::once`]: the `jti`s of client assertions and DPoP proofs), so
//! that a signed token request costs a share of a group commit, not a write
//! transaction of its own. A request waits for its claim's answer (won, or seen
//! before) before it goes on. A batch that holds claims is one transaction: `BEGIN
//! IMMEDIATE`, the claims (one conditional multi-row insert per ledger), the events
//! after the head read under the lock, `COMMIT` — still one fsync. One connection
//! writes both, so they never wait for each other's lock.
//!
//! SQLite's write-ahead log is copied back into the database file (a checkpoint) by
//! a background task every [`CHECKPOINT_EVERY`], on a connection of its own; the
//! writer's connection has automatic checkpoints turned off. Otherwise the commit
//! that crosses SQLite's 1,000-page mark would do the copy and its fsync while every
//! token in that batch waits.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{self, AssertSqlSafe, ConnectOptions, Connection};
use sea_orm::DbBackend;

use super::chain::{self, Linked};
use super::AuditEvent;
use crate::platform::clock::Timestamp;
use crate::platform::db::Db;
use crate::platform::once::{self, Claim, Ledger};
use crate::{DomainError, DomainResult};

/// Events appended in one transaction at most.
pub const MAX_BATCH: usize = 512;
/// How many times the writer yields to collect more events before a commit.
const COLLECT_YIELDS: usize = 4;
/// Requests that may wait for the writer before senders are slowed down.
const QUEUE: usize = 8192;
/// How often the SQLite checkpointer copies the write-ahead log into the database.
/// Often, so each copy is small: the copy's writes delay the writer's next fsync, and
/// at 14,000 events/s a 250 ms interval put p99 at ~6.5 ms, 2 s at ~20 ms, 50 ms at
/// ~3.8 ms (none at all: ~3.5 ms; docs/BENCHMARKS.md).
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);
/// A write-ahead log longer than this (frames, 4 KiB each: 64 MiB) gets a RESTART
/// checkpoint, which waits for a quiet moment, so that it is reused from the start
/// instead of growing while writes never pause.
const RESTART_FRAMES: i64 = 16_384;

enum Job {
    Event {
        now: Timestamp,
        event: AuditEvent,
        done: oneshot::Sender<Result<(), ()>>,
    },
    Claim {
        claim: Claim,
        done: oneshot::Sender<Result<bool, ()>>,
    },
}

/// A handle on the group-commit task; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
    stop: Arc<Notify>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
    checkpointer: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl AuditWriter {
    /// Starts the task on the current Tokio runtime (and, on SQLite, the
    /// checkpointer).
    pub fn spawn(db: Db) -> Self {
        Self::spawn_with(db, true)
    }

    fn spawn_with(db: Db, checkpoints: bool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stop = Arc::new(Notify::new());
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        let checkpointer = (sqlite && checkpoints).then(|| {
            tokio::spawn(checkpoint(
                db.get_sqlite_connection_pool().connect_options(),
            ))
        });
        let task = tokio::spawn(run(db, rx, stop.clone()));
        Self {
            tx,
            stop,
            task: Arc::new(Mutex::new(Some(task))),
            checkpointer: Arc::new(Mutex::new(checkpointer)),
        }
    }

    /// Appends `event` and returns once it is committed (durable), or an error when
    /// it could not be: the caller must then not hand out what the event describes.
    pub async fn append(&self, now: Timestamp, event: AuditEvent) -> DomainResult<()> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Event { now, event, done }).await?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            _ => Err(DomainError::Internal(
                "the audit event could not be written".into(),
            )),
        }
    }

    /// Accepts `claim` once, in the next group commit: true when this presentation
    /// won, false when its identifier was seen before (a replay), here or on any
    /// process sharing the database. Returns once the claim is committed.
    pub async fn claim_once(&self, claim: Claim) -> DomainResult<bool> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Claim { claim, done }).await?;
        match wait.await {
            Ok(Ok(won)) => Ok(won),
            _ => Err(DomainError::Internal(
                "the once-only claim could not be written".into(),
            )),
        }
    }

    async fn send(&self, job: Job) -> DomainResult<()> {
        self.tx
            .send(job)
            .await
            .map_err(|_| DomainError::Internal("the audit writer has stopped".into()))
    }

    /// Stops taking events, writes those already queued, and waits for the task.
    pub async fn shutdown(&self) {
        self.stop.notify_one();
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = checkpointer {
            task.abort();
        }
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, stop: Arc<Notify>) {
    let mut sink = Sink::new(&db);
    // Handles registered once; each batch then costs a few atomic operations.
    let batch_sizes = metrics::histogram!("portcullis_audit_batch_size");
    let queued = metrics::gauge!("portcullis_audit_queue_depth");
    let written = metrics::counter!("portcullis_audit_events_total", "result" => "written");
    let failed = metrics::counter!("portcullis_audit_events_total", "result" => "failed");
    let mut closing = false;
    loop {
        let first = if closing {
            rx.recv().await
        } else {
            tokio::select! {
                job = rx.recv() => job,
                _ = stop.notified() => {
                    // No new events from now on; the queued ones are still written.
                    rx.close();
                    closing = true;
                    continue;
                }
            }
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        // Let the request tasks that are already running reach the queue before
        // committing: a few scheduler yields (no timer, so no added millisecond)
        // turn many one-event commits into one larger one.
        for _ in 0..COLLECT_YIELDS {
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            if batch.len() >= MAX_BATCH || closing {
                break;
            }
            tokio::task::yield_now().await;
        }
        let (mut events, mut event_waiters) = (Vec::new(), Vec::new());
        let (mut claims, mut claim_waiters) = (Vec::new(), Vec::new());
        for job in batch {
            match job {
                Job::Event { now, event, done } => {
                    events.push((now, event));
                    event_waiters.push(done);
                }
                Job::Claim { claim, done } => {
                    claims.push(claim);
                    claim_waiters.push(done);
                }
            }
        }
        batch_sizes.record(events.len() as f64);
        queued.set(rx.len() as f64);
        let result = sink.write(&claims, &events).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, events = events.len(), claims = claims.len(),
                "writing audit events and claims failed");
            failed.increment(events.len() as u64);
        } else {
            written.increment(events.len() as u64);
        }
        for done in event_waiters {
            let _ = done.send(result.as_ref().map(|_| ()).map_err(|_| ()));
        }
        match result {
            Ok(won) => {
                for (done, won) in claim_waiters.into_iter().zip(won) {
                    let _ = done.send(Ok(won));
                }
            }
            Err(_) => {
                for done in claim_waiters {
                    let _ = done.send(Err(()));
                }
            }
        }
    }
    if let Sink::Sqlite(SqliteSink {
        conn: Some(conn), ..
    }) = sink
    {
        let _ = conn.close().await;
    }
}

/// Where batches go: SQLite's own connection, or PostgreSQL's pool.
enum Sink {
    Sqlite(SqliteSink),
    Pool(Db),
}

impl Sink {
    fn new(db: &Db) -> Self {
        match db.get_database_backend() {
            DbBackend::Sqlite => Sink::Sqlite(SqliteSink {
                options: db.get_sqlite_connection_pool().connect_options(),
                conn: None,
                head: None,
                sql: Default::default(),
            }),
            _ => Sink::Pool(db.clone()),
        }
    }

    /// Writes the batch; which claims won, in order.
    async fn write(
        &mut self,
        claims: &[Claim],
        events: &[(Timestamp, AuditEvent)],
    ) -> DomainResult<Vec<bool>> {
        match self {
            Sink::Sqlite(s) => s.write(claims, events).await,
            Sink::Pool(db) => {
                let txn = crate::platform::db::write_txn(db).await?;
                let won = once::claim_all(&txn, claims).await?;
                chain::append(&txn, events).await?;
                txn.commit().await?;
                Ok(won)
            }
        }
    }
}

struct SqliteSink {
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
                       target_id, ip, data, seq, prev_hash, hash";

fn internal(e: sqlx::Error) -> DomainError {
    DomainError::Internal(format!("audit append: {e}"))
}

impl SqliteSink {
    async fn write(
        &mut self,
        claims: &[Claim],
        events: &[(Timestamp, AuditEvent)],
    ) -> DomainResult<Vec<bool>> {
        let result = self.try_write(claims, events).await;
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
        events: &[(Timestamp, AuditEvent)],
    ) -> DomainResult<Vec<bool>> {
        if events.is_empty() && claims.is_empty() {
            return Ok(Vec::new());
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
        if claims.is_empty() {
            if let Some((seq, hash)) = self.head.take() {
                let rows = chain::link(seq, hash, events);
                match self.insert(&rows).await {
                    Ok(()) => {
                        self.head = last(&rows);
                        return Ok(Vec::new());
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
        if events.is_empty() {
            self.commit().await?;
            return Ok(won);
        }
        let conn = self.conn.as_mut().expect("opened above");
        let head: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT seq, hash FROM audit_events WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await
        .map_err(internal)?;
        let (seq, hash) = chain::after(head);
        let rows = chain::link(seq, hash, events);
        self.insert(&rows).await.map_err(internal)?;
        self.commit().await?;
        self.head = last(&rows);
        Ok(won)
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
                let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows.len()].join(", ");
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
async fn checkpoint(options: Arc<SqliteConnectOptions>) {
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

#[cfg(test)]
mod tests;
