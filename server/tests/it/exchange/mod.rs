//! Issue 16, item 4: token exchange (RFC 8693) over real HTTP. A person allows an
//! app (Y); the API that receives Y's token (X) trades it for a narrower one, and
//! agents (W2, W3) behind it trade again: every token names its actors in `act`,
//! may only narrow, and dies with any link above it — on every node.

use domain::accounts::Role;
use domain::clients::{ApplicationType, ClientPatch, NewClient};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rp::*;

mod admin_rest;
mod may_act;
mod my_apps;

const TE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A confidential service that may exchange tokens, holding `scopes`, named a
/// resource server of the registrations API (so tokens for that API are its to
/// trade in).
async fn agent(app: &TestApp, name: &str, scopes: &[&str]) -> Creds {
    let c = register(
        app,
        NewClient {
            application_type: Some(ApplicationType::Service),
            metadata: ClientPatch {
                name: Some(name.into()),
                grant_types: Some(vec!["client_credentials".into(), TE.into()]),
                ..Default::default()
            },
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    )
    .await;
    allow_introspection(app, REGISTRATIONS, &c.id).await;
    c
}

struct World {
    app: TestApp,
    /// The app alice allowed.
    y: Creds,
    /// The registrations API's own service (receives Y's tokens).
    x: Creds,
    w2: Creds,
    w3: Creds,
    /// alice's token for Y (`openid registrations:read registrations:write`).
    t0: String,
}

async fn world_with(tweak: impl FnOnce(&mut server::settings::Settings)) -> World {
    let app = spawn_app_with(tweak).await;
    registrations_api(&app).await;
    create_user(&app.db, "alice", Role::User).await;
    let y = register(&app, notebook(&["openid", READ, WRITE])).await;
    let x = agent(&app, "Registrations API", &[READ, WRITE]).await;
    let w2 = agent(&app, "Planner agent", &[READ, WRITE]).await;
    let w3 = agent(&app, "Summariser agent", &[READ]).await;
    let b = app.browser();
    let code = code_as(&b, "alice", &y, &format!("openid {READ} {WRITE}")).await;
    let t0 = s(&exchange(&app, &y, &code).await, "access_token").to_owned();
    World {
        app,
        y,
        x,
        w2,
        w3,
        t0,
    }
}

async fn world() -> World {
    world_with(|_| {}).await
}

/// `who` trades `subject` in (plus `extra` parameters).
async fn trade(app: &TestApp, who: &Creds, subject: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", TE),
        ("subject_token", subject),
        ("subject_token_type", AT),
    ];
    form.extend_from_slice(extra);
    token(app, who, &form).await
}

async fn traded(app: &TestApp, who: &Creds, subject: &str, extra: &[(&str, &str)]) -> String {
    let (status, v) = trade(app, who, subject, extra).await;
    assert_eq!(status, 200, "{v}");
    s(&v, "access_token").to_owned()
}

async fn revoke(app: &TestApp, who: &Creds, t: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", app.base))
        .basic_auth(&who.id, Some(&who.secret))
        .form(&[("token", t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn active(app: &TestApp, who: &Creds, t: &str) -> bool {
    introspect(app, who, t).await["active"] == true
}

#[tokio::test]
async fn an_exchange_narrows_and_names_every_actor() {
    let w = world().await;
    let app = &w.app;

    let (status, v) = trade(app, &w.x, &w.t0, &[("scope", READ)]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["issued_token_type"], AT);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], READ);
    assert!(v.get("refresh_token").is_none(), "{v}");
    let t1 = s(&v, "access_token").to_owned();
    let (c0, c1) = (peek(&w.t0), peek(&t1));
    assert!(
        c1["exp"].as_i64() <= c0["exp"].as_i64(),
        "never outlives its subject"
    );
    assert_eq!(c1["client_id"], w.x.id.as_str());
    assert_eq!(c1["sub"], c0["sub"], "the same person (public subjects)");
    assert_eq!(c1["aud"], REGISTRATIONS);
    assert_eq!(
        c1["act"],
        json!({ "sub": w.x.id, "client_id": w.x.id, "act": { "sub": w.y.id, "client_id": w.y.id } }),
        "the API acts, through the app alice allowed"
    );

    // An agent behind it narrows again; its own token may name it (actor_token).
    let (_, own) = token(
        app,
        &w.w2,
        &[("grant_type", "client_credentials"), ("scope", READ)],
    )
    .await;
    let t2 = traded(
        app,
        &w.w2,
        &t1,
        &[
            ("actor_token", s(&own, "access_token")),
            ("actor_token_type", AT),
        ],
    )
    .await;
    let c2 = peek(&t2);
    assert_eq!(c2["act"]["client_id"], w.w2.id.as_str());
    assert_eq!(c2["act"]["act"]["client_id"], w.x.id.as_str());
    assert_eq!(c2["act"]["act"]["act"]["client_id"], w.y.id.as_str());

    // Introspection tells a resource server the whole chain.
    let i = introspect(app, &w.w2, &t2).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["act"], c2["act"]);
    assert_eq!(i["scope"], READ);

    // The issuance is in the audit trail with its lineage.
    let events = app.audit_events_of("token.issued").await;
    let last = events.last().expect("an event");
    assert_eq!(last["grant_type"], TE, "{last}");
    assert_eq!(last["parent_jti"], c1["jti"]);
    assert_eq!(last["depth"], 2);
    assert_eq!(last["act"], c2["act"]);
}

#[tokio::test]
async fn an_exchange_never_widens_and_only_the_tokens_audience_may_trade_it() {
    let w = world().await;
    let app = &w.app;
    let t1 = traded(app, &w.x, &w.t0, &[("scope", READ)]).await;

    // More than the subject carries.
    let (status, v) = trade(app, &w.w2, &t1, &[("scope", &format!("{READ} {WRITE}"))]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_scope")),
        "{v}"
    );
    // More than the exchanging client holds (W3 has read only).
    let (status, v) = trade(app, &w.w3, &w.t0, &[]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_scope")),
        "{v}"
    );
    // Another API.
    let (status, v) = trade(
        app,
        &w.x,
        &w.t0,
        &[("resource", "https://payroll.example.edu")],
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_target")),
        "{v}"
    );

    // A client that is neither the token's client nor a server of its API.
    let stranger = register(
        app,
        NewClient {
            application_type: Some(ApplicationType::Service),
            metadata: ClientPatch {
                name: Some("Stranger".into()),
                grant_types: Some(vec!["client_credentials".into(), TE.into()]),
                ..Default::default()
            },
            scopes: vec![READ.into()],
            ..Default::default()
        },
    )
    .await;
    let (status, v) = trade(app, &stranger, &w.t0, &[("scope", READ)]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    // A client without the grant type.
    let (status, v) = trade(app, &w.y, &w.t0, &[]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{v}"
    );
    // Someone else's client token as actor token.
    let (_, other) = token(
        app,
        &w.w2,
        &[("grant_type", "client_credentials"), ("scope", READ)],
    )
    .await;
    let (status, v) = trade(
        app,
        &w.x,
        &w.t0,
        &[
            ("actor_token", s(&other, "access_token")),
            ("actor_token_type", AT),
        ],
    )
    .await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );

    // Malformed requests.
    for (form, want) in [
        (vec![("subject_token_type", AT)], "invalid_request"),
        (
            vec![
                ("subject_token", w.t0.as_str()),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:refresh_token",
                ),
            ],
            "invalid_request",
        ),
        (
            vec![("subject_token", "not-a-token"), ("subject_token_type", AT)],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", w.t0.as_str()),
                ("subject_token_type", AT),
                ("actor_token", w.t0.as_str()),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("subject_token", w.t0.as_str()),
                ("subject_token_type", AT),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
            ],
            "invalid_request",
        ),
    ] {
        let mut f = vec![("grant_type", TE)];
        f.extend(form);
        let (status, v) = token(app, &w.x, &f).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some(want)),
            "{f:?}: {v}"
        );
    }
    // Nothing was issued by any refusal.
    let exchanged = app
        .audit_events_of("token.issued")
        .await
        .iter()
        .filter(|e| e["grant_type"] == TE)
        .count();
    assert_eq!(exchanged, 1, "only the first exchange issued a token");
}

#[tokio::test]
async fn the_chain_depth_is_capped_by_the_setting() {
    let w = world_with(|s| s.token_exchange.max_chain_depth = 2).await;
    let app = &w.app;
    let t1 = traded(app, &w.x, &w.t0, &[("scope", READ)]).await;
    let t2 = traded(app, &w.w2, &t1, &[]).await;
    let (status, v) = trade(app, &w.w3, &t2, &[]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("at most 2"),
        "{v}"
    );
}

/// T0 (alice → Y) → T1 (X) → T2 (W2) → T3 (W3).
async fn chain(w: &World) -> [String; 3] {
    let t1 = traded(&w.app, &w.x, &w.t0, &[]).await;
    let t2 = traded(&w.app, &w.w2, &t1, &[]).await;
    let t3 = traded(&w.app, &w.w3, &t2, &[("scope", READ)]).await;
    [t1, t2, t3]
}

#[tokio::test]
async fn revoking_one_link_revokes_everything_derived_from_it_on_every_node() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let (second, _) = spawn_second_server(app).await;
    let on_second = |who: Creds, t: String| {
        let base = second.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/oauth/introspect"))
                .basic_auth(&who.id, Some(&who.secret))
                .form(&[("token", t.as_str())])
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()["active"] == true
        }
    };
    assert!(
        on_second(w.w3.clone(), t3.clone()).await,
        "the second node knows T3"
    );

    // X revokes the token it got (RFC 7009): T2 and T3 die with it, T0 lives.
    revoke(app, &w.x, &t1).await;
    assert!(!active(app, &w.x, &t1).await);
    assert!(!active(app, &w.w2, &t2).await);
    assert!(!active(app, &w.w3, &t3).await);
    assert!(
        active(app, &w.y, &w.t0).await,
        "revocation goes down, never up"
    );
    // The other node: within 100 ms (its copy of the list learns from the feed).
    let started = tokio::time::Instant::now();
    loop {
        if !on_second(w.w3.clone(), t3.clone()).await {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_millis(2000),
            "the second node still calls T3 active"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    println!(
        "cascade seen by the second node after {:?}",
        started.elapsed()
    );
    // A revoked link cannot be traded in again either.
    let (status, v) = trade(app, &w.w2, &t1, &[]).await;
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
}

#[tokio::test]
async fn withdrawing_consent_on_my_apps_ends_the_whole_chain() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let alice = app.browser();
    alice.sign_in("alice", ADMIN_PASSWORD).await;
    let apps = alice.get("/api/apps/list").await.json();
    let grant_id = s(&apps["apps"][0], "grant_id").to_owned();
    let r = alice
        .post(
            "/api/apps/revoke",
            &[("grant_id", &grant_id), ("confirm", "yes")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert!(!active(app, &w.y, &w.t0).await);
    for (who, t) in [(&w.x, &t1), (&w.w2, &t2), (&w.w3, &t3)] {
        assert!(
            !active(app, who, t).await,
            "a derived token outlived the consent"
        );
    }
}

#[tokio::test]
async fn disabling_an_agent_ends_the_tokens_derived_through_it() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let admin = Api::admin(app).await;
    let r = admin
        .post(
            &format!("/api/v1/clients/{}/disable", w.w2.id),
            json!({ "justification": "runaway agent" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(active(app, &w.x, &t1).await, "above the agent: untouched");
    assert!(!active(app, &w.x, &t2).await, "the agent's own token");
    assert!(!active(app, &w.w3, &t3).await, "derived through the agent");
}

/// Each exchange only narrowed, so every client in a token's chain held all its
/// scopes: taking one from any of them — the app the person allowed, or an agent
/// in between — ends the derived tokens that carry it, and only those.
#[tokio::test]
async fn a_scope_taken_from_any_link_ends_the_derived_tokens_that_carry_it() {
    let w = world().await;
    let app = &w.app;
    let [t1, t2, t3] = chain(&w).await;
    let admin = app.browser();
    assert!(
        admin
            .sign_in(&app.admin.username, ADMIN_PASSWORD)
            .await
            .status
            < 400
    );
    let remove = |client: &str, scope: &'static str| {
        let (admin, client) = (&admin, client.to_owned());
        async move {
            let r = admin
                .post(
                    "/api/portal/remove_scope",
                    &[("id", &client), ("scope", scope)],
                )
                .await;
            assert!(r.status < 400, "{}", r.body);
        }
    };
    // From the app the person allowed: WRITE.
    remove(&w.y.id, WRITE).await;
    assert!(
        !active(app, &w.x, &t1).await,
        "carries WRITE, acts through the app"
    );
    assert!(
        !active(app, &w.w2, &t2).await,
        "carries WRITE, further down"
    );
    assert!(active(app, &w.w3, &t3).await, "READ only: untouched");
    // From an agent in between: READ.
    remove(&w.w2.id, READ).await;
    assert!(
        !active(app, &w.w3, &t3).await,
        "derived through the agent that lost READ"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_exchange_racing_a_revocation_never_leaves_a_live_child() {
    let w = world().await;
    let app = &w.app;
    // One exchange first: X's secret is then verified from the cache, so the
    // racing requests are not all still hashing when the revocation lands.
    let first = traded(app, &w.x, &w.t0, &[("scope", READ)]).await;
    // Exchanges of T0, one every millisecond, race the revocation of T0 (by its
    // client), which starts when the first exchange has succeeded: some come
    // before it, some after, some overlap it.
    let won = std::sync::Arc::new(tokio::sync::Notify::new());
    let trades = burst(24, |i| {
        let (base, x, t0) = (app.base.clone(), w.x.clone(), w.t0.clone());
        let won = won.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(i as u64)).await;
            let r = reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .basic_auth(&x.id, Some(&x.secret))
                .form(&[
                    ("grant_type", TE),
                    ("subject_token", t0.as_str()),
                    ("subject_token_type", AT),
                    ("scope", READ),
                ])
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                won.notify_one();
            }
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    });
    // The revocation starts as soon as one exchange has won.
    let revocation = async {
        won.notified().await;
        revoke(app, &w.y, &w.t0).await
    };
    let (results, ()) = tokio::join!(trades, revocation);
    let issued: Vec<String> = results
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, v)| s(v, "access_token").to_owned())
        .collect();
    println!("{} of 24 exchanges won the race", issued.len());
    for (status, v) in &results {
        assert!(
            *status == 200
                || v["error_description"]
                    .as_str()
                    .is_some_and(|d| d.contains("revoked") || d.contains("not an active")),
            "{status} {v}"
        );
    }
    assert!(
        !issued.is_empty(),
        "no exchange came before the revocation: the race was not run"
    );
    for t in issued.iter().chain([&first]) {
        assert!(
            !active(app, &w.x, t).await,
            "a child of a revoked token lives"
        );
    }
    assert!(!active(app, &w.y, &w.t0).await);
}

#[tokio::test]
async fn discovery_lists_the_grant() {
    let w = world().await;
    let d: Value = reqwest::get(format!("{}/.well-known/openid-configuration", w.app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(d["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!(TE)));
}
