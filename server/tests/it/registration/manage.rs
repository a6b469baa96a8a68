//! RFC 7592: read, update and delete with the registration access token; a wrong
//! token, another client's token and an unknown client get the same 401.

use domain::settings::RegistrationMode;
use reqwest::Method;
use serde_json::json;

use super::*;

#[tokio::test]
async fn read_update_delete_with_the_registration_access_token() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let mine = register_with(&app, None, &web_metadata("Mine"))
        .await
        .json();
    let other = register_with(&app, None, &web_metadata("Other"))
        .await
        .json();
    let (id, uri, rat) = (
        s(&mine, "client_id"),
        s(&mine, "registration_client_uri"),
        s(&mine, "registration_access_token"),
    );

    let read = manage(Method::GET, uri, rat, None).await;
    assert_eq!(read.status, 200, "{}", read.body);
    let v = read.json();
    assert_eq!(v["client_id"], id);
    assert_eq!(v["client_name"], "Mine");
    assert!(
        v.get("client_secret").is_none(),
        "stored hashed: never shown again"
    );
    assert!(v.get("registration_access_token").is_none());

    // Wrong tokens: all the same 401, whether the client exists or not.
    let unknown = format!("{}/oauth/register/AAAAAAAAAAAAAAAAAAAAAA", app.base);
    for (u, t) in [
        (uri, "wrong"),
        (uri, s(&other, "registration_access_token")),
        (unknown.as_str(), rat),
        (unknown.as_str(), "wrong"),
    ] {
        for m in [Method::GET, Method::PUT, Method::DELETE] {
            let r = manage(m.clone(), u, t, Some(&web_metadata("Hijack"))).await;
            assert_eq!(r.status, 401, "{m} {u}: {}", r.body);
            assert_eq!(r.json()["error"], "invalid_token");
        }
    }
    let no_token = reqwest::get(uri).await.unwrap();
    assert_eq!(no_token.status(), 401);

    // Update: replaces the metadata, validated as at registration.
    let mut next = web_metadata("Mine, renamed");
    next["client_id"] = json!(id);
    next["client_uri"] = json!("https://rp.example.com");
    let r = manage(Method::PUT, uri, rat, Some(&next)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["client_name"], "Mine, renamed");
    assert_eq!(r.json()["client_uri"], "https://rp.example.com");
    let mut bad = next.clone();
    bad["redirect_uris"] = json!(["https://*.example.com/cb"]);
    let r = manage(Method::PUT, uri, rat, Some(&bad)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_redirect_uri");
    let mut other_id = next.clone();
    other_id["client_id"] = json!(s(&other, "client_id"));
    let r = manage(Method::PUT, uri, rat, Some(&other_id)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let mut public = next.clone();
    public["token_endpoint_auth_method"] = json!("none");
    let r = manage(Method::PUT, uri, rat, Some(&public)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        manage(Method::GET, uri, rat, None).await.json()["client_name"],
        "Mine, renamed"
    );

    // Changing what admission vetted sends an admitted client back to awaiting it.
    admit(&app, id).await;
    assert_eq!(
        manage(Method::GET, uri, rat, None).await.json()["admitted"],
        true
    );
    let mut moved = next.clone();
    moved["redirect_uris"] = json!(["https://rp.example.com/cb"]);
    let r = manage(Method::PUT, uri, rat, Some(&moved)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["admitted"], false);

    // Delete: the client goes, and its token with it.
    let before = app.count("clients").await;
    let r = manage(Method::DELETE, uri, rat, None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(app.count("clients").await, before - 1);
    assert_eq!(manage(Method::GET, uri, rat, None).await.status, 401);
    let other_uri = s(&other, "registration_client_uri");
    let other_rat = s(&other, "registration_access_token");
    assert_eq!(
        manage(Method::GET, other_uri, other_rat, None).await.status,
        200
    );
    assert!(app
        .audit_types()
        .await
        .contains(&"client.deleted".to_owned()));
}
