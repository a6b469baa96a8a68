//! OpenID Connect logout (issue 18): `sid` in ID tokens, the end-session endpoint
//! (RP-Initiated Logout 1.0), back-channel logout tokens delivered over real HTTP to
//! a listener on port 0 and verified with the server's JWKS, the front-channel page,
//! and every rule's negative — each of which must leave the person signed in.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::oidc::flow::wall_clock;
use crate::rp::{authorize_as, exchange, notebook, param, CHALLENGE, REDIRECT};

const AFTER_LOGOUT: &str = "http://127.0.0.1:9/signed-out";
/// Every reserved character an app may put in `state`; it must come back exactly.
const STATE: &str = "st-a +/=?&%~.:#";

/// An app's back-channel logout listener: answers 500 to the first `fail_first`
/// posts, then 200, and keeps every `logout_token` it was sent.
pub(crate) struct Receiver {
    pub(crate) url: String,
    tokens: Arc<Mutex<Vec<String>>>,
}

pub(crate) async fn receiver(fail_first: usize) -> Receiver {
    let tokens: Arc<Mutex<Vec<String>>> = Arc::default();
    let fails = Arc::new(AtomicUsize::new(fail_first));
    let kept = tokens.clone();
    let router = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            let fails = fails.clone();
            async move {
                if fails
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    return http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                let token = url::form_urlencoded::parse(body.as_bytes())
                    .find(|(k, _)| k == "logout_token")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                kept.lock().unwrap().push(token);
                http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/backchannel",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    Receiver { url, tokens }
}

impl Receiver {
    /// Waits (polling, up to 10 s) until `n` tokens arrived; returns them.
    pub(crate) async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let got = self.tokens.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {n} logout tokens, got {:?}",
            self.tokens.lock().unwrap().len()
        );
    }
}

pub(crate) async fn app_for_logout(allow_private: bool) -> TestApp {
    let app = spawn_app_with(|s| {
        s.outbound.allow_private_addresses = allow_private;
        s.logout.poll_ms = 50;
    })
    .await;
    app.clock.set(wall_clock());
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    create_user(&app.db, "bob", domain::accounts::Role::User).await;
    app
}

/// A web client that signs people in and wants to hear of their sign-out.
pub(crate) async fn logout_client(app: &TestApp, name: &str, backchannel: Option<&str>) -> Creds {
    let mut new = notebook(&["openid", "profile"]);
    new.metadata.name = Some(name.into());
    new.metadata.post_logout_redirect_uris = Some(vec![AFTER_LOGOUT.into()]);
    new.metadata.backchannel_logout_uri = Some(backchannel.map(str::to_owned));
    register(app, new).await
}

/// Signs `user` in to `rp` through the authorization endpoint; its token response.
pub(crate) async fn sign_in_to(app: &TestApp, b: &Browser, user: &str, rp: &Creds) -> Value {
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&nonce=n&code_challenge={CHALLENGE}&code_challenge_method=S256",
        rp.id,
        enc(REDIRECT)
    );
    let back = authorize_as(b, user, &path).await;
    exchange(app, rp, &param(&back, "code").expect("a code")).await
}

/// Verifies a logout token with the keys the server publishes, as an app would
/// (Back-Channel Logout §2.6), and returns its claims.
pub(crate) async fn verify_logout_token(app: &TestApp, token: &str, client_id: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(
        header.typ.as_deref(),
        Some("logout+jwt"),
        "explicitly typed"
    );
    let jwks: jsonwebtoken::jwk::JwkSet = reqwest::get(format!("{}/oauth/jwks", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("a published key");
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_audience(&[client_id]);
    v.set_issuer(&[app.settings.issuer.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &v,
    )
    .expect("signed by the issuer, for this client, not expired")
    .claims;
    assert!(
        claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object(),
        "{claims}"
    );
    assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(claims["iat"].is_i64());
    claims
}

#[tokio::test]
async fn an_app_signs_the_person_out_with_its_id_token_and_every_app_they_used_is_told() {
    let app = app_for_logout(true).await;
    let (inbox_a, inbox_b) = (receiver(0).await, receiver(0).await);
    let a = logout_client(&app, "Notebook A", Some(&inbox_a.url)).await;
    let b_app = logout_client(&app, "Notebook B", Some(&inbox_b.url)).await;
    let browser = app.browser();
    let tokens_a = sign_in_to(&app, &browser, "alice", &a).await;
    let tokens_b = sign_in_to(&app, &browser, "alice", &b_app).await;
    let (id_a, id_b) = (
        peek(tokens_a["id_token"].as_str().unwrap()),
        peek(tokens_b["id_token"].as_str().unwrap()),
    );
    let sid = id_a["sid"]
        .as_str()
        .expect("the ID token names the session")
        .to_owned();
    assert_eq!(
        id_b["sid"],
        json!(sid),
        "one session, one sid for every app"
    );

    let r = browser
        .get(&format!(
            "/oauth/end_session?id_token_hint={}&post_logout_redirect_uri={}&state={}",
            tokens_a["id_token"].as_str().unwrap(),
            enc(AFTER_LOGOUT),
            enc(STATE)
        ))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.location().unwrap();
    assert!(to.starts_with(&format!("{AFTER_LOGOUT}?")), "{to}");
    assert_eq!(
        param(&to, "state").as_deref(),
        Some(STATE),
        "state comes back exactly"
    );
    assert_eq!(browser.signed_in_as().await, None, "the session ended");

    // Both apps are told, by a token each can verify with the published keys.
    let alice = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    for (inbox, client) in [(&inbox_a, &a), (&inbox_b, &b_app)] {
        let got = inbox.wait_for(1).await;
        assert_eq!(got.len(), 1);
        let claims = verify_logout_token(&app, &got[0], &client.id).await;
        assert_eq!(claims["sub"], json!(alice.id));
        assert_eq!(claims["sid"], json!(sid));
    }
    let types = app.audit_types().await;
    assert!(
        types.contains(&"session.signed_out".to_owned()),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_request_that_does_not_prove_the_session_is_asked_first_and_confirmed_with_csrf() {
    let app = app_for_logout(true).await;
    let a = logout_client(&app, "Notebook A", None).await;
    let alice = app.browser();
    sign_in_to(&app, &alice, "alice", &a).await;

    // No hint: the person is asked, and stays signed in until they answer.
    let r = alice
        .get(&format!("/oauth/end_session?client_id={}&state=x", a.id))
        .await;
    let ask = r.location().unwrap();
    assert!(ask.starts_with("/oauth/logout?"), "{ask}");
    assert_eq!(alice.signed_in_as().await.as_deref(), Some("alice"));
    let page = alice.get_html(&ask).await;
    assert!(
        page.body.contains("Notebook A asks to sign you out"),
        "{}",
        page.body
    );

    // Another person's ID token proves nothing about this session.
    let bob = app.browser();
    let bobs = sign_in_to(&app, &bob, "bob", &a).await;
    let r = alice
        .get(&format!(
            "/oauth/end_session?id_token_hint={}",
            bobs["id_token"].as_str().unwrap()
        ))
        .await;
    assert!(r.location().unwrap().starts_with("/oauth/logout?"));
    assert_eq!(alice.signed_in_as().await.as_deref(), Some("alice"));
    assert_eq!(
        bob.signed_in_as().await.as_deref(),
        Some("bob"),
        "bob's session is his"
    );

    // A confirmation without this browser's CSRF token is refused.
    let forged = alice
        .client
        .post(format!("{}/oauth/end_session", app.base))
        .form(&[("confirm", "yes"), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(alice.signed_in_as().await.as_deref(), Some("alice"));

    // The confirmation form's post signs out and lands on the app's page.
    let r = alice
        .post(
            "/oauth/end_session",
            &[
                ("confirm", "yes"),
                ("client_id", &a.id),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
                ("state", STATE),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        param(&r.location().unwrap(), "state").as_deref(),
        Some(STATE)
    );
    assert_eq!(alice.signed_in_as().await, None);
    assert_eq!(bob.signed_in_as().await.as_deref(), Some("bob"));
}

#[tokio::test]
async fn logout_requests_that_break_a_rule_are_refused_and_change_nothing() {
    let app = app_for_logout(true).await;
    let a = logout_client(&app, "Notebook A", None).await;
    let other = logout_client(&app, "Notebook B", None).await;
    let alice = app.browser();
    let tokens = sign_in_to(&app, &alice, "alice", &a).await;
    let hint = tokens["id_token"].as_str().unwrap().to_owned();
    let mut forged = hint.clone();
    forged.pop();
    forged.push(if hint.ends_with('A') { 'B' } else { 'A' });
    let cases = [
        (
            format!(
                "id_token_hint={hint}&post_logout_redirect_uri={}",
                enc("http://127.0.0.1:9/elsewhere")
            ),
            "bad_redirect_uri",
        ),
        (format!("id_token_hint={forged}"), "logout_bad_hint"),
        (
            format!("id_token_hint={}", tokens["access_token"].as_str().unwrap()),
            "logout_bad_hint",
        ),
        (
            format!("id_token_hint={hint}&client_id={}", other.id),
            "logout_client_mismatch",
        ),
        (
            format!("post_logout_redirect_uri={}", enc(AFTER_LOGOUT)),
            "logout_redirect_without_client",
        ),
        (
            format!(
                "client_id=nope&post_logout_redirect_uri={}",
                enc(AFTER_LOGOUT)
            ),
            "unknown_client",
        ),
        (
            format!("id_token_hint={hint}&id_token_hint={hint}"),
            "repeated_parameter",
        ),
        (format!("state={}", "x".repeat(3000)), "logout_malformed"),
    ];
    for (query, reason) in cases {
        let r = alice.get(&format!("/oauth/end_session?{query}")).await;
        let to = r.location().unwrap_or_default();
        assert_eq!(to, format!("/oauth/error?reason={reason}"), "{query}");
        let page = alice.get_html(&to).await;
        assert_eq!(
            page.status, 400,
            "{reason}: the error page says the request was bad"
        );
        assert!(
            page.body.contains("This sign-out request cannot continue")
                || !reason.starts_with("logout_")
        );
        assert_eq!(
            alice.signed_in_as().await.as_deref(),
            Some("alice"),
            "{reason}: still signed in"
        );
    }

    // An app's form post arrives without cookies (SameSite=Lax): it becomes the
    // same GET, and signs no one out by itself.
    let r = alice
        .client
        .post(format!("{}/oauth/end_session", app.base))
        .form(&[("client_id", a.id.as_str()), ("state", STATE)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/oauth/end_session?"), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some(STATE));
    assert_eq!(alice.signed_in_as().await.as_deref(), Some("alice"));

    // Discovery says what is supported.
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["end_session_endpoint"],
        json!(format!("{}/oauth/end_session", app.base))
    );
    for flag in [
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
    ] {
        assert_eq!(meta[flag], json!(true), "{flag}");
    }
}

#[tokio::test]
async fn a_failed_back_channel_delivery_is_retried_after_its_backoff_and_shown_to_the_developer() {
    let app = app_for_logout(true).await;
    let inbox = receiver(1).await;
    let a = logout_client(&app, "Notebook A", Some(&inbox.url)).await;
    let alice = app.browser();
    sign_in_to(&app, &alice, "alice", &a).await;
    let r = alice
        .post("/oauth/end_session", &[("confirm", "yes")])
        .await;
    assert_eq!(r.location().as_deref(), Some("/login?notice=signed_out"));

    // The first attempt fails (500) and is recorded; nothing more until the backoff.
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = domain::oauth::logout_outbox::recent(&app.db, &a.id, 10)
            .await
            .unwrap();
        if seen.first().is_some_and(|d| d.attempts == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].state, "retrying");
    assert_eq!(
        seen[0].last_error.as_deref(),
        Some("the app answered 500 Internal Server Error")
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        inbox.tokens.lock().unwrap().is_empty(),
        "not retried before its time"
    );
    // The client's people see it, through the REST API and on its page; others do not.
    let admin = Api::admin(&app).await;
    let r = admin
        .get(&format!("/api/v1/clients/{}/logout-deliveries", a.id))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["deliveries"][0]["state"], json!("retrying"));
    assert_eq!(v["deliveries"][0]["attempts"], json!(1));
    assert!(v["deliveries"][0]["next_attempt_at"].is_i64());
    let (_, stranger) = Api::developer(&app, "mallory").await;
    let r = stranger
        .get(&format!("/api/v1/clients/{}/logout-deliveries", a.id))
        .await;
    assert_eq!(r.status, 404);
    let page = app.browser();
    page.sign_in("admin", ADMIN_PASSWORD).await;
    let html = page
        .get_html(&format!("/developer/clients/{}", a.id))
        .await
        .body;
    assert!(html.contains("Back-channel logouts"), "{html}");
    assert!(
        html.contains("the app answered 500 Internal Server Error"),
        "{html}"
    );
    assert!(html.contains(">Retrying<"), "{html}");

    app.clock.advance(31);
    let got = inbox.wait_for(1).await;
    verify_logout_token(&app, &got[0], &a.id).await;
    let mut done = Vec::new();
    for _ in 0..100 {
        done = domain::oauth::logout_outbox::recent(&app.db, &a.id, 10)
            .await
            .unwrap();
        if done[0].state == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!((done[0].state, done[0].attempts), ("delivered", 2));
}

#[tokio::test]
async fn disabling_a_person_tells_the_apps_they_were_signed_in_to() {
    let app = app_for_logout(true).await;
    let inbox = receiver(0).await;
    let a = logout_client(&app, "Notebook A", Some(&inbox.url)).await;
    let alice = app.browser();
    sign_in_to(&app, &alice, "alice", &a).await;
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let alice_id = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = admin
        .post(
            "/api/admin/set_disabled",
            &[
                ("user_id", &alice_id),
                ("disabled", "true"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let got = inbox.wait_for(1).await;
    let claims = verify_logout_token(&app, &got[0], &a.id).await;
    assert_eq!(claims["sub"], json!(alice_id));
}

#[tokio::test]
async fn back_channel_uris_on_private_addresses_are_not_posted_to_by_default() {
    let app = app_for_logout(false).await;
    let inbox = receiver(0).await;
    let a = logout_client(&app, "Notebook A", Some(&inbox.url)).await;
    let alice = app.browser();
    sign_in_to(&app, &alice, "alice", &a).await;
    alice
        .post("/oauth/end_session", &[("confirm", "yes")])
        .await;
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = domain::oauth::logout_outbox::recent(&app.db, &a.id, 10)
            .await
            .unwrap();
        if seen.first().is_some_and(|d| d.attempts == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let err = seen[0].last_error.clone().unwrap_or_default();
    assert!(err.contains("not a public address"), "{err}");
    assert!(inbox.tokens.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_sign_out_page_loads_each_apps_front_channel_page_with_iss_and_sid() {
    let app = app_for_logout(true).await;
    let mut new = notebook(&["openid"]);
    new.metadata.name = Some("Front <Notebook>".into());
    new.metadata.frontchannel_logout_uri = Some(Some("http://127.0.0.1:9/fc?app=1".into()));
    new.metadata.frontchannel_logout_session_required = Some(true);
    let a = register(&app, new).await;
    let alice = app.browser();
    let tokens = sign_in_to(&app, &alice, "alice", &a).await;
    let sid = peek(tokens["id_token"].as_str().unwrap())["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    // The portal's own sign-out button posts here.
    let r = alice
        .post("/oauth/end_session", &[("confirm", "yes")])
        .await;
    assert_eq!(r.status, 200);
    let src = format!(
        "http://127.0.0.1:9/fc?app=1&amp;iss={}&amp;sid={}",
        enc(&app.settings.issuer),
        enc(&sid)
    );
    assert!(r.body.contains(&format!("src=\"{src}\"")), "{}", r.body);
    assert!(
        r.body.contains("Front &lt;Notebook&gt;"),
        "names are escaped"
    );
    assert!(r
        .body
        .contains("content=\"2;url=/login?notice=signed_out\""));
    assert_eq!(alice.signed_in_as().await, None);
}

#[tokio::test]
async fn logout_uris_follow_the_registration_rules() {
    let app = app_for_logout(true).await;
    let (_, api) = Api::developer(&app, "dana").await;
    for (field, value, kind) in [
        ("backchannel_logout_uri", "http://app.example.edu/bc", "web"),
        (
            "backchannel_logout_uri",
            "https://app.example.edu/bc#x",
            "web",
        ),
        ("frontchannel_logout_uri", "not a uri", "web"),
        (
            "backchannel_logout_uri",
            "https://app.example.edu/bc",
            "service",
        ),
    ] {
        let mut body = json!({"name": "Logout rules", "application_type": kind, field: value});
        if kind == "web" {
            body["redirect_uris"] = json!(["https://app.example.edu/cb"]);
        }
        let r = api.post("/api/v1/clients", body).await;
        assert_eq!(r.status, 400, "{field}={value}: {}", r.body);
        assert!(r.body.contains(field), "{}", r.body);
    }
    let r = api
        .post(
            "/api/v1/clients",
            json!({"name": "Logout rules", "redirect_uris": ["https://app.example.edu/cb"],
                   "backchannel_logout_uri": "https://app.example.edu/bc",
                   "frontchannel_logout_uri": "https://app.example.edu/fc",
                   "frontchannel_logout_session_required": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        v["backchannel_logout_uri"],
        json!("https://app.example.edu/bc")
    );
    assert_eq!(v["frontchannel_logout_session_required"], json!(true));
}
