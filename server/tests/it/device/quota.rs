//! What operators set for the device flow: its lifetimes, and how many requests one
//! client may have waiting for a person, counted atomically.

use super::*;

#[tokio::test]
async fn the_code_lifetime_and_the_poll_interval_are_the_operators() {
    let app = spawn_app_with(|s| {
        s.device.code_lifetime_secs = 120;
        s.device.poll_interval_secs = 2;
    })
    .await;
    let client_id = tv(&app).await;
    let body = authorize_device(&app, &client_id, "openid").await;
    assert_eq!(
        (body["expires_in"].as_i64(), body["interval"].as_i64()),
        (Some(120), Some(2))
    );
    // The stored request ends when the device was told it would.
    let code = body["device_code"].as_str().unwrap();
    assert_eq!(
        poll_error(&app, &client_id, code).await,
        "authorization_pending"
    );
    app.clock.advance(121);
    assert_eq!(poll_error(&app, &client_id, code).await, "expired_token");
}

/// Twelve requests at once against a quota of three: three get codes, the rest a
/// 429 that says when to come back, and the table holds three — on PostgreSQL
/// too, where the count and the insert are serialised by a per-client lock.
#[tokio::test]
async fn a_client_cannot_have_more_requests_waiting_than_its_quota_even_all_at_once() {
    let app = spawn_app_with(|s| s.device.max_pending_per_client = 3).await;
    let client_id = tv(&app).await;
    let other = tv(&app).await;
    let base = app.base.clone();
    let answers = burst(12, |_| {
        let (base, client_id) = (base.clone(), client_id.clone());
        async move {
            let r = http()
                .post(format!("{base}/oauth/device_authorization"))
                .form(&[("client_id", client_id.as_str()), ("scope", "openid")])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let retry = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
            (status, retry, r.json::<Value>().await.unwrap())
        }
    })
    .await;
    let granted = answers.iter().filter(|a| a.0 == 200).count();
    assert_eq!(granted, 3, "{answers:?}");
    for (status, retry, body) in answers.iter().filter(|a| a.0 != 200) {
        assert_eq!(*status, 429, "{body}");
        assert_eq!(body["error"], "invalid_request");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("too many"),
            "{body}"
        );
        assert!(retry.is_some_and(|s| (1..=600).contains(&s)), "{retry:?}");
    }
    assert_eq!(app.count("device_codes").await, 3);

    // The quota is the client's own: another client is not held back by it.
    authorize_device(&app, &other, "openid").await;
    // And it frees up as requests end: expired ones no longer count.
    app.clock.advance(601);
    authorize_device(&app, &client_id, "openid").await;
}
