//! RFC 6749 §6 with rotation (RFC 9700 §4.14.2): the presented token is spent and
//! a new one issued, within the family's absolute lifetime; presenting a spent one
//! revokes the family.

use domain::audit::EventType;
use domain::oauth::claims_request::ClaimsRequest;
use domain::oauth::codes::{self, RotateError};
use domain::oauth::{GrantType, ScopeSet, Source, UserIssue};

use super::{Caller, Form, TokenResponse};
use crate::oauth::OAuthError;

pub struct Request {
    pub refresh_token: String,
    pub scope: Option<ScopeSet>,
}

impl Request {
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        Ok(Self {
            refresh_token: form.required("refresh_token")?.to_owned(),
            scope: form.scope()?,
        })
    }
}

pub async fn exchange(c: &Caller<'_>, req: Request) -> Result<TokenResponse, OAuthError> {
    c.require(GrantType::RefreshToken)?;
    let tokens = &c.st.tokens;
    let row = match codes::use_refresh(
        &tokens.db,
        &tokens.revocations,
        &req.refresh_token,
        &c.client.id,
        c.dpop_jkt.as_deref(),
        c.now,
    )
    .await?
    {
        Ok(r) => r,
        Err(RotateError::Reused) => {
            tokens
                .record_alone(c.now, c.event(EventType::RefreshTokenReused))
                .await;
            return Err(OAuthError::invalid_grant(
                "the refresh token was already used; its whole family is now revoked",
            ));
        }
        Err(RotateError::WrongKey) => {
            // RFC 9449 §5: a public client's refresh token is bound to the key of
            // the proof it was issued with; the token stays unspent.
            return Err(OAuthError::invalid_grant(
                "the refresh token is bound to a DPoP key: present a DPoP proof signed with that key",
            ));
        }
        Err(RotateError::Invalid) => {
            return Err(OAuthError::invalid_grant(
                "the refresh token is invalid, expired or revoked",
            ))
        }
    };
    let original = ScopeSet::parse(&row.scopes);
    let asked = match req.scope {
        Some(asked) => {
            if let Some(extra) = asked.first_outside(&original) {
                return Err(OAuthError::invalid_scope(format!(
                    "'{extra}' was not part of the original grant"
                )));
            }
            asked
        }
        None => original,
    };
    let user = tokens.active_user(&row.user_id).await?;
    // A client moved back to development keeps no one outside its team.
    if let Some(why) = domain::portal::stage::refuses_user(&c.st.services.db, c.client, &user.id)
        .await
        .map_err(OAuthError::server_error)?
    {
        return Err(OAuthError::invalid_grant(why));
    }
    // At most what the person allows now and what the client holds now.
    let scopes = tokens.still_allowed(c.client, &row.grant_id, asked).await?;
    let issued = tokens
        .for_user(
            UserIssue {
                client: c.client,
                user: &user,
                grant_id: &row.grant_id,
                scopes,
                resource: row.resource,
                auth_time: row.auth_time,
                source: Source::Rotation {
                    family_id: row.family_id,
                    family_expires_at: row.expires_at,
                },
                ip: c.ip.clone(),
                dpop_jkt: c.dpop_jkt.clone(),
                // A rotation issues no ID token.
                id_token_encryption: None,
                claims_request: ClaimsRequest::from_stored(row.claims_request.as_deref()),
                amr: row.amr,
            },
            c.now,
        )
        .await?;
    Ok(issued)
}
