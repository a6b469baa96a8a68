//! What relying parties see: `amr`/`acr` in ID tokens, `acr_values` step-up, the
//! password grant refused, discovery.

use domain::accounts::Role;
use serde_json::{json, Value};

use super::*;
use crate::helpers::*;
use crate::rp::*;

const MFA: &str = "urn:portcullis:acr:mfa";

#[tokio::test]
async fn a_signed_out_authorization_goes_through_the_second_step_and_the_id_token_says_so() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let (secret, codes) = enrolled(&app, &app.browser(), "ann").await;
    app.clock.advance(30);
    let rp = register(&app, notebook(&["openid"])).await;
    // Reserved characters in `state` survive the detour.
    let state = "st-a%20%2B%2F%3D%3F%26%25~.%3A";
    let path =
        authorize_path(&rp, "openid", "&nonce=n-1").replace("state=s", &format!("state={state}"));

    let b = app.browser();
    let login = b.get(&path).await.location().unwrap();
    let return_to = query_param(&login, "return_to").unwrap();
    assert!(return_to.starts_with("/oauth/authorize?"), "{return_to}");
    let step = password_step(&b, "ann", &return_to).await;
    assert_eq!(
        query_param(&step, "return_to").as_deref(),
        Some(return_to.as_str())
    );
    let r = second_step(&b, &code_now(&app, &secret), &return_to).await;
    assert_eq!(
        r.location().as_deref(),
        Some(return_to.as_str()),
        "{}",
        r.body
    );
    let loc = through_consent(&b, &b.get(&return_to).await.location().unwrap()).await;
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(
        param(&loc, "state").as_deref(),
        Some("st-a +/=?&%~.:"),
        "{loc}"
    );
    let tokens = exchange(&app, &rp, &param(&loc, "code").unwrap()).await;
    let id = peek(s(&tokens, "id_token"));
    assert_eq!(id["amr"], json!(["pwd", "otp", "mfa"]), "{id}");
    assert_eq!(id["acr"], MFA);

    // A recovery code: two factors, and not an authenticator app.
    let b2 = app.browser();
    password_step(&b2, "ann", "/").await;
    assert!(second_step(&b2, &codes[0], "/").await.status < 400);
    let id = peek(s(
        &exchange(&app, &rp, &code_as(&b2, "ann", &rp, "openid").await).await,
        "id_token",
    ));
    assert_eq!(id["amr"], json!(["pwd", "mfa", "rc"]), "{id}");
    assert_eq!(id["acr"], MFA);

    // A password only.
    let b3 = app.browser();
    let id = peek(s(
        &exchange(&app, &rp, &code_as(&b3, "admin", &rp, "openid").await).await,
        "id_token",
    ));
    assert_eq!(id["amr"], json!(["pwd"]), "{id}");
    assert_eq!(id["acr"], "urn:portcullis:acr:pwd");

    let meta: Value = reqwest::get(format!("{}/.well-known/openid-configuration", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["acr_values_supported"],
        json!(["urn:portcullis:acr:pwd", MFA])
    );
}

#[tokio::test]
async fn acr_values_for_mfa_step_up_a_password_session_or_are_unmet() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let rp = register(&app, notebook(&["openid"])).await;
    let wants = format!("&acr_values={}", enc(MFA));

    // No second factor: the client hears so.
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let loc = admin
        .get(&authorize_path(&rp, "openid", &wants))
        .await
        .location()
        .unwrap();
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("unmet_authentication_requirements")
    );
    // Also when asked as an essential `acr` claim (OIDC Core §5.5.1.1).
    let claims = json!({"id_token": {"acr": {"essential": true, "values": [MFA]}}}).to_string();
    let loc = admin
        .get(&authorize_path(
            &rp,
            "openid",
            &format!("&claims={}", enc(&claims)),
        ))
        .await
        .location()
        .unwrap();
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "{loc}"
    );

    // A session signed in with a password before the app was set up: sent to sign
    // in again, which now takes the second step.
    let b = app.browser();
    let (secret, _) = enrolled(&app, &b, "ann").await;
    let path = authorize_path(&rp, "openid", &wants);
    let loc = b.get(&path).await.location().unwrap();
    assert!(loc.starts_with("/login?return_to="), "{loc}");
    // `prompt=none` cannot show that page.
    let loc = b
        .get(&format!("{path}&prompt=none"))
        .await
        .location()
        .unwrap();
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("login_required"),
        "{loc}"
    );

    app.clock.advance(30);
    let return_to = query_param(&b.get(&path).await.location().unwrap(), "return_to").unwrap();
    password_step(&b, "ann", &return_to).await;
    assert!(
        second_step(&b, &code_now(&app, &secret), &return_to)
            .await
            .status
            < 400
    );
    let loc = through_consent(&b, &b.get(&path).await.location().unwrap()).await;
    let id = peek(s(
        &exchange(&app, &rp, &param(&loc, "code").unwrap()).await,
        "id_token",
    ));
    assert_eq!(id["acr"], MFA, "{id}");
}

#[tokio::test]
async fn the_password_grant_refuses_a_person_with_a_second_factor() {
    let app = spawn_app().await;
    create_user(&app.db, "ann", Role::User).await;
    let svc = crate::rp::password_client(&app).await;
    let grant = || crate::rp::password_grant(&app, &svc, "ann");
    let (status, _) = grant().await;
    assert_eq!(status, 200);
    enrolled(&app, &app.browser(), "ann").await;
    let (status, v) = grant().await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"], "invalid_grant");
    assert!(s(&v, "error_description").contains("second factor"), "{v}");
}
