//! `subject_type: pairwise` at registration (seed 001's "Subject Type", Approval;
//! issue 17): an administrator's registration is the review, so it applies at
//! once; a developer's client is registered public with a change request for
//! pairwise, made in the same transaction, that applies when approved. The sector
//! rules are checked at registration.

use domain::accounts::{Role, User};
use serde_json::{json, Value};

use crate::client_fields::sector_document;
use crate::helpers::*;
use crate::rp::*;

async fn app() -> (TestApp, User) {
    let app = spawn_app_with(|s| s.outbound.allow_private_addresses = true).await;
    let alice = create_user(&app.db, "alice", Role::User).await;
    (app, alice)
}

fn pairwise(name: &str, redirects: &[&str]) -> Value {
    json!({ "name": name, "redirect_uris": redirects, "subject_type": "pairwise" })
}

/// The `sub` the client registered as `created` (its REST answer) sees for alice.
async fn sub_for_alice(app: &TestApp, created: &Value) -> String {
    let rp = Creds {
        id: created["id"].as_str().unwrap().to_owned(),
        secret: created["client_secret"].as_str().unwrap().to_owned(),
    };
    let b = app.browser();
    let tokens = exchange(app, &rp, &code_as(&b, "alice", &rp, "openid").await).await;
    peek(s(&tokens, "id_token"))["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_administrators_pairwise_registration_applies_at_once() {
    let (app, alice) = app().await;
    let admin = Api::admin(&app).await;
    let r = admin
        .post("/api/v1/clients", pairwise("Notebook", &[REDIRECT]))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(created["subject_type"], "pairwise");
    assert_eq!(created["request_id"], Value::Null);
    let sub = sub_for_alice(&app, &created).await;
    assert_ne!(sub, alice.id, "not the account id");
    assert_eq!(sub.len(), 43, "{sub}");
    assert_eq!(app.count("change_requests").await, 0);
}

#[tokio::test]
async fn a_developers_pairwise_registration_waits_for_approval() {
    let (app, alice) = app().await;
    let admin = Api::admin(&app).await;
    let (_, dev) = Api::developer(&app, "dora").await;
    let before = app.audit_types().await.len();
    let r = dev
        .post("/api/v1/clients", pairwise("Notebook", &[REDIRECT]))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    assert_eq!(created["subject_type"], "public", "not before approval");
    let rid = created["request_id"]
        .as_str()
        .expect("a request")
        .to_owned();
    // The client and its request were written together, each audited.
    let events = app.audit_types().await[before..].to_vec();
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "client.created" || *e == "request.submitted")
            .count(),
        2,
        "{events:?}"
    );
    assert_eq!(sub_for_alice(&app, &created).await, alice.id, "public");

    let pending = dev.get(&format!("/api/v1/requests/{rid}")).await.json();
    assert_eq!(pending["status"], "pending", "{pending}");
    let r = admin
        .post(&format!("/api/v1/requests/{rid}/approve"), json!({}))
        .await;
    assert!(r.status < 400, "{}", r.body);
    let path = format!("/api/v1/clients/{}", created["id"].as_str().unwrap());
    assert_eq!(dev.get(&path).await.json()["subject_type"], "pairwise");
    let sub = sub_for_alice(&app, &created).await;
    assert_ne!(sub, alice.id);
    assert_eq!(sub, sub_for_alice(&app, &created).await, "stable");
}

#[tokio::test]
async fn pairwise_registration_needs_a_sector_and_a_refused_one_creates_nothing() {
    let (app, _) = app().await;
    let admin = Api::admin(&app).await;
    let (_, dev) = Api::developer(&app, "dora").await;
    let two_hosts = [REDIRECT, "http://localhost:9/callback"];
    let clients = app.count("clients").await;
    for api in [&admin, &dev] {
        let r = api
            .post("/api/v1/clients", pairwise("Notebook", &two_hosts))
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["field"], "sector_identifier_uri", "{}", r.body);
        // A service client has no subjects.
        let r = api
            .post(
                "/api/v1/clients",
                json!({ "name": "Robot", "application_type": "service", "subject_type": "pairwise" }),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["field"], "subject_type", "{}", r.body);
    }
    assert_eq!(app.count("clients").await, clients, "nothing was created");
    assert_eq!(app.count("change_requests").await, 0);

    // With a sector identifier document listing both, the sector is its host.
    let doc = sector_document(&two_hosts).await;
    let mut body = pairwise("Notebook", &two_hosts);
    body["sector_identifier_uri"] = json!(doc);
    let r = admin.post("/api/v1/clients", body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["subject_type"], "pairwise");
    let r = dev.post("/api/v1/clients", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["request_id"].is_string(), "{}", r.body);
}

#[tokio::test]
async fn the_portal_registration_form_asks_for_pairwise_with_approval() {
    let (app, _) = app().await;
    let dev = developer(&app, "dora").await;
    let form = |redirects: &'static str| {
        vec![
            ("name", "Notebook"),
            ("application_type", "web"),
            ("redirect_uris", redirects),
            ("grant_refresh_token", "on"),
            ("subject_type", "pairwise"),
        ]
    };
    // Redirect URIs on two hosts and no document: said beside the field.
    let clients = app.count("clients").await;
    let r = dev
        .post(
            "/api/portal/create_client",
            &form("http://127.0.0.1:9/callback\nhttp://localhost:9/callback"),
        )
        .await;
    assert!(r.status >= 400, "{}", r.body);
    assert!(r.body.contains("sector_identifier_uri"), "{}", r.body);
    assert_eq!(app.count("clients").await, clients);

    let r = dev.post("/api/portal/create_client", &form(REDIRECT)).await;
    let loc = r
        .location()
        .unwrap_or_else(|| panic!("{} {}", r.status, r.body));
    assert!(loc.ends_with("?notice=client_created_request"), "{loc}");
    let pending = requests(&dev, "mine=true&status=pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let changes = pending[0]["changes"].as_array().unwrap();
    assert_eq!(changes[0]["after"], "pairwise", "{pending:?}");

    // An administrator's registration on the form applies at once.
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let r = admin
        .post("/api/portal/create_client", &form(REDIRECT))
        .await;
    let loc = r.location().unwrap();
    assert!(loc.ends_with("?notice=client_created"), "{loc}");
    let id = loc
        .trim_start_matches("/developer/clients/")
        .split('?')
        .next()
        .unwrap();
    let api = Api::admin(&app).await;
    assert_eq!(
        api.get(&format!("/api/v1/clients/{id}")).await.json()["subject_type"],
        "pairwise"
    );
}
