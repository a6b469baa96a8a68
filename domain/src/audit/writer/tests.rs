//! The writer's tests: checkpoints stay off its commits; claims are won once.

use super::*;
use crate::audit::{Actor, EventType};
use crate::platform::once::Ledger;

async fn sqlite() -> (tempfile::TempDir, std::path::PathBuf, Db) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let db = crate::platform::db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    crate::platform::db::migrate(&db).await.unwrap();
    // Start from a database file that holds everything written so far.
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .unwrap();
    (dir, path, db)
}

/// The writer's commits never copy the log into the database file, however long
/// the log grows (its connection has automatic checkpoints off); only the
/// checkpointer does, on its own connection.
#[tokio::test]
async fn only_the_background_checkpointer_copies_the_log_into_the_database() {
    let (_dir, path, db) = sqlite().await;
    let size = || std::fs::metadata(&path).unwrap().len();
    let before = size();
    let writer = AuditWriter::spawn_with(db.clone(), false);
    // One event per commit: well past SQLite's default of 1,000 pages, where
    // an automatic checkpoint would run inside a commit.
    for i in 0..400 {
        let ev = AuditEvent::new(EventType::TokenIssued, Actor::Client("c".into()))
            .target("client", format!("c{i}"));
        writer.append(i, ev).await.unwrap();
    }
    let wal = std::fs::metadata(path.with_extension("db-wal"))
        .unwrap()
        .len();
    assert!(
        wal > 1000 * 4096,
        "the log grew past the automatic threshold: {wal}"
    );
    assert_eq!(size(), before, "no commit of the writer checkpointed");

    let checkpointer = tokio::spawn(checkpoint(
        db.get_sqlite_connection_pool().connect_options(),
    ));
    let mut grown = false;
    for _ in 0..100 {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if size() > before {
            grown = true;
            break;
        }
    }
    checkpointer.abort();
    writer.shutdown().await;
    assert!(
        grown,
        "the checkpointer copied the log ({before} bytes before)"
    );
}

/// Claims race inside one batch, across batches and against a second writer on
/// the same file (another process): each identifier is won exactly once, and the
/// events queued beside the claims are written.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_identifier_is_won_once_however_the_claims_are_batched() {
    let (_dir, _path, db) = sqlite().await;
    let before = match crate::audit::chain::verify(&db).await.unwrap() {
        chain::Verification::Intact { events, .. } => events,
        broken => panic!("{broken}"),
    };
    let (a, b) = (
        AuditWriter::spawn_with(db.clone(), false),
        AuditWriter::spawn_with(db.clone(), false),
    );
    let mut tasks = Vec::new();
    for i in 0..120 {
        let w = if i % 2 == 0 { a.clone() } else { b.clone() };
        // 40 identifiers, each presented three times; DPoP and client ledgers
        // apart (the same scope and jti in both are two identifiers).
        let ledger = if i % 40 < 20 {
            Ledger::ClientJwt
        } else {
            Ledger::DpopProof
        };
        let jti = format!("jti-{}", i % 40);
        tasks.push(tokio::spawn(async move {
            let ev = AuditEvent::new(EventType::TokenIssued, Actor::Client("c".into()));
            let (won, _) = tokio::join!(
                w.claim_once(Claim::new(ledger, "scope", &jti, 100)),
                w.append(i, ev)
            );
            (jti, won.unwrap())
        }));
    }
    let mut wins = std::collections::HashMap::<String, usize>::new();
    for t in tasks {
        let (jti, won) = t.await.unwrap();
        *wins.entry(jti).or_default() += usize::from(won);
    }
    assert_eq!(wins.len(), 40);
    assert!(wins.values().all(|n| *n == 1), "{wins:?}");
    // Seen before: refused now, through a writer or a plain connection.
    let again = Claim::new(Ledger::DpopProof, "scope", "jti-25", 100);
    assert!(!a.claim_once(again.clone()).await.unwrap());
    assert_eq!(once::claim_all(&db, &[again]).await.unwrap(), [false]);
    a.shutdown().await;
    b.shutdown().await;
    match crate::audit::chain::verify(&db).await.unwrap() {
        chain::Verification::Intact { events, .. } => assert_eq!(events, before + 120),
        broken => panic!("{broken}"),
    }
}
