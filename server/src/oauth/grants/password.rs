//! RFC 6749 §4.3, for clients an administrator has allowed it (off by default;
//! OAuth 2.1 drops it, seed 004 needs it). Same per-account throttling, timing and
//! audit as the sign-in page. Not per-IP: the caller is the application's server,
//! whose one address every user of the app shares, so an IP lock would lock them
//! all out. Tokens live for the client's lifetime policy (9 hours unless set
//! otherwise), with no refresh token and no ID token.

use domain::accounts::sign_in::{SignInError, SignInRequest};
use domain::oauth::{ClientIssue, GrantType, ScopeSet};
use domain::platform::secret::SecretString;

use super::{Caller, Form, TokenResponse};
use crate::oauth::OAuthError;

pub struct Request {
    pub username: String,
    pub password: SecretString,
    pub scope: Option<ScopeSet>,
    pub resource: Option<String>,
}

impl Request {
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        Ok(Self {
            username: form.required("username")?.to_owned(),
            password: SecretString::new(form.required("password")?),
            scope: form.scope()?,
            resource: form.optional("resource").map(str::to_owned),
        })
    }
}

/// The `error_description` for a person whose role requires a second factor.
pub const PASSWORD_GRANT_MFA_REQUIRED: &str = "a second factor is required of this account's role, which the password grant cannot carry: sign in through the authorization code flow";
/// The `error_description` for a person who has not accepted the terms of use in force.
pub const PASSWORD_GRANT_TERMS: &str = "this account has not accepted the current terms of use: sign in once through the browser to read and accept them";
/// The `error_description` for a person with a second factor.
pub const PASSWORD_GRANT_MFA: &str = "this account has a second factor, which the password grant cannot carry: sign in through the authorization code flow";

pub async fn exchange(c: &Caller<'_>, req: Request) -> Result<TokenResponse, OAuthError> {
    if c.client.is_public() || !c.client.allows(GrantType::Password) {
        return Err(OAuthError::unauthorized_client(
            "this client may not use the password grant",
        ));
    }
    let app = &c.st.services;
    let sign_in = SignInRequest {
        username: &req.username,
        password: &req.password,
        ip: None,
        user_agent: None,
    };
    let user = domain::accounts::sign_in::check_credentials(
        &app.db,
        app.passwords(),
        app.throttle,
        &sign_in,
        c.now,
    )
    .await
    .map_err(|e| match e {
        SignInError::Internal(d) => OAuthError::server_error(d),
        SignInError::DirectoryUnavailable => OAuthError::temporarily_unavailable(e.to_string()),
        SignInError::Throttled { retry_after_secs } => {
            let message = e.to_string();
            OAuthError::too_many_requests("invalid_grant", message, retry_after_secs)
        }
        other => OAuthError::invalid_grant(other.to_string()),
    })?;
    // The password grant has no way to ask for a second factor: a person who has
    // one signs in through the browser (docs/IDENTITY.md, "Second factors").
    // Nor one whose role an administrator requires a second factor of.
    match domain::accounts::second_factor::factor::is_active(&app.db, &user.id).await {
        Ok(false) => {}
        Ok(true) => return Err(OAuthError::invalid_grant(PASSWORD_GRANT_MFA)),
        Err(e) => return Err(OAuthError::server_error(e)),
    }
    let settings = app
        .runtime
        .get(&app.db)
        .await
        .map_err(OAuthError::server_error)?;
    if domain::accounts::second_factor::policy::covers(&settings.second_factor_roles, user.role) {
        return Err(OAuthError::invalid_grant(PASSWORD_GRANT_MFA_REQUIRED));
    }
    // Nor can it show the terms of use: a person who has not accepted the ones in
    // force accepts them in the browser first.
    if domain::accounts::terms::needs(settings.terms.as_ref(), &user) {
        return Err(OAuthError::invalid_grant(PASSWORD_GRANT_TERMS));
    }
    if let Some(why) = domain::portal::stage::refuses(&app.db, c.client, &user)
        .await
        .map_err(OAuthError::server_error)?
    {
        return Err(OAuthError::invalid_grant(why));
    }
    let tokens = &c.st.tokens;
    let resource = req.resource.as_deref();
    let scopes = tokens.client_scopes(c.client, req.scope, resource).await?;
    let ttl = c
        .client
        .access_token_ttl_secs
        .unwrap_or(tokens.lifetimes.password_grant_secs);
    let issued = tokens
        .for_client(
            ClientIssue {
                grant_type: GrantType::Password,
                client: c.client,
                person: Some((&user, c.now)),
                scopes,
                resource,
                ttl,
                ip: c.ip.clone(),
                dpop_jkt: c.dpop_jkt.clone(),
            },
            c.now,
        )
        .await?;
    Ok(issued)
}
