//! DPoP at the token endpoint (RFC 9449 §5, §8): what a proof binds, and every
//! proof that must be refused.

use domain::clients::{ApplicationType, NewClient};
use serde_json::{json, Value};

use super::*;
use crate::rp::{authorize_as, authorize_path, param, REDIRECT, VERIFIER};

async fn service(app: &TestApp) -> Creds {
    let name = format!("ops{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let owner = create_user(&app.db, &name, domain::accounts::Role::Developer).await;
    ci_client(app, &owner, &["portal"]).await
}

fn refused(status: u16, body: &Value, code: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], code, "{body}");
}

#[tokio::test]
async fn a_proof_binds_the_access_token_to_its_key() {
    let app = spawn_app().await;
    let ci = service(&app).await;
    let key = Prover::new();

    let (status, _, t) = cc(&app, &ci, &[&key.proof(&app, "POST", "/oauth/token")]).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "DPoP");
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(peek(at)["cnf"]["jkt"], key.jkt);

    // Introspection tells a resource server the binding (§6.2).
    let i = crate::rp::introspect(&app, &ci, at).await;
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["token_type"], "DPoP");
    assert_eq!(i["cnf"]["jkt"], key.jkt);

    // Without a proof: a bearer token, unbound.
    let (status, _, t) = cc(&app, &ci, &[]).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert!(peek(t["access_token"].as_str().unwrap())
        .get("cnf")
        .is_none());

    // Discovery advertises the algorithms.
    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs = meta["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.contains(&json!("ES256")), "{meta}");
    assert!(!algs.iter().any(|a| a.as_str().unwrap().starts_with("HS")));
}

#[tokio::test]
async fn proofs_that_break_a_rule_are_refused_and_issue_nothing() {
    let app = spawn_app().await;
    let ci = service(&app).await;
    let key = Prover::new();
    let other = Prover::new();
    let now = app.clock_now();
    let htu = format!("{}/oauth/token", app.base);
    let good = || Prover::claims("POST", &htu, now);
    let with = |mut v: Value, k: &str, x: Value| {
        v[k] = x;
        v
    };
    let h = key.header();
    let cases: Vec<(&str, String)> = vec![
        ("signed by another key", other.sign(&h, &good())),
        (
            "typ JWT",
            key.sign(&with(h.clone(), "typ", json!("JWT")), &good()),
        ),
        ("alg none", {
            let head = with(h.clone(), "alg", json!("none"));
            let p = key.sign(&head, &good());
            format!("{}.", p.rsplit_once('.').unwrap().0)
        }),
        (
            "a private key in jwk",
            key.sign(
                &with(h.clone(), "jwk", with(key.jwk.clone(), "d", json!("AAAA"))),
                &good(),
            ),
        ),
        ("htm GET", key.sign(&h, &Prover::claims("GET", &htu, now))),
        (
            "htu of userinfo",
            key.sign(
                &h,
                &Prover::claims("POST", &format!("{}/oauth/userinfo", app.base), now),
            ),
        ),
        (
            "htu of another host",
            key.sign(
                &h,
                &Prover::claims("POST", "https://evil.example/oauth/token", now),
            ),
        ),
        (
            "iat 2 minutes ago",
            key.sign(&h, &Prover::claims("POST", &htu, now - 120)),
        ),
        (
            "iat in a minute",
            key.sign(&h, &Prover::claims("POST", &htu, now + 60)),
        ),
        (
            "no jti",
            key.sign(&h, &{
                let mut c = good();
                c.as_object_mut().unwrap().remove("jti");
                c
            }),
        ),
        ("not a JWT", "hello".into()),
    ];
    for (why, proof) in &cases {
        let (status, _, body) = cc(&app, &ci, &[proof]).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert_eq!(body["error"], "invalid_dpop_proof", "{why}: {body}");
        assert!(
            body["error_description"].as_str().unwrap().contains("DPoP"),
            "{why}: {body}"
        );
    }
    // Two DPoP headers (§4.3 item 1).
    let (a, b) = (
        key.proof(&app, "POST", "/oauth/token"),
        key.proof(&app, "POST", "/oauth/token"),
    );
    let (status, _, body) = cc(&app, &ci, &[&a, &b]).await;
    refused(status, &body, "invalid_dpop_proof");

    assert_eq!(
        app.count("dpop_proof_jtis").await,
        0,
        "no refused proof was remembered"
    );
    assert!(!app
        .audit_types()
        .await
        .contains(&"token.issued".to_string()));
}

#[tokio::test]
async fn a_proof_is_accepted_once_even_when_sent_many_times_at_once() {
    let app = spawn_app().await;
    let ci = service(&app).await;
    let key = Prover::new();
    let proof = key.proof(&app, "POST", "/oauth/token");
    let (base, id, secret) = (app.base.clone(), ci.id.clone(), ci.secret.clone());
    let results = burst(8, |_| {
        let (base, id, secret, proof) = (base.clone(), id.clone(), secret.clone(), proof.clone());
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/oauth/token"))
                .basic_auth(id, Some(secret))
                .header("DPoP", proof)
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    })
    .await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 1, "{results:?}");
    for (s, body) in results.iter().filter(|(s, _)| *s != 200) {
        refused(*s, body, "invalid_dpop_proof");
    }
    // And later, once more.
    let (status, _, body) = cc(&app, &ci, &[&proof]).await;
    refused(status, &body, "invalid_dpop_proof");
}

#[tokio::test]
async fn a_client_registered_for_dpop_must_send_a_proof() {
    let app = spawn_app().await;
    let owner = create_user(&app.db, "ops", domain::accounts::Role::Developer).await;
    let ci = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Bound CI".into()),
                dpop_bound_access_tokens: Some(true),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            scopes: vec!["portal".into()],
            owner_id: Some(owner.id.clone()),
            ..Default::default()
        },
    )
    .await;
    let (status, _, body) = cc(&app, &ci, &[]).await;
    refused(status, &body, "invalid_dpop_proof");
    let key = Prover::new();
    let (status, _, body) = cc(&app, &ci, &[&key.proof(&app, "POST", "/oauth/token")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    // Other clients are not affected.
    let plain = service(&app).await;
    assert_eq!(cc(&app, &plain, &[]).await.0, 200);
}

#[tokio::test]
async fn the_server_can_require_dpop_of_every_client() {
    let app = spawn_app_with(|s| s.dpop.required = true).await;
    let ci = service(&app).await;
    let (status, _, body) = cc(&app, &ci, &[]).await;
    refused(status, &body, "invalid_dpop_proof");
    let key = Prover::new();
    let (status, _, body) = cc(&app, &ci, &[&key.proof(&app, "POST", "/oauth/token")]).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn with_nonces_required_a_proof_must_echo_a_fresh_one() {
    let app = spawn_app_with(|s| s.dpop.require_nonce = true).await;
    let ci = service(&app).await;
    let key = Prover::new();
    let htu = format!("{}/oauth/token", app.base);

    let (status, headers, body) = cc(&app, &ci, &[&key.proof(&app, "POST", "/oauth/token")]).await;
    refused(status, &body, "use_dpop_nonce");
    let nonce = headers["dpop-nonce"].to_str().unwrap().to_owned();

    let with_nonce = |nonce: &str, iat: i64| {
        let mut c = Prover::claims("POST", &htu, iat);
        c["nonce"] = json!(nonce);
        key.sign(&key.header(), &c)
    };
    let (status, headers, body) = cc(&app, &ci, &[&with_nonce(&nonce, app.clock_now())]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        headers.contains_key("dpop-nonce"),
        "a fresh nonce rides along"
    );

    // A made-up nonce, and one whose time has passed.
    let forged = format!(
        "{}.AAAAAAAAAAAAAAAAAAAAAA",
        nonce.split('.').next().unwrap()
    );
    let (status, _, body) = cc(&app, &ci, &[&with_nonce(&forged, app.clock_now())]).await;
    refused(status, &body, "use_dpop_nonce");
    app.clock.advance(180);
    let (status, headers, body) = cc(&app, &ci, &[&with_nonce(&nonce, app.clock_now())]).await;
    refused(status, &body, "use_dpop_nonce");
    let fresh = headers["dpop-nonce"].to_str().unwrap().to_owned();
    assert_ne!(fresh, nonce);
    let (status, _, body) = cc(&app, &ci, &[&with_nonce(&fresh, app.clock_now())]).await;
    assert_eq!(status, 200, "{body}");
}

/// A person's code for `client_id` (a public client when `secret` is None).
async fn code_for(app: &TestApp, client_id: &str, scope: &str) -> String {
    let b = app.browser();
    let rp = Creds {
        id: client_id.into(),
        secret: String::new(),
    };
    let loc = authorize_as(&b, "admin", &authorize_path(&rp, scope, "")).await;
    param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

fn redeem(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_to_its_key() {
    let app = spawn_app().await;
    let phone = domain::clients::create(
        &app.db,
        &domain::platform::password::PasswordHasher::new(),
        domain::audit::Actor::Operator,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Phone app".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Native),
            scopes: vec!["openid".into()],
            ..Default::default()
        },
        app.clock_now(),
    )
    .await
    .unwrap()
    .client
    .id;
    let code = code_for(&app, &phone, "openid").await;
    let key = Prover::new();
    let (status, _, t) = token_request(
        &app,
        &phone,
        None,
        &redeem(&code),
        &[&key.proof(&app, "POST", "/oauth/token")],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "DPoP");
    assert_eq!(
        peek(t["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.jkt
    );
    let rt = t["refresh_token"].as_str().unwrap().to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];

    // A thief with the refresh token alone, or with their own key, gets nothing —
    // and does not spend it.
    let (status, _, body) = token_request(&app, &phone, None, &refresh, &[]).await;
    refused(status, &body, "invalid_grant");
    let thief = Prover::new();
    let (status, _, body) = token_request(
        &app,
        &phone,
        None,
        &refresh,
        &[&thief.proof(&app, "POST", "/oauth/token")],
    )
    .await;
    refused(status, &body, "invalid_grant");

    let (status, _, t2) = token_request(
        &app,
        &phone,
        None,
        &refresh,
        &[&key.proof(&app, "POST", "/oauth/token")],
    )
    .await;
    assert_eq!(status, 200, "the owner's key still refreshes: {t2}");
    assert_eq!(t2["token_type"], "DPoP");
    assert_eq!(
        peek(t2["access_token"].as_str().unwrap())["cnf"]["jkt"],
        key.jkt
    );
    // The rotated token is bound too.
    let rt2 = t2["refresh_token"].as_str().unwrap();
    let (status, _, body) = token_request(
        &app,
        &phone,
        None,
        &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
        &[],
    )
    .await;
    refused(status, &body, "invalid_grant");
}

#[tokio::test]
async fn a_confidential_clients_refresh_token_stays_with_its_credentials() {
    let app = spawn_app().await;
    let rp = register(&app, crate::rp::notebook(&["openid"])).await;
    let code = code_for(&app, &rp.id, "openid").await;
    let key = Prover::new();
    let (status, _, t) = token_request(
        &app,
        &rp.id,
        Some(&rp.secret),
        &redeem(&code),
        &[&key.proof(&app, "POST", "/oauth/token")],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "DPoP");
    let rt = t["refresh_token"].as_str().unwrap();
    // §5: only public clients' refresh tokens are bound; this one is held by its
    // client's credentials, and may get a bearer token.
    let (status, _, t2) = token_request(
        &app,
        &rp.id,
        Some(&rp.secret),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        &[],
    )
    .await;
    assert_eq!(status, 200, "{t2}");
    assert_eq!(t2["token_type"], "Bearer");
}

#[tokio::test]
async fn administrators_can_require_dpop_of_every_client_at_run_time() {
    let app = spawn_app().await;
    let ci = service(&app).await;
    assert_eq!(cc(&app, &ci, &[]).await.0, 200);
    let admin = app.browser();
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        admin.get("/api/admin/settings").await.json()["require_dpop"],
        false
    );
    let save = |on: bool| {
        let admin = &admin;
        async move {
            let mut f = vec![
                ("third_party_oauth", "on"),
                ("access_token_secs", "300"),
                ("refresh_token_hours", "720"),
                ("default_client_lifetime_days", "365"),
                ("default_client_scopes[]", "openid"),
            ];
            if on {
                f.push(("require_dpop", "on"));
            }
            let r = admin.post("/api/admin/save_settings", &f).await;
            assert!(r.status < 400, "{}", r.body);
        }
    };
    save(true).await;
    assert_eq!(
        admin.get("/api/admin/settings").await.json()["require_dpop"],
        true
    );
    let (status, _, body) = cc(&app, &ci, &[]).await;
    refused(status, &body, "invalid_dpop_proof");
    let key = Prover::new();
    let (status, _, body) = cc(&app, &ci, &[&key.proof(&app, "POST", "/oauth/token")]).await;
    assert_eq!(status, 200, "{body}");
    assert!(app
        .audit_types()
        .await
        .contains(&"settings.changed".to_string()));
    save(false).await;
    assert_eq!(cc(&app, &ci, &[]).await.0, 200);
}
