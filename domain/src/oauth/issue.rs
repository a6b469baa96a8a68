//! Token issuance: the one unit of work behind every token response — signing,
//! the refresh-token family, the code's record of what it issued, the consent's
//! last use, and the `token.*` audit events that must be durable before anyone
//! holds the token.
//!
//! The grant modules of the server decide *whether* a token may be issued (the
//! protocol rules of their grant); this module decides *what* is issued and records
//! it, the same way for every grant.

use serde::Serialize;
use serde_json::json;

use super::{GrantType, IssueError, ScopeSet, Tokens};
use crate::accounts::users::User;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clients::model::Client;
use crate::oauth::access_tokens::{self, AccessClaims};
use crate::oauth::claims::{release, Target};
use crate::oauth::claims_request::ClaimsRequest;
use crate::oauth::codes::{self, NewRefresh};
use crate::platform::clock::Timestamp;

/// What a token response carries (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Clone, Debug, Serialize)]
pub struct TokenSet {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "ScopeSet::is_empty")]
    pub scope: ScopeSet,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// RFC 8693 §2.2.1: what a token exchange issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
}

/// An access token for a client, acting for itself (client credentials) or for a
/// person who gave it their password (the password grant): no refresh token, no ID
/// token, no consent behind it.
pub struct ClientIssue<'a> {
    pub grant_type: GrantType,
    pub client: &'a Client,
    /// The person the token acts for, and when they authenticated.
    pub person: Option<(&'a User, Timestamp)>,
    pub scopes: ScopeSet,
    pub resource: Option<&'a str>,
    pub ttl: i64,
    pub ip: Option<String>,
    /// The DPoP key the access token is bound to (RFC 9449 §5).
    pub dpop_jkt: Option<String>,
}

/// Where tokens issued under a person's consent come from.
pub enum Source {
    /// A redeemed authorization code (its hash starts the refresh-token family).
    Code {
        code_hash: String,
        nonce: Option<String>,
        /// The session the code was issued in: the ID token's `sid` (OIDC
        /// Front-Channel Logout §3, Back-Channel Logout §2.1).
        sid: Option<String>,
    },
    /// A rotated refresh token: the family continues, and so does its absolute
    /// expiry (RFC 9700 §4.14.2: rotation must not extend a family's life).
    Rotation {
        family_id: String,
        family_expires_at: Timestamp,
    },
    /// A consumed device code (RFC 8628 §3.5): like a code, its hash starts the
    /// refresh-token family; there is no nonce.
    Device { device_code_hash: String },
}

impl Source {
    fn grant_type(&self) -> GrantType {
        match self {
            Source::Code { .. } => GrantType::AuthorizationCode,
            Source::Rotation { .. } => GrantType::RefreshToken,
            Source::Device { .. } => GrantType::DeviceCode,
        }
    }
}

/// Tokens for a person under their consent (`grant_id`).
pub struct UserIssue<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    pub grant_id: &'a str,
    pub scopes: ScopeSet,
    pub resource: Option<String>,
    pub auth_time: Timestamp,
    pub source: Source,
    pub ip: Option<String>,
    /// The DPoP key the tokens are bound to (RFC 9449 §5): the access token always,
    /// the refresh token when the client is public (a confidential client's refresh
    /// token is already bound to its credentials).
    pub dpop_jkt: Option<String>,
    /// The `claims` parameter of the authorization (OIDC Core §5.5), from the code
    /// or the refresh token: shapes the ID token and is carried to the refresh
    /// token issued now.
    pub claims_request: Option<ClaimsRequest>,
    /// The client's key and algorithms when it registered ID-token encryption
    /// (resolved by the caller before anything is spent: its `jwks_uri` may need a
    /// fetch); the ID token is signed, then encrypted to it.
    pub id_token_encryption: Option<crate::oauth::jwe::Encryption>,
    /// How the person signed in (stored RFC 8176 values; None: a password): the
    /// ID token's `amr` and `acr`, carried to the refresh token.
    pub amr: Option<String>,
}

impl Tokens {
    /// RFC 8707: the audience of a token carrying `scopes`. A client gets a token
    /// only for an API it asked scopes of (which it must have been granted): naming
    /// another registered API in `resource` is refused, so consenting to `openid`
    /// never yields a token for the payroll API.
    pub async fn audience(
        &self,
        scopes: &ScopeSet,
        resource: Option<&str>,
    ) -> Result<String, IssueError> {
        let mut apis: Vec<String> = Vec::new();
        for s in scopes {
            let info = self
                .catalogue
                .scope(s)
                .await?
                .ok_or_else(|| IssueError::InvalidScope(format!("unknown scope '{s}'")))?;
            if let Some(a) = info.audience {
                if !apis.contains(&a) {
                    apis.push(a);
                }
            }
        }
        match resource {
            Some(r) => {
                if self.catalogue.api(r).await?.is_none() {
                    return Err(IssueError::InvalidTarget(format!("unknown resource '{r}'")));
                }
                if !apis.iter().any(|a| a == r) {
                    return Err(IssueError::InvalidTarget(format!(
                        "no requested scope belongs to the resource '{r}': tokens are issued only for the APIs whose scopes are granted and asked for"
                    )));
                }
                if apis.len() > 1 {
                    return Err(IssueError::InvalidScope(format!(
                        "some requested scopes do not belong to {r}"
                    )));
                }
                Ok(r.to_owned())
            }
            None => match apis.len() {
                0 => Ok(self.issuer.to_string()),
                1 => Ok(apis.remove(0)),
                _ => Err(IssueError::InvalidTarget(
                    "the scopes belong to several APIs: name one with the resource parameter"
                        .into(),
                )),
            },
        }
    }

    /// Scopes for a token without a person's consent (client credentials,
    /// password): the `scope` parameter when given — only scopes granted to the
    /// client — else every API scope the client was granted (of `resource` only,
    /// when one is named).
    pub async fn client_scopes(
        &self,
        client: &Client,
        asked: Option<ScopeSet>,
        resource: Option<&str>,
    ) -> Result<ScopeSet, IssueError> {
        let held = client.scope_set();
        if let Some(asked) = asked {
            return match asked.first_outside(&held) {
                Some(extra) => Err(IssueError::InvalidScope(format!(
                    "the client has not been granted the scope '{extra}'"
                ))),
                None => Ok(asked),
            };
        }
        let mut out = ScopeSet::new();
        for s in held.iter().filter(|s| !crate::apis::is_builtin(s)) {
            if let Some(r) = resource {
                let of = self.catalogue.scope(s).await?.and_then(|i| i.audience);
                if of.as_deref() != Some(r) {
                    continue;
                }
            }
            out.insert(s);
        }
        Ok(out)
    }

    /// The claims of an access token for `client`, acting for `person` (their id
    /// and when they authenticated) or for itself.
    pub(crate) fn claims(
        &self,
        client: &Client,
        person: Option<(&str, Timestamp)>,
        aud: String,
        scopes: &ScopeSet,
        ttl: i64,
        now: Timestamp,
    ) -> AccessClaims {
        AccessClaims {
            iss: self.issuer.to_string(),
            sub: person.map_or_else(|| client.id.clone(), |(id, _)| self.subjects.of(client, id)),
            aud,
            client_id: client.id.clone(),
            scope: scopes.to_string(),
            jti: access_tokens::new_jti(),
            iat: now,
            exp: now + ttl,
            auth_time: person.map(|(_, t)| t),
            cnf: None,
            act: None,
        }
    }

    /// Signs an access token for a client (and the person, with the password grant).
    /// The answer leaves only once its `token.issued` event is committed (group
    /// commit: see `audit::writer`); if that fails, no token is given out.
    pub async fn for_client(
        &self,
        r: ClientIssue<'_>,
        now: Timestamp,
    ) -> Result<TokenSet, IssueError> {
        let aud = self.audience(&r.scopes, r.resource).await?;
        let person = r.person.map(|(u, t)| (u.id.as_str(), t));
        if let Some((user_id, _)) = person {
            // A pairwise `sub` is known to stand for this person before any token
            // carries it (see `subject`).
            self.subjects
                .remember(&self.db, r.client, user_id, now)
                .await?;
        }
        let mut claims = self.claims(r.client, person, aud, &r.scopes, r.ttl, now);
        claims.cnf = confirmation(r.dpop_jkt.as_deref());
        let jwt = access_tokens::sign_access(&self.keys.current(), &claims)?;
        let user = r.person.map(|(u, _)| u.id.as_str());
        self.audit
            .append(now, issued_event(r.grant_type, &claims, user, r.ip))
            .await?;
        Ok(TokenSet {
            token_type: claims.token_type(),
            access_token: jwt,
            expires_in: r.ttl,
            scope: r.scopes,
            refresh_token: None,
            id_token: None,
            issued_token_type: None,
        })
    }

    /// Issues an access token (and an ID token for `openid` from a code, and a
    /// refresh token when the client may refresh) under a person's consent, and
    /// records it all in one transaction: the response is sent only after the
    /// commit, so every token someone holds has its event.
    pub async fn for_user(&self, t: UserIssue<'_>, now: Timestamp) -> Result<TokenSet, IssueError> {
        let runtime = self.runtime.get(&self.db).await?;
        let aud = self.audience(&t.scopes, t.resource.as_deref()).await?;
        let ttl = t
            .client
            .access_token_ttl_secs
            .unwrap_or(runtime.access_token_secs);
        let person = Some((t.user.id.as_str(), t.auth_time));
        let mut claims = self.claims(t.client, person, aud, &t.scopes, ttl, now);
        claims.cnf = confirmation(t.dpop_jkt.as_deref());
        let keys = self.keys.current();
        let access_token = access_tokens::sign_access(&keys, &claims)?;
        // An ID token for `openid` from a code (with its nonce and session) or a
        // device approval (neither); none from a rotation.
        let id_source = match &t.source {
            Source::Code { nonce, sid, .. } => Some((nonce.as_ref(), sid.as_ref())),
            Source::Device { .. } => Some((None, None)),
            Source::Rotation { .. } => None,
        };
        let id_token = match id_source {
            Some((nonce, sid)) if t.scopes.contains("openid") => {
                let mut id = release(
                    &claims.sub,
                    t.user,
                    t.client,
                    &t.scopes,
                    &self.role,
                    t.claims_request.as_ref(),
                    Target::IdToken,
                );
                id["iss"] = json!(self.issuer.as_ref());
                id["aud"] = json!(t.client.id);
                id["azp"] = json!(t.client.id);
                id["iat"] = json!(now);
                id["exp"] = json!(now + self.lifetimes.id_token_secs);
                id["auth_time"] = json!(t.auth_time);
                // OIDC Core §2: how the person authenticated, and the class of it.
                id["amr"] = json!(crate::accounts::second_factor::amr_values(t.amr.as_deref()));
                id["acr"] = json!(crate::accounts::second_factor::acr_of(t.amr.as_deref()));
                if let Some(n) = nonce {
                    id["nonce"] = json!(n);
                }
                if let Some(sid) = sid {
                    id["sid"] = json!(sid);
                }
                let signed = access_tokens::sign_jwt(
                    &keys,
                    t.client.metadata.id_token_signed_response_alg,
                    &id,
                )?;
                Some(match &t.id_token_encryption {
                    Some(e) => e.seal_jwt(&signed).map_err(|e| {
                        crate::DomainError::Internal(format!("encrypting the ID token: {e}"))
                    })?,
                    None => signed,
                })
            }
            _ => None,
        };

        let txn = crate::platform::db::write_txn(&self.db).await?;
        self.subjects
            .remember(&txn, t.client, &t.user.id, now)
            .await?;
        let refresh_token = if t.client.allows(GrantType::RefreshToken) {
            // The refresh lifetime (approval-gated per client) caps a family from its
            // first issuance; each rotation inherits the family's expiry.
            // A client in development: at most a week (issue 13).
            let lifetime = t.client.refresh_lifetime(
                t.client
                    .refresh_token_ttl_secs
                    .unwrap_or(runtime.refresh_token_secs),
            );
            let (family_id, expires_at) = match &t.source {
                Source::Code { code_hash, .. } => (code_hash.clone(), now + lifetime),
                Source::Device { device_code_hash } => (device_code_hash.clone(), now + lifetime),
                Source::Rotation {
                    family_id,
                    family_expires_at,
                } => (family_id.clone(), (*family_expires_at).min(now + lifetime)),
            };
            Some(
                codes::issue_refresh(
                    &txn,
                    NewRefresh {
                        family_id,
                        client_id: t.client.id.clone(),
                        user_id: t.user.id.clone(),
                        grant_id: t.grant_id.to_owned(),
                        scopes: t.scopes.to_vec(),
                        resource: t.resource.clone(),
                        auth_time: t.auth_time,
                        access_jti: claims.jti.clone(),
                        access_exp: claims.exp,
                        dpop_jkt: t.dpop_jkt.clone().filter(|_| t.client.is_public()),
                        claims_request: t.claims_request.as_ref().map(ClaimsRequest::to_stored),
                        amr: t.amr.clone(),
                    },
                    expires_at,
                    now,
                )
                .await?,
            )
        } else {
            None
        };
        match &t.source {
            Source::Code { code_hash, .. } => {
                codes::record_code_issuance(&txn, code_hash, &claims.jti, claims.exp).await?
            }
            Source::Device { device_code_hash } => {
                super::device::record_issuance(&txn, device_code_hash, &claims.jti, claims.exp)
                    .await?
            }
            Source::Rotation { .. } => {}
        }
        crate::oauth::consents::touch(&txn, t.grant_id, now).await?;
        let grant_type = t.source.grant_type();
        audit::record(
            &txn,
            now,
            issued_event(grant_type, &claims, Some(&t.user.id), t.ip.clone()),
        )
        .await?;
        if let Source::Rotation { family_id, .. } = &t.source {
            audit::record(
                &txn,
                now,
                AuditEvent::new(
                    EventType::TokenRefreshed,
                    Actor::Client(t.client.id.clone()),
                )
                .target("user", &t.user.id)
                .ip(t.ip.clone())
                .data(json!({
                    "client_id": t.client.id,
                    "user": t.user.id,
                    "family_id": family_id,
                    "jti": claims.jti,
                    "scopes": t.scopes.to_vec(),
                })),
            )
            .await?;
        }
        txn.commit().await.map_err(crate::DomainError::from)?;
        Ok(TokenSet {
            token_type: claims.token_type(),
            access_token,
            expires_in: ttl,
            scope: t.scopes,
            refresh_token,
            id_token,
            issued_token_type: None,
        })
    }

    /// Records an event that has no change of its own to ride with (an attack
    /// noticed), in its own transaction so it joins the chain in order. A failure is
    /// logged; the request fails anyway.
    pub async fn record_alone(&self, now: Timestamp, event: AuditEvent) {
        let result = async {
            let txn = crate::platform::db::write_txn(&self.db).await?;
            audit::record(&txn, now, event).await?;
            txn.commit().await?;
            Ok::<_, crate::DomainError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "recording an audit event failed");
        }
    }
}

/// RFC 9449 §6.1: `cnf.jkt` of a token bound to the key of the request's proof.
pub(crate) fn confirmation(jkt: Option<&str>) -> Option<access_tokens::Confirmation> {
    jkt.map(|jkt| access_tokens::Confirmation {
        jkt: jkt.to_owned(),
    })
}

/// The `token.issued` event of one token response: who got what (never the token).
pub(crate) fn issued_event(
    grant_type: GrantType,
    claims: &AccessClaims,
    user: Option<&str>,
    ip: Option<String>,
) -> AuditEvent {
    let ev = AuditEvent::new(
        EventType::TokenIssued,
        Actor::Client(claims.client_id.clone()),
    );
    match user {
        Some(u) => ev.target("user", u),
        None => ev.target("client", &claims.client_id),
    }
    .ip(ip)
    .data(json!({
        "grant_type": grant_type.as_str(),
        "client_id": claims.client_id,
        "user": user,
        "scopes": claims.scope.split_whitespace().collect::<Vec<_>>(),
        "jti": claims.jti,
        "aud": claims.aud,
        "expires_at": claims.exp,
        "dpop_jkt": claims.jkt(),
    }))
}
