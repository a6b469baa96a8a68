//! The whole flow with the `openidconnect` crate as the relying party, and the
//! helpers the other OpenID tests share.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde_json::Value;

use crate::helpers::{Creds as Rp, *};
use crate::rp::{notebook, param, CHALLENGE, REDIRECT};

#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An app on the real clock (the RP library checks expiry against it) with a user.
pub(crate) async fn setup() -> (TestApp, Rp) {
    let app = spawn_app().await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let rp = web_client(&app, &["openid", "profile", "email"]).await;
    (app, rp)
}

pub(crate) async fn web_client(app: &TestApp, scopes: &[&str]) -> Rp {
    register(app, notebook(scopes)).await
}

pub(crate) fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) fn query(url: &str) -> Vec<(String, String)> {
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
pub(crate) async fn authorize_as_alice(app: &TestApp, b: &Browser, authorize: &str) -> String {
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

pub(crate) fn path_and_query(url: &url::Url) -> String {
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

pub(crate) fn authorize_path(rp: &Rp, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=xyz&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        rp.id,
        url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
    )
}

pub(crate) async fn code_for(app: &TestApp, b: &Browser, rp: &Rp) -> String {
    let back = authorize_as_alice(app, b, &authorize_path(rp, "")).await;
    param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"))
}
