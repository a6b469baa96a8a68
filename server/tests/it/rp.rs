//! A relying party speaking raw HTTP (no library): the authorization-code flow with
//! PKCE against the real app, and the token, introspection and userinfo calls,
//! shared by the test modules that need a person's tokens.

use domain::clients::{ApplicationType, NewClient};
use serde_json::Value;

use crate::helpers::*;

pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// RFC 7636 appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The relying party of these tests: a web client named "Research Notebook"
/// redirecting to [`REDIRECT`].
pub fn notebook(scopes: &[&str]) -> NewClient {
    NewClient {
        metadata: domain::clients::ClientPatch {
            name: Some("Research Notebook".into()),
            redirect_uris: Some(vec![REDIRECT.into()]),
            ..Default::default()
        },
        application_type: Some(ApplicationType::Web),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// A query parameter of a URL or of a path with a query.
pub fn param(loc: &str, name: &str) -> Option<String> {
    query_param(loc, name)
}

/// The authorization request of `rp` for `scope` (plus `extra` parameters).
pub fn authorize_path(rp: &Creds, scope: &str, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        rp.id,
        enc(REDIRECT),
        enc(scope)
    )
}

/// Signs `user` in (when needed), opens `path`, consents when asked, and returns
/// where the browser was finally sent.
pub async fn authorize_as(b: &Browser, user: &str, path: &str) -> String {
    if b.signed_in_as().await.as_deref() != Some(user) {
        assert!(b.sign_in(user, ADMIN_PASSWORD).await.status < 400);
    }
    let loc = b.get(path).await.location().expect("authorize redirects");
    through_consent(b, &loc).await
}

/// Where an authorization request sent the browser: when that is the consent
/// page, allows and returns where the consent sent it.
pub async fn through_consent(b: &Browser, loc: &str) -> String {
    if !loc.starts_with("/oauth/consent?") {
        return loc.to_owned();
    }
    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{loc}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/oauth/consent", &refs)
        .await
        .location()
        .expect("consent redirects")
}

/// Signs `user` in (when needed), authorizes `scope`, consents when asked, and
/// returns the code.
pub async fn code_as(b: &Browser, user: &str, rp: &Creds, scope: &str) -> String {
    let loc = authorize_as(b, user, &authorize_path(rp, scope, "")).await;
    param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// A web client that may use the password grant (seed 004's campus app).
pub async fn password_client(app: &TestApp) -> Creds {
    register(
        app,
        domain::clients::NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Campus app".into()),
                redirect_uris: Some(vec!["https://app.example.edu/cb".into()]),
                grant_types: Some(vec!["password".into()]),
                ..Default::default()
            },
            application_type: Some(domain::clients::ApplicationType::Web),
            ..Default::default()
        },
    )
    .await
}

/// The password grant for `username` (whose password is the tests' one).
pub async fn password_grant(app: &TestApp, rp: &Creds, username: &str) -> (u16, Value) {
    token(
        app,
        rp,
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await
}

pub async fn token(app: &TestApp, rp: &Creds, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub async fn exchange(app: &TestApp, rp: &Creds, code: &str) -> Value {
    let (status, v) = token(
        app,
        rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

pub async fn refresh(app: &TestApp, rp: &Creds, rt: &str) -> (u16, Value) {
    token(
        app,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

/// RFC 7662 as `caller`.
pub async fn introspect(app: &TestApp, caller: &Creds, t: &str) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/introspect", app.base))
        .basic_auth(&caller.id, Some(&caller.secret))
        .form(&[("token", t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

pub async fn userinfo(app: &TestApp, t: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(t)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}
