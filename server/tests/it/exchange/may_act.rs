//! A person's word on which agents may act for them through an app (`may_act`,
//! RFC 8693 §4.4): on the consent page and under My apps. Token exchange asks it
//! in its own transaction; narrowing it ends at once what a dropped agent holds.

use super::*;

/// alice's grant to Y, as My apps lists it.
async fn grant_of(b: &crate::helpers::Browser) -> Value {
    b.get("/api/apps/list").await.json()["apps"][0].clone()
}

fn refused(status: u16, v: &Value) -> bool {
    status == 400
        && v["error"] == "invalid_request"
        && v["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("has not allowed this client to act for them"))
}

#[tokio::test]
async fn a_person_names_the_agents_that_may_act_for_them_and_the_others_stop() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let alice = app.browser();
    alice.sign_in("alice", ADMIN_PASSWORD).await;
    let g = grant_of(&alice).await;
    assert_eq!(g["may_act"], "any");
    let grant_id = s(&g, "grant_id").to_owned();
    // Every agent acting now is offered, ticked while any agent may act.
    let offered: Vec<(&str, bool)> = g["agent_choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["client_id"].as_str().unwrap(), c["allowed"] == true))
        .collect();
    for id in [&w.x.id, &w.w2.id, &w.w3.id] {
        assert!(offered.contains(&(id.as_str(), true)), "{offered:?}");
    }
    let page = alice.get_html("/apps").await;
    assert!(
        page.body.contains(r#"data-testid="app-may-act""#),
        "{}",
        page.body
    );

    // "Only" with nothing ticked is a mistake, not "none"; someone else's grant
    // is not found. Neither changes anything.
    let r = alice
        .post(
            "/api/apps/agents",
            &[("grant_id", &grant_id), ("mode", "only")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("Tick at least one agent"), "{}", r.body);
    let r = alice
        .post(
            "/api/apps/agents",
            &[("grant_id", &grant_id), ("mode", "some")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    create_user(&app.db, "bob", Role::User).await;
    let bob = app.browser();
    bob.sign_in("bob", ADMIN_PASSWORD).await;
    let r = bob
        .post(
            "/api/apps/agents",
            &[("grant_id", &grant_id), ("mode", "none")],
        )
        .await;
    assert!(r.status >= 400 && r.body.contains("NotFound"), "{}", r.body);
    assert!(active(app, &w.x, &t1).await && active(app, &w.w2, &t2).await);

    // Only the API and the summariser: the planner's token dies, and the
    // summariser's with it (it was derived from the planner's).
    let r = alice
        .post(
            "/api/apps/agents",
            &[
                ("grant_id", &grant_id),
                ("mode", "only"),
                ("allowed[]", &w.x.id),
                ("allowed[]", &w.w3.id),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(!active(app, &w.w2, &t2).await);
    assert!(!active(app, &w.w3, &t3).await);
    assert!(active(app, &w.x, &t1).await);
    assert!(active(app, &w.y, &w.t0).await);
    let g = grant_of(&alice).await;
    assert_eq!(g["may_act"], "only");
    // The planner is still offered (unticked), so it can be allowed again.
    let planner = g["agent_choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == w.w2.id.as_str())
        .cloned();
    assert_eq!(
        planner.map(|c| (c["allowed"].clone(), c["name"].clone())),
        Some((json!(false), json!("Planner agent"))),
        "{g}"
    );
    let mut want = vec![w.x.id.clone(), w.w3.id.clone()];
    want.sort();
    let ev = app.audit_events_of("grant.changed").await;
    let last = ev.last().unwrap();
    assert_eq!(last["before"]["may_act"], "any");
    assert_eq!(last["after"]["may_act"], json!(want));
    assert_eq!(last["access_tokens_revoked"], 1);

    // The planner is refused; the API and the summariser still trade.
    let t1b = traded(app, &w.x, &w.t0, &[]).await;
    let (status, v) = trade(app, &w.w2, &t1b, &[]).await;
    assert!(refused(status, &v), "{status} {v}");
    traded(app, &w.w3, &t1b, &[("scope", READ)]).await;

    // None: even the API that receives the app's tokens may not act.
    let r = alice
        .post(
            "/api/apps/agents",
            &[("grant_id", &grant_id), ("mode", "none")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(!active(app, &w.x, &t1).await && !active(app, &w.x, &t1b).await);
    let (status, v) = trade(app, &w.x, &w.t0, &[]).await;
    assert!(refused(status, &v), "{status} {v}");

    assert_eq!(grant_of(&alice).await["may_act"], "none");

    // Any again.
    let r = alice
        .post(
            "/api/apps/agents",
            &[("grant_id", &grant_id), ("mode", "any")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    traded(app, &w.x, &w.t0, &[]).await;
}

#[tokio::test]
async fn the_consent_page_asks_who_may_act_and_keeps_the_answer() {
    let w = world().await;
    let app = &w.app;
    create_user(&app.db, "carol", Role::User).await;
    let b = app.browser();
    assert!(b.sign_in("carol", ADMIN_PASSWORD).await.status < 400);
    let scope = format!("openid {READ}");
    let loc = b
        .get(&authorize_path(&w.y, &scope, ""))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with("/oauth/consent?"), "{loc}");
    let page = b.get_html(&loc).await;
    assert!(
        page.body.contains(r#"data-testid="consent-agents""#),
        "{}",
        page.body
    );
    // An authorization request cannot answer for the person: an `agents`
    // parameter it carries is not passed through the form.
    let tampered = b.get_html(&format!("{loc}&agents=any")).await;
    assert!(!tampered.body.contains(r#"type="hidden" name="agents""#));

    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{loc}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    fields.push(("decision".into(), "allow".into()));
    let with = |extra: &str| {
        let mut f = fields.clone();
        f.push(("agents".into(), extra.into()));
        f
    };
    let post = |f: Vec<(String, String)>| {
        let b = &b;
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.post("/oauth/consent", &refs).await.location().unwrap()
        }
    };
    // A value that is not one of the choices is refused, and consents to nothing.
    let bad = post(with("everyone")).await;
    assert!(bad.contains("error=invalid_request"), "{bad}");
    assert_eq!(app.count("grants").await, 1);

    let back = post(with("none")).await;
    let code = param(&back, "code").unwrap_or_else(|| panic!("{back}"));
    let t = s(&exchange(app, &w.y, &code).await, "access_token").to_owned();
    let (status, v) = trade(app, &w.x, &t, &[]).await;
    assert!(refused(status, &v), "{status} {v}");
    let g = grant_of(&b).await;
    assert_eq!(g["may_act"], "none");

    // Asked again (prompt=consent), the page shows the answer; no answer keeps it.
    let loc = b
        .get(&authorize_path(&w.y, &scope, "&prompt=consent"))
        .await
        .location()
        .unwrap();
    let page = b.get_html(&loc).await;
    let none_checked = page
        .body
        .split("id=\"agents-none\"")
        .nth(1)
        .is_some_and(|rest| rest.split('>').next().unwrap_or("").contains("checked"));
    assert!(none_checked, "{}", page.body);
    through_consent(&b, &loc).await;
    assert_eq!(grant_of(&b).await["may_act"], "none");

    // Alice, who said nothing, still lets agents act (the default).
    traded(app, &w.x, &w.t0, &[]).await;
}

/// An app narrowing its own token for a sub-task is one actor, not two, and
/// never an agent.
#[tokio::test]
async fn an_app_exchanging_its_own_token_is_named_once() {
    let w = world().await;
    let app = &w.app;
    let mut new = notebook(&["openid", READ]);
    new.metadata.grant_types = Some(vec![
        "authorization_code".into(),
        "refresh_token".into(),
        TE.into(),
    ]);
    let z = register(app, new).await;
    let code = code_as(&app.browser(), "alice", &z, &format!("openid {READ}")).await;
    let t0 = s(&exchange(app, &z, &code).await, "access_token").to_owned();
    let own = traded(app, &z, &t0, &[("scope", READ)]).await;
    assert_eq!(peek(&own)["act"], json!({ "sub": z.id, "client_id": z.id }));
    // No agent may act for alice through Z: Z narrowing its own token is not one.
    let alice = app.browser();
    alice.sign_in("alice", ADMIN_PASSWORD).await;
    let apps = alice.get("/api/apps/list").await.json();
    let g = apps["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["client_id"] == z.id.as_str())
        .unwrap()
        .clone();
    let r = alice
        .post(
            "/api/apps/agents",
            &[("grant_id", s(&g, "grant_id")), ("mode", "none")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    traded(app, &z, &t0, &[("scope", READ)]).await;
}
