//! Administrators require a second factor of some roles: the people in them set
//! one up at their next sign-in (no session before), sessions made without one
//! stop counting, and there is no way round it (turning it off, the password
//! grant, personal access tokens); an administrator resets a lost one.

use domain::accounts::{AdminCtx, Role};
use serde_json::Value;

use super::*;
use crate::helpers::*;

/// Sets the roles that must use a second factor, as the operator would.
async fn require_for(app: &TestApp, roles: &[Role]) {
    change_settings(app, |s| s.second_factor_roles = roles.to_vec()).await;
}

async fn signed_in_as(b: &Browser) -> Value {
    b.get("/api/shell").await.json()["user"]["username"].clone()
}

/// The set-up page's data: the username, role and the secret it shows.
async fn set_up_view(b: &Browser) -> (Value, Vec<u8>) {
    let r = b.get("/api/sign_in_set_up").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let secret = base32_decode(v["enrollment"]["secret"].as_str().unwrap());
    (v, secret)
}

#[tokio::test]
async fn a_developer_without_a_factor_sets_one_up_before_any_session() {
    let app = spawn_app().await;
    create_user(&app.db, "dana", Role::Developer).await;
    create_user(&app.db, "ulla", Role::User).await;
    require_for(&app, &[Role::Developer]).await;

    let b = app.browser();
    let r = b
        .post(
            "/api/sign_in",
            &[
                ("username", "dana"),
                ("password", ADMIN_PASSWORD),
                ("return_to", "/developer?x=1&y=2"),
            ],
        )
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(
        r.location().as_deref(),
        Some("/login/set-up-second-factor?return_to=%2Fdeveloper%3Fx%3D1%26y%3D2")
    );
    assert_eq!(signed_in_as(&b).await, Value::Null, "no session yet");
    // The pending set-up is no pending second step.
    let r = second_step(&b, "123456", "/").await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);
    assert!(r.body.contains("expired"), "{}", r.body);

    let (v, secret) = set_up_view(&b).await;
    assert_eq!(
        (v["username"].as_str(), v["role"].as_str()),
        (Some("dana"), Some("developer"))
    );
    assert!(v["enrollment"]["qr_svg"]
        .as_str()
        .unwrap()
        .starts_with("<svg"));
    let (_, again) = set_up_view(&b).await;
    assert_eq!(again, secret, "a reload shows the same key");
    // Another browser, with no pending sign-in, learns nothing.
    let stranger = app.browser();
    assert!(stranger.get("/api/sign_in_set_up").await.status >= 400);

    let confirm = |code: String| {
        let b = &b;
        async move {
            b.post(
                "/api/sign_in_set_up_confirm",
                &[("code", &code), ("return_to", "/developer?x=1&y=2")],
            )
            .await
        }
    };
    let wrong = confirm("000000".into()).await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert_eq!(signed_in_as(&b).await, Value::Null);

    let r = confirm(code_now(&app, &secret)).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    assert_eq!(
        r.location().as_deref(),
        Some("/login/recovery-codes?return_to=%2Fdeveloper%3Fx%3D1%26y%3D2")
    );
    assert_eq!(signed_in_as(&b).await, "dana");
    let done = b
        .get("/api/sign_in_set_up_done?return_to=%2Fdeveloper%3Fx%3D1%26y%3D2")
        .await
        .json();
    assert_eq!(done["codes"].as_array().map(Vec::len), Some(10), "{done}");
    assert_eq!(done["continue_to"], "/developer?x=1&y=2");
    let twice = b
        .get("/api/sign_in_set_up_done?return_to=//evil.example")
        .await
        .json();
    assert_eq!(twice["codes"], serde_json::json!([]), "shown once");
    assert_eq!(twice["continue_to"], "/", "only this site's addresses");
    // The pending sign-in made one session; it is spent.
    let replay = confirm(code_now(&app, &secret)).await;
    assert!((400..500).contains(&replay.status), "{}", replay.body);

    let enrolled = app.audit_events_of("user.second_factor_enrolled").await;
    assert_eq!(enrolled.len(), 1);
    let signed_in = app.audit_events_of("session.signed_in").await;
    assert_eq!(
        signed_in.last().unwrap()["amr"],
        serde_json::json!(["pwd", "otp", "mfa"])
    );

    // From now on dana signs in with the factor she set up.
    app.clock.advance(60);
    let again = app.browser();
    password_step(&again, "dana", "/").await;
    let r = second_step(&again, &code_now(&app, &secret), "/").await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(signed_in_as(&again).await, "dana");
    // Whom the policy leaves out signs in with the password alone.
    let u = app.browser();
    let r = u.sign_in("ulla", ADMIN_PASSWORD).await;
    assert_eq!(r.location().as_deref(), Some("/"));
    assert_eq!(signed_in_as(&u).await, "ulla");
}

#[tokio::test]
async fn a_session_without_a_second_factor_stops_counting_under_the_policy() {
    let app = spawn_app().await;
    create_user(&app.db, "dana", Role::Developer).await;
    create_user(&app.db, "ulla", Role::User).await;
    let (d, u) = (app.browser(), app.browser());
    assert!(d.sign_in("dana", ADMIN_PASSWORD).await.status < 400);
    assert!(u.sign_in("ulla", ADMIN_PASSWORD).await.status < 400);
    assert_eq!(signed_in_as(&d).await, "dana");

    require_for(&app, &[Role::Developer]).await;
    assert_eq!(signed_in_as(&d).await, Value::Null, "signed out at once");
    let page = d.get("/api/second_factor").await;
    assert_eq!(page.status, 401, "{}", page.body);
    assert_eq!(signed_in_as(&u).await, "ulla", "end users are not covered");

    // A promotion brings the person under the policy as well.
    domain::accounts::set_role(&app.db, &AdminCtx::operator(), "ulla", Role::Developer, 0)
        .await
        .unwrap();
    assert_eq!(signed_in_as(&u).await, Value::Null);
}

#[tokio::test]
async fn nobody_covered_goes_round_the_policy() {
    let app = spawn_app().await;
    create_user(&app.db, "dana", Role::Developer).await;
    let b = app.browser();
    assert!(b.sign_in("dana", ADMIN_PASSWORD).await.status < 400);
    // A personal access token made before the policy.
    let r = b
        .post(
            "/api/account/create_token",
            &[("name", "script"), ("scope", "portal"), ("days", "30")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let pat = b.get("/api/account/tokens").await.json()["new_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = |pat: String| {
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}/api/v1/clients"))
                .bearer_auth(pat)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(api(pat.clone()).await, 200);
    require_for(&app, &[Role::Developer]).await;
    assert_eq!(api(pat.clone()).await, 401, "no factor yet");

    // Set up through the sign-in; the token works again.
    let b = app.browser();
    let r = b.sign_in("dana", ADMIN_PASSWORD).await;
    assert!(r
        .location()
        .unwrap()
        .starts_with("/login/set-up-second-factor"));
    let (_, secret) = set_up_view(&b).await;
    let r = b
        .post(
            "/api/sign_in_set_up_confirm",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(api(pat).await, 200);

    // It cannot be turned off while the role requires it, with any proof.
    let r = b
        .post(
            "/api/totp_disable",
            &[("current_password", ADMIN_PASSWORD), ("confirm", "on")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("required for your role"), "{}", r.body);
    assert_eq!(b.get("/api/second_factor").await.json()["status"], "active");
    assert_eq!(b.get("/api/second_factor").await.json()["required"], true);
}

#[tokio::test]
async fn the_password_grant_refuses_a_covered_person_without_a_factor() {
    let app = spawn_app().await;
    create_user(&app.db, "dana", Role::Developer).await;
    let svc = crate::rp::password_client(&app).await;
    let grant = || crate::rp::password_grant(&app, &svc, "dana");
    assert_eq!(grant().await.0, 200);
    require_for(&app, &[Role::Developer]).await;
    let (status, v) = grant().await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"], "invalid_grant");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("required of this account's role"),
        "{v}"
    );
}

#[tokio::test]
async fn an_administrator_resets_a_lost_factor_and_the_person_sets_up_a_new_one() {
    let app = spawn_app().await;
    create_user(&app.db, "dana", Role::Developer).await;
    let d = app.browser();
    let (old_secret, codes) = enrolled(&app, &d, "dana").await;
    require_for(&app, &[Role::Developer]).await;
    let dana = domain::accounts::find_by_username(&app.db, "dana")
        .await
        .unwrap()
        .unwrap();

    // Only administrators, and only confirmed.
    create_user(&app.db, "ulla", Role::User).await;
    let u = app.browser();
    assert!(u.sign_in("ulla", ADMIN_PASSWORD).await.status < 400);
    let r = u
        .post(
            "/api/admin/reset_second_factor",
            &[("user_id", &dana.id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let r = admin
        .post("/api/admin/reset_second_factor", &[("user_id", &dana.id)])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let page = admin
        .get(&format!("/api/admin/user_apps?user_id={}", dana.id))
        .await;
    assert_eq!(page.json()["second_factor"], true, "{}", page.body);

    let r = admin
        .post(
            "/api/admin/reset_second_factor",
            &[("user_id", &dana.id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    let page = admin
        .get(&format!("/api/admin/user_apps?user_id={}", dana.id))
        .await;
    assert_eq!(page.json()["second_factor"], false);
    let admin_id = domain::accounts::find_by_username(&app.db, "admin")
        .await
        .unwrap()
        .unwrap()
        .id;
    {
        use domain::entities::audit_event as ae;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let ev = ae::Entity::find()
            .filter(ae::Column::EventType.eq("user.second_factor_disabled"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the reset is audited");
        assert_eq!(ev.actor_id.as_deref(), Some(admin_id.as_str()));
        assert_eq!(ev.target_id.as_deref(), Some(dana.id.as_str()));
    }
    let again = admin
        .post(
            "/api/admin/reset_second_factor",
            &[("user_id", &dana.id), ("confirm", "yes")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);

    // Neither the old app nor a recovery code works; she sets up a new app.
    app.clock.advance(60);
    let b = app.browser();
    let r = b.sign_in("dana", ADMIN_PASSWORD).await;
    assert!(
        r.location()
            .unwrap()
            .starts_with("/login/set-up-second-factor"),
        "{:?}",
        r.location()
    );
    let (_, secret) = set_up_view(&b).await;
    assert_ne!(secret, old_secret);
    for wrong in [code_now(&app, &old_secret), codes[0].clone()] {
        let r = b
            .post("/api/sign_in_set_up_confirm", &[("code", &wrong)])
            .await;
        assert!((400..500).contains(&r.status), "{}", r.body);
    }
    let r = b
        .post(
            "/api/sign_in_set_up_confirm",
            &[("code", &code_now(&app, &secret))],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(signed_in_as(&b).await, "dana");
}

#[tokio::test]
async fn an_administrator_without_a_factor_cannot_require_one_of_their_own_role() {
    let app = spawn_app().await;
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let settings = admin.get("/api/admin/settings").await.json();
    let save = |roles: &'static [&'static str]| {
        let admin = &admin;
        let s = settings.clone();
        async move {
            let num = |k: &str| s[k].as_i64().unwrap().to_string();
            let (a, r, l, p) = (
                num("access_token_secs"),
                num("refresh_token_hours"),
                num("default_client_lifetime_days"),
                num("personal_token_max_days"),
            );
            let mut fields: Vec<(&str, &str)> = vec![
                ("access_token_secs", &a),
                ("refresh_token_hours", &r),
                ("default_client_lifetime_days", &l),
                ("personal_token_max_days", &p),
                ("third_party_oauth", "on"),
                ("second_factor_roles_shown", "on"),
            ];
            for role in roles {
                fields.push(("second_factor_roles[]", role));
            }
            admin.post("/api/admin/save_settings", &fields).await
        }
    };
    let r = save(&["admin", "developer"]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("set up two-step sign-in for yourself first"),
        "{}",
        r.body
    );
    let r = save(&["nobody"]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = save(&["developer"]).await;
    assert!(r.status < 400, "{} {}", r.status, r.body);
    let now = admin.get("/api/admin/settings").await.json();
    assert_eq!(now["second_factor_roles"], serde_json::json!(["developer"]));
    let ev = app.audit_events_of("settings.changed").await;
    assert_eq!(ev.last().unwrap()["after"], "developer", "{ev:?}");
    // A form without the question keeps what is in force.
    let mut fields = vec![];
    let s = &settings;
    let num = |k: &str| s[k].as_i64().unwrap().to_string();
    let (a, r, l) = (
        num("access_token_secs"),
        num("refresh_token_hours"),
        num("default_client_lifetime_days"),
    );
    fields.extend([
        ("access_token_secs", a.as_str()),
        ("refresh_token_hours", r.as_str()),
        ("default_client_lifetime_days", l.as_str()),
    ]);
    assert!(admin.post("/api/admin/save_settings", &fields).await.status < 400);
    let now = admin.get("/api/admin/settings").await.json();
    assert_eq!(now["second_factor_roles"], serde_json::json!(["developer"]));
}
