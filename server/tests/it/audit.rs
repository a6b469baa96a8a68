//! The tamper-evident audit log: the hash chain, `audit verify`, concurrent and
//! cross-process appends, durable token-issuance events, and the administrators'
//! viewer and exports.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use domain::accounts::Role;
use domain::audit::{self, Actor, AuditEvent, Break, EventType, Verification};
use domain::clients::{ApplicationType, NewClient};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::helpers::*;

async fn service(app: &TestApp) -> Creds {
    register(
        app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Meeting bot".into()),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            ..Default::default()
        },
    )
    .await
}

async fn token(base: &str, svc: &Creds) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn exec(app: &TestApp, sql: &str) {
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap();
}

/// Signs in (once wrongly), registers a client and gets a token: several write paths.
async fn a_mix_of_actions(app: &TestApp) -> Creds {
    let b = app.browser();
    b.sign_in("admin", "wrong password").await;
    b.sign_in("admin", ADMIN_PASSWORD).await;
    let svc = service(app).await;
    token(&app.base, &svc).await;
    svc
}

#[tokio::test]
async fn the_chain_is_intact_and_gap_free_after_a_mix_of_actions() {
    let app = spawn_app().await;
    a_mix_of_actions(&app).await;
    let n = app.count("audit_events").await;
    let types = app.audit_types().await;
    for t in [
        "user.created",
        "session.sign_in_failed",
        "session.signed_in",
        "client.created",
        "token.issued",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }
    match audit::verify(&app.db).await.unwrap() {
        Verification::Intact { events, head } => {
            assert_eq!(events as i64, n);
            assert_eq!(head.unwrap().0, n, "seq runs 1..=n");
        }
        broken => panic!("{broken}"),
    }
}

#[tokio::test]
async fn an_edited_row_is_named_as_altered() {
    let app = spawn_app().await;
    a_mix_of_actions(&app).await;
    app.audit_broken_on_purpose.store(true, Ordering::SeqCst);
    exec(
        &app,
        r#"UPDATE audit_events SET data = '{"covered":"up"}' WHERE seq = 3"#,
    )
    .await;
    let v = audit::verify(&app.db).await.unwrap();
    assert!(
        matches!(
            v,
            Verification::Broken {
                seq: Some(3),
                kind: Break::Altered,
                ..
            }
        ),
        "{v}"
    );
    assert!(v
        .to_string()
        .starts_with("audit log broken at event seq=3 (id="));
}

#[tokio::test]
async fn a_deleted_row_is_named_as_a_gap_at_the_next_event() {
    let app = spawn_app().await;
    a_mix_of_actions(&app).await;
    app.audit_broken_on_purpose.store(true, Ordering::SeqCst);
    exec(&app, "DELETE FROM audit_events WHERE seq = 2").await;
    let v = audit::verify(&app.db).await.unwrap();
    assert_eq!(
        v,
        match v {
            Verification::Broken { id, .. } => Verification::Broken {
                seq: Some(3),
                id,
                kind: Break::Gap { expected_seq: 2 },
            },
            _ => panic!("{v}"),
        }
    );
    assert!(v.to_string().contains("inserted or deleted"), "{v}");
}

#[tokio::test]
async fn rows_inserted_behind_the_appenders_back_are_named() {
    let app = spawn_app().await;
    a_mix_of_actions(&app).await;
    app.audit_broken_on_purpose.store(true, Ordering::SeqCst);
    exec(
        &app,
        "INSERT INTO audit_events (occurred_at, event_type, actor_kind, data) \
         VALUES (1, 'user.created', 'system', '{}')",
    )
    .await;
    let v = audit::verify(&app.db).await.unwrap();
    assert!(
        matches!(
            v,
            Verification::Broken {
                seq: None,
                kind: Break::Unchained,
                ..
            }
        ),
        "{v}"
    );
    // A forger who also numbers the row and copies a hash is caught by the hash.
    exec(&app, "DELETE FROM audit_events WHERE seq IS NULL").await;
    let n = app.count("audit_events").await;
    exec(
        &app,
        &format!(
            "INSERT INTO audit_events (occurred_at, event_type, actor_kind, data, seq, prev_hash, hash) \
             SELECT occurred_at, event_type, actor_kind, data, {}, hash, hash FROM audit_events WHERE seq = {n}",
            n + 1
        ),
    )
    .await;
    let v = audit::verify(&app.db).await.unwrap();
    assert!(
        matches!(v, Verification::Broken { seq: Some(s), kind: Break::Altered, .. } if s == n + 1),
        "{v}"
    );
}

#[tokio::test]
async fn concurrent_appends_keep_one_unbroken_chain() {
    let app = spawn_app().await;
    let before = app.count("audit_events").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            let txn = domain::platform::db::write_txn(&db).await.unwrap();
            audit::record(
                &txn,
                START,
                AuditEvent::new(EventType::SettingsChanged, Actor::System).data(json!({ "i": i })),
            )
            .await
            .unwrap();
            txn.commit().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(app.count("audit_events").await, before + 40);
    assert!(matches!(
        audit::verify(&app.db).await.unwrap(),
        Verification::Intact { .. }
    ));
}

/// Two servers on one database, as two processes behind a load balancer would be:
/// separate pools, separate group-commit writers, one chain.
#[tokio::test]
async fn two_servers_on_one_database_append_to_one_chain() {
    let app = spawn_app().await;
    let svc = service(&app).await;
    let mut other = app.settings.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    other.bind = format!("127.0.0.1:{port}").parse().unwrap();
    let second = server::startup::Application::build(other, Arc::new(app.clock.clone()))
        .await
        .expect("a second server starts on the same database");
    let second_base = format!("http://{}", second.local_addr());
    tokio::spawn(second.run_until_stopped());

    let before = app.count("audit_events").await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            second_base.clone()
        };
        let svc = Creds {
            id: svc.id.clone(),
            secret: svc.secret.clone(),
        };
        tasks.push(tokio::spawn(async move { token(&base, &svc).await }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(app.count("audit_events").await, before + 60);
    assert!(matches!(
        audit::verify(&app.db).await.unwrap(),
        Verification::Intact { .. }
    ));
}

/// The token endpoint's writer and a change made elsewhere (a portal action on the
/// pool) take turns on the chain. On SQLite the writer guesses the head it last wrote;
/// after the other append that guess is stale, its insert is refused by the unique
/// `seq`, and it appends again under the write lock — no fork, no gap, no lost token.
#[tokio::test]
async fn the_token_writer_and_other_writers_take_turns_on_one_chain() {
    let app = spawn_app().await;
    let svc = service(&app).await;
    let jti = |body: &Value| {
        peek(body["access_token"].as_str().unwrap())["jti"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut issued = vec![jti(&token(&app.base, &svc).await)];
    for i in 0..3 {
        let txn = domain::platform::db::write_txn(&app.db).await.unwrap();
        audit::record(
            &txn,
            START,
            AuditEvent::new(EventType::SettingsChanged, Actor::System).data(json!({ "i": i })),
        )
        .await
        .unwrap();
        txn.commit().await.unwrap();
        // Stale guess, then a fresh one.
        issued.push(jti(&token(&app.base, &svc).await));
        issued.push(jti(&token(&app.base, &svc).await));
    }
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.is_in(["token.issued", "settings.changed"]))
        .order_by_asc(audit_event::Column::Seq)
        .all(&app.db)
        .await
        .unwrap();
    let order: Vec<&str> = rows.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(
        order,
        [
            "token.issued",
            "settings.changed",
            "token.issued",
            "token.issued",
            "settings.changed",
            "token.issued",
            "token.issued",
            "settings.changed",
            "token.issued",
            "token.issued",
        ]
    );
    let logged: Vec<String> = rows
        .iter()
        .filter(|r| r.event_type == "token.issued")
        .map(|r| {
            serde_json::from_str::<Value>(&r.data).unwrap()["jti"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(logged, issued, "every token's event, once, in order");
    match audit::verify(&app.db).await.unwrap() {
        Verification::Intact { events, .. } => {
            assert_eq!(events as i64, app.count("audit_events").await)
        }
        broken => panic!("{broken}"),
    }
}

#[tokio::test]
async fn a_token_response_arrives_only_after_its_event_is_committed() {
    let app = spawn_app().await;
    let svc = service(&app).await;
    let body = token(&app.base, &svc).await;
    let jti = peek(body["access_token"].as_str().unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    // Right after the response, on another connection: the event is there.
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("token.issued"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.actor_kind, "client");
    assert_eq!(e.actor_id.as_deref(), Some(svc.id.as_str()));
    assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(data["jti"], jti.as_str());
    assert_eq!(data["grant_type"], "client_credentials");
    assert_eq!(data["client_id"], svc.id.as_str());
    assert!(
        !e.data.contains(body["access_token"].as_str().unwrap()),
        "never the token itself"
    );
}

#[tokio::test]
async fn a_password_grant_token_names_the_client_and_the_user() {
    let app = spawn_app().await;
    let student = create_user(&app.db, "student", Role::User).await;
    let svc = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Campus app".into()),
                redirect_uris: Some(vec!["https://app.example.edu/cb".into()]),
                grant_types: Some(vec!["password".into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            ..Default::default()
        },
    )
    .await;
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&svc.id, Some(&svc.secret))
        .form(&[
            ("grant_type", "password"),
            ("username", "student"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let e = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("token.issued"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("token.issued is committed before the response");
    assert_eq!(e.actor_id.as_deref(), Some(svc.id.as_str()));
    assert_eq!(e.target_kind.as_deref(), Some("user"));
    assert_eq!(e.target_id.as_deref(), Some(student.id.as_str()));
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(data["grant_type"], "password");
    assert_eq!(data["user"], student.id.as_str());
}

#[tokio::test]
async fn audit_verify_on_the_command_line_passes_then_names_the_edited_row() {
    let app = spawn_app().await;
    a_mix_of_actions(&app).await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(["audit", "verify"])
            .env_clear()
            .env(
                "PORTCULLIS_DATABASE_URL",
                app.settings.database_url.expose(),
            )
            .env(
                "PORTCULLIS_SESSION_SECRET",
                app.settings.session_secret.expose(),
            )
            .env(
                "PORTCULLIS_KEY_ENCRYPTION_KEY",
                app.settings.key_encryption_key.expose(),
            )
            .output()
            .unwrap()
    };
    let n = app.count("audit_events").await;
    let o = run();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.starts_with(&format!("audit log intact: {n} events")),
        "{out}"
    );

    app.audit_broken_on_purpose.store(true, Ordering::SeqCst);
    let id: i64 = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM audit_events WHERE seq = 4".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    exec(
        &app,
        "UPDATE audit_events SET ip = '10.6.6.6' WHERE seq = 4",
    )
    .await;
    let o = run();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: audit log broken at event seq=4 (id={id}): altered"
        )),
        "{err}"
    );
}

#[tokio::test]
async fn administrators_filter_the_log_and_export_it_as_json_lines_and_csv() {
    let app = spawn_app().await;
    let svc = service(&app).await;
    token(&app.base, &svc).await;
    token(&app.base, &svc).await;
    // An actor id a spreadsheet would run as a formula.
    let txn = domain::platform::db::write_txn(&app.db).await.unwrap();
    audit::record(
        &txn,
        START,
        AuditEvent::new(
            EventType::RuleSaved,
            Actor::Rule("=cmd|' /C calc'!A0".into()),
        )
        .data(json!({ "before": { "rule": "a, \"b\"" }, "after": { "rule": "line\nbreak" } })),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();

    let b = app.browser();
    b.sign_in("admin", ADMIN_PASSWORD).await;

    let p = b
        .get("/api/admin/audit?event_type=token.issued")
        .await
        .json();
    assert_eq!(p["total"], 2, "{p}");
    for e in p["events"].as_array().unwrap() {
        assert_eq!(e["event_type"], "token.issued");
        // The viewer names the client and links to its page (issue 13, defect 8).
        assert_eq!(e["actor"]["kind"], "Client");
        assert_eq!(e["actor"]["label"], "Meeting bot");
        assert_eq!(e["actor"]["href"], format!("/developer/clients/{}", svc.id));
        assert_eq!(e["ip"], "127.0.0.1");
    }
    let p = b
        .get(&format!("/api/admin/audit?client={}", svc.id))
        .await
        .json();
    let types: Vec<&str> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["token.issued", "token.issued", "client.created"],
        "newest first"
    );
    let p = b.get("/api/admin/audit?user=admin").await.json();
    let types: Vec<&str> = p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"session.signed_in") && types.contains(&"user.created"),
        "{types:?}"
    );
    let p = b.get("/api/admin/audit?actor=rule").await.json();
    assert_eq!(p["total"], 1);
    let change = &p["events"][0]["changes"][0];
    assert_eq!(change["field"], "Rule");
    assert_eq!(change["before"], "a, \"b\"");
    let day = domain::platform::clock::format_date(START);
    let p = b
        .get(&format!("/api/admin/audit?from={day}&to={day}"))
        .await
        .json();
    assert!(p["total"].as_u64().unwrap() > 3);
    let next = domain::platform::clock::format_date(START + 86_400);
    let p = b.get(&format!("/api/admin/audit?from={next}")).await.json();
    assert_eq!(p["total"], 0);

    let page = b.get_html("/admin/audit?event_type=token.issued").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("data-testid=\"audit-event\"").count(), 2);
    assert!(page
        .body
        .contains("/admin/audit/export.csv?event_type=token.issued"));

    let r = b
        .get("/admin/audit/export.jsonl?event_type=token.issued")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let lines: Vec<Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["data"]["client_id"], svc.id.as_str());
    assert_eq!(lines[0]["actor"]["kind"], "client");

    let r = b.get("/admin/audit/export.csv?actor=rule").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert!(r
        .body
        .starts_with("id,seq,time,event_type,actor_kind,actor_id,"));
    assert!(
        r.body.contains(",rule,\"'=cmd|' /C calc'!A0\","),
        "{}",
        r.body
    );
    assert!(
        r.body.contains(
            r#""{""after"":{""rule"":""line\nbreak""},""before"":{""rule"":""a, \""b\""""}}""#
        ),
        "{}",
        r.body
    );

    // Others are refused, signed in or not.
    create_user(&app.db, "dev", Role::Developer).await;
    let d = app.browser();
    d.sign_in("dev", ADMIN_PASSWORD).await;
    assert_eq!(d.get("/api/admin/audit").await.json(), json!("Forbidden"));
    assert_eq!(d.get("/admin/audit/export.csv").await.status, 403);
    assert_eq!(d.get("/admin/audit/export.jsonl").await.status, 403);
    assert_eq!(
        app.browser().get("/admin/audit/export.csv").await.status,
        401
    );
}

#[tokio::test]
async fn events_recorded_before_the_chain_existed_are_chained_by_the_migration() {
    use migrations::{Migrator, MigratorTrait};
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let db = domain::platform::db::connect(&url).await.unwrap();
    Migrator::up(&db, Some(5)).await.unwrap();
    for (t, data) in [
        ("user.created", r#"{"after":{"role":"admin"}}"#),
        ("session.signed_in", "{}"),
    ] {
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "INSERT INTO audit_events (occurred_at, event_type, actor_kind, actor_id, data) \
                 VALUES ({START}, '{t}', 'user', 'u1', '{data}')"
            ),
        ))
        .await
        .unwrap();
    }
    domain::platform::db::migrate(&db).await.unwrap();
    let txn = domain::platform::db::write_txn(&db).await.unwrap();
    audit::record(
        &txn,
        START,
        AuditEvent::new(EventType::SettingsChanged, Actor::System),
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let v = audit::verify(&db).await.unwrap();
    assert!(matches!(v, Verification::Intact { events: 3, .. }), "{v}");
}
