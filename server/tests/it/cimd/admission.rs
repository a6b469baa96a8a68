//! Admission: a document from a trusted host is admitted at once; any other
//! host's client awaits an administrator (the page dynamic registration uses);
//! a protected name from another host than its vendor's is never admitted at
//! once and is flagged on /admin/clients.

use serde_json::json;

use super::*;

#[tokio::test]
async fn a_trusted_hosts_client_goes_straight_to_sign_in_another_awaits_approval() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    // One listener, two host names: 127.0.0.1 is trusted, localhost is not.
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let trusted = docs.url("127.0.0.1", "/t.json");
    let untrusted = docs.url("localhost", "/u.json");
    docs.serve("/t.json", &document(&trusted, "Trusted agent"), None);
    docs.serve("/u.json", &document(&untrusted, "Unknown agent"), None);

    let b = app.browser();
    let loc = authorize_location(&b, &trusted).await;
    assert!(loc.starts_with("/login?return_to="), "{loc}");

    let loc = authorize_location(&b, &untrusted).await;
    assert_eq!(loc, "/oauth/error?reason=awaiting_admission");
    let page = b.get_html(&loc).await;
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("awaiting an administrator"),
        "{}",
        page.body
    );
    let (status, body) = public_token(
        &app,
        &untrusted,
        &[("grant_type", "authorization_code"), ("code", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // Administrators see where it came from, and admit it.
    let admin = app.browser();
    assert!(
        admin
            .sign_in(&app.admin.username, ADMIN_PASSWORD)
            .await
            .status
            < 400
    );
    let list = admin.get_html("/admin/clients").await;
    assert!(
        list.body.contains(&format!(
            "Metadata document at {untrusted} (host localhost)"
        )),
        "{}",
        list.body
    );
    // Its id is a URL: the list links to it as one path segment.
    let detail = format!("/developer/clients/{}", enc(&untrusted));
    assert!(list.body.contains(&detail), "{}", list.body);
    let page = admin.get_html(&detail).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Unknown agent"), "{}", page.body);
    admit(&app, &untrusted).await;
    let loc = authorize_location(&admin, &untrusted).await;
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    assert_eq!(docs.hits("/u.json"), 1);
}

#[tokio::test]
async fn a_protected_name_from_another_host_is_flagged_and_awaits_approval() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(
        &app,
        true,
        &["127.0.0.1"],
        json!([{ "name": "Claude", "host": "claude.ai" }]),
    )
    .await;
    let url = docs.url("127.0.0.1", "/claude.json");
    docs.serve("/claude.json", &document(&url, "C-laude"), None);
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    // From a trusted host, but it imitates a protected name: not admitted.
    assert_eq!(
        authorize_location(&b, &url).await,
        "/oauth/error?reason=awaiting_admission"
    );
    let list = b.get_html("/admin/clients").await;
    assert!(
        list.body.contains("Look-alike: the name imitates"),
        "{}",
        list.body
    );
    assert!(app
        .audit_types()
        .await
        .contains(&"client.registered_by_document".to_owned()));
}

#[tokio::test]
async fn the_settings_are_bounded_and_administrators_only() {
    let app = spawn_local_app().await;
    let admin = Api::admin(&app).await;
    for bad in [
        json!({ "enabled": true, "trusted_hosts": ["https://app.example.com"] }),
        json!({ "enabled": true, "trusted_hosts": ["app.example.com:443"] }),
        json!({ "enabled": true, "protected_names": [{ "name": "  ", "host": "claude.ai" }] }),
        json!({ "enabled": true, "trusted_hosts": vec!["a.example"; 51] }),
        json!({ "enabled": "yes" }),
    ] {
        let r = admin
            .put("/api/v1/registration/documents", bad.clone())
            .await;
        assert_eq!(r.status, 400, "{bad} {}", r.body);
    }
    let r = admin.get("/api/v1/registration/documents").await;
    assert_eq!(r.json()["enabled"], json!(false));
    let r = admin
        .put(
            "/api/v1/registration/documents",
            json!({ "enabled": true, "trusted_hosts": ["App.Example.com", "app.example.com"] }),
        )
        .await;
    assert_eq!(
        r.json()["trusted_hosts"],
        json!(["app.example.com"]),
        "{}",
        r.body
    );
    let dev = create_user(&app.db, "dev", domain::accounts::Role::Developer).await;
    let r = Api::for_user(&app, &dev)
        .await
        .get("/api/v1/registration/documents")
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
}

/// A document's client from a host not trusted at once is an admission in the
/// queue, decided by the admission rule — unless it imitates a protected name,
/// which a person always decides.
#[tokio::test]
async fn the_admission_rule_decides_documents_but_never_look_alikes() {
    let app = spawn_local_app().await;
    let docs = Documents::start().await;
    settings(
        &app,
        true,
        &[],
        json!([{ "name": "Claude", "host": "claude.ai" }]),
    )
    .await;
    let admin = Api::admin(&app).await;
    let r = admin
        .post(
            "/api/v1/rules",
            json!({ "scopes": ["@registrations"], "approve_if": r#"registration.via == "metadata_document" && registration.host == "localhost""# }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let good = docs.url("localhost", "/good.json");
    let fake = docs.url("localhost", "/fake.json");
    docs.serve("/good.json", &document(&good, "Course helper"), None);
    docs.serve("/fake.json", &document(&fake, "Claude"), None);

    let b = app.browser();
    let loc = authorize_location(&b, &good).await;
    assert!(
        loc.starts_with("/login?return_to="),
        "admitted by the rule: {loc}"
    );
    assert_eq!(
        authorize_location(&b, &fake).await,
        "/oauth/error?reason=awaiting_admission"
    );
    let list = |status: &'static str| {
        let admin = &admin;
        async move {
            admin
                .get(&format!("/api/v1/requests?kind=admission&status={status}"))
                .await
                .json()["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let approved = list("approved").await;
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0]["client_id"], good.as_str());
    assert_eq!(approved[0]["arrival"]["via"], "metadata_document");
    assert_eq!(approved[0]["arrival"]["host"], "localhost");
    assert_eq!(approved[0]["decided_by"]["kind"], "rule");
    let pending = list("pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["client_id"], fake.as_str());
    assert_eq!(pending[0]["arrival"]["imitates"], "Claude");
    assert_eq!(pending[0]["evaluations"][0]["verdict"], "human");
}

/// A document's `scope`, as a dynamic registration's: the free scopes it lists
/// are the client's at once, the ones that need approval are not (and are named
/// in the audit event).
#[tokio::test]
async fn a_documents_free_scopes_are_granted_and_gated_ones_are_not() {
    let app = spawn_local_app().await;
    registrations_api(&app).await;
    let docs = Documents::start().await;
    let url = docs.url("127.0.0.1", "/scoped.json");
    let mut doc = document(&url, "Scoped agent");
    doc["scope"] = json!(format!("openid {READ} {WRITE}"));
    docs.serve("/scoped.json", &doc, None);
    settings(&app, true, &["127.0.0.1"], json!([])).await;
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let loc = authorize_location(&b, &url).await;
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let client = domain::clients::find(&app.db, &url).await.unwrap().unwrap();
    assert!(
        client.scopes.contains(&READ.to_owned()),
        "{:?}",
        client.scopes
    );
    assert!(
        !client.scopes.contains(&WRITE.to_owned()),
        "{:?}",
        client.scopes
    );
    let ev = app.audit_events_of("client.registered_by_document").await;
    assert_eq!(ev.last().unwrap()["scopes_not_granted"], json!([WRITE]));
}
