//! Issue 15 (seed 002): the terms of use. When an administrator configures them,
//! sign-up needs the box ticked for the version in force; a person who has not
//! accepted that version (a new one, or an account made by an administrator)
//! accepts it at their next sign-in before any session, and the acceptance is
//! recorded only when the sign-in completes (after a second factor, if any).

use domain::accounts::terms::Terms;
use domain::accounts::Role;
use serde_json::Value;

use crate::helpers::*;
use crate::second_factor::{code_now, enrolled, second_step};

/// Sets the terms of use (`None`: none), as the operator would.
pub(crate) async fn set_terms(app: &TestApp, terms: Option<(&str, &str)>) {
    change_settings(app, |s| {
        s.terms = terms.map(|(url, version)| Terms {
            url: url.into(),
            version: version.into(),
        })
    })
    .await;
}

async fn signed_in_as(b: &Browser) -> Value {
    b.get("/api/shell").await.json()["user"]["username"].clone()
}

async fn accepted_version(app: &TestApp, username: &str) -> Option<String> {
    domain::accounts::find_by_username(&app.db, username)
        .await
        .unwrap()
        .unwrap()
        .terms_version
}

async fn password(b: &Browser, username: &str, return_to: &str) -> Reply {
    let r = b
        .post(
            "/api/sign_in",
            &[
                ("username", username),
                ("password", ADMIN_PASSWORD),
                ("return_to", return_to),
            ],
        )
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    r
}

pub(crate) async fn accept(b: &Browser, version: Option<&str>, return_to: &str) -> Reply {
    let mut form = vec![("return_to", return_to)];
    if let Some(v) = version {
        form.push(("accept_terms", v));
    }
    b.post("/api/sign_in_accept_terms", &form).await
}

const URL: &str = "https://example.edu/terms";

#[tokio::test]
async fn sign_up_needs_the_terms_in_force_ticked_and_records_them() {
    let app = spawn_app_with(|s| s.allow_self_signup = true).await;
    let b = app.browser();
    assert_eq!(b.get("/api/terms").await.json(), Value::Null, "none yet");
    set_terms(&app, Some((URL, "2026-12"))).await;
    assert_eq!(
        b.get("/api/terms").await.json(),
        serde_json::json!({ "url": URL, "version": "2026-12" })
    );
    let fields = |accept: Option<&'static str>| {
        let mut f = vec![
            ("username", "newbie"),
            ("email", "newbie@example.edu"),
            ("password", ADMIN_PASSWORD),
            ("password_confirm", ADMIN_PASSWORD),
        ];
        if let Some(a) = accept {
            f.push(("accept_terms", a));
        }
        f
    };
    for (accept, says) in [
        (None, "Accept the terms of use"),
        (Some("2026-01"), "changed while you were reading"),
    ] {
        let r = b.post("/api/sign_up", &fields(accept)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            r.json()["Fields"]["errors"][0][0],
            "accept_terms",
            "{}",
            r.body
        );
        assert!(r.body.contains(says), "{}", r.body);
        assert!(domain::accounts::find_by_username(&app.db, "newbie")
            .await
            .unwrap()
            .is_none());
    }
    let r = b.post("/api/sign_up", &fields(Some("2026-12"))).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login?notice=signed_up"),
        "{}",
        r.body
    );
    assert_eq!(
        accepted_version(&app, "newbie").await.as_deref(),
        Some("2026-12")
    );
    let ev = app.audit_events_of("user.signed_up").await;
    assert_eq!(ev.last().unwrap()["terms_version"], "2026-12");

    // Accepted at sign-up: the sign-in goes straight to a session.
    let r = password(&b, "newbie", "/apps").await;
    assert_eq!(r.location().as_deref(), Some("/apps"));
    assert_eq!(signed_in_as(&b).await, "newbie");
}

#[tokio::test]
async fn a_new_version_is_accepted_at_the_next_sign_in_before_any_session() {
    let app = spawn_app().await;
    create_user(&app.db, "ulla", Role::User).await;
    // Signed in before the terms exist: that session goes on afterwards.
    let earlier = app.browser();
    assert!(earlier.sign_in("ulla", ADMIN_PASSWORD).await.status < 400);
    set_terms(&app, Some((URL, "v1"))).await;

    let b = app.browser();
    let return_to = "/authorize?state=a%26b&x=1";
    let r = password(&b, "ulla", return_to).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login/terms?return_to=%2Fauthorize%3Fstate%3Da%2526b%26x%3D1")
    );
    assert_eq!(signed_in_as(&b).await, Value::Null, "no session yet");
    assert_eq!(
        b.get("/api/sign_in_terms").await.json(),
        serde_json::json!({ "url": URL, "version": "v1" })
    );
    // A browser without this pending sign-in learns nothing and can accept nothing.
    let stranger = app.browser();
    assert!(stranger.get("/api/sign_in_terms").await.status >= 400);
    assert!(accept(&stranger, Some("v1"), "/")
        .await
        .body
        .contains("expired"));
    // The pending terms step is no second step.
    let r = second_step(&b, "123456", "/").await;
    assert!(r.body.contains("expired"), "{} {}", r.status, r.body);

    for (version, says) in [(None, "Accept the terms"), (Some("v0"), "changed while")] {
        let r = accept(&b, version, return_to).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(says), "{}", r.body);
        assert_eq!(signed_in_as(&b).await, Value::Null);
    }
    assert_eq!(accepted_version(&app, "ulla").await, None);

    let r = accept(&b, Some("v1"), return_to).await;
    assert_eq!(r.location().as_deref(), Some(return_to), "{}", r.body);
    assert_eq!(signed_in_as(&b).await, "ulla");
    assert_eq!(accepted_version(&app, "ulla").await.as_deref(), Some("v1"));
    let ev = app.audit_events_of("user.terms_accepted").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        (ev[0]["before"].clone(), ev[0]["after"].clone()),
        (Value::Null, "v1".into())
    );
    // The pending sign-in made one session; it is spent.
    assert!(accept(&b, Some("v1"), "/").await.body.contains("expired"));
    assert_eq!(signed_in_as(&earlier).await, "ulla", "sessions go on");

    // Accepted: the next sign-in asks nothing; a new version asks again.
    let again = app.browser();
    assert_eq!(
        password(&again, "ulla", "/").await.location().as_deref(),
        Some("/")
    );
    set_terms(&app, Some((URL, "v2"))).await;
    let next = app.browser();
    let r = password(&next, "ulla", "/").await;
    assert_eq!(r.location().as_deref(), Some("/login/terms?return_to=%2F"));
    // Terms withdrawn while the person reads them: nothing is left to accept.
    set_terms(&app, None).await;
    assert_eq!(next.get("/api/sign_in_terms").await.json(), Value::Null);
    let r = accept(&next, None, "/").await;
    assert_eq!(r.location().as_deref(), Some("/"), "{}", r.body);
    assert_eq!(signed_in_as(&next).await, "ulla");
    assert_eq!(accepted_version(&app, "ulla").await.as_deref(), Some("v1"));
}

#[tokio::test]
async fn with_a_second_factor_the_acceptance_is_recorded_only_after_the_code() {
    let app = spawn_app().await;
    create_user(&app.db, "ulla", Role::User).await;
    let (secret, _) = enrolled(&app, &app.browser(), "ulla").await;
    set_terms(&app, Some((URL, "v1"))).await;

    let b = app.browser();
    let r = password(&b, "ulla", "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login/terms?return_to=%2Fapps")
    );
    let r = accept(&b, Some("v1"), "/apps").await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login/second-factor?return_to=%2Fapps"),
        "{}",
        r.body
    );
    assert_eq!(signed_in_as(&b).await, Value::Null);
    assert_eq!(
        accepted_version(&app, "ulla").await,
        None,
        "not before the code"
    );
    assert!(app.audit_events_of("user.terms_accepted").await.is_empty());

    app.clock.advance(30);
    let r = second_step(&b, &code_now(&app, &secret), "/apps").await;
    assert_eq!(r.location().as_deref(), Some("/apps"), "{}", r.body);
    assert_eq!(signed_in_as(&b).await, "ulla");
    assert_eq!(accepted_version(&app, "ulla").await.as_deref(), Some("v1"));
    assert_eq!(app.audit_events_of("user.terms_accepted").await.len(), 1);
}

#[tokio::test]
async fn the_password_grant_refuses_a_person_who_has_not_accepted_the_terms() {
    let app = spawn_app().await;
    create_user(&app.db, "ulla", Role::User).await;
    let svc = crate::rp::password_client(&app).await;
    let grant = || crate::rp::password_grant(&app, &svc, "ulla");
    assert_eq!(grant().await.0, 200);
    set_terms(&app, Some((URL, "v1"))).await;
    let (status, v) = grant().await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_grant")),
        "{v}"
    );
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("terms of use"),
        "{v}"
    );
    // Accepted in the browser: the grant works again.
    let b = app.browser();
    password(&b, "ulla", "/").await;
    assert!(accept(&b, Some("v1"), "/").await.status < 400);
    assert_eq!(grant().await.0, 200);
}

#[tokio::test]
async fn administrators_set_terms_on_the_settings_page_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let save = |url: &'static str, version: &'static str| {
        let admin = &admin;
        async move {
            admin
                .post(
                    "/api/admin/save_settings",
                    &[
                        ("access_token_secs", "300"),
                        ("refresh_token_hours", "720"),
                        ("default_client_lifetime_days", "365"),
                        ("terms_shown", "on"),
                        ("terms_url", url),
                        ("terms_version", version),
                    ],
                )
                .await
        }
    };
    for (url, version, field) in [
        (URL, "", "terms_version"),
        ("", "v1", "terms_url"),
        ("ftp://example.edu/terms", "v1", "terms_url"),
        ("/terms", "v1", "terms_url"),
        (URL, "v\u{7}1", "terms_version"),
    ] {
        let r = save(url, version).await;
        assert_eq!(r.status, 422, "{url} {version:?}: {}", r.body);
        assert_eq!(
            r.json()["Invalid"]["field"],
            field,
            "{url} {version:?}: {}",
            r.body
        );
    }
    let long = Box::leak("v".repeat(65).into_boxed_str());
    assert_eq!(save(URL, long).await.status, 422);
    assert_eq!(
        admin.get("/api/admin/settings").await.json()["terms_url"],
        ""
    );

    let r = save(URL, "2026-12").await;
    assert!(r.status < 400, "{}", r.body);
    let s = admin.get("/api/admin/settings").await.json();
    assert_eq!(
        (s["terms_url"].as_str(), s["terms_version"].as_str()),
        (Some(URL), Some("2026-12"))
    );
    let changed = app.audit_events_of("settings.changed").await;
    assert!(
        changed.iter().any(|e| e["after"] == "2026-12"),
        "{changed:?}"
    );
    // Both cleared: no terms.
    assert!(save("", "").await.status < 400);
    assert_eq!(admin.get("/api/terms").await.json(), Value::Null);
}
