//! Issue 11, M6: anyone may sign up as `president@example.edu`, so a client's
//! e-mail domain restriction is satisfied only by a verified address. Accounts an
//! administrator or the operator created count as verified, self sign-ups do not;
//! the `email_verified` claim says which.

use domain::accounts::Role;
use domain::clients::{ApplicationType, NewClient};
use serde_json::Value;

use crate::helpers::*;
use crate::rp::{CHALLENGE, VERIFIER};

const REDIRECT: &str = "https://registrar.example.edu/cb";

fn authorize(client_id: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fregistrar.example.edu%2Fcb&scope=openid%20email&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256"
    )
}

/// Signs in through the authorization endpoint and the consent page; returns
/// where the browser is sent back to.
async fn authorize_as(b: &Browser, client_id: &str) -> String {
    let loc = b.get(&authorize(client_id)).await.location().unwrap();
    if !loc.starts_with("/oauth/consent?") {
        return loc;
    }
    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{loc}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post("/oauth/consent", &refs).await.location().unwrap()
}

async fn token(app: &TestApp, c: &Creds, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&c.id, Some(&c.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// The code flow to the end: the ID token's claims and userinfo's answer.
async fn claims_after_sign_in(app: &TestApp, b: &Browser, c: &Creds) -> (Value, Value) {
    let back = authorize_as(b, &c.id).await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let (status, t) = token(
        app,
        c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let info: Value = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (peek(t["id_token"].as_str().unwrap()), info)
}

#[tokio::test]
async fn a_self_signed_up_address_does_not_pass_an_e_mail_domain_restriction() {
    let app = spawn_app_with(|s| s.allow_self_signup = true).await;
    let client = |name: &str, domains: Vec<String>| NewClient {
        metadata: domain::clients::ClientPatch {
            name: Some(name.into()),
            redirect_uris: Some(vec![REDIRECT.into()]),
            grant_types: Some(vec!["authorization_code".into(), "password".into()]),
            ..Default::default()
        },
        application_type: Some(ApplicationType::Web),
        scopes: vec!["openid".into(), "email".into()],
        allowed_email_domains: domains,
        ..Default::default()
    };
    let restricted = register(&app, client("Registrar", vec!["example.edu".into()])).await;
    let open = register(&app, client("Library", vec![])).await;

    let b = app.browser();
    let r = b
        .post(
            "/api/sign_up",
            &[
                ("username", "president"),
                ("email", "president@example.edu"),
                ("password", "a long password"),
                ("password_confirm", "a long password"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(b.sign_in("president", "a long password").await.status < 400);

    // The restricted client: refused at the authorization endpoint, before consent…
    let back = authorize_as(&b, &restricted.id).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    assert!(
        query_param(&back, "error_description").is_some_and(|d| d.contains("not been verified")),
        "{back}"
    );
    assert!(query_param(&back, "code").is_none());
    // …and in the password grant.
    let password = [
        ("grant_type", "password"),
        ("username", "president"),
        ("password", "a long password"),
        ("scope", "openid"),
    ];
    let (status, body) = token(&app, &restricted, &password).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );

    // An unrestricted client signs them in, and is told the address is unverified.
    let (id_token, info) = claims_after_sign_in(&app, &b, &open).await;
    assert_eq!(id_token["email"], "president@example.edu");
    assert_eq!(id_token["email_verified"], false);
    assert_eq!(info["email_verified"], false);

    // An account the operator created for example.edu passes, and is verified.
    create_user(&app.db, "alice", Role::User).await;
    let alice = app.browser();
    assert!(alice.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    let (id_token, info) = claims_after_sign_in(&app, &alice, &restricted).await;
    assert_eq!(id_token["email_verified"], true, "{id_token}");
    assert_eq!(info["email_verified"], true, "{info}");
    let alice_password = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", ADMIN_PASSWORD),
        ("scope", "openid"),
    ];
    assert_eq!(token(&app, &restricted, &alice_password).await.0, 200);

    // Administrators see which addresses are verified.
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let users = admin.get("/api/admin/users").await.json();
    let verified = |name: &str| {
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == name)
            .map(|u| u["email_verified"].clone())
    };
    assert_eq!(verified("president"), Some(Value::Bool(false)), "{users}");
    assert_eq!(verified("alice"), Some(Value::Bool(true)));
    let page = admin.get_html("/admin/users").await.body;
    assert!(page.contains("not verified"), "the users page shows it");
}
