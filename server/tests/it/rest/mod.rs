//! The developer portal's REST API (seed 002) over real HTTP, authenticated with
//! access tokens from the server's own token endpoint: clients and requests here,
//! bearer authentication and errors in `auth`, the OpenAPI document in `document`.

use domain::accounts::{AdminCtx, Role};
use serde_json::{json, Value};
use server::api::routes;

use crate::helpers::*;

mod auth;
mod document;
mod team;

pub(super) const REPORTS: &str = "https://reports.example.edu";

pub(super) fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// An API whose scope needs an administrator's approval.
pub(super) async fn reports_api(app: &TestApp) {
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(&app.db, &ctx, "Reports", REPORTS, START)
        .await
        .unwrap();
    domain::apis::add_scope(
        &app.db,
        &ctx,
        &r.id,
        "reports:read",
        "Read reports",
        true,
        START,
    )
    .await
    .unwrap();
}

pub(super) fn path(template: &str, id: &str) -> String {
    template.replace("{id}", id)
}

#[tokio::test]
async fn a_ci_client_registers_a_client_for_its_owner_and_the_secret_is_shown_only_at_creation_and_rotation(
) {
    let app = spawn_app().await;
    let (dev, api) = Api::developer(&app, "dana").await;

    let created = api
        .register_web_client("Course planner", "https://app.example.edu/cb")
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 32);
    assert_eq!(created["owner_id"], json!(dev.id));
    assert_eq!(created["application_type"], "web");
    assert_eq!(created["token_endpoint_auth_method"], "client_secret_basic");

    let one = api.get(&path(routes::CLIENT, &id)).await;
    assert_eq!(one.status, 200);
    assert!(
        one.headers.get("set-cookie").is_none(),
        "the API sets no portal cookies"
    );
    assert_eq!(one.json()["name"], "Course planner");
    assert!(one.json().get("client_secret").is_none());
    assert!(!one.body.contains(&secret), "GET never shows the secret");

    let list = api
        .get(&format!("{}?sort=created&q=Course", routes::CLIENTS))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    let l = list.json();
    assert_eq!(l["total"], 1, "{l}");
    assert_eq!(l["page"], 1);
    assert_eq!(l["items"][0]["id"], json!(id));
    assert!(!list.body.contains(&secret));
    assert!(l["items"][0].get("client_secret").is_none());

    let rotated = api
        .post(
            &path(routes::ROTATE_SECRET, &id),
            json!({ "overlap": "1h" }),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let rj = rotated.json();
    let new_secret = rj["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert_eq!(
        rj["previous_secret_expires_at"],
        json!(app.clock_now() + 3600)
    );
    let again = api.get(&path(routes::CLIENT, &id)).await;
    assert!(!again.body.contains(new_secret));

    // The action is the owner's, made through the CI client.
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ev = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("client.secret_rotated"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("rotation audited");
    assert_eq!(ev.actor_id.as_deref(), Some(dev.id.as_str()));

    let gone = api.delete(&path(routes::CLIENT, &id)).await;
    assert_eq!(gone.status, 204);
    assert_eq!(api.get(&path(routes::CLIENT, &id)).await.status, 404);
}

#[tokio::test]
async fn other_developers_get_404_for_a_client_they_do_not_own_and_admins_see_it() {
    let app = spawn_app().await;
    let (_, owner) = Api::developer(&app, "olga").await;
    let (_, other) = Api::developer(&app, "mallory").await;
    let id = owner
        .register_web_client("Olga's app", "https://app.example.edu/cb")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for r in [
        other.get(&path(routes::CLIENT, &id)).await,
        other
            .put(&path(routes::CLIENT, &id), json!({ "name": "Mine now" }))
            .await,
        other.delete(&path(routes::CLIENT, &id)).await,
        other
            .post(&path(routes::ROTATE_SECRET, &id), json!({}))
            .await,
        other.post(&path(routes::DISABLE, &id), json!({})).await,
        other
            .post(
                routes::REQUESTS,
                json!({ "client_id": id, "kind": "scopes", "scopes": ["openid"], "justification": "please" }),
            )
            .await,
    ] {
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(r.json()["error"], "not_found");
    }
    let mine = other.get(routes::CLIENTS).await.json();
    assert!(mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != json!(id)));
    let all = other.get(&format!("{}?all=true", routes::CLIENTS)).await;
    assert_eq!(all.status, 403);
    assert_eq!(all.json()["error"], "forbidden");
    // Unchanged after the attempts.
    assert_eq!(
        owner.get(&path(routes::CLIENT, &id)).await.json()["name"],
        "Olga's app"
    );

    let admin = Api::admin(&app).await;
    assert_eq!(admin.get(&path(routes::CLIENT, &id)).await.status, 200);
    let everyone = admin
        .get(&format!("{}?all=true&per_page=100", routes::CLIENTS))
        .await
        .json();
    assert!(everyone["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == json!(id)));
}

#[tokio::test]
async fn approval_gated_fields_sent_with_put_become_a_request_and_leave_the_client_unchanged() {
    let app = spawn_app().await;
    let (_, api) = Api::developer(&app, "gus").await;
    let id = api
        .register_web_client("Gradebook", "https://app.example.edu/cb")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Without a justification, nothing happens.
    let r = api
        .put(
            &path(routes::CLIENT, &id),
            json!({ "password_grant": true }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(r.json()["field"], "justification");

    let r = api
        .put(
            &path(routes::CLIENT, &id),
            json!({
                "name": "Gradebook 2",
                "grant_types": ["authorization_code", "refresh_token", "password"],
                "refresh_token_ttl_secs": 86400,
                "justification": "legacy kiosk sign-in",
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["name"], "Gradebook 2", "direct fields apply at once");
    assert!(!body["grant_types"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));
    assert_eq!(body["refresh_token_ttl_secs"], Value::Null);
    let req = &body["pending_request"];
    assert_eq!(req["kind"], "change");
    assert_eq!(req["status"], "pending");
    let fields: Vec<&str> = req["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"password_grant") && fields.contains(&"refresh_token_ttl_secs"));

    let now = api.get(&path(routes::CLIENT, &id)).await.json();
    assert!(!now["grant_types"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));
    assert_eq!(now["refresh_token_ttl_secs"], Value::Null);

    // Scopes and expiry are not edited here at all.
    let r = api
        .put(
            &path(routes::CLIENT, &id),
            json!({ "scopes": ["openid", "reports:read"] }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "scopes");
    let r = api
        .put(&path(routes::CLIENT, &id), json!({ "expires_at": null }))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "expires_at");

    // A client as returned by GET can be sent back unchanged.
    let r = api.put(&path(routes::CLIENT, &id), now.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["pending_request"], Value::Null);
}

#[tokio::test]
async fn rejecting_a_request_needs_a_reason_and_an_administrator() {
    let app = spawn_app().await;
    reports_api(&app).await;
    let (_, dev) = Api::developer(&app, "rita").await;
    let admin = Api::admin(&app).await;
    let id = dev
        .register_web_client("Reports viewer", "https://app.example.edu/cb")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = dev
        .post(
            routes::REQUESTS,
            json!({ "client_id": id, "kind": "scopes", "scopes": ["reports:read"], "justification": "dashboards" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let req = r.json();
    assert_eq!(req["status"], "pending");
    let rid = req["id"].as_str().unwrap().to_owned();

    let r = dev
        .post(&path(routes::REJECT, &rid), json!({ "reason": "no" }))
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "forbidden");
    let r = dev.post(&path(routes::APPROVE, &rid), json!({})).await;
    assert_eq!(r.status, 403);

    for body in [json!({}), json!({ "reason": "   " })] {
        let r = admin.post(&path(routes::REJECT, &rid), body).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(r.json()["error"], "invalid_request");
        assert_eq!(r.json()["field"], "reason");
    }
    let pending = dev
        .get(&format!(
            "{}?status=pending&client_id={id}",
            routes::REQUESTS
        ))
        .await
        .json();
    assert_eq!(pending["total"], 1, "{pending}");

    let r = admin
        .post(
            &path(routes::REJECT, &rid),
            json!({ "reason": "use the public export" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "rejected");
    assert_eq!(r.json()["reason"], "use the public export");
    let r = admin
        .post(&path(routes::REJECT, &rid), json!({ "reason": "again" }))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["error"], "conflict");
    let seen = dev.get(&path(routes::REQUEST, &rid)).await;
    assert_eq!(seen.json()["status"], "rejected");
}

#[tokio::test]
async fn an_approved_scope_request_reaches_the_next_client_credentials_token() {
    let app = spawn_app().await;
    reports_api(&app).await;
    let (_, dev) = Api::developer(&app, "wes").await;
    let admin = Api::admin(&app).await;

    let worker = dev
        .post(
            routes::CLIENTS,
            json!({ "name": "Nightly export", "application_type": "service" }),
        )
        .await;
    assert_eq!(worker.status, 201, "{}", worker.body);
    let worker = worker.json();
    let (wid, wsecret) = (
        worker["id"].as_str().unwrap().to_owned(),
        worker["client_secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(worker["scopes"], json!([]));

    let r = dev
        .post(
            routes::REQUESTS,
            json!({ "client_id": wid, "kind": "scopes", "scopes": ["reports:read"], "justification": "nightly export" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rid = r.json()["id"].as_str().unwrap().to_owned();
    let (status, before) = cc_token(&app, &wid, &wsecret, None).await;
    assert_eq!(status, 200);
    assert!(before.get("scope").is_none(), "{before}");

    let queue = admin
        .get(&format!("{}?status=pending&kind=scopes", routes::REQUESTS))
        .await
        .json();
    assert!(queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == json!(rid)));
    let r = admin
        .post(&path(routes::APPROVE, &rid), json!({ "note": "ok" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "approved");
    assert_eq!(r.json()["granted"], json!(["reports:read"]));

    let (status, after) = cc_token(&app, &wid, &wsecret, None).await;
    assert_eq!(status, 200);
    assert_eq!(after["scope"], "reports:read", "{after}");
}

/// Issue 17: a client's access-token lifetime is set by administrators only,
/// within the server's bounds; the tokens it gets carry it.
#[tokio::test]
async fn only_an_administrator_sets_a_clients_access_token_lifetime() {
    let app = spawn_app().await;
    let (_, dev) = Api::developer(&app, "dana").await;
    let r = dev
        .post(
            "/api/v1/clients",
            json!({ "name": "Short lived", "application_type": "service" }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let secret = created["client_secret"].as_str().unwrap().to_owned();
    let at = path(routes::CLIENT, &id);
    assert_eq!(
        dev.get(&at).await.json()["access_token_ttl_secs"],
        Value::Null
    );
    // Echoing GET back is fine; changing it is not the developer's call.
    let echo = dev.get(&at).await.json();
    assert_eq!(dev.put(&at, echo).await.status, 200);
    let r = dev.put(&at, json!({ "access_token_ttl_secs": 600 })).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "access_token_ttl_secs");

    let admin = Api::admin(&app).await;
    for bad in [30, 4000] {
        let r = admin
            .put(&at, json!({ "access_token_ttl_secs": bad }))
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.json()["field"], "access_token_ttl_secs");
    }
    let r = admin
        .put(&at, json!({ "access_token_ttl_secs": 600 }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(dev.get(&at).await.json()["access_token_ttl_secs"], 600);
    let (status, t) = cc_token(&app, &id, &secret, None).await;
    assert_eq!(status, 200, "{t}");
    let claims = peek(t["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(t["expires_in"], 600);

    let r = admin
        .put(&at, json!({ "access_token_ttl_secs": null }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, t) = cc_token(&app, &id, &secret, None).await;
    assert_ne!(t["expires_in"], 600, "back to the server's lifetime");
}
