//! An independent client library registers itself and, once admitted, completes
//! an authorization-code flow with PKCE: openid-client (npm, v6) —
//! `dynamicClientRegistration` with an initial access token, then
//! `authorizationCodeGrant`, which checks the ID token itself.

use domain::settings::RegistrationMode;
use serde_json::json;

use super::*;
use crate::oidc::flow::wall_clock;
use crate::rp::{authorize_as, param};

const REGISTER: &str = r#"
const config = await client.dynamicClientRegistration(
  new URL(input.issuer),
  { client_name: 'openid-client agent', redirect_uris: [input.redirect_uri],
    grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic', software_id: 'openid-client-test' },
  undefined,
  { execute: [client.allowInsecureRequests], initialAccessToken: input.initial_access_token },
);
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: input.redirect_uri, scope: 'openid', state,
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
});
console.log(JSON.stringify({ metadata: config.clientMetadata(), url: url.href, verifier, state }));
"#;

const EXCHANGE: &str = r#"
const config = await client.discovery(
  new URL(input.issuer), input.metadata.client_id, input.metadata.client_secret, undefined,
  { execute: [client.allowInsecureRequests] },
);
const tokens = await client.authorizationCodeGrant(config, new URL(input.callback), {
  pkceCodeVerifier: input.verifier, expectedState: input.state,
});
console.log(JSON.stringify({ claims: tokens.claims(), token_type: tokens.token_type }));
"#;

#[tokio::test]
async fn openid_client_registers_then_signs_a_person_in_after_admission() {
    let app = spawn_app().await;
    // The library checks the ID token's times against the real clock.
    app.clock.set(wall_clock());
    set_mode(&app, RegistrationMode::Token).await;
    let (_, iat) = mint(&app, 1, 3600).await;
    let reg = openid_client(
        REGISTER,
        json!({
            "issuer": app.base,
            "redirect_uri": crate::rp::REDIRECT,
            "initial_access_token": iat,
        }),
    )
    .await;
    let metadata = &reg["metadata"];
    let id = s(metadata, "client_id").to_owned();
    assert!(metadata["registration_access_token"].is_string(), "{reg}");
    assert_eq!(metadata["admitted"], false);
    let url = s(&reg, "url");
    let path = &url[app.base.len()..];
    assert!(path.contains("code_challenge_method=S256"), "{path}");

    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    assert_eq!(
        b.get(path).await.location().as_deref(),
        Some("/oauth/error?reason=awaiting_admission")
    );
    admit(&app, &id).await;
    let callback = authorize_as(&b, &app.admin.username, path).await;
    assert!(param(&callback, "code").is_some(), "{callback}");

    let out = openid_client(
        EXCHANGE,
        json!({
            "issuer": app.base,
            "metadata": metadata,
            "callback": callback,
            "verifier": reg["verifier"],
            "state": reg["state"],
        }),
    )
    .await;
    assert_eq!(out["claims"]["aud"], json!(id), "{out}");
    assert_eq!(out["claims"]["iss"], json!(app.base));
    assert!(out["claims"]["sub"].is_string());
}
