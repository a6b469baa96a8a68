//! Administrators change token lifetimes and the third-party switch at run time.

use super::setup;
use crate::helpers::*;
use crate::rp::*;

#[tokio::test]
async fn administrators_change_lifetimes_and_the_third_party_switch_at_run_time() {
    let (app, rp) = setup().await;
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let current = admin.get("/api/admin/settings").await.json();
    assert_eq!(current["access_token_secs"], 300);
    assert_eq!(current["third_party_oauth"], true);

    let save = |fields: Vec<(&'static str, &'static str)>| {
        let admin = &admin;
        async move { admin.post("/api/admin/save_settings", &fields).await }
    };
    let base = vec![
        ("third_party_oauth", "on"),
        ("refresh_token_hours", "720"),
        ("default_client_lifetime_days", "365"),
        ("default_client_scopes[]", "openid"),
    ];
    // Out of range, unknown scopes, and scopes that need approval are refused.
    for (extra, field) in [
        (vec![("access_token_secs", "59")], "access_token_secs"),
        (vec![("access_token_secs", "3601")], "access_token_secs"),
        (vec![("access_token_secs", "soon")], "access_token_secs"),
    ] {
        let mut f = base.clone();
        f.extend(extra);
        let r = save(f).await;
        assert!(r.status >= 400 && r.body.contains(field), "{}", r.body);
    }
    for (k, v, field) in [
        ("refresh_token_hours", "0", "refresh_token_hours"),
        (
            "default_client_lifetime_days",
            "3651",
            "default_client_lifetime_days",
        ),
    ] {
        let mut f: Vec<(&str, &str)> = base.iter().filter(|(n, _)| *n != k).cloned().collect();
        f.push((k, v));
        f.push(("access_token_secs", "300"));
        let r = save(f).await;
        assert!(r.status >= 400 && r.body.contains(field), "{}", r.body);
    }
    for scope in ["nonexistent", "portal"] {
        let mut f = base.clone();
        f.push(("access_token_secs", "300"));
        f.push(("default_client_scopes[]", scope));
        let r = save(f).await;
        assert!(
            r.status >= 400 && r.body.contains("default_client_scopes"),
            "{scope}: {}",
            r.body
        );
    }

    // A two-minute lifetime shows in the next token's exp.
    let mut f = base.clone();
    f.push(("access_token_secs", "120"));
    let r = save(f).await;
    assert!(r.status < 400, "{}", r.body);
    let alice = app.browser();
    let t = exchange(&app, &rp, &code_as(&alice, "alice", &rp, "openid").await).await;
    let claims = peek(s(&t, "access_token"));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        120
    );
    assert_eq!(t["expires_in"], 120);
    assert_eq!(
        alice.get("/api/apps/list").await.json()["access_token_secs"],
        120
    );

    // The switch off: a third-party authorization ends on our error page.
    let f = base
        .iter()
        .filter(|(k, _)| *k != "third_party_oauth")
        .cloned()
        .chain([("access_token_secs", "120")])
        .collect();
    assert!(save(f).await.status < 400);
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        rp.id,
        enc(REDIRECT)
    );
    assert_eq!(
        alice.get(&path).await.location().unwrap(),
        "/oauth/error?reason=third_party_disabled"
    );
    let (status, v) = refresh(&app, &rp, s(&t, "refresh_token")).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("unauthorized_client"))
    );
    // And back on.
    let mut f = base.clone();
    f.push(("access_token_secs", "120"));
    assert!(save(f).await.status < 400);
    assert!(alice
        .get(&path)
        .await
        .location()
        .unwrap()
        .starts_with(REDIRECT));
    let changed = app
        .audit_types()
        .await
        .iter()
        .filter(|t| *t == "settings.changed")
        .count();
    assert_eq!(changed, 3, "one event per change: lifetime, off, on");

    // Self sign-up follows the override too.
    assert_eq!(alice.shell().await["allow_signup"], false);
    let mut f = base.clone();
    f.push(("access_token_secs", "120"));
    f.push(("allow_self_signup", "on"));
    assert!(save(f).await.status < 400);
    assert_eq!(app.browser().shell().await["allow_signup"], true);

    // Only administrators.
    let r = alice
        .post("/api/admin/save_settings", &[("access_token_secs", "3600")])
        .await;
    assert!(r.status >= 400);
    assert!(alice.get("/api/admin/settings").await.status >= 400);
}
