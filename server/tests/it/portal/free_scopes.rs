//! Scopes that need no approval are the developer's to add (issue 13, defect 2):
//! at once, without a justification, whatever gated scope is asked with them; only
//! the gated ones wait for an administrator, and only they need a justification.

use serde_json::{json, Value};

use super::clients::ask_scopes;
use crate::helpers::*;

const CALLBACK: &str = "https://notebook.example.edu/cb";

/// Where the authorization request of `client_id` for `scope` sends a signed-in
/// browser, or (an error page: the new client's redirect URI is not reviewed yet,
/// so errors are not sent to it) that page.
pub(super) async fn authorize(b: &Browser, client_id: &str, scope: &str) -> String {
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=s&code_challenge={}&code_challenge_method=S256",
        enc(CALLBACK),
        enc(scope),
        crate::rp::CHALLENGE,
    );
    let r = b.get(&path).await;
    r.location().unwrap_or(r.body)
}

/// The audit events of one type, oldest first.
async fn events(app: &TestApp, event_type: &str) -> Vec<(String, Value)> {
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq(event_type))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor_kind, serde_json::from_str(&e.data).unwrap()))
        .collect()
}

#[tokio::test]
async fn a_new_web_client_adds_profile_without_a_justification_and_signs_people_in_with_it() {
    let app = spawn_app().await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Notebook", "web", CALLBACK).await;
    let loc = authorize(&dev, &id, "openid profile").await;
    assert!(
        loc.contains(r#"data-testid="oauth-error-code">invalid_scope<"#),
        "{loc}"
    );

    // No justification: `profile` needs no approval, so nobody reads one.
    let r = ask_scopes(&dev, &id, &["profile"], "").await;
    assert!(
        r.location()
            .is_some_and(|l| l.contains("notice=scopes_added#")),
        "{} {}",
        r.status,
        r.body
    );
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(c.scopes.contains(&"profile".to_owned()), "{:?}", c.scopes);
    let loc = authorize(&dev, &id, "openid profile").await;
    assert!(loc.starts_with("/oauth/consent?"), "on to consent: {loc}");

    // Nothing waits, and the audit log says the catalogue's policy granted it.
    let adm = signed_in(&app, "admin").await;
    assert!(requests(&adm, "status=pending").await.is_empty());
    let approved = events(&app, "request.approved").await;
    assert_eq!(approved.len(), 1, "{approved:?}");
    assert_eq!(approved[0].0, "system");
    assert_eq!(approved[0].1["decided_by"], "policy");
    assert_eq!(approved[0].1["granted"], json!(["profile"]));
}

#[tokio::test]
async fn a_free_scope_asked_with_a_gated_one_is_added_at_once_and_only_the_gated_one_waits() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    let secret = shown_secret(&dev, &id).await;

    // Something goes to an administrator: the justification is required, and
    // without it nothing at all is added or asked.
    let r = ask_scopes(&dev, &id, &[READ, WRITE], "  ").await;
    assert!(r.status >= 400, "{} {}", r.status, r.body);
    assert!(r.body.contains("justification"), "{}", r.body);
    assert!(r.body.contains(WRITE), "names what needs it: {}", r.body);
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert!(c.scopes.is_empty(), "{:?}", c.scopes);
    assert_eq!(app.count("change_requests").await, 0);

    let r = ask_scopes(&dev, &id, &[READ, WRITE], "Two-way sync").await;
    assert!(
        r.location()
            .is_some_and(|l| l.contains("notice=scopes_added_request_submitted#")),
        "{} {}",
        r.status,
        r.body
    );
    // The free scope works now; the gated one waits, alone.
    let (status, body) = cc_token(&app, &id, &secret, Some(READ)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = cc_token(&app, &id, &secret, Some(WRITE)).await;
    assert_eq!(body["error"], "invalid_scope", "{status} {body}");
    let adm = signed_in(&app, "admin").await;
    let queue = requests(&adm, "status=pending").await;
    assert_eq!(queue.len(), 1, "{queue:?}");
    assert_eq!(
        queue[0]["summary"],
        format!("scopes {WRITE}"),
        "{}",
        queue[0]
    );
    assert_eq!(adm.shell().await["pending_requests"], 1);
    let mine = requests(&dev, "mine=true").await;
    assert_eq!(mine.len(), 2, "{mine:?}");

    // Approving the gated one adds it beside the free one.
    let rid = queue[0]["id"].as_str().unwrap();
    let r = adm
        .post(
            "/api/admin/approve_request",
            &[("id", rid), ("scopes[]", WRITE)],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let c = domain::clients::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(c.scopes, vec![READ.to_owned(), WRITE.to_owned()]);
    let submitted = events(&app, "request.submitted").await;
    assert_eq!(submitted.len(), 2, "{submitted:?}");
    let approved = events(&app, "request.approved").await;
    assert_eq!(approved.len(), 2, "{approved:?}");
    assert_eq!(approved[0].1["decided_by"], "policy");
    assert_eq!(approved[0].1["granted"], json!([READ]));
    assert_eq!(approved[1].1["decided_by"], "user");
    assert_eq!(approved[1].1["granted"], json!([WRITE]));
}

#[tokio::test]
async fn the_rest_api_adds_free_scopes_at_once_and_names_them_beside_the_gated_request() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let (_, api) = Api::developer(&app, "gus").await;
    let (id, _) = api.create_web_client("Gradebook", CALLBACK).await;

    // Only free scopes: no justification needed; the answer is the request that
    // added them.
    let r = api
        .post(
            "/api/v1/requests",
            json!({ "client_id": id, "kind": "scopes", "scopes": ["profile"] }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "approved", "{v}");
    assert_eq!(v["decided_by"]["kind"], "policy", "{v}");
    assert!(v.get("added_at_once").is_none(), "{v}");

    // A gated scope asked too: a justification is required (400, nothing added).
    let mixed = json!({ "client_id": id, "kind": "scopes", "scopes": ["email", WRITE] });
    let r = api.post("/api/v1/requests", mixed.clone()).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "justification", "{}", r.body);
    let c = api.get(&format!("/api/v1/clients/{id}")).await.json();
    assert_eq!(c["scopes"], json!(["openid", "profile"]), "{c}");

    let mut body = mixed;
    body["justification"] = json!("Grades sync");
    let r = api.post("/api/v1/requests", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "pending", "{v}");
    assert_eq!(v["scopes"], json!([WRITE]), "{v}");
    assert_eq!(v["added_at_once"]["scopes"], json!(["email"]), "{v}");
    let at_once = v["added_at_once"]["request_id"].as_str().unwrap();
    let seen = api.get(&format!("/api/v1/requests/{at_once}")).await.json();
    assert_eq!(seen["status"], "approved", "{seen}");
    assert_eq!(seen["granted"], json!(["email"]), "{seen}");
    let c = api.get(&format!("/api/v1/clients/{id}")).await.json();
    assert_eq!(c["scopes"], json!(["openid", "profile", "email"]), "{c}");
}
