//! RFC 6749 §4.4: a token for the client itself. Service clients start with no
//! scopes at all (seed 003: least privilege) and get only what was granted to them.

use domain::oauth::{ClientIssue, GrantType, ScopeSet};

use super::{Caller, Form, TokenResponse};
use crate::oauth::OAuthError;

pub struct Request {
    pub scope: Option<ScopeSet>,
    /// RFC 8707.
    pub resource: Option<String>,
}

impl Request {
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        Ok(Self {
            scope: form.scope()?,
            resource: form.optional("resource").map(str::to_owned),
        })
    }
}

pub async fn exchange(c: &Caller<'_>, req: Request) -> Result<TokenResponse, OAuthError> {
    if c.client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "public clients cannot use client_credentials",
        ));
    }
    c.require(GrantType::ClientCredentials)?;
    let tokens = &c.st.tokens;
    let resource = req.resource.as_deref();
    let scopes = tokens.client_scopes(c.client, req.scope, resource).await?;
    let ttl = match c.client.access_token_ttl_secs {
        Some(t) => t,
        None => tokens.runtime.get(&tokens.db).await?.access_token_secs,
    };
    let issued = tokens
        .for_client(
            ClientIssue {
                grant_type: GrantType::ClientCredentials,
                client: c.client,
                person: None,
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
