//! Group commit for events that have no transaction of their own to ride in — the
//! token endpoint's `token.issued` for client credentials and the password grant.
//!
//! A request hands its event to one background task and waits. The task takes
//! whatever is queued (up to [`MAX_BATCH`]), appends it all in one transaction, and
//! answers every waiter once the commit returned — only then is the token sent, so a
//! crash can never lose the event of a token someone holds. It does not wait to fill
//! a batch: while one commit (an fsync) is in progress the next requests queue up,
//! so batches grow with the load by themselves and a lone request pays no extra delay.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use super::{chain, AuditEvent};
use crate::clock::Timestamp;
use crate::db::Db;
use crate::{DomainError, DomainResult};

/// Events appended in one transaction at most.
pub const MAX_BATCH: usize = 512;
/// How many times the writer yields to collect more events before a commit.
const COLLECT_YIELDS: usize = 4;
/// Requests that may wait for the writer before senders are slowed down.
const QUEUE: usize = 8192;

struct Job {
    now: Timestamp,
    event: AuditEvent,
    done: oneshot::Sender<Result<(), ()>>,
}

/// A handle on the group-commit task; cheap to clone.
#[derive(Clone)]
pub struct AuditWriter {
    tx: mpsc::Sender<Job>,
    stop: Arc<Notify>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl AuditWriter {
    /// Starts the task on the current Tokio runtime.
    pub fn spawn(db: Db) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stop = Arc::new(Notify::new());
        let task = tokio::spawn(run(db, rx, stop.clone()));
        Self {
            tx,
            stop,
            task: Arc::new(Mutex::new(Some(task))),
        }
    }

    /// Appends `event` and returns once it is committed (durable), or an error when
    /// it could not be: the caller must then not hand out what the event describes.
    pub async fn append(&self, now: Timestamp, event: AuditEvent) -> DomainResult<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Job { now, event, done })
            .await
            .map_err(|_| DomainError::Internal("the audit writer has stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            _ => Err(DomainError::Internal(
                "the audit event could not be written".into(),
            )),
        }
    }

    /// Stops taking events, writes those already queued, and waits for the task.
    pub async fn shutdown(&self) {
        self.stop.notify_one();
        let task = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>, stop: Arc<Notify>) {
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
        let (events, waiters): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .map(|j| ((j.now, j.event), j.done))
            .unzip();
        let result = write(&db, &events).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, events = events.len(), "writing audit events failed");
        }
        for done in waiters {
            let _ = done.send(result.as_ref().map(|_| ()).map_err(|_| ()));
        }
    }
}

async fn write(db: &Db, events: &[(Timestamp, AuditEvent)]) -> DomainResult<()> {
    let txn = crate::db::write_txn(db).await?;
    chain::append(&txn, events).await?;
    txn.commit().await?;
    Ok(())
}
