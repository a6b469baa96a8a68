//! The agents acting for a person, as My apps lists and stops them.

use super::*;

#[tokio::test]
async fn my_apps_lists_the_agents_acting_through_an_app_and_stops_one() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let alice = app.browser();
    alice.sign_in("alice", ADMIN_PASSWORD).await;
    let apps = alice.get("/api/apps/list").await.json();
    let listed = &apps["apps"][0];
    assert_eq!(listed["client_id"], w.y.id.as_str());
    let agents: Vec<(&str, i64, i64)> = listed["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap(),
                a["depth"].as_i64().unwrap(),
                a["live_tokens"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(agents.len(), 3, "{agents:?}");
    for want in [
        ("Registrations API", 1, 1),
        ("Planner agent", 2, 1),
        ("Summariser agent", 3, 1),
    ] {
        assert!(agents.contains(&want), "{want:?} in {agents:?}");
    }
    let page = alice.get_html("/apps").await;
    assert!(
        page.body.contains(r#"data-testid="app-agents""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"data-testid="agent-Planner agent""#));
    assert!(page.body.contains("Stop this agent"));

    // Not confirmed: nothing happens. Someone else: not found.
    let r = alice
        .post("/api/apps/revoke_agent", &[("client_id", &w.w2.id)])
        .await;
    assert!(
        r.status >= 400 && r.error_message().contains("confirm"),
        "{}",
        r.body
    );
    create_user(&app.db, "bob", Role::User).await;
    let bob = app.browser();
    bob.sign_in("bob", ADMIN_PASSWORD).await;
    let r = bob
        .post(
            "/api/apps/revoke_agent",
            &[("client_id", &w.w2.id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    assert!(active(app, &w.w2, &t2).await);

    // alice stops the planner: its token and what it passed on die; the API and
    // the app keep theirs.
    let r = alice
        .post(
            "/api/apps/revoke_agent",
            &[("client_id", &w.w2.id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(!active(app, &w.w2, &t2).await);
    assert!(!active(app, &w.w3, &t3).await);
    assert!(active(app, &w.x, &t1).await);
    assert!(active(app, &w.y, &w.t0).await);
    let left: Vec<String> = alice.get("/api/apps/list").await.json()["apps"][0]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["Registrations API"]);
    let ev = app.audit_events_of("agent.revoked").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["agent"], w.w2.id.as_str());
    assert_eq!(ev[0]["through"], json!([w.y.id]));
}
