//! CORS for browser apps (issue 17, seed 001's Authorized JavaScript Origins),
//! black-box over HTTP: preflights pass only for an origin some client
//! registered exactly; an actual response is readable only by the origins of the
//! client it is for; an origin removed on the portal stops passing at once, on
//! this server and (through the change feed) on another; the JWKS and discovery
//! answer any origin.

use std::time::Duration;

use tokio::time::Instant;

use domain::clients::{ApplicationType, ClientPatch, NewClient};
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::helpers::*;
use crate::rp::{authorize_as, authorize_path, param, REDIRECT, VERIFIER};

const SPA: &str = "https://app.example.com";
const OTHER: &str = "https://other.example.com";

/// A public (native) client with these origins, created as the operator would.
async fn spa(app: &TestApp, name: &str, origins: &[&str]) -> String {
    domain::clients::create(
        &app.db,
        &app.hasher,
        domain::audit::Actor::Operator,
        NewClient {
            metadata: ClientPatch {
                name: Some(name.into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                allowed_origins: Some(origins.iter().map(|o| o.to_string()).collect()),
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
    .id
}

async fn preflight(base: &str, path: &str, origin: &str, method: &str) -> (u16, HeaderMap) {
    let r = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{base}{path}"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "content-type,dpop")
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.headers().clone())
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn no_cors(what: &str, status: u16, headers: &HeaderMap) {
    assert_eq!(status, 403, "{what}: {headers:?}");
    for name in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-allow-credentials",
    ] {
        assert!(headers.get(name).is_none(), "{what}: {name} in {headers:?}");
    }
}

#[tokio::test]
async fn a_preflight_passes_only_for_an_exactly_registered_origin() {
    let app = spawn_app().await;
    spa(&app, "Notebook SPA", &[SPA, "http://127.0.0.1:5173"]).await;
    for (path, method) in [
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/oauth/userinfo", "GET"),
        ("/oauth/userinfo", "POST"),
    ] {
        for origin in [SPA, "http://127.0.0.1:5173"] {
            let (status, headers) = preflight(&app.base, path, origin, method).await;
            assert_eq!(status, 204, "{path} {origin}: {headers:?}");
            assert_eq!(h(&headers, "access-control-allow-origin"), Some(origin));
            assert_eq!(h(&headers, "vary"), Some("Origin"));
            let methods = h(&headers, "access-control-allow-methods").unwrap();
            assert!(methods.contains(method), "{methods}");
            let allowed = h(&headers, "access-control-allow-headers").unwrap();
            for name in ["Authorization", "Content-Type", "DPoP"] {
                assert!(allowed.contains(name), "{allowed}");
            }
            assert!(h(&headers, "access-control-max-age").is_some());
            assert!(h(&headers, "access-control-allow-credentials").is_none());
        }
        for origin in [
            "https://evil.test",
            "https://app.example.com.evil.test",
            "https://evil.app.example.com",
            "https://app.example.com:8443",
            "http://app.example.com",
            "https://APP.example.com",
            "https://app.example.com/",
            "http://127.0.0.1:5174",
            "null",
        ] {
            let (status, headers) = preflight(&app.base, path, origin, method).await;
            no_cors(&format!("{path} from {origin}"), status, &headers);
        }
    }
    // A method the endpoint does not take is not pre-approved either.
    let (status, headers) = preflight(&app.base, "/oauth/token", SPA, "PUT").await;
    no_cors("PUT", status, &headers);
    // A disabled client's origins do not pass.
    let off = spa(&app, "Disabled SPA", &["https://off.example.com"]).await;
    let (status, _) = preflight(&app.base, "/oauth/token", "https://off.example.com", "POST").await;
    assert_eq!(status, 204);
    let r = Api::admin(&app)
        .await
        .post(
            &format!("/api/v1/clients/{off}/disable"),
            serde_json::json!({}),
        )
        .await;
    assert!(r.status < 300, "{} {}", r.status, r.body);
    let (status, headers) =
        preflight(&app.base, "/oauth/token", "https://off.example.com", "POST").await;
    no_cors("a disabled client's origin", status, &headers);
}

async fn code_for(app: &TestApp, client_id: &str) -> String {
    let b = app.browser();
    let rp = Creds {
        id: client_id.into(),
        secret: String::new(),
    };
    let loc = authorize_as(&b, "admin", &authorize_path(&rp, "openid", "")).await;
    param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// A PKCE code exchange by a public client, sent from `origin`.
async fn exchange_from(app: &TestApp, client_id: &str, origin: &str) -> (u16, HeaderMap, Value) {
    let code = code_for(app, client_id).await;
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .header("Origin", origin)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", client_id),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

async fn userinfo_from(app: &TestApp, at: &str, origin: &str) -> (u16, HeaderMap) {
    let r = reqwest::Client::new()
        .get(format!("{}/oauth/userinfo", app.base))
        .header("Origin", origin)
        .bearer_auth(at)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.headers().clone())
}

#[tokio::test]
async fn an_actual_response_is_readable_only_by_the_origins_of_its_client() {
    let app = spawn_app().await;
    let mine = spa(&app, "Notebook SPA", &[SPA]).await;
    spa(&app, "Other SPA", &[OTHER]).await;

    let (status, headers, t) = exchange_from(&app, &mine, SPA).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(h(&headers, "access-control-allow-origin"), Some(SPA));
    let exposed = h(&headers, "access-control-expose-headers").unwrap();
    assert!(exposed.contains("DPoP-Nonce") && exposed.contains("WWW-Authenticate"));
    assert!(h(&headers, "vary").is_some_and(|v| v.contains("Origin")));
    assert!(h(&headers, "access-control-allow-credentials").is_none());
    let at = t["access_token"].as_str().unwrap().to_owned();
    let (status, headers) = userinfo_from(&app, &at, SPA).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "access-control-allow-origin"), Some(SPA));

    // Another client's origin passes a preflight (it is registered), but the
    // answer for this client is not readable there.
    let (status, headers, t) = exchange_from(&app, &mine, OTHER).await;
    assert_eq!(status, 200, "{t}");
    assert!(
        h(&headers, "access-control-allow-origin").is_none(),
        "{headers:?}"
    );
    let (_, headers) = userinfo_from(&app, &at, OTHER).await;
    assert!(
        h(&headers, "access-control-allow-origin").is_none(),
        "{headers:?}"
    );

    // Revocation by the client, from its origin.
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/revoke", app.base))
        .header("Origin", SPA)
        .form(&[("token", at.as_str()), ("client_id", mine.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(r.headers(), "access-control-allow-origin"), Some(SPA));
}

#[tokio::test]
async fn an_origin_removed_on_the_portal_stops_passing_at_once_everywhere() {
    // Caches kept ten minutes: only invalidation (this process's own, and the
    // change feed's on the other) can make the removal seen.
    let app = spawn_app_with(|s| s.cache_ttl_ms = 600_000).await;
    let (second, _) = spawn_second_server(&app).await;
    let b = developer(&app, "ada").await;
    let id = register_in_portal(&b, "Notebook SPA", "native", REDIRECT).await;
    let form = |origins: &str| {
        vec![
            ("id", id.clone()),
            ("name", "Notebook SPA".to_owned()),
            ("redirect_uris", REDIRECT.to_owned()),
            ("grant_refresh_token", "on".to_owned()),
            ("allowed_origins", origins.to_owned()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = b.post("/api/portal/update_client", &pairs).await;
            assert!(
                r.location()
                    .is_some_and(|l| l.contains("notice=client_updated")),
                "{} {}",
                r.status,
                r.body
            );
        }
    };
    post(form(&format!("{SPA}\n{OTHER}"))).await;
    for base in [&app.base, &second] {
        let start = Instant::now();
        while preflight(base, "/oauth/token", SPA, "POST").await.0 != 204 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{base}: never passed"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    post(form(OTHER)).await;
    // This server: at once.
    let (status, headers) = preflight(&app.base, "/oauth/token", SPA, "POST").await;
    no_cors("removed, this server", status, &headers);
    assert_eq!(
        preflight(&app.base, "/oauth/token", OTHER, "POST").await.0,
        204
    );
    // The other server: as soon as the change feed tells it.
    let start = Instant::now();
    while preflight(&second, "/oauth/token", SPA, "POST").await.0 != 403 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the other server still passes a removed origin"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "removed origin refused by the other server after {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn an_invalid_origin_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let user = create_user(&app.db, "ada", domain::accounts::Role::Developer).await;
    let api = Api::for_user(&app, &user).await;
    let id = api
        .register_web_client("Notebook", "https://n.example/cb")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let too_many: Vec<String> = (0..21).map(|i| format!("https://a{i}.example")).collect();
    for bad in [
        serde_json::json!(["https://*.example.com"]),
        serde_json::json!(["https://app.example.com/path"]),
        serde_json::json!(["https://app.example.com/"]),
        serde_json::json!(["https://user@app.example.com"]),
        serde_json::json!(["https://app.example.com?q=1"]),
        serde_json::json!(["http://app.example.com"]),
        serde_json::json!(["null"]),
        serde_json::json!(too_many),
    ] {
        let r = api
            .put(
                &format!("/api/v1/clients/{id}"),
                serde_json::json!({ "allowed_origins": bad }),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(r.body.contains("allowed_origins"), "{}", r.body);
    }
    let r = api.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(r.json()["allowed_origins"], serde_json::json!([]));
}

#[tokio::test]
async fn the_jwks_and_discovery_answer_any_origin() {
    let app = spawn_app().await;
    for path in [
        "/oauth/jwks",
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", app.base))
            .header("Origin", "https://anyone.example")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(h(r.headers(), "access-control-allow-origin"), Some("*"));
        assert!(h(r.headers(), "access-control-allow-credentials").is_none());
        let (status, headers) = preflight(&app.base, path, "https://anyone.example", "GET").await;
        assert_eq!(status, 204, "{path}");
        assert_eq!(h(&headers, "access-control-allow-origin"), Some("*"));
    }
}
