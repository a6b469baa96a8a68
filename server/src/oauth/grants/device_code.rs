//! RFC 8628 §3.4–3.5: the device polls with its device code. Until a person decides
//! it hears `authorization_pending` (or `slow_down`, polling faster than the
//! interval, which then grows by five seconds); then `access_denied`, or — once, by
//! one atomic consumption — the tokens; after the code's life, `expired_token`.

use domain::oauth::device::{self, Poll};
use domain::oauth::{GrantType, ScopeSet, Source, UserIssue};

use super::{Caller, Form, TokenResponse};
use crate::oauth::OAuthError;

pub struct Request {
    pub device_code: String,
}

impl Request {
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        Ok(Self {
            device_code: form.required("device_code")?.to_owned(),
        })
    }
}

pub async fn exchange(c: &Caller<'_>, req: Request) -> Result<TokenResponse, OAuthError> {
    c.require(GrantType::DeviceCode)?;
    // Before the device code is spent (as for codes).
    let id_token_encryption = crate::oauth::encrypt_to::for_id_token(c.st, c.client).await?;
    let tokens = &c.st.tokens;
    let row = match device::poll(&tokens.db, &req.device_code, &c.client.id, c.now).await? {
        Poll::Approved(row) => row,
        Poll::Pending => {
            return Err(OAuthError::device_poll(
                "authorization_pending",
                "the user has not yet approved or denied the request",
            ))
        }
        Poll::SlowDown => {
            return Err(OAuthError::device_poll(
                "slow_down",
                "polling too fast: the interval has grown by 5 seconds",
            ))
        }
        Poll::Denied => {
            return Err(OAuthError::device_poll(
                "access_denied",
                "the user denied the request",
            ))
        }
        Poll::Expired => {
            return Err(OAuthError::device_poll(
                "expired_token",
                "the device code has expired: start a new device authorization",
            ))
        }
        Poll::Invalid => {
            return Err(OAuthError::invalid_grant(
                "the device code is invalid, was issued to another client, or was already used",
            ))
        }
    };
    // Consumed from here on, whatever the outcome.
    let (Some(user_id), Some(grant_id), Some(auth_time)) = (
        row.user_id.as_deref(),
        row.grant_id.as_deref(),
        row.auth_time,
    ) else {
        return Err(OAuthError::server_error(
            "an approved device code without its person or grant",
        ));
    };
    let user = tokens.active_user(user_id).await?;
    if let Some(d) = domain::portal::stage::refuses(&c.st.services.db, c.client, &user)
        .await
        .map_err(OAuthError::server_error)?
    {
        return Err(OAuthError::invalid_grant(d));
    }
    let asked = ScopeSet::parse(&row.scopes);
    let scopes = tokens.allowed_in_full(c.client, grant_id, asked).await?;
    let issued = tokens
        .for_user(
            UserIssue {
                client: c.client,
                user: &user,
                grant_id,
                scopes,
                resource: row.resource.clone(),
                auth_time,
                source: Source::Device {
                    device_code_hash: row.device_code_hash,
                },
                ip: c.ip.clone(),
                dpop_jkt: c.dpop_jkt.clone(),
                // RFC 8628 requests carry no `claims` parameter.
                claims_request: None,
                id_token_encryption,
                // The device code does not record how the approving session signed
                // in: the ID token claims no more than a password.
                amr: None,
            },
            c.now,
        )
        .await?;
    Ok(issued)
}
