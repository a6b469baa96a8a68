//! Passkeys (WebAuthn, discoverable ES256 credentials with user verification):
//! a signed-in person adds one and later signs in with it alone, from another
//! browser. A software authenticator (helpers/authenticator.rs) plays the
//! browser and the device, so every check the server makes is tested black-box
//! by breaking one thing at a time: the origin, the RP ID hash, the UV and UP
//! flags, the client data's type, the challenge (unknown, replayed), the
//! signature, the counter (a cloned device), the credential ID and the user
//! handle. Refusals sign no one in and store nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::accounts::{AdminCtx, Role};
use serde_json::{json, Value};

use crate::helpers::authenticator::{public_key, Authenticator, UP, UV};
use crate::helpers::*;

mod second_step;

/// What breaks an authenticator's answer, the origin it claims ("": ours), and
/// the refusal's words.
type Spoiled = (fn(&mut Authenticator), &'static str, &'static str);

/// The creation options the account page asks for, signed in as `b`.
async fn register_options(b: &Browser) -> Value {
    let r = b.post("/api/passkey_register_options", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    public_key(&r.json())
}

async fn register(b: &Browser, name: &str, credential: &str) -> Reply {
    b.post(
        "/api/passkey_register",
        &[("name", name), ("credential", credential)],
    )
    .await
}

/// Adds `a` to the account signed in in `b`, and checks it was added.
async fn add_passkey(app: &TestApp, b: &Browser, a: &mut Authenticator, name: &str) {
    let options = register_options(b).await;
    let r = register(b, name, &a.register(&options, &app.settings.issuer)).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account/passkeys?notice=passkey_added"),
        "{} {}",
        r.status,
        r.body
    );
}

/// The request options of the sign-in page, in `b` (signed in or not).
async fn sign_in_options(b: &Browser) -> Value {
    let r = b.post("/api/passkey_sign_in_options", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    public_key(&r.json())
}

async fn sign_in(b: &Browser, credential: &str, return_to: &str) -> Reply {
    b.post(
        "/api/passkey_sign_in",
        &[("credential", credential), ("return_to", return_to)],
    )
    .await
}

/// A new browser, signed out, and the sign-in options it was given.
async fn fresh(app: &TestApp) -> (Browser, Value) {
    let b = app.browser();
    let options = sign_in_options(&b).await;
    (b, options)
}

/// `credential` is refused in `b` `because` (a part of the message): a
/// client error, no session, no one signed in.
async fn refused(app: &TestApp, b: &Browser, credential: &str, because: &str) {
    let sessions = app.count("sessions").await;
    let r = sign_in(b, credential, "/").await;
    assert_refused(&r, because);
    assert_eq!(b.signed_in_as().await, None, "{because}");
    assert_eq!(app.count("sessions").await, sessions, "{because}");
}

fn assert_refused(r: &Reply, because: &str) {
    assert!(
        (400..500).contains(&r.status) && r.error_message().contains(because),
        "expected {because:?}: {} {}",
        r.status,
        r.body
    );
}

/// The passkeys listed on the account page of `b`.
async fn listed(b: &Browser) -> Vec<Value> {
    let r = b.get("/api/account/passkeys").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["passkeys"].as_array().cloned().unwrap_or_default()
}

async fn signed_in_browser(app: &TestApp, username: &str) -> Browser {
    create_user(&app.db, username, Role::User).await;
    let b = app.browser();
    let r = b.sign_in(username, ADMIN_PASSWORD).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    b
}

fn random_challenge() -> String {
    URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes())
}

#[tokio::test]
async fn a_person_adds_a_passkey_and_signs_in_with_it_alone_in_another_browser() {
    let app = spawn_app().await;
    let b = signed_in_browser(&app, "ada").await;

    let o = register_options(&b).await;
    assert_eq!(o["rp"]["id"], "127.0.0.1", "{o}");
    assert_eq!(o["user"]["name"], "ada", "{o}");
    assert_eq!(o["attestation"], "none");
    let selection = &o["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{o}");
    assert_eq!(selection["userVerification"], "required", "{o}");
    let algs: Vec<i64> = o["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["alg"].as_i64())
        .collect();
    assert!(algs.contains(&-7), "ES256 offered: {o}");
    assert_eq!(o["excludeCredentials"], json!([]), "none yet");
    let challenge = URL_SAFE_NO_PAD
        .decode(o["challenge"].as_str().unwrap())
        .expect("a base64url challenge");
    assert!(challenge.len() >= 16, "{o}");
    let user_id = URL_SAFE_NO_PAD
        .decode(o["user"]["id"].as_str().unwrap())
        .expect("a base64url user handle");
    assert!(!user_id.is_empty() && user_id.len() <= 64, "{o}");

    let mut a = Authenticator::new();
    let r = register(&b, "Laptop", &a.register(&o, &app.settings.issuer)).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account/passkeys?notice=passkey_added"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(app.count("passkeys").await, 1);
    let list = listed(&b).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["name"], "Laptop");
    assert!(list[0]["last_used"].is_null(), "{list:?}");
    assert_eq!(app.audit_events_of("user.passkey_added").await.len(), 1);
    assert!(b.post("/api/sign_out", &[]).await.status < 400);
    assert_eq!(b.signed_in_as().await, None);

    app.clock.advance(60);
    let (other, o) = fresh(&app).await;
    assert_eq!(o["rpId"], "127.0.0.1", "{o}");
    assert_eq!(o["userVerification"], "required", "{o}");
    assert_eq!(o["allowCredentials"], json!([]), "discoverable: {o}");
    let r = sign_in(&other, &a.assert(&o, &app.settings.issuer), "/apps?x=1").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps?x=1"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(other.signed_in_as().await.as_deref(), Some("ada"));
    let signed_in = app.audit_events_of("session.signed_in").await;
    assert_eq!(signed_in.last().unwrap()["amr"], json!(["swk", "mfa"]));
    let list = listed(&other).await;
    assert!(!list[0]["last_used"].is_null(), "{list:?}");

    // And again later: the counter went up, so the same device is welcome.
    app.clock.advance(60);
    let (again, o) = fresh(&app).await;
    let r = sign_in(&again, &a.assert(&o, &app.settings.issuer), "/").await;
    assert_eq!(r.location().as_deref(), Some("/"), "{}", r.body);
    assert_eq!(again.signed_in_as().await.as_deref(), Some("ada"));
}

#[tokio::test]
async fn a_broken_assertion_is_refused_and_signs_no_one_in() {
    let app = spawn_app().await;
    let issuer = app.settings.issuer.clone();
    let ada = signed_in_browser(&app, "ada").await;
    let mut a = Authenticator::new();
    add_passkey(&app, &ada, &mut a, "Phone").await;
    let bob = signed_in_browser(&app, "bob").await;
    let mut bobs = Authenticator::new();
    add_passkey(&app, &bob, &mut bobs, "Bob's").await;

    const ELSEWHERE: &str = "made for another site";
    let (b, o) = fresh(&app).await;
    refused(&app, &b, &a.assert(&o, "http://evil.example"), ELSEWHERE).await;
    let (b, o) = fresh(&app).await;
    let port = app.settings.bind.port();
    let cred = a.assert(&o, &format!("http://localhost:{port}"));
    refused(&app, &b, &cred, ELSEWHERE).await;

    let (b, o) = fresh(&app).await;
    a.rp_id = Some("evil.example".into());
    let cred = a.assert(&o, &issuer);
    refused(&app, &b, &cred, "belongs to another site").await;
    a.rp_id = None;

    // UV missing, then UP missing.
    for flags in [UP, UV] {
        let (b, o) = fresh(&app).await;
        a.flags = flags;
        let cred = a.assert(&o, &issuer);
        refused(&app, &b, &cred, "did not check that it is you").await;
    }
    a.flags = UP | UV;

    // The client data of a creation, not of a sign-in.
    let (b, o) = fresh(&app).await;
    a.client_type = Some("webauthn.create".into());
    refused(&app, &b, &a.assert(&o, &issuer), "could not read").await;
    a.client_type = None;

    const SPENT: &str = "expired or was already used";
    let (b, mut o) = fresh(&app).await;
    o["challenge"] = json!(random_challenge());
    refused(&app, &b, &a.assert(&o, &issuer), SPENT).await;

    let (b, o) = fresh(&app).await;
    let cred = a.impostor().assert(&o, &issuer);
    refused(&app, &b, &cred, "signature is not right").await;

    const UNKNOWN: &str = "not registered here";
    let (b, o) = fresh(&app).await;
    let mut stranger = Authenticator::new();
    stranger.user_handle = a.user_handle.clone();
    refused(&app, &b, &stranger.assert(&o, &issuer), UNKNOWN).await;

    // Ada's credential, with bob's user handle.
    let (b, o) = fresh(&app).await;
    let own_handle = std::mem::replace(&mut a.user_handle, bobs.user_handle.clone());
    refused(&app, &b, &a.assert(&o, &issuer), UNKNOWN).await;
    a.user_handle = own_handle;

    // Nothing above changed the credential: the device still signs in.
    let mut clone = a.clone_device();
    let (b, o) = fresh(&app).await;
    let r = sign_in(&b, &a.assert(&o, &issuer), "/").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(b.signed_in_as().await.as_deref(), Some("ada"));

    // Its challenge was spent: replayed in the same browser once signed out,
    // or in another one, it signs in no more.
    assert!(b.post("/api/sign_out", &[]).await.status < 400);
    refused(&app, &b, &a.assert(&o, &issuer), SPENT).await;
    refused(&app, &app.browser(), &a.assert(&o, &issuer), SPENT).await;

    // A copy of the device made before that sign-in has an old counter.
    let (b, o) = fresh(&app).await;
    refused(
        &app,
        &b,
        &clone.assert(&o, &issuer),
        "counter went backwards",
    )
    .await;
    let passkey_sign_ins = app
        .audit_events_of("session.signed_in")
        .await
        .into_iter()
        .filter(|e| e["amr"] == json!(["swk", "mfa"]))
        .count();
    assert_eq!(passkey_sign_ins, 1, "the one genuine sign-in");
}

#[tokio::test]
async fn a_passkey_is_added_only_signed_in_with_a_good_name_and_a_new_credential() {
    let app = spawn_app().await;
    let issuer = app.settings.issuer.clone();
    let b = signed_in_browser(&app, "ada").await;
    let anon = app.browser();
    let r = anon.post("/api/passkey_register_options", &[]).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let o = register_options(&b).await;
    let r = register(&anon, "Laptop", &Authenticator::new().register(&o, &issuer)).await;
    assert_eq!(r.status, 401, "{}", r.body);
    // Nor in another person's session, with ada's options.
    const SPENT: &str = "expired or was already used";
    let bob = signed_in_browser(&app, "bob").await;
    let o = register_options(&b).await;
    let r = register(&bob, "Laptop", &Authenticator::new().register(&o, &issuer)).await;
    assert_refused(&r, SPENT);

    let long = "x".repeat(61);
    for (name, because) in [("", "Give the passkey a name"), (&long, "at most 60")] {
        let o = register_options(&b).await;
        let r = register(&b, name, &Authenticator::new().register(&o, &issuer)).await;
        assert_refused(&r, because);
    }
    // The checks of a sign-in apply to a registration too.
    let bad: [Spoiled; 4] = [
        (|_| {}, "http://evil.example", "made for another site"),
        (
            |a| a.rp_id = Some("evil.example".into()),
            "",
            "belongs to another site",
        ),
        (|a| a.flags = UP, "", "did not check that it is you"),
        (
            |a| a.client_type = Some("webauthn.get".into()),
            "",
            "could not read",
        ),
    ];
    for (spoil, origin, because) in bad {
        let o = register_options(&b).await;
        let mut a = Authenticator::new();
        spoil(&mut a);
        let origin = if origin.is_empty() { &issuer } else { origin };
        assert_refused(
            &register(&b, "Laptop", &a.register(&o, origin)).await,
            because,
        );
    }
    let mut o = register_options(&b).await;
    o["challenge"] = json!(random_challenge());
    let r = register(&b, "Laptop", &Authenticator::new().register(&o, &issuer)).await;
    assert_refused(&r, SPENT);
    assert_eq!(app.count("passkeys").await, 0, "nothing stored");
    assert!(app.audit_events_of("user.passkey_added").await.is_empty());

    // A name of 60 characters is fine; the challenge is then spent.
    let mut a = Authenticator::new();
    let o = register_options(&b).await;
    let r = register(&b, &"y".repeat(60), &a.register(&o, &issuer)).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(app.count("passkeys").await, 1);
    let r = register(&b, "Again", &Authenticator::new().register(&o, &issuer)).await;
    assert_refused(&r, SPENT);

    // The device already holds a credential for ada: the options exclude it,
    // and registering it again is refused.
    let o = register_options(&b).await;
    let excluded = o["excludeCredentials"].as_array().unwrap();
    assert_eq!(excluded.len(), 1, "{o}");
    assert_eq!(excluded[0]["id"], a.id().as_str());
    assert_eq!(excluded[0]["type"], "public-key");
    let r = register(&b, "Twice", &a.register(&o, &issuer)).await;
    assert_refused(&r, "already registered");
    assert_eq!(app.count("passkeys").await, 1);
    assert_eq!(app.audit_events_of("user.passkey_added").await.len(), 1);
}

#[tokio::test]
async fn only_its_owner_removes_a_passkey_and_then_it_signs_in_no_more() {
    let app = spawn_app().await;
    let issuer = app.settings.issuer.clone();
    let ada = signed_in_browser(&app, "ada").await;
    let mut a = Authenticator::new();
    add_passkey(&app, &ada, &mut a, "Phone").await;
    let bob = signed_in_browser(&app, "bob").await;
    add_passkey(&app, &bob, &mut Authenticator::new(), "Bob's").await;
    let id = listed(&ada).await[0]["id"].as_str().unwrap().to_owned();
    let bobs = listed(&bob).await;
    assert_eq!(bobs.len(), 1, "only his own: {bobs:?}");
    assert_ne!(bobs[0]["id"], id.as_str());

    let r = bob
        .post("/api/account/passkeys/delete", &[("id", &id)])
        .await;
    assert_refused(&r, "No such passkey");
    assert_eq!(app.count("passkeys").await, 2);
    let r = app
        .browser()
        .post("/api/account/passkeys/delete", &[("id", &id)])
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(app.count("passkeys").await, 2);
    assert!(app.audit_events_of("user.passkey_removed").await.is_empty());

    let r = ada
        .post("/api/account/passkeys/delete", &[("id", &id)])
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account/passkeys?notice=passkey_removed"),
        "{} {}",
        r.status,
        r.body
    );
    assert!(listed(&ada).await.is_empty());
    assert_eq!(app.count("passkeys").await, 1, "bob's is still there");
    assert_eq!(app.audit_events_of("user.passkey_removed").await.len(), 1);

    let (b, o) = fresh(&app).await;
    refused(&app, &b, &a.assert(&o, &issuer), "not registered here").await;
}

#[tokio::test]
async fn a_disabled_account_does_not_sign_in_with_its_passkey() {
    let app = spawn_app().await;
    let issuer = app.settings.issuer.clone();
    let carol = signed_in_browser(&app, "carol").await;
    let mut a = Authenticator::new();
    add_passkey(&app, &carol, &mut a, "Key").await;
    let user = domain::accounts::find_by_username(&app.db, "carol")
        .await
        .unwrap()
        .unwrap();
    domain::accounts::set_disabled(
        &app.db,
        &app.revocations,
        &AdminCtx::operator(),
        &user.id,
        true,
        app.clock_now(),
    )
    .await
    .unwrap();

    let (b, o) = fresh(&app).await;
    refused(&app, &b, &a.assert(&o, &issuer), "account is disabled").await;

    // Enabled again, the same passkey works: the refusal was the account's.
    domain::accounts::set_disabled(
        &app.db,
        &app.revocations,
        &AdminCtx::operator(),
        &user.id,
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    let (b, o) = fresh(&app).await;
    let r = sign_in(&b, &a.assert(&o, &issuer), "/").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(b.signed_in_as().await.as_deref(), Some("carol"));
}
