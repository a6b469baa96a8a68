//! The developer portal's REST API (seed 002) over real HTTP, authenticated with
//! access tokens from the server's own token endpoint.

use domain::accounts::{AdminCtx, Role};
use serde_json::{json, Value};
use server::api::routes;

use crate::helpers::*;

const REPORTS: &str = "https://reports.example.edu";

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// An API whose scope needs an administrator's approval.
async fn reports_api(app: &TestApp) {
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

fn path(template: &str, id: &str) -> String {
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

#[tokio::test]
async fn a_token_without_the_portal_scope_gets_403_insufficient_scope() {
    let app = spawn_app().await;
    reports_api(&app).await;
    let dev = create_user(&app.db, "nina", Role::Developer).await;
    // A token for another API, and a token for no API at all.
    for scopes in [&["reports:read"][..], &[][..]] {
        let ci = ci_client(&app, &dev, scopes).await;
        let api = Api::for_client(&app, &ci).await;
        let r = api.get(routes::CLIENTS).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.json()["error"], "insufficient_scope");
        let challenge = r.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        assert!(challenge.contains("error=\"insufficient_scope\""));
        assert!(challenge.contains("scope=\"portal\""));
    }
}

#[tokio::test]
async fn missing_garbage_expired_and_disabled_tokens_get_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "ivan", Role::Developer).await;
    let ci = ci_client(&app, &dev, &["portal"]).await;
    let good = Api::for_client(&app, &ci).await;
    assert_eq!(good.get(routes::CLIENTS).await.status, 200);

    let check = |r: Reply, with_error: bool| {
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(r.json()["error"], "invalid_token");
        let challenge = r.headers["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert_eq!(challenge.contains("error=\"invalid_token\""), with_error);
    };
    let none = Api::with_token(&app, None);
    check(none.get(routes::CLIENTS).await, false);
    // Bearer auth bypasses CSRF, but not authentication.
    check(
        none.post(routes::CLIENTS, json!({ "name": "x" })).await,
        false,
    );
    let garbage = Api::with_token(&app, Some("not.a.jwt".into()));
    check(garbage.get(routes::CLIENTS).await, true);
    let r = http()
        .get(format!("{}{}", app.base, routes::CLIENTS))
        .basic_auth(&ci.id, Some(&ci.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));

    // Disabling the CI client stops its tokens at once.
    let admin = Api::admin(&app).await;
    let r = admin
        .post(
            &path(routes::DISABLE, &ci.id),
            json!({ "justification": "leaked" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["disabled"], true);
    check(good.get(routes::CLIENTS).await, true);

    // Expired.
    app.clock.advance(3600);
    check(admin.get(routes::CLIENTS).await, true);
}

#[tokio::test]
async fn malformed_requests_get_json_errors_with_stable_codes() {
    let app = spawn_app().await;
    let (_, api) = Api::developer(&app, "bob").await;
    let token = api.token.clone().unwrap();
    let raw = |body: &'static str, ct: Option<&'static str>| {
        let mut rb = http()
            .post(format!("{}{}", app.base, routes::CLIENTS))
            .bearer_auth(&token)
            .body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        rb.send()
    };
    for (body, ct, status) in [
        ("{not json", Some("application/json"), 400),
        ("{\"name\": 5}", Some("application/json"), 400),
        (
            "{\"name\": \"x\", \"scopes\": [\"admin\"]}",
            Some("application/json"),
            400,
        ),
        ("{\"name\": \"x\"}", None, 415),
    ] {
        let r = raw(body, ct).await.unwrap();
        assert_eq!(r.status(), status, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "invalid_request", "{v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let r = api
        .post(routes::CLIENTS, json!({ "name": "", "redirect_uris": [] }))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["field"], "name");
    let r = api.get(&format!("{}?page=first", routes::CLIENTS)).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_request");
    let r = api.get("/api/v1/nothing-here").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"], "not_found");
    let r = api
        .send(reqwest::Method::PATCH, routes::CLIENTS, &[], None)
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["error"], "method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_is_public_and_describes_every_endpoint() {
    let app = spawn_app().await;
    let r = http()
        .get(format!("{}{}", app.base, routes::OPENAPI))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (p, methods) in [
        (routes::CLIENTS, &["get", "post"][..]),
        (routes::CLIENT, &["get", "put", "delete"][..]),
        (routes::ROTATE_SECRET, &["post"][..]),
        (routes::DISABLE, &["post"][..]),
        (routes::ENABLE, &["post"][..]),
        (routes::REQUESTS, &["get", "post"][..]),
        (routes::REQUEST, &["get"][..]),
        (routes::APPROVE, &["post"][..]),
        (routes::REJECT, &["post"][..]),
        (routes::SCOPES, &["get"][..]),
        (routes::SCOPE, &["put"][..]),
        (routes::RULES, &["get", "post"][..]),
        (routes::RULE, &["put", "delete"][..]),
    ] {
        for m in methods {
            assert!(paths[p].get(*m).is_some(), "{m} {p} is documented");
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ClientView"].is_object());
}

#[tokio::test]
async fn the_portal_api_is_ensured_once_even_when_processes_start_together() {
    use domain::entities::{resource, scope};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let dir = tempfile::tempdir().unwrap();
    let db = domain::platform::db::connect(&fresh_database_url(dir.path()).await)
        .await
        .unwrap();
    domain::platform::db::migrate(&db).await.unwrap();
    let issuer = "https://login.example.edu/";
    let (a, b) = tokio::join!(
        domain::apis::ensure_portal_api(&db, issuer, START),
        domain::apis::ensure_portal_api(&db, issuer, START),
    );
    a.unwrap();
    b.unwrap();
    domain::apis::ensure_portal_api(&db, issuer, START)
        .await
        .unwrap();
    let apis = resource::Entity::find()
        .filter(resource::Column::Audience.eq("https://login.example.edu/api/v1"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(apis, 1);
    let s = scope::Entity::find_by_id("portal".to_owned())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert!(s.requires_approval);
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
