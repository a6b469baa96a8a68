//! The user-facing grants: authorization_code (with PKCE) and refresh_token
//! (rotated on every use). Both end in [`issue_user_tokens`].

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::audit::{self, Actor, AuditEvent, EventType};
use domain::authz::{self, NewRefresh, RedeemError, RotateError};
use domain::clients::{Client, GRANT_AUTHORIZATION_CODE, GRANT_PASSWORD, GRANT_REFRESH_TOKEN};
use domain::tokens::{self, AccessClaims};
use domain::users::User;
use serde_json::{json, Value};

use super::token::{
    audience_for, bearer_response, client_scopes, issued_event, requested_scopes, TokenRequest,
};
use super::{OAuthError, OAuthState};

struct UserTokens {
    user: User,
    scopes: Vec<String>,
    resource: Option<String>,
    auth_time: i64,
    nonce: Option<String>,
    grant_id: String,
    /// The refresh-token family to continue (rotation), or None to start one.
    family_id: Option<String>,
    /// Set when the tokens come from a code: its hash, to record what was issued.
    code_hash: Option<String>,
    /// The caller's address, for the audit log.
    ip: Option<String>,
}

fn param<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .ok_or_else(|| OAuthError::invalid_request(format!("{name} is missing")))
}

async fn active_user(st: &OAuthState, user_id: &str) -> Result<User, OAuthError> {
    match domain::users::find_by_id(&st.app.db, user_id).await? {
        Some(u) if !u.disabled => Ok(u),
        _ => Err(OAuthError::invalid_grant(
            "the user account is no longer active",
        )),
    }
}

/// The consent must still exist and cover the scopes (the user may have revoked it).
async fn grant_covers(
    st: &OAuthState,
    grant_id: &str,
    scopes: &[String],
) -> Result<(), OAuthError> {
    match domain::grants::find_by_id(&st.app.db, grant_id).await? {
        Some(g) if scopes.iter().all(|s| g.scopes.contains(s)) => Ok(()),
        _ => Err(OAuthError::invalid_grant(
            "the user's consent for this client has been withdrawn",
        )),
    }
}

/// `asked` narrowed to the scopes the consent still allows; the consent must still
/// exist and allow at least one of them.
async fn current_scopes(
    st: &OAuthState,
    grant_id: &str,
    asked: Vec<String>,
) -> Result<Vec<String>, OAuthError> {
    let withdrawn =
        || OAuthError::invalid_grant("the user's consent for this client has been withdrawn");
    let g = domain::grants::find_by_id(&st.app.db, grant_id)
        .await?
        .ok_or_else(withdrawn)?;
    let had_any = !asked.is_empty();
    let kept: Vec<String> = asked.into_iter().filter(|s| g.scopes.contains(s)).collect();
    if had_any && kept.is_empty() {
        return Err(withdrawn());
    }
    Ok(kept)
}

/// Records an event that has no change of its own to ride with (an attack noticed),
/// in its own transaction so it joins the chain in order. A failure is logged; the
/// request fails anyway.
async fn record_alone(st: &OAuthState, now: i64, event: AuditEvent) {
    let result = async {
        let txn = domain::db::write_txn(&st.app.db).await?;
        audit::record(&txn, now, event).await?;
        txn.commit().await?;
        Ok::<_, domain::DomainError>(())
    }
    .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "recording an audit event failed");
    }
}

/// RFC 6749 §4.1.3 with RFC 7636: one use, same client, same redirect URI, and the
/// PKCE verifier. A replay revokes what the first use issued.
pub async fn authorization_code(
    st: &OAuthState,
    client: &Client,
    req: &TokenRequest,
) -> Result<Response, OAuthError> {
    let form = &req.form;
    if !client.allows_grant(GRANT_AUTHORIZATION_CODE) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use authorization_code",
        ));
    }
    let code = param(form, "code")?;
    let verifier = param(form, "code_verifier")
        .map_err(|_| OAuthError::invalid_request("code_verifier is missing: PKCE is required"))?;
    let now = st.app.now();
    let row = match authz::redeem_code(&st.app.db, code, &client.id, now).await? {
        Ok(r) => r,
        Err(RedeemError::Replayed) => {
            record_alone(
                st,
                now,
                AuditEvent::new(EventType::CodeReplayed, Actor::Client(client.id.clone()))
                    .target("client", &client.id)
                    .ip(req.ip.clone()),
            )
            .await;
            return Err(OAuthError::invalid_grant(
                "the authorization code was already used; tokens issued from it are revoked",
            ));
        }
        Err(RedeemError::Invalid) => {
            return Err(OAuthError::invalid_grant(
                "the authorization code is invalid or expired",
            ))
        }
    };
    match form.get("redirect_uri") {
        Some(r) if *r != row.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ))
        }
        None if row.redirect_uri_given => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri is required: it was sent in the authorization request",
            ))
        }
        _ => {}
    }
    if !authz::pkce_matches(verifier, &row.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "the code_verifier does not match the code_challenge",
        ));
    }
    let user = active_user(st, &row.user_id).await?;
    let scopes = domain::grants::split_scopes(&row.scopes);
    grant_covers(st, &row.grant_id, &scopes).await?;
    issue_user_tokens(
        st,
        client,
        UserTokens {
            user,
            scopes,
            resource: row.resource,
            auth_time: row.auth_time,
            nonce: row.nonce,
            grant_id: row.grant_id,
            family_id: None,
            code_hash: Some(row.code_hash),
            ip: req.ip.clone(),
        },
    )
    .await
}

/// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the presented token is spent and a
/// new one issued; presenting a spent one revokes the family.
pub async fn refresh_token(
    st: &OAuthState,
    client: &Client,
    req: &TokenRequest,
) -> Result<Response, OAuthError> {
    let form = &req.form;
    if !client.allows_grant(GRANT_REFRESH_TOKEN) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use refresh_token",
        ));
    }
    let value = param(form, "refresh_token")?;
    let now = st.app.now();
    let row = match authz::use_refresh(&st.app.db, value, &client.id, now).await? {
        Ok(r) => r,
        Err(RotateError::Reused) => {
            record_alone(
                st,
                now,
                AuditEvent::new(
                    EventType::RefreshTokenReused,
                    Actor::Client(client.id.clone()),
                )
                .target("client", &client.id)
                .ip(req.ip.clone()),
            )
            .await;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; its whole family is now revoked",
            ));
        }
        Err(RotateError::Invalid) => {
            return Err(OAuthError::invalid_grant(
                "the refresh token is invalid, expired or revoked",
            ))
        }
    };
    let original = domain::grants::split_scopes(&row.scopes);
    let asked = match requested_scopes(form) {
        Some(asked) => {
            if let Some(extra) = asked.iter().find(|s| !original.contains(s)) {
                return Err(OAuthError::invalid_scope(format!(
                    "'{extra}' was not part of the original grant"
                )));
            }
            asked
        }
        None => original,
    };
    let user = active_user(st, &row.user_id).await?;
    // At most what the person allows now: they may have narrowed the grant since
    // this refresh token was issued (RFC 6749 §3.3 lets the server issue less).
    let scopes = current_scopes(st, &row.grant_id, asked).await?;
    issue_user_tokens(
        st,
        client,
        UserTokens {
            user,
            scopes,
            resource: row.resource,
            auth_time: row.auth_time,
            nonce: None,
            grant_id: row.grant_id,
            family_id: Some(row.family_id),
            code_hash: None,
            ip: req.ip.clone(),
        },
    )
    .await
}

/// The ID token claims a scope set allows (OpenID Connect Core §5.4).
pub fn user_claims(user: &User, scopes: &[String]) -> Value {
    let mut c = json!({ "sub": user.id });
    if scopes.iter().any(|s| s == "profile") {
        c["name"] = json!(user.display_name);
        c["preferred_username"] = json!(user.username);
        c["updated_at"] = json!(user.updated_at);
    }
    if scopes.iter().any(|s| s == "email") {
        c["email"] = json!(user.email);
        // True only for addresses an administrator or the operator vouched for.
        c["email_verified"] = json!(user.email_verified);
    }
    c
}

async fn issue_user_tokens(
    st: &OAuthState,
    client: &Client,
    t: UserTokens,
) -> Result<Response, OAuthError> {
    let now = st.app.now();
    let form = match &t.resource {
        Some(r) => HashMap::from([("resource".to_owned(), r.clone())]),
        None => HashMap::new(),
    };
    let aud = audience_for(st, &form, &t.scopes).await?;
    let runtime = st.runtime().await?;
    let ttl = client
        .access_token_ttl_secs
        .unwrap_or(runtime.access_token_secs);
    let claims = AccessClaims {
        iss: st.issuer.to_string(),
        sub: t.user.id.clone(),
        aud,
        client_id: client.id.clone(),
        scope: t.scopes.join(" "),
        jti: tokens::new_jti(),
        iat: now,
        exp: now + ttl,
        auth_time: Some(t.auth_time),
    };
    let keys = st.keys();
    let access = tokens::sign_access(&keys, &claims)?;
    let mut body = json!({ "access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": claims.scope });

    if t.scopes.iter().any(|s| s == "openid") && t.code_hash.is_some() {
        let mut id = user_claims(&t.user, &t.scopes);
        id["iss"] = json!(st.issuer.as_ref());
        id["aud"] = json!(client.id);
        id["azp"] = json!(client.id);
        id["iat"] = json!(now);
        id["exp"] = json!(now + st.lifetimes.id_token_secs);
        id["auth_time"] = json!(t.auth_time);
        if let Some(n) = &t.nonce {
            id["nonce"] = json!(n);
        }
        body["id_token"] = json!(tokens::sign_jwt(&keys, client.id_token_alg, &id)?);
    }

    let txn = domain::db::write_txn(&st.app.db)
        .await
        .map_err(OAuthError::server_error)?;
    if client.allows_grant(GRANT_REFRESH_TOKEN) {
        let family_id = t
            .family_id
            .clone()
            .or_else(|| t.code_hash.clone())
            .unwrap_or_else(tokens::new_jti);
        let refresh = authz::issue_refresh(
            &txn,
            NewRefresh {
                family_id,
                client_id: client.id.clone(),
                user_id: t.user.id.clone(),
                grant_id: t.grant_id.clone(),
                scopes: t.scopes.clone(),
                resource: t.resource.clone(),
                auth_time: t.auth_time,
                access_jti: claims.jti.clone(),
                access_exp: claims.exp,
            },
            client
                .refresh_token_ttl_secs
                .unwrap_or(runtime.refresh_token_secs),
            now,
        )
        .await?;
        body["refresh_token"] = json!(refresh);
    }
    if let Some(h) = &t.code_hash {
        authz::record_code_issuance(&txn, h, &claims.jti, claims.exp).await?;
    }
    domain::grants::touch(&txn, &t.grant_id, now).await?;
    // The events ride in the same transaction: the response below is sent only after
    // the commit, so every token someone holds has its event.
    let grant_type = if t.family_id.is_some() {
        GRANT_REFRESH_TOKEN
    } else {
        GRANT_AUTHORIZATION_CODE
    };
    audit::record(
        &txn,
        now,
        issued_event(grant_type, &claims, Some(&t.user.id), t.ip.clone()),
    )
    .await?;
    if let Some(family) = &t.family_id {
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::TokenRefreshed, Actor::Client(client.id.clone()))
                .target("user", &t.user.id)
                .ip(t.ip.clone())
                .data(json!({
                    "client_id": client.id,
                    "user": t.user.id,
                    "family_id": family,
                    "jti": claims.jti,
                    "scopes": t.scopes,
                })),
        )
        .await?;
    }
    txn.commit().await.map_err(OAuthError::server_error)?;
    Ok(Json(body).into_response())
}

/// RFC 6749 §4.3, for clients an administrator has allowed it (off by default; OAuth
/// 2.1 drops it, seed 004 needs it). Same per-account throttling, timing and audit as
/// the sign-in page. Not per-IP: the caller is the application's server, whose one
/// address every user of the app shares, so an IP lock would lock them all out.
/// Tokens live for the client's lifetime policy (9 hours unless set otherwise), with
/// no refresh token and no ID token.
pub async fn password(
    st: &OAuthState,
    client: &Client,
    req: &TokenRequest,
) -> Result<Response, OAuthError> {
    let form = &req.form;
    use domain::auth::{SignInError, SignInRequest};
    if client.is_public() || !client.allows_grant(GRANT_PASSWORD) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the password grant",
        ));
    }
    let username = param(form, "username")?;
    let password = domain::secret::SecretString::new(param(form, "password")?);
    let sign_in = SignInRequest {
        username,
        password: &password,
        ip: None,
        user_agent: None,
    };
    let now = st.app.now();
    let user = domain::auth::check_credentials(
        &st.app.db,
        &st.app.hasher,
        st.app.config.throttle_policy,
        &sign_in,
        now,
    )
    .await
    .map_err(|e| match e {
        SignInError::Internal(d) => OAuthError::server_error(d),
        other => OAuthError::invalid_grant(other.to_string()),
    })?;
    if let Some(why) = client.refuses_account(&user.email, user.email_verified) {
        return Err(OAuthError::invalid_grant(why));
    }
    let scopes = client_scopes(client, form)?;
    let ttl = client
        .access_token_ttl_secs
        .unwrap_or(st.lifetimes.password_grant_secs);
    bearer_response(st, req, client, Some((&user.id, now)), scopes, ttl, now).await
}
