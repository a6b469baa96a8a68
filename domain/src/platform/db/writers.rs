//! SQLite lets one writer in at a time. Two write transactions of this process
//! racing for the lock would meet in SQLite's busy handler, which sleeps and polls
//! (1, 2, 5, 10 … 100 ms): the loser waits long after the winner committed. So the
//! process's writers to one file take turns here first, in arrival order, and
//! `BEGIN IMMEDIATE` finds the lock free unless another process (the CLI, a second
//! server, this process's audit writer) holds it — then the busy handler still
//! decides, as before.
//!
//! The turn is held by the [`WriteTxn`] until it commits, rolls back or is
//! dropped. A writer that waits longer than [`PATIENCE`] goes ahead without its
//! turn (and says so in the log): a write transaction opened while another of the
//! same task is open would otherwise wait for itself forever.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use sea_orm::prelude::async_trait;
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, Statement,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The longest a writer waits for its turn before going ahead without it.
const PATIENCE: Duration = Duration::from_secs(2);

/// One turn-taking line per database file of this process.
static LINES: LazyLock<Mutex<HashMap<PathBuf, Arc<Semaphore>>>> = LazyLock::new(Default::default);

/// Waits for this process's turn to write to the pool's file.
pub(super) async fn turn(pool: &sea_orm::sqlx::SqlitePool) -> Option<OwnedSemaphorePermit> {
    let file = pool.connect_options().get_filename().to_path_buf();
    let line = LINES
        .lock()
        .ok()?
        .entry(file)
        .or_insert_with(|| Arc::new(Semaphore::new(1)))
        .clone();
    match tokio::time::timeout(PATIENCE, line.acquire_owned()).await {
        Ok(Ok(turn)) => Some(turn),
        _ => {
            tracing::warn!(
                "a write transaction waited {PATIENCE:?} for its turn and goes ahead without it"
            );
            None
        }
    }
}

/// A write transaction ([`super::write_txn`]), holding its writer's turn on SQLite.
/// Used as the transaction it wraps: a connection for queries, and `commit` or
/// `rollback` at the end.
pub struct WriteTxn {
    pub(super) txn: DatabaseTransaction,
    pub(super) _turn: Option<OwnedSemaphorePermit>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl std::fmt::Debug for WriteTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriteTxn")
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
    fn is_mock_connection(&self) -> bool {
        self.txn.is_mock_connection()
    }
}
