//! Admission: a dynamically registered client gets no tokens, and its
//! authorization requests show the person a page (never a redirect to the
//! unvetted URI), until an administrator admits it.

use domain::settings::RegistrationMode;

use super::*;
use crate::rp::{authorize_path, code_as, exchange};

#[tokio::test]
async fn no_tokens_before_admission_tokens_after() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let svc = register_with(&app, None, &service_metadata("Agent"))
        .await
        .json();
    let (id, secret) = (s(&svc, "client_id"), s(&svc, "client_secret"));
    let (status, body) = cc_token(&app, id, secret, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");

    let web = register_with(&app, None, &web_metadata("Web agent"))
        .await
        .json();
    let rp = Creds {
        id: s(&web, "client_id").to_owned(),
        secret: s(&web, "client_secret").to_owned(),
    };
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let loc = b
        .get(&authorize_path(&rp, "openid", ""))
        .await
        .location()
        .unwrap();
    assert_eq!(loc, "/oauth/error?reason=awaiting_admission");
    let page = b.get_html(&loc).await;
    assert_eq!(page.status, 403);
    assert!(
        page.body.contains("awaiting an administrator"),
        "{}",
        page.body
    );

    // Administrators see how each self-registered client came.
    let list = b.get_html("/admin/clients").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body
            .contains("Self-registered (open registration) from 127.0.0.1"),
        "{}",
        list.body
    );

    admit(&app, id).await;
    let (status, body) = cc_token(&app, id, secret, None).await;
    assert_eq!(status, 200, "{body}");
    admit(&app, &rp.id).await;
    let code = code_as(&b, &app.admin.username, &rp, "openid").await;
    let tokens = exchange(&app, &rp, &code).await;
    assert!(tokens["id_token"].is_string(), "{tokens}");
}

/// A registration's `scope`: the free scopes it names come with it (as a
/// developer adds them in the portal at once); a gated or unknown one does not,
/// and the audit trail says which.
#[tokio::test]
async fn free_scopes_asked_for_come_with_the_registration_gated_ones_do_not() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    set_mode(&app, RegistrationMode::Open).await;
    let mut body = web_metadata("Course agent");
    body["scope"] = json!(format!("openid {READ} {WRITE} no-such:scope"));
    let r = register_with(&app, None, &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    let granted: Vec<&str> = s(&v, "scope").split(' ').collect();
    assert!(
        granted.contains(&"openid") && granted.contains(&READ),
        "{v}"
    );
    assert!(!granted.contains(&WRITE), "an approval-gated scope: {v}");
    assert!(!granted.contains(&"no-such:scope"), "{v}");
    let ev = app.audit_events_of("client.registered_dynamically").await;
    assert_eq!(
        ev.last().unwrap()["scopes_not_granted"],
        json!([WRITE, "no-such:scope"])
    );

    // After admission it signs a person in with the free API scope.
    let rp = Creds {
        id: s(&v, "client_id").to_owned(),
        secret: s(&v, "client_secret").to_owned(),
    };
    admit(&app, &rp.id).await;
    let b = app.browser();
    let code = code_as(&b, &app.admin.username, &rp, &format!("openid {READ}")).await;
    assert_eq!(
        exchange(&app, &rp, &code).await["scope"],
        format!("openid {READ}")
    );

    // A malformed scope is refused, storing nothing.
    let before = app.count("clients").await;
    let mut bad = web_metadata("Bad scopes");
    bad["scope"] = json!("openid \"quoted\"");
    let r = register_with(&app, None, &bad).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_client_metadata");
    assert_eq!(app.count("clients").await, before);
}
