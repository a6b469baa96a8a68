//! The person's own sessions on the account page: listed, signed out one by one or
//! all but this one, and never anyone else's.

use domain::accounts::Role;

use super::*;

fn handles(a: &Value, current: bool) -> Vec<String> {
    a["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["current"] == current)
        .map(|s| s["handle"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_list_shows_only_my_sessions_and_signing_one_out_ends_it() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    let (here, there, bob) = (app.browser(), app.browser(), app.browser());
    for (b, who) in [(&here, "alice"), (&there, "alice"), (&bob, "bob")] {
        assert!(b.sign_in(who, ADMIN_PASSWORD).await.status < 400);
    }
    let a = account(&here).await;
    assert_eq!(a["username"], "alice");
    assert_eq!(a["role"], "user");
    assert_eq!(a["sessions"].as_array().unwrap().len(), 2, "{a}");
    assert_eq!(handles(&a, true).len(), 1, "{a}");
    let other = handles(&a, false).remove(0);
    assert_eq!(a["sessions"][0]["ip"], "127.0.0.1", "{a}");

    let r = here
        .post("/api/end_my_session", &[("session", &other)])
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account?notice=session_ended"),
        "{}",
        r.body
    );
    assert_eq!(there.signed_in_as().await, None);
    assert_eq!(here.signed_in_as().await.as_deref(), Some("alice"));
    assert_eq!(bob.signed_in_as().await.as_deref(), Some("bob"));
    assert_eq!(handles(&account(&here).await, false).len(), 0);
}

#[tokio::test]
async fn another_persons_session_cannot_be_signed_out() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    create_user(&app.db, "bob", Role::User).await;
    let (alice, bob) = (app.browser(), app.browser());
    assert!(alice.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    assert!(bob.sign_in("bob", ADMIN_PASSWORD).await.status < 400);
    let bobs = handles(&account(&bob).await, true).remove(0);

    let r = alice
        .post("/api/end_my_session", &[("session", &bobs)])
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    for junk in ["", "x", &"f".repeat(5000)] {
        let r = alice
            .post("/api/end_my_session", &[("session", junk)])
            .await;
        assert_eq!(r.status, 404, "{junk:.10}: {}", r.body);
    }
    assert_eq!(bob.signed_in_as().await.as_deref(), Some("bob"));
    assert_eq!(app.count("sessions").await, 2);
    // And without the CSRF token nothing happens at all.
    let own = handles(&account(&alice).await, true).remove(0);
    let r = alice
        .post_raw("/api/end_my_session", &[("session", &own)])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(alice.signed_in_as().await.as_deref(), Some("alice"));
}

#[tokio::test]
async fn sign_out_everywhere_else_asks_first_and_keeps_this_session() {
    let app = spawn_app().await;
    create_user(&app.db, "alice", Role::User).await;
    let browsers: Vec<Browser> = (0..3).map(|_| app.browser()).collect();
    for b in &browsers {
        assert!(b.sign_in("alice", ADMIN_PASSWORD).await.status < 400);
    }
    let here = &browsers[0];
    let r = here.post("/api/end_other_sessions", &[]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(app.count("sessions").await, 3, "unconfirmed: nothing ended");

    let r = here
        .post("/api/end_other_sessions", &[("confirm", "on")])
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/account?notice=other_sessions_ended"),
        "{}",
        r.body
    );
    assert_eq!(here.signed_in_as().await.as_deref(), Some("alice"));
    for b in &browsers[1..] {
        assert_eq!(b.signed_in_as().await, None);
    }
    assert_eq!(app.count("sessions").await, 1);
    // Signing out the current session from the list signs this browser out.
    let mine = handles(&account(here).await, true).remove(0);
    let r = here
        .post("/api/end_my_session", &[("session", &mine)])
        .await;
    assert_eq!(
        r.location().as_deref(),
        Some("/login?notice=signed_out"),
        "{}",
        r.body
    );
    assert_eq!(here.signed_in_as().await, None);
}
