//! RFC 6749 §4.1.3 with RFC 7636 (OAuth 2.1 §4.1.3): one use, same client, same
//! redirect URI, and the PKCE verifier. A replay revokes what the first use issued.

use domain::audit::EventType;
use domain::oauth::claims_request::ClaimsRequest;
use domain::oauth::codes::{self, RedeemError};
use domain::oauth::{GrantType, ScopeSet, Source, UserIssue};

use super::{Caller, Form, TokenResponse};
use crate::oauth::OAuthError;

pub struct Request {
    pub code: String,
    /// Checked only after the code is spent: a request without it must not leave
    /// the code usable (RFC 7636 §4.6).
    pub code_verifier: Option<String>,
    pub redirect_uri: Option<String>,
}

impl Request {
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        Ok(Self {
            code: form.required("code")?.to_owned(),
            code_verifier: form.optional("code_verifier").map(str::to_owned),
            redirect_uri: form.optional("redirect_uri").map(str::to_owned),
        })
    }
}

pub async fn exchange(c: &Caller<'_>, req: Request) -> Result<TokenResponse, OAuthError> {
    c.require(GrantType::AuthorizationCode)?;
    // Before the code is spent: a client whose keys fail keeps its code.
    let id_token_encryption = crate::oauth::encrypt_to::for_id_token(c.st, c.client).await?;
    let tokens = &c.st.tokens;
    let row = match codes::redeem_code(
        &tokens.db,
        &tokens.revocations,
        &req.code,
        &c.client.id,
        c.now,
    )
    .await?
    {
        Ok(r) => r,
        Err(RedeemError::Replayed) => {
            tokens
                .record_alone(c.now, c.event(EventType::CodeReplayed))
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
    // The code is spent from here on, whatever the outcome.
    match &req.redirect_uri {
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
    // Every code was issued with a challenge (PKCE is required at /authorize), so a
    // missing verifier is a failed verification: `invalid_grant`, not
    // `invalid_request` (OAuth 2.1 §4.1.3, RFC 7636 §4.6).
    let Some(verifier) = &req.code_verifier else {
        return Err(OAuthError::invalid_grant(
            "code_verifier is missing: the code was issued with a PKCE challenge",
        ));
    };
    if !codes::pkce_matches(verifier, &row.code_challenge) {
        return Err(OAuthError::invalid_grant(
            "the code_verifier does not match the code_challenge",
        ));
    }
    let user = tokens.active_user(&row.user_id).await?;
    let asked = ScopeSet::parse(&row.scopes);
    let scopes = tokens
        .allowed_in_full(c.client, &row.grant_id, asked)
        .await?;
    let issued = tokens
        .for_user(
            UserIssue {
                client: c.client,
                user: &user,
                grant_id: &row.grant_id,
                scopes,
                resource: row.resource,
                auth_time: row.auth_time,
                claims_request: ClaimsRequest::from_stored(row.claims_request.as_deref()),
                source: Source::Code {
                    code_hash: row.code_hash,
                    nonce: row.nonce,
                    sid: row.sid,
                },
                ip: c.ip.clone(),
                dpop_jkt: c.dpop_jkt.clone(),
                id_token_encryption,
                amr: row.amr,
            },
            c.now,
        )
        .await?;
    Ok(issued)
}
