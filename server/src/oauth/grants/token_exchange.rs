//! RFC 8693: token exchange. A confidential client trades a person's access token
//! it received (`subject_token`), optionally with its own (`actor_token`), for a
//! narrower token naming it in `act`. The rules are in `domain::oauth::exchange`;
//! here the request is parsed and the tokens are checked to be alive.

use domain::oauth::exchange::{Exchange, ExchangeError, ACCESS_TOKEN_TYPE};
use domain::oauth::{GrantType, Live, ScopeSet};

use super::{Caller, Form, TokenResponse};
use crate::oauth::OAuthError;

pub struct Request<'a> {
    pub subject_token: &'a str,
    pub actor_token: Option<&'a str>,
    pub scope: Option<ScopeSet>,
    /// RFC 8693 §2.1 `resource` or `audience` (one API, by its identifier).
    pub resource: Option<&'a str>,
}

impl<'a> Request<'a> {
    pub fn parse(form: &'a Form) -> Result<Self, OAuthError> {
        let subject_token = form.required("subject_token")?;
        token_type(form.required("subject_token_type")?, "subject_token_type")?;
        let actor_token = form.optional("actor_token");
        match (actor_token, form.optional("actor_token_type")) {
            (Some(_), Some(t)) => token_type(t, "actor_token_type")?,
            (Some(_), None) => {
                return Err(OAuthError::invalid_request(
                    "actor_token_type is missing (RFC 8693 §2.1: it comes with actor_token)",
                ))
            }
            (None, Some(_)) => {
                return Err(OAuthError::invalid_request(
                    "actor_token_type was sent without actor_token",
                ))
            }
            (None, None) => {}
        }
        if let Some(t) = form.optional("requested_token_type") {
            if t != ACCESS_TOKEN_TYPE {
                return Err(OAuthError::invalid_request(format!(
                    "requested_token_type must be {ACCESS_TOKEN_TYPE}: only access tokens are issued by exchange"
                )));
            }
        }
        let resource = match (form.optional("resource"), form.optional("audience")) {
            (Some(r), Some(a)) if r != a => {
                return Err(OAuthError::invalid_target(
                    "resource and audience name different APIs: name one",
                ))
            }
            (r, a) => r.or(a),
        };
        Ok(Self {
            subject_token,
            actor_token,
            scope: form.scope()?,
            resource,
        })
    }
}

fn token_type(t: &str, name: &str) -> Result<(), OAuthError> {
    if t == ACCESS_TOKEN_TYPE {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(format!(
            "{name} '{}' is not supported: only {ACCESS_TOKEN_TYPE} (this server's access tokens)",
            t.escape_debug()
        )))
    }
}

async fn live(c: &Caller<'_>, token: &str, name: &str) -> Result<Live, OAuthError> {
    c.st.tokens
        .live_access_token(token, c.now)
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_request(format!(
                "the {name} is not an active access token of this server"
            ))
        })
}

pub async fn exchange(c: &Caller<'_>, req: Request<'_>) -> Result<TokenResponse, OAuthError> {
    if c.client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot exchange tokens",
        ));
    }
    c.require(GrantType::TokenExchange)?;
    let subject = live(c, req.subject_token, "subject_token").await?;
    let actor = match req.actor_token {
        Some(t) => Some(live(c, t, "actor_token").await?),
        None => None,
    };
    c.st.tokens
        .exchange(
            Exchange {
                client: c.client,
                subject,
                actor,
                scopes: req.scope,
                resource: req.resource,
                dpop_jkt: c.dpop_jkt.clone(),
                ip: c.ip.clone(),
                policy: c.st.exchange,
            },
            c.now,
        )
        .await
        .map_err(|e| match e {
            ExchangeError::Unacceptable(d) => OAuthError::invalid_request(d),
            ExchangeError::Issue(e) => e.into(),
        })
}
