//! Entering user codes on /device: one answer for every bad code, the throttle on
//! guessing, and what is stored.

use sea_orm::EntityTrait;

use super::*;

#[tokio::test]
async fn unknown_expired_and_used_codes_are_not_valid_and_say_nothing_more() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let alice = signed_in_user(&app, "alice").await;
    assert_eq!(
        entry_problem(&details(&alice, "BCDF-GHJK").await).as_deref(),
        Some("not_valid")
    );
    assert_eq!(
        entry_problem(&details(&alice, "not a code").await).as_deref(),
        Some("not_valid")
    );

    let used = authorize_device(&app, &client_id, "openid").await;
    let used_code = used["user_code"].as_str().unwrap().to_owned();
    decide(&alice, &used_code, "allow").await;
    assert_eq!(
        entry_problem(&details(&alice, &used_code).await).as_deref(),
        Some("not_valid")
    );

    let late = authorize_device(&app, &client_id, "openid").await;
    let late_code = late["user_code"].as_str().unwrap().to_owned();
    // Typed lower-case with a space instead of the dash: the same code.
    let typed = late_code.to_lowercase().replace('-', " ");
    assert!(details(&alice, &typed).await["Consent"].is_object());
    // The page was open while the code expired: the decision is refused, readably.
    app.clock.advance(601);
    let page_fields = vec![("user_code", late_code.as_str()), ("decision", "allow")];
    let r = alice.post("/api/device_decide", &page_fields).await;
    let to = r.location().unwrap();
    assert_eq!(
        query_param(&to, "problem").as_deref(),
        Some("not_valid"),
        "{to}"
    );
    let shown = alice.get_html(&to).await;
    assert!(
        shown.body.contains("That code is not valid"),
        "{}",
        shown.body
    );
    assert_eq!(
        poll_error(&app, &client_id, late["device_code"].as_str().unwrap()).await,
        "expired_token"
    );

    // The clean-up job removes expired requests.
    let purged = domain::jobs::cleanup::purge(
        &app.db,
        Default::default(),
        Default::default(),
        app.clock_now() + 3600,
    )
    .await
    .unwrap();
    assert_eq!(purged.device_codes, 2);
    assert_eq!(app.count("device_codes").await, 0);
}

#[tokio::test]
async fn guessing_user_codes_is_throttled_per_person_even_in_parallel() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let alice = signed_in_user(&app, "alice").await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let right = d["user_code"].as_str().unwrap().to_owned();
    // Five wrong codes (the sign-in policy's per-account limit) lock the person;
    // the fifth already says so.
    for i in 0..5 {
        assert_eq!(
            entry_problem(&details(&alice, "BCDF-GHJK").await).as_deref(),
            Some(if i < 4 { "not_valid" } else { "throttled" })
        );
    }
    let v = details(&alice, &right).await;
    assert_eq!(entry_problem(&v).as_deref(), Some("throttled"), "{v}");
    let r = alice
        .post(
            "/api/device_decide",
            &[("user_code", &right), ("decision", "allow")],
        )
        .await;
    assert_eq!(
        query_param(&r.location().unwrap(), "problem").as_deref(),
        Some("throttled")
    );
    // Nobody else is locked out by alice's guesses.
    let bob = signed_in_user(&app, "bob").await;
    assert!(details(&bob, &right).await["Consent"].is_object());
    // The lock ends with the window.
    app.clock.advance(15 * 60);
    let fresh = authorize_device(&app, &client_id, "openid").await;
    let fresh_code = fresh["user_code"].as_str().unwrap();
    assert!(details(&alice, fresh_code).await["Consent"].is_object());

    // Parallel wrong guesses get no more lookups than the limit.
    let carol = signed_in_user(&app, "carol").await;
    let carol = std::sync::Arc::new(carol);
    let answers = burst(30, |_| {
        let carol = carol.clone();
        async move { entry_problem(&details(&carol, "BCDF-GHJK").await) }
    })
    .await;
    let not_valid = answers
        .iter()
        .filter(|a| a.as_deref() == Some("not_valid"))
        .count();
    let throttled = answers
        .iter()
        .filter(|a| a.as_deref() == Some("throttled"))
        .count();
    // Five slots: four plain failures and the one that locks (which says so).
    assert_eq!((not_valid, throttled), (4, 26), "{answers:?}");
}

#[tokio::test]
async fn device_and_user_codes_are_stored_only_hashed() {
    let app = spawn_app().await;
    let client_id = tv(&app).await;
    let d = authorize_device(&app, &client_id, "openid").await;
    let device_code = d["device_code"].as_str().unwrap();
    let user_code = d["user_code"].as_str().unwrap();
    let bare = user_code.replace('-', "");
    let rows = domain::entities::device_code::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = format!("{:?}", rows[0]);
    for secret in [device_code, user_code, bare.as_str()] {
        assert!(!row.contains(secret), "{secret} stored in clear: {row}");
    }
    assert_eq!(
        rows[0].device_code_hash,
        domain::platform::secret::token_hash(device_code)
    );
    // Nor in the audit log.
    let events: Vec<String> = domain::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{e:?}"))
        .collect();
    for secret in [device_code, bare.as_str()] {
        assert!(events.iter().all(|e| !e.contains(secret)));
    }
}
