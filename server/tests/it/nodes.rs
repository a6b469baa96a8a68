//! Three server processes on one database (issue 14): one person's requests land on
//! a different node each time, as behind a load balancer without sticky sessions —
//! sign in on A, consent on B, the code exchanged on C — and what one node does
//! (a revocation, a refresh, a client deleted by the CLI) every node knows promptly.
//! On PostgreSQL (`TEST_BACKEND=postgres`) and on one SQLite file.

use std::time::Duration;

use domain::accounts::Role;
use domain::audit::Actor;
use serde_json::Value;
use tokio::time::Instant;

use crate::helpers::*;
use crate::rp::{notebook, param, s, CHALLENGE, REDIRECT, VERIFIER};

const PATIENCE: Duration = Duration::from_secs(5);

fn on(client: &reqwest::Client, node: &Node) -> Browser {
    Browser {
        client: client.clone(),
        base: node.base.clone(),
    }
}

async fn token_at(node: &Node, rp: &Creds, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", node.base))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn userinfo_at(node: &Node, at: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", node.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Asks until `check` holds on `node`; returns how long it took.
async fn until<F, Fut>(what: &str, node: &Node, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !check().await {
        assert!(
            start.elapsed() < PATIENCE,
            "{what}: not seen by {} within {PATIENCE:?}",
            node.base
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let took = start.elapsed();
    println!("{what}: seen by {} after {took:?}", node.base);
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_served_by_three_nodes_and_every_node_knows_what_another_did() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    // The first node migrates and makes the keys; the others join.
    let mut a = start_node(&url, dir.path(), None);
    until_ready(&mut a).await;
    let issuer = a.base.clone();
    let mut b = start_node(&url, dir.path(), Some(&issuer));
    let mut c = start_node(&url, dir.path(), Some(&issuer));
    until_ready(&mut b).await;
    until_ready(&mut c).await;

    let db = domain::platform::db::connect(&url).await.unwrap();
    create_user(&db, "ada", Role::User).await;
    let created = domain::clients::create(
        &db,
        &domain::platform::password::PasswordHasher::new(),
        Actor::Operator,
        notebook(&["openid", "profile"]),
        START,
    )
    .await
    .unwrap();
    let rp = Creds {
        id: created.client.id.clone(),
        secret: created.secret.unwrap().expose().to_owned(),
    };

    // One browser (one cookie jar), a different node for each step.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        rp.id,
        enc(REDIRECT),
        enc("a/b?c=d&e#f")
    );
    let signed_out = on(&browser, &a).get(&authorize).await;
    assert!(
        signed_out
            .location()
            .is_some_and(|l| l.starts_with("/login?return_to=")),
        "a signed-out person is sent to sign in: {:?}",
        signed_out.location()
    );
    assert!(on(&browser, &a).sign_in("ada", ADMIN_PASSWORD).await.status < 400);
    assert_eq!(
        on(&browser, &b).signed_in_as().await.as_deref(),
        Some("ada"),
        "B knows the session A started"
    );
    let consent = on(&browser, &b)
        .get(&authorize)
        .await
        .location()
        .expect("authorize redirects");
    assert!(consent.starts_with("/oauth/consent?"), "{consent}");
    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{consent}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // The consent form's CSRF token comes from C, the POST goes to C.
    let back = on(&browser, &c)
        .post("/oauth/consent", &refs)
        .await
        .location()
        .expect("consent redirects");
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("a/b?c=d&e#f"));
    let code = param(&back, "code").expect("a code");

    // The code from C's consent, exchanged at A.
    let (status, tokens) = token_at(
        &a,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let at = s(&tokens, "access_token").to_owned();
    assert_eq!(peek(&at)["iss"], issuer);
    // A code is used once, whichever node sees it again.
    let (again, _) = token_at(
        &b,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(again, 400, "a replayed code is refused on another node");
    for n in [&a, &b, &c] {
        assert_eq!(
            userinfo_at(n, &at).await,
            401,
            "{}: the replay revoked the tokens (RFC 9700 §4.2.4)",
            n.base
        );
    }

    // A second, clean authorization for the rest.
    let again = on(&browser, &c)
        .get(&authorize)
        .await
        .location()
        .expect("authorize redirects");
    assert!(
        again.starts_with(REDIRECT),
        "consent remembered on every node: {again}"
    );
    let (status, tokens) = token_at(
        &b,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&again, "code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let at = s(&tokens, "access_token").to_owned();
    for n in [&a, &b, &c] {
        assert_eq!(userinfo_at(n, &at).await, 200, "{}", n.base);
    }

    // Revoked on B: inactive on A and C.
    let revoked = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", b.base))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[("token", at.as_str()), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    for n in [&a, &c] {
        until("a revocation on B", n, || async {
            userinfo_at(n, &at).await == 401
        })
        .await;
    }

    // Deleted by the CLI (a fourth process): refused by every node.
    if let Some(rt) = tokens["refresh_token"].as_str() {
        let (status, _) = token_at(
            &c,
            &rp,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_eq!(status, 200, "refreshed on C");
    }
    cli(&url, &["client", "delete", &rp.id]).await;
    for n in [&a, &b, &c] {
        until("a client deleted by the CLI", n, || async {
            token_at(n, &rp, &[("grant_type", "client_credentials")])
                .await
                .0
                == 401
        })
        .await;
    }
}
