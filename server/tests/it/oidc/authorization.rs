//! The authorization request and the code: consent, errors that stay on our page
//! or go back with `state`, denial, replayed codes, PKCE and redirect checks.

use super::flow::{authorize_path, code_for, query, setup, web_client};
use crate::helpers::*;
use crate::rp::{param, token as raw_token, CHALLENGE, REDIRECT, VERIFIER};

#[tokio::test]
async fn consent_is_remembered_unless_more_is_asked_or_prompt_consent() {
    let (app, rp) = setup().await;
    let b = app.browser();
    code_for(&app, &b, &rp).await;
    // Second time: straight back with a code, no consent page.
    let loc = b.get(&authorize_path(&rp, "")).await.location().unwrap();
    assert!(loc.starts_with(REDIRECT) && loc.contains("code="), "{loc}");
    // More scopes, or prompt=consent: the consent page again.
    let more = authorize_path(&rp, "").replace("openid%20profile", "openid%20profile%20email");
    assert!(b
        .get(&more)
        .await
        .location()
        .unwrap()
        .starts_with("/oauth/consent?"));
    assert!(b
        .get(&authorize_path(&rp, "&prompt=consent"))
        .await
        .location()
        .unwrap()
        .starts_with("/oauth/consent?"));
    assert!(app
        .audit_types()
        .await
        .contains(&"grant.created".to_owned()));
}

#[tokio::test]
async fn client_and_redirect_errors_stay_on_our_page_and_others_go_back_with_state() {
    let (app, rp) = setup().await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let wrong_redirect = authorize_path(&rp, "").replace("127.0.0.1%3A9", "evil.example");
    assert_eq!(
        b.get(&wrong_redirect).await.location().unwrap(),
        "/oauth/error?reason=bad_redirect_uri"
    );
    let unknown = authorize_path(&rp, "").replace(&rp.id, "nope");
    assert_eq!(
        b.get(&unknown).await.location().unwrap(),
        "/oauth/error?reason=unknown_client"
    );
    let page = b
        .get_html("/oauth/error?reason=bad_redirect_uri")
        .await
        .body;
    assert!(page.contains("has not registered"), "{page}");

    let no_pkce = authorize_path(&rp, "").replace(
        &format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"),
        "",
    );
    let loc = b.get(&no_pkce).await.location().unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(param(&loc, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&loc, "state").as_deref(), Some("xyz"));
    let plain = authorize_path(&rp, "")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert_eq!(
        param(&b.get(&plain).await.location().unwrap(), "error").as_deref(),
        Some("invalid_request")
    );
    let bad_scope = authorize_path(&rp, "").replace("openid%20profile", "openid%20admin");
    assert_eq!(
        param(&b.get(&bad_scope).await.location().unwrap(), "error").as_deref(),
        Some("invalid_scope")
    );
    let none = authorize_path(&rp, "&prompt=none");
    assert_eq!(
        param(&b.get(&none).await.location().unwrap(), "error").as_deref(),
        Some("consent_required")
    );
    let anon = app.browser();
    assert_eq!(
        param(&anon.get(&none).await.location().unwrap(), "error").as_deref(),
        Some("login_required")
    );
    assert!(anon
        .get(&authorize_path(&rp, ""))
        .await
        .location()
        .unwrap()
        .starts_with("/login?return_to=%2Foauth%2Fauthorize"));
}

#[tokio::test]
async fn denying_consent_sends_access_denied_and_stores_nothing() {
    let (app, rp) = setup().await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let loc = b.get(&authorize_path(&rp, "")).await.location().unwrap();
    let mut fields = query(&format!("http://x{loc}"));
    fields.push(("decision".into(), "deny".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = b.post("/oauth/consent", &refs).await.location().unwrap();
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(app.count("grants").await, 0);
    // And a consent POST without the CSRF token is refused.
    assert_eq!(b.post_raw("/oauth/consent", &refs).await.status, 403);
}

#[tokio::test]
async fn a_replayed_code_fails_and_revokes_what_it_issued() {
    let (app, rp) = setup().await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let (status, first) = raw_token(&app, &rp, &form).await;
    assert_eq!(status, 200, "{first}");
    let (status, again) = raw_token(&app, &rp, &form).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The first access token and refresh token are now dead.
    let r = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(first["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    let (_, refreshed) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(refreshed["error"], "invalid_grant");
}

#[tokio::test]
async fn wrong_or_missing_verifier_and_wrong_redirect_are_invalid_grant() {
    let (app, rp) = setup().await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, v) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    // OAuth 2.1 §4.1.3: a missing verifier fails the PKCE check, and the attempt
    // spends the code (token_bounds.rs shows it cannot be redeemed afterwards).
    assert_eq!(v["error"], "invalid_grant", "{v}");
    let code = code_for(&app, &b, &rp).await;
    let wrong = "a".repeat(43);
    let (_, v) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &wrong),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_grant");

    let code = code_for(&app, &b, &rp).await;
    let (_, v) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_grant");

    // A code is bound to its client.
    let other = web_client(&app, &["openid"]).await;
    let code = code_for(&app, &b, &rp).await;
    let (_, v) = raw_token(
        &app,
        &other,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_grant");
    // Expired codes are refused.
    let code = code_for(&app, &b, &rp).await;
    app.clock.advance(61);
    let (_, v) = raw_token(
        &app,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(v["error"], "invalid_grant");
}
