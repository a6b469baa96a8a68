//! Issue 15 (seeds 002 and 004): people sign in through an upstream OpenID
//! provider — a second Portcullis each test starts — with `state`, PKCE, a
//! nonce and RFC 9207's `iss` checked. The first sign-in provisions an account;
//! an account that already has the address is linked only when the provider
//! verified it and the account's holder confirms, signed in. Refusals say why
//! and change nothing.

use domain::accounts::{find_by_username, Role};
use sea_orm::ConnectionTrait;

use crate::helpers::upstream::{Federation, PROVIDER};
use crate::helpers::*;

fn refusal(r: &Reply) -> Option<String> {
    r.location().and_then(|l| query_param(&l, "upstream_error"))
}

#[tokio::test]
async fn a_person_signs_in_through_the_provider_and_their_account_is_provisioned() {
    let f = Federation::start(|_| {}).await;
    f.person("ada", Role::User, true).await;
    let users = f.app.count("users").await;
    let b = f.app.browser();

    let url = f.start_sign_in(&b, "/apps?x=1").await;
    // The authorization request: code flow, PKCE S256, a nonce, our client.
    for (k, v) in [
        ("response_type", "code"),
        ("code_challenge_method", "S256"),
        ("client_id", f.client.id.as_str()),
    ] {
        assert_eq!(query_param(&url, k).as_deref(), Some(v), "{url}");
    }
    assert!(query_param(&url, "nonce").is_some_and(|n| n.len() >= 43));
    assert!(query_param(&url, "state").is_some_and(|s| s.len() >= 43));
    let scope = query_param(&url, "scope").unwrap();
    assert!(scope.split(' ').any(|s| s == "openid"), "{scope}");
    // Nothing secret in the row: neither the state nor a verifier.
    assert_eq!(f.app.count("upstream_logins").await, 1);

    let back = f.consent(&b, "ada", &url, true).await;
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(f.provider.settings.issuer.as_str()),
        "the provider says who it is (RFC 9207)"
    );
    let r = f.back(&b, &back).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps?x=1"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(b.signed_in_as().await.as_deref(), Some("ada"));
    assert_eq!(f.app.count("users").await, users + 1);
    assert_eq!(f.app.count("upstream_logins").await, 0, "taken once");

    let ada = find_by_username(&f.app.db, "ada").await.unwrap().unwrap();
    assert_eq!(ada.email, "ada@campus.example");
    assert!(ada.email_verified, "the provider verified it");
    assert_eq!(ada.role, Role::User);
    let hash = domain::entities::user::Entity::find_password_hash(&f.app.db, &ada.id)
        .await
        .unwrap();
    assert!(hash.is_none(), "no password here");
    let provisioned = f.app.audit_events_of("user.provisioned").await;
    assert_eq!(provisioned.len(), 1);
    assert_eq!(provisioned[0]["source"], "oidc");
    assert_eq!(provisioned[0]["provider"], PROVIDER);
    let linked = f.app.audit_events_of("user.upstream_linked").await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0]["how"], "provisioned");
    let signed_in = f.app.audit_events_of("session.signed_in").await;
    assert_eq!(signed_in.last().unwrap()["amr"], serde_json::json!(["fed"]));

    // A second sign-in, in another browser, finds the same account.
    let b2 = f.app.browser();
    let r = f.sign_in(&b2, "ada", "/").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(b2.signed_in_as().await.as_deref(), Some("ada"));
    assert_eq!(f.app.count("users").await, users + 1);

    // The links are the person's to see.
    let links = b2.get("/api/account/providers").await.json();
    assert_eq!(links["links"][0]["provider"], PROVIDER, "{links}");
    assert!(links["links"][0]["last_sign_in"].is_string(), "{links}");
}

#[tokio::test]
async fn roles_follow_the_providers_claim_and_a_disabled_account_is_refused() {
    let f = Federation::start(|p| {
        p.roles = Some(domain::accounts::upstream::RoleClaim {
            claim: "portcullis_role".into(),
            admin: vec![],
            developer: vec!["developer".into()],
        });
        p.scopes.push("portcullis_role".into());
    })
    .await;
    f.person("grace", Role::Developer, true).await;
    let b = f.app.browser();
    let r = f.sign_in(&b, "grace", "/").await;
    assert!(refusal(&r).is_none(), "{:?}", r.location());
    let grace = find_by_username(&f.app.db, "grace").await.unwrap().unwrap();
    assert_eq!(grace.role, Role::Developer);

    domain::accounts::set_disabled(
        &f.app.db,
        &f.app.revocations,
        &domain::accounts::AdminCtx::operator(),
        &grace.id,
        true,
        f.app.clock_now(),
    )
    .await
    .unwrap();
    let b2 = f.app.browser();
    let r = f.sign_in(&b2, "grace", "/").await;
    assert_eq!(refusal(&r).as_deref(), Some("disabled"));
    assert_eq!(b2.signed_in_as().await, None);
}

#[tokio::test]
async fn an_existing_account_is_linked_only_by_a_verified_address_and_its_holder() {
    let f = Federation::start(|_| {}).await;
    // The app already has Ada, with the address the provider will give.
    let local = create_user(&f.app.db, "ada-local", Role::User).await;
    f.app
        .db
        .execute_unprepared(&format!(
            "UPDATE users SET email = 'ada@campus.example' WHERE id = '{}'",
            local.id
        ))
        .await
        .unwrap();
    let users = f.app.count("users").await;

    // Unverified at the provider: no link, no account, not signed in.
    f.person("ada", Role::User, false).await;
    let b = f.app.browser();
    let r = f.sign_in(&b, "ada", "/").await;
    assert_eq!(
        refusal(&r).as_deref(),
        Some("unverified"),
        "{:?}",
        r.location()
    );
    assert_eq!(b.signed_in_as().await, None);
    assert_eq!(f.app.count("users").await, users);
    assert_eq!(f.app.count("upstream_links").await, 0);

    // Verified: the link is offered, not made.
    f.provider
        .db
        .execute_unprepared("UPDATE users SET email_verified = TRUE WHERE username = 'ada'")
        .await
        .unwrap();
    let b = f.app.browser();
    let r = f.sign_in(&b, "ada", "/apps").await;
    assert_eq!(r.location().as_deref(), Some("/login/link"));
    assert_eq!(b.signed_in_as().await, None, "no session for an offer");
    assert_eq!(f.app.count("upstream_links").await, 0);
    let offer = b.get("/api/upstream_offer").await.json();
    assert_eq!(offer["username"], "ada-local", "{offer}");
    assert_eq!(offer["provider"], "Campus IdM");

    // Someone else signed in here cannot take it.
    create_user(&f.app.db, "mallory", Role::User).await;
    assert!(b.sign_in("mallory", ADMIN_PASSWORD).await.status < 400);
    let r = b.post("/api/upstream_confirm", &[]).await;
    assert!(r.status >= 400, "{} {}", r.status, r.body);
    assert_eq!(f.app.count("upstream_links").await, 0);

    // The holder, signed in with their password, confirms.
    assert!(b.sign_in("ada-local", ADMIN_PASSWORD).await.status < 400);
    let r = b.post("/api/upstream_confirm", &[]).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps"),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(f.app.count("upstream_links").await, 1);
    let linked = f.app.audit_events_of("user.upstream_linked").await;
    assert_eq!(linked[0]["how"], "verified_email");
    // Spent: once.
    let r = b.post("/api/upstream_confirm", &[]).await;
    assert!(r.status >= 400);

    // From now on the provider signs the holder in.
    let b2 = f.app.browser();
    let r = f.sign_in(&b2, "ada", "/").await;
    assert!(refusal(&r).is_none(), "{:?}", r.location());
    assert_eq!(b2.signed_in_as().await.as_deref(), Some("ada-local"));
    assert_eq!(
        f.app.count("users").await,
        users + 1,
        "only mallory was added"
    );
}

#[tokio::test]
async fn a_callback_from_another_browser_a_replay_or_a_wrong_issuer_is_refused() {
    let f = Federation::start(|_| {}).await;
    f.person("ada", Role::User, true).await;

    // Login CSRF: the attacker's code and state, in the victim's browser.
    let attacker = f.app.browser();
    let url = f.start_sign_in(&attacker, "/").await;
    let back = f.consent(&attacker, "ada", &url, true).await;
    // The victim has a sign-in of their own on its way (a binding cookie).
    let victim = f.app.browser();
    f.start_sign_in(&victim, "/").await;
    let r = f.back(&victim, &back).await;
    assert_eq!(refusal(&r).as_deref(), Some("expired"));
    assert_eq!(victim.signed_in_as().await, None);
    // Nor did the victim's try spend the attacker's own sign-in: it still works...
    let r = f.back(&attacker, &back).await;
    assert!(refusal(&r).is_none(), "{:?}", r.location());
    // ... once.
    let r = f.back(&attacker, &back).await;
    assert_eq!(refusal(&r).as_deref(), Some("expired"));

    // A response naming another issuer (a mix-up): refused, and spent.
    let b = f.app.browser();
    let url = f.start_sign_in(&b, "/").await;
    let back = f.consent(&b, "ada", &url, true).await;
    let forged = back.replace(
        &enc(&f.provider.settings.issuer),
        &enc("https://evil.example"),
    );
    assert_ne!(forged, back);
    let r = f.back(&b, &forged).await;
    assert_eq!(refusal(&r).as_deref(), Some("failed"));
    assert_eq!(b.signed_in_as().await, None);
    let r = f.back(&b, &back).await;
    assert_eq!(refusal(&r).as_deref(), Some("expired"));
}

#[tokio::test]
async fn a_person_who_says_no_at_the_provider_is_told_and_nothing_changes() {
    let f = Federation::start(|_| {}).await;
    f.person("ada", Role::User, true).await;
    let users = f.app.count("users").await;
    let b = f.app.browser();
    let url = f.start_sign_in(&b, "/").await;
    let back = f.consent(&b, "ada", &url, false).await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    let r = f.back(&b, &back).await;
    assert_eq!(refusal(&r).as_deref(), Some("cancelled"));
    assert_eq!(b.signed_in_as().await, None);
    assert_eq!(f.app.count("users").await, users);
    let failed = f.app.audit_events_of("session.sign_in_failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["upstream"], PROVIDER);
    assert_eq!(failed[0]["refused"], "cancelled");
    // The sign-in page words it.
    let page = b.get_html("/login?upstream_error=cancelled").await.body;
    assert!(page.contains("You cancelled the sign-in"), "{page}");
    // A code the page does not know shows nothing.
    let page = b.get_html("/login?upstream_error=%3Cb%3Epwned").await.body;
    assert!(!page.contains("pwned</b>") && !page.contains("upstream-error"));
}

#[tokio::test]
async fn home_realm_discovery_sends_an_address_to_its_provider() {
    let f = Federation::start(|_| {}).await;
    f.person("ada", Role::User, true).await;
    let b = f.app.browser();
    let options = b.get("/api/upstream_options").await.json();
    assert_eq!(options["providers"][0]["name"], "Campus IdM", "{options}");
    assert_eq!(options["discovery"], true);

    let r = b
        .post(
            "/api/upstream_discover",
            &[("email", "Ada@Campus.Example"), ("return_to", "/apps")],
        )
        .await;
    let url = r.location().expect("to the provider");
    assert!(url.starts_with(&f.provider.settings.issuer), "{url}");
    assert_eq!(
        query_param(&url, "login_hint").as_deref(),
        Some("Ada@campus.example")
    );
    let back = f.consent(&b, "ada", &url, true).await;
    let r = f.back(&b, &back).await;
    assert_eq!(r.location().as_deref(), Some("/apps"));

    // An address no provider serves: an error on the field, no row.
    let before = f.app.count("upstream_logins").await;
    let r = b
        .post(
            "/api/upstream_discover",
            &[("email", "ada@elsewhere.example")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.error_message().contains("elsewhere.example"),
        "{}",
        r.body
    );
    let r = b
        .post("/api/upstream_discover", &[("email", "not an address")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = b.post("/api/upstream_start", &[("provider", "nope")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(f.app.count("upstream_logins").await, before);
}

#[tokio::test]
async fn a_signed_in_person_links_and_removes_a_provider_but_keeps_a_way_in() {
    let f = Federation::start(|_| {}).await;
    f.person("ada", Role::User, true).await;
    create_user(&f.app.db, "bob", Role::User).await;
    let b = f.app.browser();
    assert!(b.sign_in("bob", ADMIN_PASSWORD).await.status < 400);
    let none = b.get("/api/account/providers").await.json();
    assert_eq!(none["links"], serde_json::json!([]));
    assert_eq!(none["available"][0]["id"], PROVIDER);

    // Linking from the account page: any identity at the provider, proven there.
    let r = b
        .post(
            "/api/upstream_start",
            &[("provider", PROVIDER), ("link", "1")],
        )
        .await;
    let url = r.location().expect("to the provider");
    let back = f.consent(&b, "ada", &url, true).await;
    let r = f.back(&b, &back).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account/providers?notice=provider_linked")
    );
    let mine = b.get("/api/account/providers").await.json();
    assert_eq!(mine["links"][0]["provider"], PROVIDER, "{mine}");
    assert_eq!(mine["available"], serde_json::json!([]));
    // The identity now signs bob in, without a new account.
    let b2 = f.app.browser();
    f.sign_in(&b2, "ada", "/").await;
    assert_eq!(b2.signed_in_as().await.as_deref(), Some("bob"));

    // Linking from the account page needs the account's session.
    let stranger = f.app.browser();
    let r = stranger
        .post(
            "/api/upstream_start",
            &[("provider", PROVIDER), ("link", "1")],
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);

    let r = b
        .post("/api/account/providers/unlink", &[("provider", PROVIDER)])
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(f.app.count("upstream_links").await, 0);
    assert_eq!(
        f.app.audit_events_of("user.upstream_unlinked").await.len(),
        1
    );

    // A provisioned account's only way in stays.
    f.person("cyd", Role::User, true).await;
    let c = f.app.browser();
    f.sign_in(&c, "cyd", "/").await;
    assert_eq!(c.signed_in_as().await.as_deref(), Some("cyd"));
    let r = c
        .post("/api/account/providers/unlink", &[("provider", PROVIDER)])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.error_message().contains("set a password"), "{}", r.body);
    assert_eq!(f.app.count("upstream_links").await, 1);
}

#[tokio::test]
async fn a_second_step_after_the_provider_says_fed_not_pwd_in_the_sessions_amr() {
    use crate::second_factor::{base32_decode, code_now, second_step};
    let f = Federation::start(|_| {}).await;
    f.person("ada", Role::User, true).await;
    // Provisioned at a first sign-in, Ada turns on an authenticator app here.
    let b = f.app.browser();
    f.sign_in(&b, "ada", "/").await;
    assert!(b.post("/api/totp_begin", &[]).await.status < 400);
    let v = b.get("/api/second_factor").await.json();
    let secret = base32_decode(v["enrollment"]["secret"].as_str().unwrap());
    let r = b
        .post("/api/totp_confirm", &[("code", &code_now(&f.app, &secret))])
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);

    // The next sign-in through the provider asks for the code, then says how it
    // was made: the provider, then the app — no password.
    f.app.clock.advance(30);
    let b2 = f.app.browser();
    let r = f.sign_in(&b2, "ada", "/apps").await;
    let next = r.location().unwrap_or_default();
    assert!(next.starts_with("/login/second-factor?"), "{next}");
    assert_eq!(b2.signed_in_as().await, None);
    let r = second_step(&b2, &code_now(&f.app, &secret), "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/apps"),
        "{} {}",
        r.status,
        r.body
    );
    let signed_in = f.app.audit_events_of("session.signed_in").await;
    assert_eq!(
        signed_in.last().unwrap()["amr"],
        serde_json::json!(["fed", "otp", "mfa"])
    );
}
