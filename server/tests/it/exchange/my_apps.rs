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

/// An agent that exchanged tens of thousands of tokens for a person is one row on
/// My apps, counted by the database: no statement carries a parameter per token
/// (SQLite caps them at 32,766), and revoked tokens are not counted.
#[tokio::test]
async fn an_agent_with_seventy_thousand_live_tokens_is_one_row() {
    use domain::entities::{revoked_token, token_lineage};
    use sea_orm::{EntityTrait, Set};
    let w = world().await;
    let app = &w.app;
    chain(&w).await;
    let alice = domain::accounts::find_by_username(&app.db, "alice")
        .await
        .unwrap()
        .unwrap();
    let now = app.clock_now();
    const MANY: usize = 70_000;
    let jti = |i: usize| format!("bulk-{i}");
    for chunk in (0..MANY).collect::<Vec<_>>().chunks(1_000) {
        token_lineage::Entity::insert_many(chunk.iter().map(|&i| token_lineage::ActiveModel {
            jti: Set(jti(i)),
            parent_jti: Set("bulk-parent".into()),
            depth: Set(2),
            client_id: Set(w.w2.id.clone()),
            origin_client_id: Set(w.y.id.clone()),
            user_id: Set(Some(alice.id.clone())),
            expires_at: Set(now + 3_600),
            created_at: Set(now - 60),
        }))
        .exec(&app.db)
        .await
        .unwrap();
    }
    revoked_token::Entity::insert_many((0..5).map(|i| revoked_token::ActiveModel {
        jti: Set(jti(i)),
        expires_at: Set(now + 3_600),
    }))
    .exec(&app.db)
    .await
    .unwrap();

    let b = app.browser();
    b.sign_in("alice", ADMIN_PASSWORD).await;
    let r = b.get("/api/apps/list").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let apps = r.json();
    let agents = apps["apps"][0]["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 3, "{agents:?}");
    let planner = agents
        .iter()
        .find(|a| a["name"] == "Planner agent")
        .unwrap();
    // The chain's own token and the 70,000 seeded, less the 5 revoked.
    assert_eq!(planner["live_tokens"], (MANY - 5 + 1) as u64);
}
