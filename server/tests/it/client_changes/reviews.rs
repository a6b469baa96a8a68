//! M7: once an administrator approved a scope for a client, the developer must not
//! be able to widen what it reaches — add `client_credentials` (app-only tokens
//! with the approved scope) or send its redirects to a new site — without review.
//! Narrowing still applies at once.

use domain::accounts::Role;
use domain::clients::GrantType;
use serde_json::json;

use super::*;

#[tokio::test]
async fn after_an_approval_new_grant_types_and_redirect_origins_wait_for_review_on_the_portal() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let admin = signed_in(&app, "admin").await;
    let (id, secret) = create_in_portal(&dev, "Notebook", "https://n.example/cb").await;
    approved_in_portal(&dev, &admin, &id, WRITE).await;

    let edit = |grants: &'static [(&'static str, &'static str)], uris: &'static str| {
        let id = id.clone();
        let mut f: Vec<(&str, String)> = vec![
            ("id", id),
            ("name", "Notebook".into()),
            ("redirect_uris", uris.into()),
            ("justification", "a nightly job".into()),
        ];
        f.extend(grants.iter().map(|(k, v)| (*k, v.to_string())));
        f
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let dev = &dev;
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            dev.post("/api/portal/update_client", &refs).await
        }
    };

    // Adding client credentials and a redirect URI on another site: a request.
    let r = post(edit(
        &[
            ("grant_refresh_token", "on"),
            ("grant_client_credentials", "on"),
        ],
        "https://n.example/cb\nhttps://elsewhere.example/cb",
    ))
    .await;
    assert!(
        r.location()
            .is_some_and(|l| l.ends_with("notice=client_updated_request")),
        "{:?} {}",
        r.location(),
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(
        !c.allows(GrantType::ClientCredentials),
        "{:?}",
        c.metadata.grant_types
    );
    assert_eq!(
        c.metadata.redirect_uris,
        vec!["https://n.example/cb".to_owned()]
    );
    let (status, body) = cc_token(&app, &id, &secret, Some(WRITE)).await;
    assert_eq!(
        status, 400,
        "no app-only token with the approved scope: {body}"
    );
    assert_eq!(body["error"], "unauthorized_client");

    let pending = requests(&dev, "mine=true&status=pending").await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["kind"], "change");
    let fields: Vec<&str> = pending[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["grant types", "redirect URIs"]);
    assert!(pending[0]["changes"][0]["after"]
        .as_str()
        .unwrap()
        .contains("client_credentials"));

    // Narrowing and a new path on a reviewed origin apply at once.
    let r = post(edit(&[], "https://n.example/cb\nhttps://n.example/cb2")).await;
    assert!(
        r.location()
            .is_some_and(|l| l.ends_with("notice=client_updated")),
        "{:?} {}",
        r.location(),
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.metadata.grant_types, vec![GrantType::AuthorizationCode]);
    assert_eq!(c.metadata.redirect_uris.len(), 2);

    // The administrator approves: the additions apply to the client as it now is.
    let r = admin
        .post(
            "/api/admin/approve_request",
            &[("id", pending[0]["id"].as_str().unwrap())],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(
        c.metadata.grant_types,
        vec![GrantType::AuthorizationCode, GrantType::ClientCredentials]
    );
    assert!(c
        .metadata
        .redirect_uris
        .contains(&"https://elsewhere.example/cb".to_owned()));
    let (status, body) = cc_token(&app, &id, &secret, Some(WRITE)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn after_an_approval_new_grant_types_and_redirect_origins_wait_for_review_on_the_rest_api() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let ada = create_user(&app.db, "ada", Role::Developer).await;
    let dev = Api::for_user(&app, &ada).await;
    let admin = Api::for_user(&app, &app.admin).await;
    let (id, secret) = dev
        .create_web_client("Notebook", "https://n.example/cb")
        .await;
    let path = format!("/api/v1/clients/{id}");

    // Before any approval-gated scope, widening needs nobody.
    let r = dev
        .put(
            &path,
            json!({ "redirect_uris": ["https://n.example/cb", "https://early.example/cb"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["pending_request"].is_null());

    let r = dev
        .post(
            "/api/v1/requests",
            json!({ "client_id": id, "kind": "scopes", "scopes": [WRITE], "justification": "sync" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rid = r.json()["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(&format!("/api/v1/requests/{rid}/approve"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Now it does: without a justification it is refused, with one it is a request.
    let widen = json!({
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "redirect_uris": ["https://n.example/cb", "https://early.example/cb", "https://evil.example/cb"],
    });
    let r = dev.put(&path, widen.clone()).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "justification");
    let mut with_why = widen.clone();
    with_why["justification"] = json!("reports for the registrar");
    let r = dev.put(&path, with_why).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["pending_request"]["kind"], "change", "{v}");
    assert_eq!(
        v["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        v["redirect_uris"],
        json!(["https://n.example/cb", "https://early.example/cb"])
    );
    let (status, body) = cc_token(&app, &id, &secret, Some(WRITE)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");

    // Removing a grant type needs nobody.
    let r = dev
        .put(&path, json!({ "grant_types": ["authorization_code"] }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["pending_request"].is_null());
    assert_eq!(r.json()["grant_types"], json!(["authorization_code"]));
}
