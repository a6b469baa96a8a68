//! Pushed authorization requests (RFC 9126, issue 18): the client pushes its request
//! over an authenticated back channel, the browser carries only `client_id` and
//! `request_uri`, and the request ends in one code. Every rule's negative.

use serde_json::{json, Value};

use crate::helpers::*;
use crate::rp::{exchange, notebook, param, CHALLENGE, REDIRECT};

/// Every reserved character an app may put in `state`; it must come back exactly.
const STATE: &str = "st-a +/=?&%~.:#";

async fn push(
    app: &TestApp,
    rp: &Creds,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(format!("{}/oauth/par", app.base));
    if let Some(s) = secret {
        req = req.basic_auth(&rp.id, Some(s));
    }
    let r = req.form(form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn request<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile"),
        ("state", STATE),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        f.retain(|(n, _)| n != k);
        if !v.is_empty() {
            f.push((k, v));
        }
    }
    f
}

/// A push: the secret sent (None: no authentication), the form, what must come back.
type Case<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>, u16, &'a str);

async fn setup() -> (TestApp, Creds) {
    let app = spawn_app().await;
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let rp = register(&app, notebook(&["openid", "profile"])).await;
    (app, rp)
}

/// The consent form's fields for the consent page at `loc`.
fn consent_fields(loc: &str, decision: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{loc}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    fields.push(("decision".into(), decision.into()));
    fields
}

#[tokio::test]
async fn a_pushed_request_signs_the_person_in_once_and_the_browser_cannot_change_it() {
    let (app, rp) = setup().await;
    let (status, v) = push(&app, &rp, Some(&rp.secret), &request(&[])).await;
    assert_eq!(status, 201, "{v}");
    let uri = v["request_uri"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );
    assert_eq!(v["expires_in"], json!(300));

    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    // What the browser adds beside request_uri is not the request (§4).
    let r = b
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri={}&redirect_uri={}&scope=openid",
            rp.id,
            enc(&uri),
            enc("http://127.0.0.1:9/evil")
        ))
        .await;
    let consent = r.location().unwrap();
    assert!(consent.starts_with("/oauth/consent?"), "{consent}");
    let page = b.get_html(&consent).await.body;
    assert!(page.contains("Research Notebook"), "{page}");
    assert!(
        page.contains("See your name and username"),
        "the consent page shows the pushed scopes: {page}"
    );
    let fields = consent_fields(&consent, "allow");
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = b.post("/oauth/consent", &refs).await.location().unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some(STATE));
    let tokens = exchange(&app, &rp, &param(&back, "code").unwrap()).await;
    assert_eq!(tokens["scope"], json!("openid profile"));

    // Used up: the same request_uri again is refused, on our page.
    let again = b
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            rp.id,
            enc(&uri)
        ))
        .await;
    assert_eq!(
        again.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_uri")
    );
}

#[tokio::test]
async fn two_answers_to_one_pushed_request_make_one_code() {
    let (app, rp) = setup().await;
    let (_, v) = push(&app, &rp, Some(&rp.secret), &request(&[])).await;
    let uri = v["request_uri"].as_str().unwrap().to_owned();
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let consent = b
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            rp.id,
            enc(&uri)
        ))
        .await
        .location()
        .unwrap();
    let fields = consent_fields(&consent, "allow");
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (one, two) = tokio::join!(
        b.post("/oauth/consent", &refs),
        b.post("/oauth/consent", &refs)
    );
    let mut to: Vec<String> = [one, two].iter().map(|r| r.location().unwrap()).collect();
    to.sort();
    assert_eq!(to[0], "/oauth/error?reason=invalid_request_uri", "{to:?}");
    assert!(
        to[1].starts_with(REDIRECT) && param(&to[1], "code").is_some(),
        "{to:?}"
    );
}

#[tokio::test]
async fn pushed_requests_are_checked_like_authorization_requests() {
    let (app, rp) = setup().await;
    let other = register(&app, notebook(&["openid"])).await;
    let cases: Vec<Case> = vec![
        (None, request(&[]), 401, "invalid_client"),
        (Some("wrong secret"), request(&[]), 401, "invalid_client"),
        (
            Some(&rp.secret),
            request(&[("redirect_uri", "http://127.0.0.1:9/evil")]),
            400,
            "invalid_request",
        ),
        (
            Some(&rp.secret),
            request(&[("code_challenge", "")]),
            400,
            "invalid_request",
        ),
        (
            Some(&rp.secret),
            request(&[("code_challenge_method", "plain")]),
            400,
            "invalid_request",
        ),
        (
            Some(&rp.secret),
            request(&[("scope", "openid email")]),
            400,
            "invalid_scope",
        ),
        (
            Some(&rp.secret),
            request(&[("response_type", "token")]),
            400,
            "unsupported_response_type",
        ),
        (
            Some(&rp.secret),
            request(&[("request_uri", "urn:ietf:params:oauth:request_uri:x")]),
            400,
            "invalid_request",
        ),
        (
            Some(&rp.secret),
            request(&[("client_id", other.id.as_str())]),
            400,
            "invalid_request",
        ),
    ];
    for (secret, form, status, code) in cases {
        let (s, v) = push(&app, &rp, secret, &form).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (status, Some(code)),
            "{form:?}: {v}"
        );
    }
    let r = reqwest::get(format!("{}/oauth/par", app.base))
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        app.count("pushed_requests").await,
        0,
        "nothing refused was kept"
    );

    // A request_uri works only for the client that pushed it, and only for a while.
    let (_, v) = push(&app, &rp, Some(&rp.secret), &request(&[])).await;
    let uri = v["request_uri"].as_str().unwrap().to_owned();
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let theirs = b
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            other.id,
            enc(&uri)
        ))
        .await;
    assert_eq!(
        theirs.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_uri")
    );
    app.clock.advance(301);
    let late = b
        .get(&format!(
            "/oauth/authorize?client_id={}&request_uri={}",
            rp.id,
            enc(&uri)
        ))
        .await;
    assert_eq!(
        late.location().as_deref(),
        Some("/oauth/error?reason=invalid_request_uri")
    );
    let page = b.get_html("/oauth/error?reason=invalid_request_uri").await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("expired or was already used"));
}

#[tokio::test]
async fn a_client_that_must_push_cannot_send_its_request_through_the_browser() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let mut new = notebook(&["openid"]);
    new.metadata.require_pushed_authorization_requests = Some(true);
    let rp = register(&app, new).await;
    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let plain = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&code_challenge={CHALLENGE}&code_challenge_method=S256",
        rp.id,
        enc(REDIRECT)
    );
    let to = b.get(&plain).await.location().unwrap_or_default();
    let page = if to.starts_with('/') {
        b.get_html(&to).await.body
    } else {
        to.clone()
    };
    assert!(page.contains("invalid_request"), "{to} {page}");
    assert!(param(&to, "code").is_none());
    // Pushed, the same request goes through.
    let (s, v) = push(
        &app,
        &rp,
        Some(&rp.secret),
        &request(&[("scope", "openid")]),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["pushed_authorization_request_endpoint"],
        json!(format!("{}/oauth/par", app.base))
    );
    assert_eq!(meta["require_pushed_authorization_requests"], json!(false));
}
