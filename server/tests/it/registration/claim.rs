//! A developer claims a client that registered itself, proving it with the
//! client's registration access token (issue 16, item 1).

use domain::accounts::Role;
use domain::settings::RegistrationMode;

use super::*;

#[tokio::test]
async fn a_developer_claims_a_self_registered_client_with_its_token() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let v = register_with(&app, None, &web_metadata("Claimable agent"))
        .await
        .json();
    let (id, rat) = (s(&v, "client_id"), s(&v, "registration_access_token"));
    let ada = create_user(&app.db, "ada", Role::Developer).await;
    let bob = create_user(&app.db, "bob", Role::Developer).await;
    let user = create_user(&app.db, "uma", Role::User).await;
    let (ada_api, bob_api) = (
        Api::for_user(&app, &ada).await,
        Api::for_user(&app, &bob).await,
    );
    // Before: not hers to see.
    assert_eq!(
        ada_api.get(&format!("/api/v1/clients/{id}")).await.status,
        404
    );

    // A wrong token, another client's id, nothing at all: refused, nothing changes.
    for (cid, token, status) in [
        (id, "not-the-token", 404),
        ("no-such-client", rat, 404),
        (id, "", 400),
        ("", rat, 400),
    ] {
        let r = ada_api
            .post(
                "/api/v1/registration/claim",
                json!({ "client_id": cid, "registration_access_token": token }),
            )
            .await;
        assert_eq!(r.status, status, "{cid} {token}: {}", r.body);
    }
    let long = "x".repeat(limits::REGISTRATION_ACCESS_TOKEN + 1);
    let r = ada_api
        .post(
            "/api/v1/registration/claim",
            json!({ "client_id": id, "registration_access_token": long }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // Only developers claim.
    let r = Api::for_user(&app, &user)
        .await
        .post(
            "/api/v1/registration/claim",
            json!({ "client_id": id, "registration_access_token": rat }),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!app
        .audit_types()
        .await
        .contains(&"client.claimed".to_owned()));

    let r = ada_api
        .post(
            "/api/v1/registration/claim",
            json!({ "client_id": id, "registration_access_token": rat }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["id"], id, "{}", r.body);
    // Hers now: listed and shown to her; still awaiting admission.
    let mine = ada_api.get("/api/v1/clients").await.json();
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == id),
        "{mine}"
    );
    let shown = ada_api.get(&format!("/api/v1/clients/{id}")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.json()["disabled"], json!(true), "{}", shown.body);
    let ev = app.audit_events_of("client.claimed").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["after"]["owner_id"], ada.id.as_str());

    // Once claimed, no one else can: not even with the token.
    let r = bob_api
        .post(
            "/api/v1/registration/claim",
            json!({ "client_id": id, "registration_access_token": rat }),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        bob_api.get(&format!("/api/v1/clients/{id}")).await.status,
        404
    );
    // The software still manages itself (RFC 7592).
    let r = manage(
        reqwest::Method::GET,
        s(&v, "registration_client_uri"),
        rat,
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The portal's form: a wrong token is refused beside its field with the client
/// id kept (never the token); the right one lands on the client's page.
#[tokio::test]
async fn the_portal_form_claims_and_explains_a_refusal() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let v = register_with(&app, None, &service_metadata("Form agent"))
        .await
        .json();
    let (id, rat) = (s(&v, "client_id"), s(&v, "registration_access_token"));
    create_user(&app.db, "dana", Role::Developer).await;
    let b = app.browser();
    assert!(b.sign_in("dana", ADMIN_PASSWORD).await.status < 400);
    let page = b.get_html("/developer/clients/new").await;
    assert!(
        page.body.contains("Claim a client that registered itself"),
        "{}",
        page.body
    );

    let r = b
        .post(
            "/api/portal/claim_client",
            &[("client_id", id), ("registration_access_token", "wrong")],
        )
        .await;
    assert!(
        r.location().is_none() && r.status == 422,
        "{} {}",
        r.status,
        r.body
    );
    let v = r.json();
    let err = &v["Fields"];
    assert_eq!(err["errors"][0][0], "registration_access_token", "{v}");
    assert!(
        err["errors"][0][1]
            .as_str()
            .unwrap()
            .contains("No client that registered itself"),
        "{v}"
    );
    // The id comes back for the form; the token, a secret, never does.
    assert_eq!(err["values"], json!([["client_id", id]]), "{v}");

    let r = b
        .post(
            "/api/portal/claim_client",
            &[("client_id", id), ("registration_access_token", rat)],
        )
        .await;
    let to = r.location().expect("to the client");
    assert!(
        to.starts_with(&format!("/developer/clients/{id}?notice=client_claimed")),
        "{to}"
    );
    let page = b.get_html("/developer").await;
    assert!(page.body.contains("Form agent"), "{}", page.body);
}
