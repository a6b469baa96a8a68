//! Issue 14, scale: what the portal's lists and the audit viewer read no longer
//! grows with the database. Look-alike names are found through an indexed skeleton
//! (m0049), the viewer's client filter through an indexed column (m0050), and the
//! viewer counts matches only up to `COUNT_CAP`. Each test checks that the answer
//! is what it was before: the speed is docs/BENCHMARKS.md's business.

use domain::accounts::Role;
use domain::audit::query::COUNT_CAP;
use domain::audit::{self, Actor, AuditEvent, EventType};
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;

use crate::helpers::*;

async fn sql(app_db: &impl ConnectionTrait, statement: &str) {
    app_db
        .execute_raw(Statement::from_string(
            app_db.get_database_backend(),
            statement.to_owned(),
        ))
        .await
        .unwrap();
}

/// The administrator's list of all clients, searched: each client's warnings.
async fn warnings_on_list(b: &Browser, search: &str) -> Vec<(String, Vec<String>)> {
    let list = b
        .get(&format!("/api/portal/clients?all=true&search={search}"))
        .await
        .json();
    list["clients"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|c| {
            let warnings = c["name_warnings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|w| w.as_str().unwrap().to_owned())
                .collect();
            (c["id"].as_str().unwrap().to_owned(), warnings)
        })
        .collect()
}

#[tokio::test]
async fn a_look_alike_is_flagged_though_its_twin_is_on_no_page_shown_and_older_rows_are_filled() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "mallory", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let service = |name: &str| json!({ "name": name, "application_type": "service" });
    let real = api.post("/api/v1/clients", service("Paypal")).await.json();
    let real_id = real["id"].as_str().unwrap().to_owned();
    // Cyrillic Р, а, у, а, р, а and a Latin l.
    let fake = api.post("/api/v1/clients", service("Раураl")).await.json();
    let fake_id = fake["id"].as_str().unwrap().to_owned();

    // Rows as m0049 left them: no skeleton yet. Start-up's migration fills them.
    sql(&app.db, "UPDATE clients SET name_skeleton = NULL").await;
    domain::platform::db::migrate(&app.db).await.unwrap();

    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    // Only the imitation is on the page (searched by its own name); its twin is
    // found all the same.
    let shown = warnings_on_list(&b, "%D0%A0%D0%B0%D1%83").await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    let (id, warnings) = &shown[0];
    assert_eq!(id, &fake_id);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("Paypal") && w.contains(&real_id)),
        "{warnings:?}"
    );

    // A rename writes the new skeleton: "PAYPAL" (another developer's client,
    // renamed into a look-alike) is flagged, with the two others.
    let plain = api
        .post("/api/v1/clients", service("Grading bot"))
        .await
        .json();
    let plain_id = plain["id"].as_str().unwrap().to_owned();
    let shown = warnings_on_list(&b, "Grading").await;
    assert_eq!(shown, vec![(plain_id.clone(), vec![])]);
    let r = api
        .put(
            &format!("/api/v1/clients/{plain_id}"),
            json!({ "name": "PAYPAL" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let shown = warnings_on_list(&b, "PAYPAL").await;
    let mine = shown.iter().find(|(id, _)| id == &plain_id).unwrap();
    assert!(
        mine.1.iter().any(|w| w.contains(&real_id)) && mine.1.iter().any(|w| w.contains(&fake_id)),
        "{shown:?}"
    );
}

/// Events naming a client only in their data (here: the operator's, about nothing
/// in particular) are found by the client filter, and so are events written before
/// m0050, which fills the column in SQL.
#[tokio::test]
async fn the_client_filter_finds_events_naming_the_client_in_their_data_old_and_new() {
    let app = spawn_app().await;
    let txn = domain::platform::db::write_txn(&app.db).await.unwrap();
    for data in [
        json!({ "client_id": "cl-data", "reason": "new" }),
        json!({ "client": "cl-data", "reason": "named as client" }),
        json!({ "client_id": "someone-else" }),
        json!({ "client_id": 7 }),
    ] {
        audit::record(
            &txn,
            START,
            AuditEvent::new(EventType::SettingsChanged, Actor::Operator).data(data),
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let p = b.get("/api/admin/audit?client=cl-data").await.json();
    assert_eq!(p["total"], 2, "{p}");
    assert_eq!(p["more"], false, "{p}");

    // A database from before m0050: its events are filled by the migration.
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let db = domain::platform::db::connect(&url).await.unwrap();
    let txn = db.begin().await.unwrap();
    let before_m0050 = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m0050_audit_data_client")
        .expect("m0050 is listed") as u32;
    Migrator::up(&txn, Some(before_m0050)).await.unwrap();
    txn.commit().await.unwrap();
    for (i, data) in [
        r#"{"client_id":"old-client"}"#,
        r#"{"client":"old-client","after":{"x":1}}"#,
        r#"{"client":{"id":"old-client"}}"#,
        r#"{"reason":"no client"}"#,
    ]
    .iter()
    .enumerate()
    {
        sql(
            &db,
            &format!(
                "INSERT INTO audit_events (occurred_at, event_type, actor_kind, data) \
                 VALUES ({}, 'settings.changed', 'operator', '{data}')",
                START + i as i64
            ),
        )
        .await;
    }
    domain::platform::db::migrate(&db).await.unwrap();
    use domain::entities::audit_event;
    use sea_orm::{EntityTrait, QueryOrder};
    let filled: Vec<Option<String>> = audit_event::Entity::find()
        .order_by_asc(audit_event::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.data_client)
        .collect();
    assert_eq!(
        filled,
        [
            Some("old-client".to_owned()),
            Some("old-client".to_owned()),
            None,
            None
        ]
    );
}

/// More than `COUNT_CAP` matches: the viewer says "more than" and stops counting;
/// fewer are counted exactly.
#[tokio::test]
async fn the_viewer_counts_up_to_its_cap_and_says_there_are_more() {
    let app = spawn_app().await;
    // Rows written straight into the table, outside the chain (as a benchmark
    // seeds them): the end-of-test chain check would rightly call them inserted.
    app.audit_broken_on_purpose
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let extra = COUNT_CAP as usize + 5;
    for chunk in (0..extra).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "({}, 'token.issued', 'client', 'cl-busy', '{{}}')",
                    START + *i as i64
                )
            })
            .collect();
        sql(
            &app.db,
            &format!(
                "INSERT INTO audit_events (occurred_at, event_type, actor_kind, actor_id, data) VALUES {}",
                values.join(", ")
            ),
        )
        .await;
    }
    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let p = b
        .get("/api/admin/audit?event_type=token.issued")
        .await
        .json();
    assert_eq!(p["total"], COUNT_CAP, "{}", p["total"]);
    assert_eq!(p["more"], true);
    assert_eq!(p["events"].as_array().unwrap().len(), 50);
    let page = b.get("/admin/audit?event_type=token.issued").await;
    assert!(
        page.body.contains("More than 10,000 events"),
        "{}",
        &page.body[..page.body.len().min(2000)]
    );
    // A filter that matches fewer is counted exactly.
    let p = b
        .get("/api/admin/audit?event_type=user.created")
        .await
        .json();
    assert_eq!(p["more"], false);
    assert!(p["total"].as_u64().unwrap() >= 1, "{p}");
}
