//! A passkey as the second step after a password (issue 15: "second factor and
//! passwordless"): for a person with an authenticator app it stands in for the
//! code; for a person whose role requires a second factor and who has a passkey
//! but no app, it is the second step (no set-up). The challenge is bound to the
//! pending sign-in's person: another account's passkey, a first-step challenge
//! and a replay are refused and sign no one in. A passkey's own first step, two
//! factors already, asks for no second one — also after new terms of use.

use domain::accounts::Role;
use serde_json::{json, Value};

use super::*;
use crate::second_factor::{enrolled, password_step, second_step};
use crate::terms::{accept, set_terms};

/// The second step's request options in `b` (a pending sign-in's browser).
async fn second_step_options(b: &Browser) -> Value {
    let r = b.post("/api/passkey_second_step_options", &[]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    public_key(&r.json())
}

async fn passkey_step(b: &Browser, credential: &str, return_to: &str) -> Reply {
    b.post(
        "/api/passkey_second_step",
        &[("credential", credential), ("return_to", return_to)],
    )
    .await
}

/// What the second-step page offers in `b`.
async fn kinds(b: &Browser) -> Value {
    let r = b.get("/api/sign_in_second_step_kinds").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn last_amr(events: &[Value]) -> Value {
    events.last().expect("a sign-in event")["amr"].clone()
}

#[tokio::test]
async fn after_a_password_a_passkey_of_the_same_person_is_the_second_step() {
    let app = spawn_app().await;
    create_user(&app.db, "ada", Role::User).await;
    let b = app.browser();
    enrolled(&app, &b, "ada").await;
    let mut ada = Authenticator::new();
    add_passkey(&app, &b, &mut ada, "Laptop").await;
    let bob = signed_in_browser(&app, "bob").await;
    let mut bobs = Authenticator::new();
    add_passkey(&app, &bob, &mut bobs, "Phone").await;

    let c = app.browser();
    password_step(&c, "ada", "/apps?x=1").await;
    assert_eq!(kinds(&c).await, json!({ "code": true, "passkey": true }));
    let o = second_step_options(&c).await;
    assert_eq!(o["rpId"], "127.0.0.1", "{o}");
    assert_eq!(
        o["allowCredentials"],
        json!([{ "type": "public-key", "id": ada.id() }]),
        "ada's own passkeys only: {o}"
    );

    // Another person's passkey, answering ada's challenge: refused.
    let sessions = app.count("sessions").await;
    let r = passkey_step(&c, &bobs.assert(&o, &app.settings.issuer), "/").await;
    assert_refused(&r, "not one of this account's");
    // A first-step challenge does not finish a second step.
    let first = sign_in_options(&app.browser()).await;
    let r = passkey_step(&c, &ada.assert(&first, &app.settings.issuer), "/").await;
    assert_refused(&r, "expired or was already used");
    assert_eq!(c.signed_in_as().await, None);
    assert_eq!(app.count("sessions").await, sessions);

    // Ada's passkey on ada's challenge: the session, to where she was going.
    let o = second_step_options(&c).await;
    let answer = ada.assert(&o, &app.settings.issuer);
    let r = passkey_step(&c, &answer, "/apps?x=1").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps?x=1"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(c.signed_in_as().await.as_deref(), Some("ada"));
    let events = app.audit_events_of("session.signed_in").await;
    assert_eq!(last_amr(&events), json!(["pwd", "swk", "mfa"]));
    assert!(!listed(&c).await[0]["last_used"].is_null());

    // The same answer again, in a new pending sign-in: its challenge is spent.
    let d = app.browser();
    password_step(&d, "ada", "/").await;
    let r = passkey_step(&d, &answer, "/").await;
    assert_refused(&r, "expired or was already used");
    assert_eq!(d.signed_in_as().await, None);
    // The code still does it.
    let r = second_step(&d, "000000", "/").await;
    assert_eq!(r.status, 422, "a wrong code: {}", r.body);
    // Without a pending sign-in there is nothing to finish.
    let e = app.browser();
    let r = e.post("/api/passkey_second_step_options", &[]).await;
    assert_refused(&r, "expired");
}

#[tokio::test]
async fn a_role_that_requires_a_second_factor_takes_a_passkey_and_asks_no_set_up() {
    let app = spawn_app().await;
    let b = signed_in_browser(&app, "ulla").await;
    let mut ulla = Authenticator::new();
    add_passkey(&app, &b, &mut ulla, "Laptop").await;
    assert!(b.post("/api/sign_out", &[]).await.status < 400);

    // Nobody requires a second factor and ulla has no app: her password alone
    // still signs her in (a lost passkey must not lock her out).
    let c = app.browser();
    let r = c
        .post(
            "/api/sign_in",
            &[("username", "ulla"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/"),
        "{} {}",
        r.status,
        r.body
    );
    let events = app.audit_events_of("session.signed_in").await;
    assert_eq!(last_amr(&events), json!(["pwd"]));

    change_settings(&app, |s| s.second_factor_roles = vec![Role::User]).await;
    let d = app.browser();
    password_step(&d, "ulla", "/account").await;
    assert_eq!(kinds(&d).await, json!({ "code": false, "passkey": true }));
    assert_eq!(
        d.signed_in_as().await,
        None,
        "no session before the passkey"
    );
    // She has no app: no code does it.
    let r = second_step(&d, "123456", "/").await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    let o = second_step_options(&d).await;
    let r = passkey_step(&d, &ulla.assert(&o, &app.settings.issuer), "/account").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(d.signed_in_as().await.as_deref(), Some("ulla"));
    let events = app.audit_events_of("session.signed_in").await;
    assert_eq!(last_amr(&events), json!(["pwd", "swk", "mfa"]));
}

#[tokio::test]
async fn a_passkey_sign_in_through_new_terms_needs_no_second_step_and_keeps_its_amr() {
    let app = spawn_app().await;
    create_user(&app.db, "ada", Role::User).await;
    let b = app.browser();
    enrolled(&app, &b, "ada").await;
    let mut ada = Authenticator::new();
    add_passkey(&app, &b, &mut ada, "Laptop").await;
    set_terms(&app, Some(("https://example.edu/terms", "v2"))).await;

    let (c, o) = fresh(&app).await;
    let r = sign_in(&c, &ada.assert(&o, &app.settings.issuer), "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login/terms?return_to=%2Fapps"),
        "{} {}",
        r.status,
        r.body
    );
    let r = accept(&c, Some("v2"), "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps"),
        "no second step after a passkey: {} {}",
        r.status,
        r.body
    );
    assert_eq!(c.signed_in_as().await.as_deref(), Some("ada"));
    let events = app.audit_events_of("session.signed_in").await;
    assert_eq!(last_amr(&events), json!(["swk", "mfa"]));
}
