//! Asking for developer access (issue 13): a person whose account cannot
//! register apps asks from `/developer`; the request waits in the approval queue
//! (and its count), one at a time per person even when sent at once; an
//! administrator approves it — the account becomes a developer's — or rejects it
//! with a reason the person reads, after which they may ask again. Two
//! administrators deciding at once make one decision.

use domain::accounts::Role;
use serde_json::Value;

use crate::helpers::*;

const PLAN: &str = "A notebook app for the physics labs: it signs students in.";

async fn ask(b: &Browser, plan: &str) -> Reply {
    b.post("/api/ask_developer_access", &[("plan", plan)]).await
}

async fn waiting(admin: &Browser) -> Vec<Value> {
    let r = admin.get("/api/admin/developer_requests?page=1").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["items"].as_array().unwrap().clone()
}

async fn latest(b: &Browser) -> Value {
    b.get("/api/developer_access").await.json()
}

async fn role(b: &Browser) -> String {
    b.shell().await["user"]["role"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_person_asks_once_and_an_administrator_makes_them_a_developer() {
    let app = spawn_app().await;
    create_user(&app.db, "grace", Role::User).await;
    let grace = signed_in(&app, "grace").await;
    let admin = signed_in(&app, "admin").await;
    assert!(latest(&grace).await.is_null(), "nothing asked yet");
    // Not a developer yet: registering an app is refused.
    let r = grace
        .post(
            "/api/portal/create_client",
            &[
                ("name", "Notebook"),
                ("application_type", "web"),
                ("redirect_uris", "https://nb.example.edu/cb"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);

    // Eight sends at once (two tabs, a double click): one request.
    let results = burst(8, |_| {
        let g = grace.clone();
        async move { ask(&g, PLAN).await.status }
    })
    .await;
    let sent = results.iter().filter(|s| **s < 400).count();
    assert_eq!(sent, 1, "{results:?}");
    assert!(results.iter().all(|s| *s < 400 || *s == 409), "{results:?}");
    assert_eq!(app.count("developer_requests").await, 1);
    let r = ask(&grace, "again").await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.error_message().contains("already waiting"), "{}", r.body);
    let mine = latest(&grace).await;
    assert_eq!(mine["status"], "pending");
    assert_eq!(mine["plan"], PLAN);

    // In the queue, counted in its badge, with who asks; administrators are told.
    let list = waiting(&admin).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["username"], "grace");
    assert_eq!(list[0]["plan"], PLAN);
    assert_eq!(list[0]["email"], "grace@example.edu");
    assert_eq!(admin.shell().await["pending_requests"], 1);
    assert_eq!(admin.shell().await["unread"], 1);
    let id = list[0]["id"].as_str().unwrap().to_owned();
    // Only administrators see or decide it.
    assert_eq!(
        grace
            .get("/api/admin/developer_requests?page=1")
            .await
            .status,
        403
    );
    let r = grace
        .post("/api/admin/approve_developer", &[("id", &id)])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(role(&grace).await, "user");

    let r = admin
        .post("/api/admin/approve_developer", &[("id", &id)])
        .await;
    assert!(
        r.location()
            .is_some_and(|l| l.ends_with("notice=developer_approved")),
        "{} {}",
        r.status,
        r.body
    );
    assert_eq!(role(&grace).await, "developer");
    assert_eq!(latest(&grace).await["status"], "approved");
    assert!(waiting(&admin).await.is_empty());
    assert_eq!(admin.shell().await["pending_requests"], 0);
    assert_eq!(grace.shell().await["unread"], 1, "told in the app");
    let mail = app.count("outbox_emails").await;
    assert!(mail >= 2, "the administrator and grace were mailed: {mail}");
    // Approving again is a conflict and changes nothing.
    let r = admin
        .post("/api/admin/approve_developer", &[("id", &id)])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let roles = app.audit_events_of("user.role_changed").await;
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert_eq!(roles[0]["after"]["role"], "developer");
    assert_eq!(roles[0]["request_id"], id.as_str());
    assert_eq!(
        app.audit_events_of("developer_access.requested")
            .await
            .len(),
        1
    );
    assert_eq!(
        app.audit_events_of("developer_access.approved").await.len(),
        1
    );

    // Now a developer: the app registers, and asking again is pointless.
    register_in_portal(&grace, "Notebook", "web", "https://nb.example.edu/cb").await;
    let r = ask(&grace, PLAN).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(
        r.error_message().contains("already register apps"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_rejection_says_why_and_the_person_may_ask_again() {
    let app = spawn_app().await;
    create_user(&app.db, "linus", Role::User).await;
    let linus = signed_in(&app, "linus").await;
    let admin = signed_in(&app, "admin").await;
    assert!(ask(&linus, PLAN).await.status < 400);
    let id = waiting(&admin).await[0]["id"].as_str().unwrap().to_owned();

    // No reason: refused beside this card's field, nothing decided.
    for reason in ["", "   "] {
        let r = admin
            .post(
                "/api/admin/reject_developer",
                &[("id", &id), ("reason", reason)],
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(&format!("reason-{id}")), "{}", r.body);
    }
    assert_eq!(latest(&linus).await["status"], "pending");

    let because = "Use the sandbox first; ask again with the app's name.";
    let r = admin
        .post(
            "/api/admin/reject_developer",
            &[("id", &id), ("reason", because)],
        )
        .await;
    assert!(
        r.location()
            .is_some_and(|l| l.ends_with("notice=developer_rejected")),
        "{} {}",
        r.status,
        r.body
    );
    let mine = latest(&linus).await;
    assert_eq!(mine["status"], "rejected");
    assert_eq!(mine["reason"], because);
    assert_eq!(role(&linus).await, "user");
    assert!(app.audit_events_of("user.role_changed").await.is_empty());
    let rejected = app.audit_events_of("developer_access.rejected").await;
    assert_eq!(rejected[0]["reason"], because);
    let notes = linus.get("/api/portal/notifications?page=1").await.json();
    assert!(notes.to_string().contains(because), "{notes}");

    // Rejecting a decided request is a conflict; a new ask waits again.
    let r = admin
        .post(
            "/api/admin/reject_developer",
            &[("id", &id), ("reason", "again")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(ask(&linus, "The physics notebook, for lab 3.").await.status < 400);
    assert_eq!(latest(&linus).await["status"], "pending");
    assert_eq!(app.count("developer_requests").await, 2);
}

#[tokio::test]
async fn two_administrators_deciding_at_once_make_one_decision() {
    let app = spawn_app().await;
    create_user(&app.db, "ken", Role::User).await;
    create_user(&app.db, "barbara", Role::Admin).await;
    let ken = signed_in(&app, "ken").await;
    assert!(ask(&ken, PLAN).await.status < 400);
    let admins = [
        signed_in(&app, "admin").await,
        signed_in(&app, "barbara").await,
    ];
    let id = waiting(&admins[0]).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let results = burst(6, |i| {
        let a = admins[i % 2].clone();
        let id = id.clone();
        async move {
            if i % 3 == 0 {
                a.post(
                    "/api/admin/reject_developer",
                    &[("id", &id), ("reason", "no")],
                )
                .await
                .status
            } else {
                a.post("/api/admin/approve_developer", &[("id", &id)])
                    .await
                    .status
            }
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|s| **s < 400).count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().all(|s| *s < 400 || *s == 409), "{results:?}");
    let decided = app.audit_events_of("developer_access.approved").await.len()
        + app.audit_events_of("developer_access.rejected").await.len();
    assert_eq!(decided, 1);
}

#[tokio::test]
async fn bad_asks_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    create_user(&app.db, "mallory", Role::User).await;
    let m = signed_in(&app, "mallory").await;
    let long = "x".repeat(limits::JUSTIFICATION + 1);
    for (plan, status) in [
        ("", 422),
        ("  \n ", 422),
        (long.as_str(), 422),
        ("bell\u{7}", 422),
    ] {
        let r = ask(&m, plan).await;
        assert_eq!(r.status, status, "{plan:?}: {}", r.body);
        assert!(r.body.contains("plan"), "{}", r.body);
    }
    // Without the CSRF token, or signed out.
    let r = m
        .post_raw("/api/ask_developer_access", &[("plan", PLAN)])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .browser()
        .post("/api/ask_developer_access", &[("plan", PLAN)])
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    // A developer, and an administrator, already have access.
    let dev = developer(&app, "dora").await;
    assert_eq!(ask(&dev, PLAN).await.status, 409);
    assert_eq!(ask(&signed_in(&app, "admin").await, PLAN).await.status, 409);
    // Deciding what does not exist.
    let admin = signed_in(&app, "admin").await;
    for id in ["nope", "", &"x".repeat(5000)] {
        let r = admin
            .post("/api/admin/approve_developer", &[("id", id)])
            .await;
        assert_eq!(r.status, 404, "{id:?}: {}", r.body);
    }
    assert_eq!(app.count("developer_requests").await, 0);
    assert!(app
        .audit_events_of("developer_access.requested")
        .await
        .is_empty());
}
