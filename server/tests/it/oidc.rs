//! The authorization-code flow end to end with the `openidconnect` crate as the
//! relying party (discovery, PKCE, ID token validation, userinfo, refresh), and the
//! raw-HTTP negatives a certified provider must get right.

use domain::clients::NewClient;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde_json::Value;

use crate::helpers::{Creds as Rp, *};
use crate::rp::{notebook, param, token as raw_token, CHALLENGE, REDIRECT, VERIFIER};

#[allow(clippy::disallowed_methods)]
fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An app on the real clock (the RP library checks expiry against it) with a user.
async fn setup() -> (TestApp, Rp) {
    let app = spawn_app().await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let rp = web_client(&app, &["openid", "profile", "email"]).await;
    (app, rp)
}

async fn web_client(app: &TestApp, scopes: &[&str]) -> Rp {
    register(app, notebook(scopes)).await
}

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(&format!("http://x{}", url.trim_start_matches("http://x")))
        .or_else(|_| url::Url::parse(url))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Signs alice in, opens `authorize` (a path+query), consents if asked, and returns
/// where the browser was finally sent.
async fn authorize_as_alice(app: &TestApp, b: &Browser, authorize: &str) -> String {
    if b.signed_in_as().await.is_none() {
        assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    }
    let r = b.get(authorize).await;
    let loc = r.location().expect("authorize redirects");
    if !loc.starts_with("/oauth/consent?") {
        return loc;
    }
    let page = b.get_html(&loc).await.body;
    assert!(
        page.contains("Research Notebook"),
        "the consent page names the app"
    );
    let mut fields = query(&format!("http://x{loc}"));
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = b.post("/oauth/consent", &refs).await;
    let _ = app;
    r.location().expect("consent redirects back to the client")
}

fn path_and_query(url: &url::Url) -> String {
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
}

#[tokio::test]
async fn a_relying_party_signs_a_user_in_with_code_pkce_and_refreshes() {
    let (app, rp) = setup().await;
    let http = http();
    let meta = CoreProviderMetadata::discover_async(
        IssuerUrl::new(app.settings.issuer.clone()).unwrap(),
        &http,
    )
    .await
    .unwrap();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(rp.id.clone()),
        Some(ClientSecret::new(rp.secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let b = app.browser();
    let back = authorize_as_alice(&app, &b, &path_and_query(&auth_url)).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(csrf.secret().as_str()),
        "state echoed unchanged"
    );
    assert_eq!(
        param(&back, "iss").as_deref(),
        Some(app.settings.issuer.as_str()),
        "RFC 9207 iss"
    );
    let code = param(&back, "code").expect("a code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token for the openid scope");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    let alice = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claims.subject().as_str(), alice.id);
    assert_eq!(claims.preferred_username().unwrap().as_str(), "alice");
    assert_eq!(claims.email().unwrap().as_str(), "alice@example.edu");

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject().as_str(), alice.id);
    assert_eq!(
        info.name().unwrap().get(None).unwrap().as_str(),
        "alice display"
    );

    // The access token names both the app and the person (seed 004).
    let at: Value = peek(tokens.access_token().secret());
    assert_eq!(at["sub"], alice.id);
    assert_eq!(at["client_id"], rp.id);
    assert!(at["auth_time"].is_i64());

    // Refresh rotates; the old refresh token is then refused and kills the family.
    let first = tokens.refresh_token().expect("a refresh token").clone();
    let second = client
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let newer: RefreshToken = second.refresh_token().unwrap().clone();
    assert_ne!(newer.secret(), first.secret());
    assert!(client
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&http)
        .await
        .is_err());
    assert!(
        client
            .exchange_refresh_token(&newer)
            .unwrap()
            .request_async(&http)
            .await
            .is_err(),
        "reuse of a rotated refresh token revokes the whole family (RFC 9700 §4.14)"
    );
    let types = app.audit_types().await;
    assert!(types.contains(&"refresh_token.reused".to_owned()));
    // One token.issued per token response (code, then refresh), and the refresh.
    let issued: Vec<_> = types.iter().filter(|t| *t == "token.issued").collect();
    assert_eq!(issued.len(), 2, "{types:?}");
    assert_eq!(
        types.iter().filter(|t| *t == "token.refreshed").count(),
        1,
        "{types:?}"
    );
}

fn authorize_path(rp: &Rp, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        rp.id,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    )
}

async fn code_for(app: &TestApp, b: &Browser, rp: &Rp) -> String {
    let back = authorize_as_alice(app, b, &authorize_path(rp, "")).await;
    param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"))
}

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

#[tokio::test]
async fn userinfo_answers_get_and_post_and_a_signed_jwt_when_registered() {
    let (app, rp) = setup().await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
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
    let at = t["access_token"].as_str().unwrap().to_owned();
    let http = reqwest::Client::new();
    let get: Value = http
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post: Value = http
        .post(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(get, post);
    assert_eq!(get["preferred_username"], "alice");
    assert!(
        get.get("email").is_none(),
        "no email claim without the email scope"
    );

    // The same client, now registered for signed userinfo.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let m = domain::entities::client::Entity::find_by_id(rp.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: domain::entities::client::ActiveModel = m.into();
    am.userinfo_signed_response_alg = Set(Some("ES256".into()));
    am.update(&app.db).await.unwrap();
    let r = http
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/jwt");
    let jwt = r.text().await.unwrap();
    let claims: Value = peek(&jwt);
    assert_eq!(claims["aud"], rp.id);
    assert_eq!(claims["preferred_username"], "alice");
    assert_eq!(
        jsonwebtoken::decode_header(&jwt).unwrap().alg,
        jsonwebtoken::Algorithm::ES256
    );
}

#[tokio::test]
async fn the_third_party_switch_stops_third_party_apps_and_spares_first_party_ones() {
    let (app, rp) = setup().await;
    let first = register(
        &app,
        NewClient {
            name: "Portal itself".into(),
            first_party: true,
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await; // consent given while allowed

    let ctx = domain::accounts::AdminCtx::operator();
    domain::settings::set_bool(
        &app.db,
        &ctx,
        domain::settings::THIRD_PARTY_OAUTH,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert_eq!(
        b.get(&authorize_path(&rp, "")).await.location().unwrap(),
        "/oauth/error?reason=third_party_disabled"
    );
    let page = b
        .get_html("/oauth/error?reason=third_party_disabled")
        .await
        .body;
    assert!(
        page.contains("An administrator has turned this off"),
        "{page}"
    );
    let (status, v) = raw_token(
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
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    // First-party apps carry on.
    assert!(b
        .get(&authorize_path(&first, ""))
        .await
        .location()
        .unwrap()
        .starts_with("/oauth/consent?"));

    domain::settings::set_bool(
        &app.db,
        &ctx,
        domain::settings::THIRD_PARTY_OAUTH,
        true,
        app.clock_now(),
    )
    .await
    .unwrap();
    let back = authorize_as_alice(&app, &b, &authorize_path(&rp, "")).await;
    assert!(
        param(&back, "code").is_some(),
        "turning it back on restores access: {back}"
    );
    assert!(app
        .audit_types()
        .await
        .contains(&"settings.changed".to_owned()));
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_for_a_fresh_sign_in() {
    let (app, rp) = setup().await;
    let b = app.browser();
    code_for(&app, &b, &rp).await;
    // prompt=login: sign in again, even just after signing in (OIDC Core §3.1.2.1)...
    let loc = b
        .get(&authorize_path(&rp, "&prompt=login"))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    // ...then back to the same request without the demand the sign-in has met, so
    // the browser does not loop back to sign-in.
    let back = param(&loc, "return_to").unwrap();
    assert_eq!(back, authorize_path(&rp, ""));
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    assert!(b.get(&back).await.location().unwrap().starts_with(REDIRECT));
    // Other values of prompt stay.
    let loc = b
        .get(&authorize_path(&rp, "&prompt=login%20consent"))
        .await
        .location()
        .unwrap();
    assert_eq!(
        param(&loc, "return_to").unwrap(),
        authorize_path(&rp, "&prompt=consent")
    );

    app.clock.advance(600);
    let loc = b
        .get(&authorize_path(&rp, "&max_age=300"))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    assert_eq!(param(&loc, "return_to").unwrap(), authorize_path(&rp, ""));
    assert!(b
        .get(&authorize_path(&rp, "&max_age=3600"))
        .await
        .location()
        .unwrap()
        .starts_with(REDIRECT));
    let none = b
        .get(&authorize_path(&rp, "&max_age=300&prompt=none"))
        .await
        .location()
        .unwrap();
    assert_eq!(param(&none, "error").as_deref(), Some("login_required"));
    let bad = b
        .get(&authorize_path(&rp, "&max_age=soon"))
        .await
        .location()
        .unwrap();
    assert_eq!(param(&bad, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn id_tokens_are_rs256_by_default_and_es256_when_the_client_asks() {
    let (app, rp) = setup().await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
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
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(id).unwrap().alg,
        jsonwebtoken::Algorithm::RS256
    );
    assert_eq!(peek(id)["aud"], rp.id);

    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let m = domain::entities::client::Entity::find_by_id(rp.id.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: domain::entities::client::ActiveModel = m.into();
    am.id_token_signed_response_alg = Set("ES256".into());
    am.update(&app.db).await.unwrap();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
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
    assert_eq!(
        jsonwebtoken::decode_header(t["id_token"].as_str().unwrap())
            .unwrap()
            .alg,
        jsonwebtoken::Algorithm::ES256
    );
}

#[tokio::test]
async fn a_client_limited_to_some_email_domains_gets_no_code_for_other_accounts() {
    let (app, _) = setup().await;
    let only_org = register(
        &app,
        NewClient {
            allowed_email_domains: vec!["Example.ORG".into()],
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let b = app.browser();
    let back = authorize_as_alice(&app, &b, &authorize_path(&only_org, "")).await; // alice@example.edu
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    assert!(param(&back, "code").is_none());

    let edu = register(
        &app,
        NewClient {
            allowed_email_domains: vec!["example.edu".into()],
            ..notebook(&["openid", "profile"])
        },
    )
    .await;
    let back = authorize_as_alice(&app, &b, &authorize_path(&edu, "")).await;
    assert!(param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn a_client_can_introspect_its_own_refresh_token_until_it_is_rotated() {
    let (app, rp) = setup().await;
    let other = web_client(&app, &["openid"]).await;
    let b = app.browser();
    let code = code_for(&app, &b, &rp).await;
    let (_, t) = raw_token(
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
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();
    let introspect = |who: &Rp, token: String| {
        let (id, secret, base) = (who.id.clone(), who.secret.clone(), app.base.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{base}/oauth/introspect"))
                .basic_auth(id, Some(secret))
                .form(&[("token", token.as_str())])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let v = introspect(&rp, refresh.clone()).await;
    assert_eq!(
        (v["active"].as_bool(), v["token_type"].as_str()),
        (Some(true), Some("refresh_token")),
        "{v}"
    );
    assert_eq!(v["scope"], "openid profile");
    assert_eq!(
        introspect(&other, refresh.clone()).await["active"],
        false,
        "not another client's business"
    );
    raw_token(
        &app,
        &rp,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(introspect(&rp, refresh).await["active"], false, "rotated");
}
