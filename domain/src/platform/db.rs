//! Connecting to SQLite or PostgreSQL with identical behaviour, and migrating.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

pub use sea_orm::DatabaseConnection as Db;

/// Opens a pool. SQLite files are created when missing and run in WAL mode with
/// foreign keys enforced, a busy timeout (so concurrent writers wait instead of
/// failing) and `synchronous=FULL` so that a commit a user was told about survives
/// an OS crash, not only a process crash.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // sqlx pings every connection it hands out unless told otherwise; for SQLite
        // that is one more hop to the connection's worker thread per query, and a
        // local file cannot have hung up.
        opts.max_connections(8)
            .min_connections(1)
            .test_before_acquire(false);
        opts.map_sqlx_sqlite_opts(|o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    } else {
        // Ping only connections idle long enough to have been dropped by the server,
        // a proxy or a firewall; a hot connection goes straight to its query instead
        // of paying a round trip first.
        opts.max_connections(16)
            .min_connections(1)
            .test_before_acquire_if_idle_for(Duration::from_secs(30));
    }
    let sqlite = url.starts_with("sqlite:");
    let mut attempt = 0u32;
    loop {
        match Database::connect(opts.clone()).await {
            // Switching a new file to WAL takes an exclusive lock that SQLite does
            // not wait for (the busy timeout does not cover it): nodes opening one
            // fresh file together may get SQLITE_BUSY here. Try again shortly.
            Err(e) if sqlite && attempt < 50 && is_busy(&e) => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20 + 10 * u64::from(attempt))).await;
            }
            other => return other,
        }
    }
}

fn is_busy(e: &DbErr) -> bool {
    let msg = e.to_string();
    msg.contains("(code: 5)") || msg.contains("database is locked")
}

/// Applies every pending migration.
///
/// In one transaction that holds the migration lock (`BEGIN IMMEDIATE` on SQLite,
/// an advisory lock on PostgreSQL; both databases roll DDL back), so nodes started
/// together on an empty database migrate one after the other: the second finds
/// nothing pending, instead of failing on a table the first just created.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    let txn = write_txn(db).await?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
    }
    Migrator::up(&*txn, None).await?;
    // What m0049 could not compute in SQL: the skeletons of existing client names.
    crate::platform::lookalike::fill_skeletons(&*txn)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    txn.commit().await
}

/// The PostgreSQL advisory lock key of migrations ("pcmigrat" as an integer).
const MIGRATION_LOCK: i64 = 8_098_423_728_945_099_124;

/// True when the database answers a trivial query (readiness probe).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// The connection pool's use: (open connections, idle ones, the maximum).
pub fn pool_use(db: &DatabaseConnection) -> (u32, u32, u32) {
    use sea_orm::DbBackend;
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (
                p.size(),
                p.num_idle() as u32,
                p.options().get_max_connections(),
            )
        }
        _ => {
            let p = db.get_sqlite_connection_pool();
            (
                p.size(),
                p.num_idle() as u32,
                p.options().get_max_connections(),
            )
        }
    }
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: a
/// deferred transaction that reads and then writes fails at once with
/// SQLITE_BUSY_SNAPSHOT when another connection committed in between, whereas an
/// immediate one waits on the busy timeout. PostgreSQL ignores the option.
/// On PostgreSQL, takes the transaction-scoped advisory lock `(space,
/// hashtext(key))`: transactions that take the same one run one after the other
/// (a check-then-insert under a count, say). SQLite needs none: its write
/// transactions ([`write_txn`]) already run one at a time.
pub async fn lock_key<C: ConnectionTrait>(conn: &C, space: i32, key: &str) -> Result<(), DbErr> {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            [space.into(), key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A write transaction: `BEGIN IMMEDIATE` on SQLite, after this process's other
/// writers on the same file (see [`WriteTxn`]); a plain transaction on PostgreSQL.
pub async fn write_txn(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let turn = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => writers::turn(db.get_sqlite_connection_pool()).await,
        _ => None,
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

mod writers;
pub use writers::WriteTxn;
