//! The token endpoint's answers to a polling device (RFC 8628 §3.5), the client
//! binding, and one consumption under real concurrency.

use serde_json::Value;

use super::*;

#[tokio::test]
async fn polling_answers_pending_slow_down_denied_and_expired() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let code = d["device_code"].as_str().unwrap().to_owned();

    // RFC 8628 §3.5: too fast is slow_down, and the interval grows by 5 s each time.
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "authorization_pending"
    );
    assert_eq!(poll_error(&app, &client_id, &code).await, "slow_down");
    app.clock.advance(9);
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "slow_down",
        "the interval is 10 s now"
    );
    app.clock.advance(14);
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "slow_down",
        "and 15 s after the second slow_down"
    );
    app.clock.advance(20);
    assert_eq!(
        poll_error(&app, &client_id, &code).await,
        "authorization_pending"
    );

    // Denied: the device hears access_denied.
    let d2 = authorize_device(&app, &client_id, "openid").await;
    let bob = signed_in_user(&app, "bob").await;
    let denied = decide(&bob, d2["user_code"].as_str().unwrap(), "deny").await;
    assert_eq!(denied.location().as_deref(), Some("/device?done=denied"));
    let code2 = d2["device_code"].as_str().unwrap();
    assert_eq!(poll_error(&app, &client_id, code2).await, "access_denied");
    assert!(app
        .audit_types()
        .await
        .contains(&"device_authorization.denied".to_owned()));

    // Expired: after expires_in, whatever the state.
    app.clock.advance(600);
    assert_eq!(poll_error(&app, &client_id, &code).await, "expired_token");
    assert_eq!(poll_error(&app, &client_id, code2).await, "expired_token");
}

#[tokio::test]
async fn only_the_client_the_code_was_issued_to_may_poll_and_only_with_the_grant() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let other = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let code = d["device_code"].as_str().unwrap().to_owned();
    let alice = signed_in_user(&app, "alice").await;
    decide(&alice, d["user_code"].as_str().unwrap(), "allow").await;

    assert_eq!(poll_error(&app, &other, &code).await, "invalid_grant");
    assert_eq!(
        poll_error(&app, &client_id, "no-such-device-code").await,
        "invalid_grant"
    );
    let (status, body) = post_form(
        &app,
        "/oauth/token",
        &[("grant_type", DEVICE_GRANT), ("client_id", &client_id)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    // The other client's try spent nothing: the right client still gets its tokens.
    assert_eq!(poll(&app, &client_id, &code).await.0, 200);

    // A client without the grant may neither start nor poll.
    let no_grant = device_client(&app, &["authorization_code"]).await;
    let (status, body) = post_form(
        &app,
        "/oauth/device_authorization",
        &[("client_id", &no_grant), ("scope", "openid")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    assert_eq!(
        poll_error(&app, &no_grant, &code).await,
        "unauthorized_client"
    );

    // Scopes as at /authorize: only those the client holds.
    let (status, body) = post_form(
        &app,
        "/oauth/device_authorization",
        &[("client_id", &client_id), ("scope", "openid admin")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    // Client authentication as at the token endpoint.
    let (status, body) = post_form(
        &app,
        "/oauth/device_authorization",
        &[("client_id", "nobody"), ("scope", "openid")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn two_concurrent_polls_after_approval_get_tokens_once() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let code = d["device_code"].as_str().unwrap().to_owned();
    let alice = signed_in_user(&app, "alice").await;
    decide(&alice, d["user_code"].as_str().unwrap(), "allow").await;
    let base = app.base.clone();
    let results = burst(8, |_| {
        let (base, client_id, code) = (base.clone(), client_id.clone(), code.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .form(&[
                    ("grant_type", DEVICE_GRANT),
                    ("client_id", &client_id),
                    ("device_code", &code),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap();
            (status, body["error"].as_str().map(str::to_owned))
        }
    })
    .await;
    let won = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter(|(s, _)| *s != 200)
            .all(|(s, e)| *s == 400 && e.as_deref() == Some("invalid_grant")),
        "{results:?}"
    );
    let issued = app
        .audit_types()
        .await
        .into_iter()
        .filter(|t| t == "token.issued")
        .count();
    assert_eq!(issued, 1);
}
