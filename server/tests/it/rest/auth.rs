//! Bearer authentication of the REST API (RFC 6750) and its JSON errors.

use super::*;

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
