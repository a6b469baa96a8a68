//! Issue 17 (seed 001: a developer asks for `profile`, an administrator decides):
//! administrators gate the OpenID scopes like API scopes, rules decide them, and a
//! rule may decide a group of scopes, each on its own.

use serde_json::{json, Value};

use super::clients::ask_scopes;
use super::free_scopes::authorize;
use crate::helpers::*;

const CALLBACK: &str = "https://notebook.example.edu/cb";

/// Gates (`true`) or frees an OpenID scope through the APIs and scopes page.
async fn gate(adm: &Browser, scope: &str, gated: bool) -> Reply {
    let mut form = vec![("name", scope)];
    if gated {
        form.push(("requires_approval", "on"));
    }
    adm.post("/api/admin/update_scope", &form).await
}

fn notice(r: &Reply) -> String {
    r.location()
        .unwrap_or_else(|| panic!("{} {}", r.status, r.body))
}

async fn scopes_of(app: &TestApp, id: &str) -> Vec<String> {
    domain::clients::find(&app.db, id)
        .await
        .unwrap()
        .unwrap()
        .scopes
}

/// The field and message of a server function's field error.
fn field_error(r: &Reply) -> (String, String) {
    let v = r.json();
    if let Some([field, message]) = v["Fields"]["errors"][0].as_array().map(Vec::as_slice) {
        return (
            field.as_str().unwrap_or_default().to_owned(),
            message.as_str().unwrap_or_default().to_owned(),
        );
    }
    let inv = &v["Invalid"];
    (
        inv["field"].as_str().unwrap_or_default().to_owned(),
        inv["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn gating_profile_makes_a_developers_request_wait_until_an_administrator_approves_it() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let adm = signed_in(&app, "admin").await;
    // A client that got profile while it was free keeps it.
    let old = register_in_portal(&dev, "Old notebook", "web", CALLBACK).await;
    assert!(
        notice(&ask_scopes(&dev, &old, &["profile"], "").await).contains("notice=scopes_added#")
    );

    let r = gate(&adm, "profile", true).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert!(
        domain::apis::find_scope(&app.db, "profile")
            .await
            .unwrap()
            .unwrap()
            .requires_approval
    );
    let updated = app.audit_types().await;
    assert!(updated.contains(&"scope.updated".to_owned()), "{updated:?}");
    assert!(scopes_of(&app, &old).await.contains(&"profile".to_owned()));
    assert!(authorize(&dev, &old, "openid profile")
        .await
        .starts_with("/oauth/consent?"));

    // A new client: profile now needs a justification and waits; email, asked
    // with it, is still free and is added at once.
    let id = register_in_portal(&dev, "Notebook", "web", CALLBACK).await;
    let r = ask_scopes(&dev, &id, &["profile", "email"], "").await;
    assert!(r.status >= 400, "{} {}", r.status, r.body);
    assert!(
        r.body.contains("justification") && r.body.contains("profile"),
        "{}",
        r.body
    );
    assert_eq!(scopes_of(&app, &id).await, vec!["openid".to_owned()]);
    let r = ask_scopes(&dev, &id, &["profile", "email"], "Show people their name").await;
    assert!(
        notice(&r).contains("notice=scopes_added_request_submitted#"),
        "{}",
        notice(&r)
    );
    let held = scopes_of(&app, &id).await;
    assert!(held.contains(&"email".to_owned()), "{held:?}");
    assert!(!held.contains(&"profile".to_owned()), "{held:?}");
    // Not held: authorization with it is refused like any scope the client lacks.
    let loc = authorize(&dev, &id, "openid profile").await;
    assert!(
        loc.contains(r#"data-testid="oauth-error-code">invalid_scope<"#),
        "{loc}"
    );

    let queue = requests(&adm, "status=pending").await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(queue[0]["summary"], "scopes profile", "{}", queue[0]);
    let rid = queue[0]["id"].as_str().unwrap();
    let r = adm
        .post(
            "/api/admin/approve_request",
            &[("id", rid), ("scopes[]", "profile")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(scopes_of(&app, &id).await.contains(&"profile".to_owned()));
    assert!(authorize(&dev, &id, "openid profile")
        .await
        .starts_with("/oauth/consent?"));
}

#[tokio::test]
async fn ungating_profile_lets_developers_add_it_at_once_again() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let adm = signed_in(&app, "admin").await;
    assert!(gate(&adm, "profile", true).await.status < 400);
    let id = register_in_portal(&dev, "Notebook", "web", CALLBACK).await;
    let r = ask_scopes(&dev, &id, &["profile"], "names").await;
    assert!(
        notice(&r).contains("notice=request_submitted#"),
        "{}",
        notice(&r)
    );

    assert!(gate(&adm, "profile", false).await.status < 400);
    let other = register_in_portal(&dev, "Planner", "web", CALLBACK).await;
    let r = ask_scopes(&dev, &other, &["profile"], "").await;
    assert!(
        notice(&r).contains("notice=scopes_added#"),
        "{}",
        notice(&r)
    );
    assert!(scopes_of(&app, &other)
        .await
        .contains(&"profile".to_owned()));
}

#[tokio::test]
async fn openid_stays_free_and_a_default_scope_cannot_be_gated() {
    let app = spawn_app().await;
    let adm = signed_in(&app, "admin").await;
    let r = gate(&adm, "openid", true).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("never needs approval"), "{}", r.body);
    // The wording of a built-in scope is not the administrator's to change.
    let r = adm
        .post(
            "/api/admin/update_scope",
            &[("name", "email"), ("description", "Your mail")],
        )
        .await;
    assert_eq!(field_error(&r).0, "description", "{}", r.body);

    // Every new client starts with email: gating it would be bypassed.
    let saved = adm
        .post(
            "/api/admin/save_settings",
            &[
                ("third_party_oauth", "on"),
                ("access_token_secs", "600"),
                ("refresh_token_hours", "720"),
                ("default_client_lifetime_days", "365"),
                ("default_client_scopes[]", "openid"),
                ("default_client_scopes[]", "email"),
            ],
        )
        .await;
    assert!(saved.status < 400, "{}", saved.body);
    let r = gate(&adm, "email", true).await;
    let (field, message) = field_error(&r);
    assert_eq!(field, "requires_approval", "{}", r.body);
    assert!(message.contains("default client scopes"), "{message}");
    assert!(
        !domain::apis::find_scope(&app.db, "email")
            .await
            .unwrap()
            .unwrap()
            .requires_approval
    );
    // Refused changes change nothing and are not audited.
    assert!(!app
        .audit_types()
        .await
        .contains(&"scope.updated".to_owned()));
}

#[tokio::test]
async fn a_rule_for_an_openid_scope_that_needs_no_approval_is_refused() {
    let app = spawn_app().await;
    let adm = signed_in(&app, "admin").await;
    for (scope, says) in [
        ("profile", "needs no approval"),
        ("openid", "never needs approval"),
    ] {
        let r = adm
            .post(
                "/api/admin/save_rule",
                &[("scopes[]", scope), ("approve_if", "true")],
            )
            .await;
        let (field, message) = field_error(&r);
        assert_eq!(field, "scopes", "{scope}: {}", r.body);
        assert!(message.contains(says), "{scope}: {message}");
    }
    assert_eq!(app.count("approval_rules").await, 0);
    // Once gated, it may have one.
    assert!(gate(&adm, "profile", true).await.status < 400);
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[("scopes[]", "profile"), ("approve_if", "true")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(app.count("approval_rules").await, 1);
}

async fn rules(adm: &Browser) -> Vec<Value> {
    adm.get("/api/admin/rules").await.json()["rules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn one_rule_decides_each_scope_of_its_group() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let adm = signed_in(&app, "admin").await;
    for s in ["profile", "email"] {
        assert!(gate(&adm, s, true).await.status < 400);
    }
    let approve = r#"request.scope == "profile" || developer.username == "ada""#;
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[
                ("scopes[]", "profile"),
                ("scopes[]", "email"),
                ("approve_if", approve),
                ("reject_if", r#"client.application_type == "native""#),
                ("reject_reason", "Native apps get no personal data"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let all = rules(&adm).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["scopes"], json!(["email", "profile"]));
    let rule_id = all[0]["id"].as_str().unwrap().to_owned();

    // ada: the rule approves both, each on its own.
    let ada = developer(&app, "ada").await;
    let id = register_in_portal(&ada, "Notebook", "web", CALLBACK).await;
    let r = ask_scopes(&ada, &id, &["profile", "email"], "names and mail").await;
    assert!(
        notice(&r).contains("request_auto_approved"),
        "{}",
        notice(&r)
    );
    let held = scopes_of(&app, &id).await;
    assert!(held.contains(&"profile".to_owned()) && held.contains(&"email".to_owned()));
    // A native client: the rule rejects.
    let phone = register_in_portal(&ada, "Phone", "native", "com.example.app:/cb").await;
    let r = ask_scopes(&ada, &phone, &["email"], "mail").await;
    assert!(
        notice(&r).contains("request_auto_rejected"),
        "{}",
        notice(&r)
    );
    // bob: the rule approves profile, leaves email for a person; the queue shows
    // each scope's verdict.
    let bob = developer(&app, "bob").await;
    let web = register_in_portal(&bob, "Roster", "web", CALLBACK).await;
    let r = ask_scopes(&bob, &web, &["profile", "email"], "roster").await;
    assert!(
        notice(&r).contains("notice=request_submitted#"),
        "{}",
        notice(&r)
    );
    let queue = requests(&adm, "status=pending").await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    let verdicts = queue[0]["evaluations"].to_string();
    assert!(
        verdicts.contains("profile: approved by its rule"),
        "{verdicts}"
    );
    assert!(verdicts.contains("email: left for a person"), "{verdicts}");

    // A second rule cannot take a scope the first decides.
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[
                ("scopes[]", "email"),
                ("scopes[]", WRITE),
                ("approve_if", "true"),
            ],
        )
        .await;
    let (field, message) = field_error(&r);
    assert_eq!(field, "scopes", "{}", r.body);
    assert!(message.contains("already has a rule"), "{message}");
    assert_eq!(rules(&adm).await.len(), 1);

    // Editing the rule edits it for its scopes: email taken out has no rule.
    let r = adm
        .post(
            "/api/admin/save_rule",
            &[
                ("id", rule_id.as_str()),
                ("scopes[]", "profile"),
                ("approve_if", "true"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let all = rules(&adm).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["id"], rule_id.as_str());
    assert_eq!(all[0]["scopes"], json!(["profile"]));
    assert_eq!(all[0]["reject_if"], "");
    let types = app.audit_types().await;
    assert_eq!(
        types.iter().filter(|t| *t == "approval_rule.saved").count(),
        2,
        "{types:?}"
    );
    // Deleting it frees every scope it decided.
    let r = adm
        .post(
            "/api/admin/delete_rule",
            &[("id", rule_id.as_str()), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(rules(&adm).await.is_empty());
    assert_eq!(app.count("approval_rules").await, 0);
}

#[tokio::test]
async fn another_server_on_the_database_sees_the_gating_at_once() {
    // Ten-minute caches: only the database can explain what the other server sees.
    let app = spawn_app_with(|s| s.cache_ttl_ms = 600_000).await;
    let (second, _) = spawn_second_server(&app).await;
    let adm = signed_in(&app, "admin").await;
    let dev = developer(&app, "ada").await;
    // The same person (sessions live in the database) on the other server.
    let there = Browser {
        client: dev.client.clone(),
        base: second.clone(),
    };
    let id = register_in_portal(&dev, "Notebook", "web", CALLBACK).await;
    let page = there
        .get(&format!("/api/portal/client?id={id}"))
        .await
        .json();
    assert!(
        page["requestable"].to_string().contains("profile"),
        "{page}"
    );

    assert!(gate(&adm, "profile", true).await.status < 400);
    let r = ask_scopes(&there, &id, &["profile"], "names").await;
    assert!(
        notice(&r).contains("notice=request_submitted#"),
        "{}",
        notice(&r)
    );
    assert_eq!(scopes_of(&app, &id).await, vec!["openid".to_owned()]);

    // Freed on the other server: this one adds it at once.
    let adm_there = Browser {
        client: adm.client.clone(),
        base: second,
    };
    assert!(gate(&adm_there, "profile", false).await.status < 400);
    let other = register_in_portal(&dev, "Planner", "web", CALLBACK).await;
    let r = ask_scopes(&dev, &other, &["profile"], "").await;
    assert!(
        notice(&r).contains("notice=scopes_added#"),
        "{}",
        notice(&r)
    );
}

#[tokio::test]
async fn the_rest_api_gates_openid_scopes_and_writes_one_rule_for_several_scopes() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let admin = Api::admin(&app).await;
    let (_, dev) = Api::developer(&app, "gus").await;
    let catalogue = dev.get("/api/v1/scopes").await;
    assert_eq!(catalogue.status, 200, "{}", catalogue.body);
    let profile = catalogue.json()[1].clone();
    assert_eq!(profile["name"], "profile", "{profile}");
    assert_eq!(profile["requires_approval"], false, "{profile}");
    // Administrators only.
    let gated = json!({ "requires_approval": true });
    assert_eq!(
        dev.put("/api/v1/scopes/profile", gated.clone())
            .await
            .status,
        403
    );
    let r = admin.put("/api/v1/scopes/profile", gated.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["requires_approval"], true, "{}", r.body);
    assert_eq!(admin.put("/api/v1/scopes/openid", gated).await.status, 409);

    // `scope` (one, as before) is still accepted; email needs no approval.
    let r = admin
        .post(
            "/api/v1/rules",
            json!({ "scope": "email", "approve_if": "true" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "scopes", "{}", r.body);
    let r = admin
        .post(
            "/api/v1/rules",
            json!({ "scopes": [WRITE, "profile"], "approve_if": r#"request.scope == "profile""# }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rule = r.json();
    assert_eq!(rule["scopes"], json!(["profile", WRITE]), "{rule}");
    let rid = rule["id"].as_str().unwrap().to_owned();
    assert_eq!(dev.get("/api/v1/rules").await.status, 403);

    // The rule approves profile; the API scope asked with it waits for a person.
    let (id, _) = dev.create_web_client("Gradebook", CALLBACK).await;
    let ask = |scopes: Value| json!({ "client_id": id, "kind": "scopes", "scopes": scopes, "justification": "names" });
    let r = dev.post("/api/v1/requests", ask(json!(["profile"]))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "approved", "{}", r.body);
    let r = dev.post("/api/v1/requests", ask(json!([WRITE]))).await;
    assert_eq!(r.json()["status"], "pending", "{}", r.body);

    // Replaced: one scope now, by `scope`.
    let r = admin
        .put(
            &format!("/api/v1/rules/{rid}"),
            json!({ "scope": WRITE, "reject_if": "true", "reject_reason": "No" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let all = admin.get("/api/v1/rules").await.json();
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    assert_eq!(all[0]["scopes"], json!([WRITE]), "{all}");
    assert_eq!(
        admin.delete(&format!("/api/v1/rules/{rid}")).await.status,
        204
    );
    assert_eq!(admin.get("/api/v1/rules").await.json(), json!([]));
    assert_eq!(
        admin.delete(&format!("/api/v1/rules/{rid}")).await.status,
        404
    );
}
