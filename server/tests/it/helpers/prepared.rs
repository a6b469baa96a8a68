//! A test's database as a first start leaves it — migrated, with its signing keys —
//! copied from a template made once per test binary, instead of migrating and
//! generating two 2048-bit RSA keys in every test (a third of a small test's CPU
//! time; docs/BENCHMARKS.md, "The test suite's time").
//!
//! The template is what the server's own first start makes (`migrate`, then
//! `keys::ensure_and_load` at the tests' `START`), so a server started on a copy
//! finds its keys fresh and does the rest of its start as on an empty database
//! (the portal API, which names the issuer, is made then). Tests that are about a
//! first start (key races, crashes, several nodes) use `fresh_database_url`.

use std::hash::{Hash, Hasher};

use domain::oauth::keys::{Kek, KeyPolicy};
use domain::platform::secret::SecretString;
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection};

use super::{backend, START};

/// Names the template after the test binary (a rebuild may change the schema) and
/// the key encryption key its keys are sealed with.
fn template_key(kek: &SecretString) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Ok(meta) = std::env::current_exe().and_then(std::fs::metadata) {
        meta.len().hash(&mut h);
        meta.modified().ok().hash(&mut h);
    }
    kek.expose().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Migrates `db` and makes the keys a first start at `START` makes.
async fn first_start(db: &DatabaseConnection, kek: &SecretString) {
    domain::platform::db::migrate(db)
        .await
        .expect("migrate the template");
    let policy = KeyPolicy {
        rotate_after_secs: 90 * 86_400,
        prepublish_secs: 600,
        publish_retired_for_secs: 86_400,
    };
    domain::oauth::keys::ensure_and_load(db, &Kek::from_setting(kek), policy, START)
        .await
        .expect("make the template's keys");
}

/// A database URL for a new database holding what a first start makes.
pub async fn prepared_database_url(dir: &std::path::Path, kek: &SecretString) -> String {
    let key = template_key(kek);
    if backend() == "postgres" {
        prepared_postgres(&key, kek).await
    } else {
        let template = std::env::temp_dir().join(format!("portcullis-it-template-{key}.db"));
        if !template.exists() {
            // Made aside and renamed into place: processes that race make a template
            // each, and the last rename wins whole.
            let building = dir.join("template.db");
            let db = domain::platform::db::connect(&format!("sqlite://{}", building.display()))
                .await
                .expect("open the template");
            first_start(&db, kek).await;
            let aside = std::env::temp_dir().join(format!(
                "portcullis-it-template-{key}-{}.db",
                uuid::Uuid::new_v4().simple()
            ));
            db.execute_unprepared(&format!("VACUUM INTO '{}'", aside.display()))
                .await
                .expect("write the template");
            db.close().await.ok();
            std::fs::remove_file(&building).ok();
            std::fs::rename(&aside, &template).expect("put the template in place");
            remove_old_templates(&template);
        }
        let path = dir.join("portcullis.db");
        std::fs::copy(&template, &path).expect("copy the template");
        format!("sqlite://{}", path.display())
    }
}

/// Earlier builds' templates a day old go (a run in progress uses a fresh one).
fn remove_old_templates(keep: &std::path::Path) {
    let day = std::time::Duration::from_secs(86_400);
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("portcullis-it-template-"));
        if ours && old && path != keep {
            std::fs::remove_file(&path).ok();
        }
    }
}

/// On PostgreSQL the template is a database of the test cluster, made once under
/// an advisory lock; each test's database is `CREATE DATABASE … TEMPLATE` of it.
async fn prepared_postgres(key: &str, kek: &SecretString) -> String {
    let admin_url =
        std::env::var("TEST_DATABASE_URL").expect("TEST_BACKEND=postgres needs TEST_DATABASE_URL");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin_url.clone());
    let template = format!("pc_template_{key}");
    // One connection, so the session's advisory lock and its unlock meet.
    let mut opts = ConnectOptions::new(admin_url.clone());
    opts.max_connections(1).sqlx_logging(false);
    let admin = sea_orm::Database::connect(opts)
        .await
        .expect("connect to the test PostgreSQL");
    let exists = |admin: &DatabaseConnection| {
        let q = format!("SELECT 1 FROM pg_database WHERE datname = '{template}'");
        let admin = admin.clone();
        async move {
            admin
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    q,
                ))
                .await
                .expect("look for the template")
                .is_some()
        }
    };
    if !exists(&admin).await {
        const LOCK: i64 = 8_098_431_337_000_000_001;
        admin
            .execute_unprepared(&format!("SELECT pg_advisory_lock({LOCK})"))
            .await
            .expect("lock");
        if !exists(&admin).await {
            let building = format!("{template}_b");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await
                .expect("drop a half-made template");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {building}"))
                .await
                .expect("create the template");
            let db = domain::platform::db::connect(&format!("{base}/{building}"))
                .await
                .expect("open the template");
            first_start(&db, kek).await;
            db.close().await.ok();
            admin
                .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .await
                .expect("put the template in place");
        }
        admin
            .execute_unprepared(&format!("SELECT pg_advisory_unlock({LOCK})"))
            .await
            .expect("unlock");
    }
    let name = format!("pc_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("create test database from the template");
    admin.close().await.ok();
    format!("{base}/{name}")
}
