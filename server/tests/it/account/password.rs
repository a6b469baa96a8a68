//! Changing one's own password: the current one first (throttled with sign-in),
//! then everything else the old one obtained ends, and this session stays.

use domain::accounts::Role;
use serde_json::Value;

use super::*;
use crate::rp::{code_as, exchange, notebook, refresh, s};

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_refresh_tokens_and_keeps_this_one() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let rp = register(&app, notebook(&["openid"])).await;
    let elsewhere = app.browser();
    let code = code_as(&elsewhere, "alice", &rp, "openid").await;
    let tokens = exchange(&app, &rp, &code).await;
    let refresh_token = s(&tokens, "refresh_token").to_owned();
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    app.clock.advance(60);

    let r = change_password(&b, ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account?notice=password_changed"),
        "{}",
        r.body
    );
    assert_eq!(
        b.signed_in_as().await.as_deref(),
        Some("alice"),
        "this session stays"
    );
    assert_eq!(
        elsewhere.signed_in_as().await,
        None,
        "the other session ended"
    );
    let (status, v) = refresh(&app, &rp, &refresh_token).await;
    assert_eq!(
        (status, &v["error"]),
        (400, &Value::from("invalid_grant")),
        "{v}"
    );
    assert_eq!(app.count("sessions").await, 1);
    // The old password is gone, the new one works.
    assert!(app.browser().sign_in("alice", ADMIN_PASSWORD).await.status >= 400);
    assert!(app.browser().sign_in("alice", NEW_PASSWORD).await.status < 400);
    assert!(app
        .audit_types()
        .await
        .contains(&"user.password_changed".to_owned()));
}

#[tokio::test]
async fn a_wrong_current_password_is_refused_and_parallel_guesses_stay_within_the_limit() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);

    let r = change_password(&b, "not my password", NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        field_errors(&r),
        vec![(
            "current_password".to_owned(),
            "Current password is not correct.".to_owned()
        )]
    );

    // Twenty guesses at once: the sign-in limit (5 failures per account) holds, one
    // of them already spent above.
    let guesses = burst(20, |i| {
        let b = Browser {
            client: b.client.clone(),
            base: b.base.clone(),
        };
        async move {
            change_password(&b, &format!("guess number {i}"), NEW_PASSWORD, NEW_PASSWORD)
                .await
                .status
        }
    })
    .await;
    let checked = guesses.iter().filter(|s| **s == 422).count();
    assert!(checked <= 4, "{checked} guesses were checked: {guesses:?}");
    assert!(
        guesses.iter().all(|s| *s == 422 || *s == 429),
        "{guesses:?}"
    );
    // Locked: even the right password is refused here and on the sign-in page.
    let r = change_password(&b, ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(
        app.browser().sign_in("alice", ADMIN_PASSWORD).await.status,
        429
    );
    // Nothing changed.
    app.clock.advance(24 * 3600);
    assert!(app.browser().sign_in("alice", ADMIN_PASSWORD).await.status < 400);
}

#[tokio::test]
async fn a_weak_new_password_is_refused_with_every_problem_at_once() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let b = app.browser();
    assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);

    let r = change_password(&b, "", "password1234", "password12345").await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields: Vec<String> = field_errors(&r).into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        fields,
        ["current_password", "new_password", "new_password_confirm"],
        "{}",
        r.body
    );
    assert!(r.body.contains("too easy to guess"), "{}", r.body);
    // With the right current password, a weak one is still refused, and one built
    // from the person's own name too.
    let r = change_password(&b, ADMIN_PASSWORD, "password1234", "password1234").await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = change_password(&b, ADMIN_PASSWORD, "alicealicealice", "alicealicealice").await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(app.browser().sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    assert!(!app
        .audit_types()
        .await
        .contains(&"user.password_changed".to_owned()));
}
