//! Scope and extension requests and their decisions: reasons, partial approval,
//! CEL rules, expiry.

use domain::accounts::AdminCtx;

use super::clients::{ask_scopes, detail};
use crate::helpers::*;

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
    assert!(r.location().unwrap().contains("scopes_added"), "{}", r.body);
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
