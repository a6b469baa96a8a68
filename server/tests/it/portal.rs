//! The developer portal through its server functions over real HTTP: clients,
//! secrets, approval-gated changes, scope requests and decisions, CEL rules,
//! expiry, reminders and e-mail (a real SMTP listener on loopback).

use std::sync::{Arc, Mutex};

use domain::accounts::{AdminCtx, Role};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::*;

async fn detail(b: &Browser, id: &str) -> Reply {
    b.get(&format!("/api/portal/client?id={id}")).await
}

/// Asks for scopes through the portal; returns where the form redirects to.
async fn ask_scopes(b: &Browser, id: &str, scopes: &[&str], why: &str) -> Reply {
    let mut fields = vec![("id", id), ("justification", why)];
    fields.extend(scopes.iter().map(|s| ("scopes[]", *s)));
    b.post("/api/portal/request_scopes", &fields).await
}

#[tokio::test]
async fn a_developer_registers_clients_with_least_privilege_and_sees_the_secret_once() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let web = register_in_portal(&dev, "Notebook", "web", "https://notebook.example.edu/cb").await;

    let first = detail(&dev, &web).await.json();
    let secret = first["new_secret"].as_str().expect("secret shown once");
    assert!(secret.len() >= 43, "256 bits, base64url");
    assert_eq!(first["client"]["scopes"], serde_json::json!(["openid"]));
    assert_eq!(first["client"]["owner"], "ada");
    // Registrations expire after the default 365 days.
    assert_eq!(
        first["client"]["days_left"].as_i64(),
        Some(365),
        "{}",
        first["client"]
    );
    let again = detail(&dev, &web).await.json();
    assert!(again["new_secret"].is_null(), "shown exactly once");
    assert!(!again.to_string().contains(secret));

    // Service clients get no scopes at all (seed 003).
    let svc = register_in_portal(&dev, "Meeting bot", "service", "").await;
    let d = detail(&dev, &svc).await.json();
    assert_eq!(d["client"]["scopes"], serde_json::json!([]));
    let secret = d["new_secret"].as_str().unwrap();
    let (status, body) = cc_token(&app, &svc, secret, None).await;
    assert_eq!(status, 200, "{body}");

    // The list shows the developer's clients only, paginated.
    let list = dev.get("/api/portal/clients?sort=name").await.json();
    assert_eq!(list["total"], 2);
    assert_eq!(list["clients"][0]["name"], "Meeting bot");
    let other = developer(&app, "bob").await;
    assert_eq!(other.get("/api/portal/clients").await.json()["total"], 0);

    // The defaults are the administrators' run-time settings.
    for (key, value) in [
        (domain::settings::DEFAULT_CLIENT_SCOPES, "openid profile"),
        (domain::settings::DEFAULT_CLIENT_LIFETIME_DAYS, "30"),
    ] {
        use sea_orm::{ActiveModelTrait, Set};
        domain::entities::server_setting::ActiveModel {
            key: Set(key.into()),
            value: Set(value.into()),
            updated_at: Set(START),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let id = register_in_portal(&dev, "Profiles", "web", "https://p.example/cb").await;
    let c = detail(&dev, &id).await.json()["client"].clone();
    assert_eq!(c["scopes"], serde_json::json!(["openid", "profile"]));
    assert_eq!(c["days_left"].as_i64(), Some(30));

    let types = app.audit_types().await;
    assert_eq!(types.iter().filter(|t| *t == "client.created").count(), 3);
}

#[tokio::test]
async fn invalid_registrations_name_the_field_and_create_nothing() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let before = app.count("clients").await;
    for (fields, field) in [
        (
            vec![
                ("name", ""),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb"),
            ],
            "name",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "http://a.example/cb"),
            ],
            "redirect_uris",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb#x"),
            ],
            "redirect_uris",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb"),
                ("logo_uri", "javascript:alert(1)"),
            ],
            "logo_uri",
        ),
        (
            vec![
                ("name", "A"),
                ("application_type", "web"),
                ("redirect_uris", "https://a.example/cb"),
                ("contacts", "not-an-email"),
            ],
            "contacts",
        ),
        (
            vec![("name", "A"), ("application_type", "robot")],
            "application_type",
        ),
    ] {
        let r = dev.post("/api/portal/create_client", &fields).await;
        assert!(r.status >= 400, "{fields:?}");
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    // Loopback http is fine for development.
    register_in_portal(&dev, "Local", "web", "http://127.0.0.1:8080/cb").await;
    assert_eq!(app.count("clients").await, before + 1);

    // End users cannot register clients.
    create_user(&app.db, "eve", Role::User).await;
    let eve = app.browser();
    eve.sign_in("eve", ADMIN_PASSWORD).await;
    let r = eve
        .post(
            "/api/portal/create_client",
            &[("name", "X"), ("application_type", "service")],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("Forbidden"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn others_clients_are_not_found_for_every_operation() {
    let app = spawn_app().await;
    let ada = developer(&app, "ada").await;
    let id = register_in_portal(&ada, "Notebook", "web", "https://n.example/cb").await;
    let bob = developer(&app, "bob").await;

    assert!(detail(&bob, &id).await.body.contains("NotFound"));
    for (path, fields) in [
        (
            "/api/portal/update_client",
            vec![("id", id.as_str()), ("name", "Stolen")],
        ),
        (
            "/api/portal/rotate_secret",
            vec![("id", id.as_str()), ("overlap", "none")],
        ),
        (
            "/api/portal/delete_client",
            vec![("id", id.as_str()), ("confirm_name", "Notebook")],
        ),
        (
            "/api/portal/set_enabled",
            vec![("id", id.as_str()), ("enabled", "false")],
        ),
        (
            "/api/portal/request_scopes",
            vec![
                ("id", id.as_str()),
                ("scopes[]", "profile"),
                ("justification", "x"),
            ],
        ),
        (
            "/api/portal/remove_scope",
            vec![("id", id.as_str()), ("scope", "openid")],
        ),
    ] {
        let r = bob.post(path, &fields).await;
        assert!(
            r.status >= 400 && r.body.contains("NotFound"),
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.name, "Notebook");
    assert!(!c.disabled);
    // The administrator sees it.
    let adm = signed_in(&app, "admin").await;
    assert_eq!(detail(&adm, &id).await.json()["client"]["name"], "Notebook");
}

#[tokio::test]
async fn approval_gated_fields_become_requests_and_direct_fields_apply() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Notebook", "web", "https://n.example/cb").await;

    // Gated change without a justification: refused, nothing changes.
    let r = dev
        .post(
            "/api/portal/update_client",
            &[
                ("id", &id),
                ("name", "Renamed"),
                ("redirect_uris", "https://n.example/cb"),
                ("password_grant", "on"),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("justification"),
        "{}",
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.name, "Notebook");

    let r = dev
        .post(
            "/api/portal/update_client",
            &[
                ("id", &id),
                ("name", "Renamed"),
                (
                    "redirect_uris",
                    "https://n.example/cb\nhttps://n.example/cb2",
                ),
                ("grant_refresh_token", "on"),
                ("password_grant", "on"),
                ("refresh_token_days", "90"),
                ("justification", "Legacy kiosk needs the password grant"),
            ],
        )
        .await;
    assert!(
        r.location()
            .unwrap()
            .ends_with("notice=client_updated_request"),
        "{:?} {}",
        r.location(),
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.name, "Renamed", "direct fields apply at once");
    assert_eq!(c.redirect_uris.len(), 2);
    assert!(!c.allows_grant("password"), "gated: not applied");
    assert_eq!(c.refresh_token_ttl_secs, None, "gated: not applied");

    let pending = requests(&dev, "mine=true&status=pending").await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["kind"], "change");
    let fields: Vec<&str> = pending[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["password grant", "refresh token ttl"]);

    // The admin approves; the change applies.
    let adm = signed_in(&app, "admin").await;
    let rid = pending[0]["id"].as_str().unwrap();
    let r = adm.post("/api/admin/approve_request", &[("id", rid)]).await;
    assert!(r.status < 400, "{}", r.body);
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(c.allows_grant("password"));
    assert_eq!(c.refresh_token_ttl_secs, Some(90 * 86_400));
    // Turning the password grant off needs no approval.
    let r = dev
        .post(
            "/api/portal/update_client",
            &[
                ("id", &id),
                ("name", "Renamed"),
                ("redirect_uris", "https://n.example/cb"),
                ("refresh_token_days", "90"),
            ],
        )
        .await;
    assert!(
        r.location().unwrap().ends_with("notice=client_updated"),
        "{}",
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(!c.allows_grant("password"));

    // Disabling applies at once; enabling again is a request for a developer.
    let r = dev
        .post(
            "/api/portal/set_enabled",
            &[("id", &id), ("enabled", "false")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = dev
        .post(
            "/api/portal/set_enabled",
            &[
                ("id", &id),
                ("enabled", "true"),
                ("justification", "fixed the leak"),
            ],
        )
        .await;
    assert!(r.location().unwrap().contains("request_submitted"));
    assert!(
        domain::clients::find(&app.db, &id)
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    let types = app.audit_types().await;
    for t in [
        "client.updated",
        "request.submitted",
        "request.approved",
        "client.disabled",
    ] {
        assert!(types.contains(&t.to_owned()), "{t}");
    }
}

#[tokio::test]
async fn scope_requests_rejected_with_a_reason_then_approved_give_tokens_the_scope() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    let secret = shown_secret(&dev, &id).await;

    let r = ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    assert!(
        r.location().unwrap().contains("request_submitted"),
        "{}",
        r.body
    );
    // Service clients cannot ask for OpenID scopes.
    let r = ask_scopes(&dev, &id, &["profile"], "x").await;
    assert!(
        r.status >= 400 && r.body.contains("service clients"),
        "{}",
        r.body
    );

    // The admin was told, and sees it in the queue.
    let adm = signed_in(&app, "admin").await;
    assert_eq!(adm.shell().await["pending_requests"], 1);
    assert!(adm.shell().await["unread"].as_u64().unwrap() >= 1);
    let queue = requests(&adm, "status=pending").await;
    assert_eq!(queue.len(), 1);
    let rid = queue[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(queue[0]["requester"], "ada");

    // Rejecting needs a reason.
    let r = adm
        .post(
            "/api/admin/reject_request",
            &[("id", &rid), ("reason", "  ")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("reason"), "{}", r.body);
    assert_eq!(requests(&adm, "status=pending").await.len(), 1);
    let r = adm
        .post(
            "/api/admin/reject_request",
            &[
                ("id", &rid),
                ("reason", "Use registrations:read for a sync"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(
        requests(&adm, "status=pending").await.is_empty(),
        "left the queue"
    );
    // Deciding twice is refused.
    let r = adm
        .post("/api/admin/approve_request", &[("id", &rid)])
        .await;
    assert!(r.status >= 400 && r.body.contains("already"), "{}", r.body);

    // The developer sees the reason, in the request and a notification.
    let mine = requests(&dev, "mine=true").await;
    assert_eq!(mine[0]["status"], "rejected");
    assert_eq!(mine[0]["reason"], "Use registrations:read for a sync");
    let notes = dev.get("/api/portal/notifications").await.json();
    assert!(notes["items"][0]["body"]
        .as_str()
        .unwrap()
        .contains("Use registrations:read for a sync"));
    assert!(dev.shell().await["unread"].as_u64().unwrap() >= 1);

    // No token for the scope yet.
    let (status, body) = cc_token(&app, &id, &secret, Some("registrations:write")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");

    // Request again; approved; the next token carries the scope.
    ask_scopes(&dev, &id, &["registrations:write"], "Two-way sync now").await;
    let rid = requests(&adm, "status=pending").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = adm
        .post(
            "/api/admin/approve_request",
            &[("id", &rid), ("scopes[]", "registrations:write")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let (status, body) = cc_token(&app, &id, &secret, Some("registrations:write")).await;
    assert_eq!(status, 200, "{body}");
    let c = peek(body["access_token"].as_str().unwrap());
    assert_eq!(c["scope"], "registrations:write");
    assert_eq!(c["aud"], REGISTRATIONS);

    // A scope that needs no approval is granted at once.
    let r = ask_scopes(&dev, &id, &["registrations:read"], "Reports").await;
    assert!(
        r.location().unwrap().contains("request_auto_approved"),
        "{}",
        r.body
    );
    let types = app.audit_types().await;
    assert!(types.contains(&"request.rejected".to_owned()));
    assert!(types.contains(&"request.approved".to_owned()));
}

#[tokio::test]
async fn partial_approval_grants_only_the_ticked_scopes() {
    let app = spawn_app().await;
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(
        &app.db,
        &ctx,
        "Grades",
        "https://api.example.edu/grades",
        START,
    )
    .await
    .unwrap();
    for s in ["grades:read", "grades:write"] {
        domain::apis::add_scope(&app.db, &ctx, &r.id, s, "Grades", true, START)
            .await
            .unwrap();
    }
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Grader", "service", "").await;
    dev.post(
        "/api/portal/request_scopes",
        &[
            ("id", &id),
            ("scopes[]", "grades:read"),
            ("scopes[]", "grades:write"),
            ("justification", "Grading"),
        ],
    )
    .await;
    let adm = signed_in(&app, "admin").await;
    let rid = requests(&adm, "status=pending").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Approving none of them is refused (reject instead).
    let r = adm
        .post("/api/admin/approve_request", &[("id", &rid)])
        .await;
    assert!(r.status >= 400, "{}", r.body);
    let r = adm
        .post(
            "/api/admin/approve_request",
            &[("id", &rid), ("scopes[]", "grades:read")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.scopes, vec!["grades:read".to_owned()]);
}

#[tokio::test]
async fn cel_rules_auto_approve_auto_reject_and_bad_rules_are_refused() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let adm = signed_in(&app, "admin").await;

    // A rule that does not compile cannot be saved.
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[
                ("scope", "registrations:write"),
                ("approve_if", "developer.email.endsWith("),
            ],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("does not compile"),
        "{}",
        r.body
    );
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[
                ("scope", "registrations:write"),
                ("approve_if", "dev.email == \"x\""),
            ],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("dev"), "{}", r.body);
    // A reject condition needs a reason.
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[("scope", "registrations:write"), ("reject_if", "true")],
        )
        .await;
    assert!(
        r.status >= 400 && r.body.contains("reject_reason"),
        "{}",
        r.body
    );
    assert_eq!(app.count("approval_rules").await, 0);

    let r = adm
        .post(
            "/api/admin/save_rule",
            &[
                ("scope", "registrations:write"),
                ("approve_if", r#"developer.email.endsWith("@example.edu") && client.application_type == "service""#),
                ("reject_if", r#"client.application_type == "native""#),
                ("reject_reason", "Native apps may not write registrations"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);

    let dev = developer(&app, "ada").await; // ada@example.edu
    let svc = register_in_portal(&dev, "Sync", "service", "").await;
    let r = ask_scopes(&dev, &svc, &["registrations:write"], "sync").await;
    assert!(
        r.location().unwrap().contains("request_auto_approved"),
        "{}",
        r.body
    );
    let c = domain::clients::find(&app.db, &svc).await.unwrap().unwrap();
    assert!(c.scopes.contains(&"registrations:write".to_owned()));

    let native = register_in_portal(&dev, "Phone", "native", "com.example.app:/cb").await;
    let r = ask_scopes(&dev, &native, &["registrations:write"], "app").await;
    assert!(
        r.location().unwrap().contains("request_auto_rejected"),
        "{}",
        r.body
    );
    let mine = requests(&dev, "mine=true&status=rejected").await;
    assert!(mine[0]["reason"]
        .as_str()
        .unwrap()
        .contains("Native apps may not write registrations"));
    assert!(mine[0]["decided_by"].as_str().unwrap().contains("rule"));

    // A web client matches neither: left for a person.
    let web = register_in_portal(&dev, "Portal", "web", "https://p.example/cb").await;
    let r = ask_scopes(&dev, &web, &["registrations:write"], "ui").await;
    assert!(
        r.location().unwrap().contains("request_submitted"),
        "{}",
        r.body
    );

    // Testing a draft rule against recent requests decides nothing.
    let trials = adm
        .post(
            "/api/admin/test_rule",
            &[("scope", "registrations:write"), ("approve_if", "true")],
        )
        .await
        .json();
    assert_eq!(trials.as_array().unwrap().len(), 3, "{trials}");
    assert!(trials
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["verdict"] == "approve"));
    assert_eq!(requests(&adm, "status=pending").await.len(), 1);

    // The audit trail names the rule that decided.
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let by_rule = audit_event::Entity::find()
        .filter(audit_event::Column::ActorKind.eq("rule"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(by_rule.len(), 2);
    assert!(by_rule
        .iter()
        .all(|e| e.actor_id.as_deref() == Some("registrations:write")));
}

#[tokio::test]
async fn expired_clients_get_no_tokens_and_extensions_are_requested() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let secret = shown_secret(&dev, &id).await;
    assert_eq!(cc_token(&app, &id, &secret, None).await.0, 200);

    // 340 days later: red (under 30 days left). (Sessions expired meanwhile.)
    app.clock.advance(340 * 86_400);
    dev.sign_in("ada", ADMIN_PASSWORD).await;
    let d = detail(&dev, &id).await.json();
    assert_eq!(d["client"]["expiry"], "Soon");
    // Extension: must be later than now and within two years.
    let r = dev
        .post(
            "/api/portal/request_extension",
            &[
                ("id", &id),
                ("expires", "2001-01-01"),
                ("justification", "x"),
            ],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("later"), "{}", r.body);

    app.clock.advance(26 * 86_400);
    dev.sign_in("ada", ADMIN_PASSWORD).await;
    let d = detail(&dev, &id).await.json();
    assert_eq!(d["client"]["expiry"], "Expired");
    let (status, body) = cc_token(&app, &id, &secret, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");

    let next_year = domain::platform::clock::format_date(app.clock_now() + 200 * 86_400);
    let r = dev
        .post(
            "/api/portal/request_extension",
            &[
                ("id", &id),
                ("expires", &next_year),
                ("justification", "Still in use by the registrar"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let adm = signed_in(&app, "admin").await;
    let q = requests(&adm, "status=pending&kind=extension").await;
    assert_eq!(q.len(), 1);
    adm.post(
        "/api/admin/approve_request",
        &[("id", q[0]["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(cc_token(&app, &id, &secret, None).await.0, 200);
    assert!(app
        .audit_types()
        .await
        .contains(&"request.approved".to_owned()));
}

#[tokio::test]
async fn rotated_secrets_overlap_for_the_chosen_window_then_stop() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let old = shown_secret(&dev, &id).await;

    let r = dev
        .post(
            "/api/portal/rotate_secret",
            &[("id", &id), ("overlap", "1h")],
        )
        .await;
    assert!(
        r.location().unwrap().contains("secret_rotated"),
        "{}",
        r.body
    );
    let new = shown_secret(&dev, &id).await;
    assert_ne!(old, new);
    assert_eq!(
        cc_token(&app, &id, &old, None).await.0,
        200,
        "old works in the overlap"
    );
    assert_eq!(cc_token(&app, &id, &new, None).await.0, 200);
    app.clock.advance(3601);
    assert_eq!(
        cc_token(&app, &id, &old, None).await.0,
        401,
        "old stops after 1 h"
    );
    assert_eq!(cc_token(&app, &id, &new, None).await.0, 200);

    // No overlap: the previous secret stops at once.
    dev.post(
        "/api/portal/rotate_secret",
        &[("id", &id), ("overlap", "none")],
    )
    .await;
    let newest = shown_secret(&dev, &id).await;
    assert_eq!(cc_token(&app, &id, &new, None).await.0, 401);
    assert_eq!(cc_token(&app, &id, &newest, None).await.0, 200);
    let r = dev
        .post(
            "/api/portal/rotate_secret",
            &[("id", &id), ("overlap", "1y")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("overlap"), "{}", r.body);
}

#[tokio::test]
async fn deleting_needs_the_name_and_stops_the_clients_tokens() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let secret = shown_secret(&dev, &id).await;
    let (_, body) = cc_token(&app, &id, &secret, None).await;
    let token = body["access_token"].as_str().unwrap().to_owned();
    let r = dev
        .post(
            "/api/portal/delete_client",
            &[("id", &id), ("confirm_name", "bot")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("confirm"), "{}", r.body);
    let r = dev
        .post(
            "/api/portal/delete_client",
            &[("id", &id), ("confirm_name", "Bot")],
        )
        .await;
    assert!(
        r.location().unwrap().contains("client_deleted"),
        "{}",
        r.body
    );
    assert!(domain::clients::find(&app.db, &id).await.unwrap().is_none());
    // Its access token is no longer active (introspected by another client).
    let other = register(
        &app,
        domain::clients::NewClient {
            name: "RS".into(),
            application_type: Some(domain::clients::ApplicationType::Service),
            ..Default::default()
        },
    )
    .await;
    let r: Value = reqwest::Client::new()
        .post(format!("{}/oauth/introspect", app.base))
        .basic_auth(&other.id, Some(&other.secret))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["active"], false);
}

#[tokio::test]
async fn expiry_reminders_are_sent_once_even_when_the_job_runs_again() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Bot", "service", "").await;
    let before_outbox = app.count("outbox_emails").await;

    app.clock.advance(340 * 86_400); // 25 days left
    let now = app.clock_now();
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, now)
            .await
            .unwrap(),
        0
    );
    app.clock.advance(3600);
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, app.clock_now())
            .await
            .unwrap(),
        0,
        "the 30-day reminder is not repeated"
    );
    app.clock.advance(19 * 86_400); // 6 days left: the 7-day reminder
    assert_eq!(
        domain::portal::notify::send_expiry_reminders(&app.db, app.clock_now())
            .await
            .unwrap(),
        1
    );
    dev.sign_in("ada", ADMIN_PASSWORD).await;
    let notes = dev.get("/api/portal/notifications").await.json();
    assert_eq!(notes["total"], 2);
    assert!(notes["items"][0]["title"]
        .as_str()
        .unwrap()
        .contains("expires in"));
    assert_eq!(app.count("outbox_emails").await, before_outbox + 2);
    assert_eq!(app.count("expiry_reminders").await, 2);
    let _ = id;
}

/// A minimal SMTP server on loopback that records every message it accepts.
#[derive(Clone, Default)]
struct SmtpSink(Arc<Mutex<Vec<Delivered>>>);

/// One accepted message: its recipients and its data.
type Delivered = (Vec<String>, String);

impl SmtpSink {
    async fn start() -> (Self, u16) {
        let sink = SmtpSink::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            s.0.lock().unwrap().push((std::mem::take(&mut rcpt), data));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        (sink, port)
    }

    fn mails(&self) -> Vec<(Vec<String>, String)> {
        self.0.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn notifications_are_e_mailed_over_smtp_and_kept_in_the_outbox_without_it() {
    let (sink, port) = SmtpSink::start().await;
    let app = spawn_app_with(|s| {
        s.smtp = Some(server::settings::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "Portcullis <portcullis@example.edu>".into(),
            tls: "none".into(),
            poll_interval_ms: 50,
        });
    })
    .await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    // The administrator's e-mail arrives at the SMTP listener.
    let mut got = Vec::new();
    for _ in 0..200 {
        got = sink.mails();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(got.len(), 1, "one e-mail to the one administrator");
    assert_eq!(got[0].0, vec!["admin@example.edu".to_owned()]);
    assert!(got[0].1.contains("New request for"), "{}", got[0].1);
    // ... and is marked sent in the outbox.
    for _ in 0..200 {
        let sent = domain::entities::outbox_email::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        if sent.iter().all(|m| m.sent_at.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    use sea_orm::EntityTrait;
    let rows = domain::entities::outbox_email::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(rows.iter().all(|m| m.sent_at.is_some()), "{rows:?}");

    // Without SMTP nothing is dropped: the mail waits in the outbox, visible to admins.
    let plain = spawn_app().await;
    registrations_api(&plain).await;
    let dev = developer(&plain, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    let adm = signed_in(&plain, "admin").await;
    let outbox = adm.get("/api/admin/outbox").await.json();
    assert_eq!(outbox["smtp_configured"], false);
    assert_eq!(outbox["total"], 1);
    assert!(outbox["items"][0]["sent"].is_null());
    assert_eq!(outbox["items"][0]["to"], "admin@example.edu");
    // Developers cannot read the outbox.
    assert!(dev
        .get("/api/admin/outbox")
        .await
        .body
        .contains("Forbidden"));
}

#[tokio::test]
async fn the_consent_screen_shows_the_clients_logo_owner_and_links() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let r = dev
        .post(
            "/api/portal/create_client",
            &[
                ("name", "Notebook"),
                ("application_type", "web"),
                ("redirect_uris", "https://n.example/cb"),
                ("logo_uri", "https://n.example/logo.png"),
                ("policy_uri", "https://n.example/privacy"),
                ("tos_uri", "https://n.example/terms"),
            ],
        )
        .await;
    let id = r.location().unwrap()["/developer/clients/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let user = app.browser();
    user.sign_in("admin", ADMIN_PASSWORD).await;
    let q = format!("client_id={id}&scope=openid");
    let v = user
        .get(&format!(
            "/api/consent_details?query={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        ))
        .await
        .json();
    assert_eq!(v["client_name"], "Notebook");
    assert_eq!(v["owner"], "ada display");
    assert_eq!(v["logo_uri"], "https://n.example/logo.png");
    assert_eq!(v["policy_uri"], "https://n.example/privacy");
    assert_eq!(v["tos_uri"], "https://n.example/terms");
}
