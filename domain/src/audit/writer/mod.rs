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

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use sea_orm::DbBackend;

use super::chain;
use super::AuditEvent;
use crate::platform::clock::Timestamp;
use crate::platform::db::Db;
use crate::platform::once::{self, Claim};
use crate::{DomainError, DomainResult};

mod sqlite;
use sqlite::{checkpoint, SqliteSink};

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

/// A token derived by exchange (RFC 8693), written in the group commit: its
/// lineage row and its `token.issued` event — provided its parent is still alive
/// and the person still lets the client act through the app at the root, both
/// checked in the batch's transaction.
#[derive(Clone, Debug)]
pub struct Derivation {
    pub now: Timestamp,
    pub row: crate::entities::token_lineage::Model,
    pub event: AuditEvent,
}

/// What became of a [`Derivation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derived {
    /// Written: the token may be handed out.
    Issued,
    /// The parent token was revoked: nothing written.
    ParentRevoked,
    /// The person does not let this client act for them (`may_act`): nothing written.
    NotAllowed,
}

/// The batch's events with those of the derivations that were issued, after them.
fn with_derived(
    events: &[(Timestamp, AuditEvent)],
    derivations: &[Derivation],
    derived: &[Derived],
) -> Vec<(Timestamp, AuditEvent)> {
    let mut all = events.to_vec();
    all.extend(
        derivations
            .iter()
            .zip(derived)
            .filter(|(_, v)| **v == Derived::Issued)
            .map(|(d, _)| (d.now, d.event.clone())),
    );
    all
}

enum Job {
    Derive {
        derivation: Box<Derivation>,
        done: oneshot::Sender<Result<Derived, ()>>,
    },
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

    /// Writes a derived token's lineage and event in the next group commit, once
    /// its parent and `may_act` are checked there; returns once committed.
    pub async fn derive(&self, derivation: Derivation) -> DomainResult<Derived> {
        let (done, wait) = oneshot::channel();
        self.send(Job::Derive {
            derivation: Box::new(derivation),
            done,
        })
        .await?;
        match wait.await {
            Ok(Ok(d)) => Ok(d),
            _ => Err(DomainError::Internal(
                "the derived token could not be recorded".into(),
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
        let (mut derivations, mut derive_waiters) = (Vec::new(), Vec::new());
        for job in batch {
            match job {
                Job::Derive { derivation, done } => {
                    derivations.push(*derivation);
                    derive_waiters.push(done);
                }
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
        let result = sink.write(&claims, &derivations, &events).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, events = events.len(), claims = claims.len(),
                derivations = derivations.len(), "writing audit events and claims failed");
            failed.increment((events.len() + derivations.len()) as u64);
        } else {
            written.increment((events.len() + derivations.len()) as u64);
        }
        for done in event_waiters {
            let _ = done.send(result.as_ref().map(|_| ()).map_err(|_| ()));
        }
        match result {
            Ok((won, derived)) => {
                for (done, won) in claim_waiters.into_iter().zip(won) {
                    let _ = done.send(Ok(won));
                }
                for (done, d) in derive_waiters.into_iter().zip(derived) {
                    let _ = done.send(Ok(d));
                }
            }
            Err(_) => {
                for done in claim_waiters {
                    let _ = done.send(Err(()));
                }
                for done in derive_waiters {
                    let _ = done.send(Err(()));
                }
            }
        }
    }
    if let Sink::Sqlite(s) = sink {
        s.close().await;
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
            DbBackend::Sqlite => Sink::Sqlite(SqliteSink::new(
                db.get_sqlite_connection_pool().connect_options(),
            )),
            _ => Sink::Pool(db.clone()),
        }
    }

    /// Writes the batch; which claims won and what became of each derivation,
    /// in order.
    async fn write(
        &mut self,
        claims: &[Claim],
        derivations: &[Derivation],
        events: &[(Timestamp, AuditEvent)],
    ) -> DomainResult<(Vec<bool>, Vec<Derived>)> {
        match self {
            Sink::Sqlite(s) => s.write(claims, derivations, events).await,
            Sink::Pool(db) => {
                let txn = crate::platform::db::write_txn(db).await?;
                let won = once::claim_all(&txn, claims).await?;
                let mut derived = Vec::with_capacity(derivations.len());
                for d in derivations {
                    derived.push(crate::oauth::exchange::record(&txn, &d.row).await?);
                }
                chain::append(&txn, &with_derived(events, derivations, &derived)).await?;
                txn.commit().await?;
                Ok((won, derived))
            }
        }
    }
}

#[cfg(test)]
mod tests;
