//! "Is this access token alive?" — one answer for introspection, userinfo and the
//! REST API, so that every rule that ends a token (revocation, a client disabled,
//! expired or deleted, a scope taken from the client, a person disabled or their
//! credentials changed) applies at every place that accepts one.

use super::{ScopeSet, Tokens};
use crate::accounts::users::Principal;
use crate::clients::model::Client;
use crate::oauth::access_tokens::{self, AccessClaims};
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// A live access token: its claims, its client and its person (if any) as they are
/// now.
#[derive(Clone, Debug)]
pub struct Live {
    pub claims: AccessClaims,
    pub client: Client,
    /// The person the token acts for, proven by the token.
    pub user: Option<Principal>,
}

impl Live {
    pub fn scopes(&self) -> ScopeSet {
        ScopeSet::parse(&self.claims.scope)
    }
}

impl Tokens {
    /// The token's claims when it is alive now; `None` for anything else —
    /// malformed, signed by another key, expired, revoked, or outliving what stands
    /// behind it. The signature and expiry are checked offline; the revocation list
    /// and the client come from memory when fresh (`cache_ttl_ms`).
    pub async fn live_access_token(
        &self,
        token: &str,
        now: Timestamp,
    ) -> DomainResult<Option<Live>> {
        let Ok(claims) =
            access_tokens::verify_access(&self.keys.current(), token, &self.issuer, now)
        else {
            return Ok(None);
        };
        if self
            .revocations
            .is_revoked(&self.db, &claims.jti, now)
            .await?
        {
            return Ok(None);
        }
        let client = match self.clients.record(&self.db, &claims.client_id).await {
            Some(r) if r.client.unusable_reason(now).is_none() => r.client.clone(),
            _ => return Ok(None),
        };
        // A delegated token (RFC 8693) is only as good as every client in its
        // chain: disabling or deleting an agent, or the app it acted through, or
        // taking from any of them a scope the token carries, ends the tokens
        // derived through them. (Each exchange only narrowed: at issuance every
        // client in the chain held every scope of the token.)
        if let Some(act) = &claims.act {
            let carried = ScopeSet::parse(&claims.scope);
            for id in act.clients().filter(|id| *id != claims.client_id) {
                match self.clients.record(&self.db, id).await {
                    Some(r)
                        if r.client.unusable_reason(now).is_none()
                            && carried.first_outside(&r.client.scope_set()).is_none() => {}
                    _ => return Ok(None),
                }
            }
        }
        // A token is only as good as what its client may hold now: taking a scope
        // away from a client ends every live token that carries it, at once.
        if ScopeSet::parse(&claims.scope)
            .first_outside(&client.scope_set())
            .is_some()
        {
            return Ok(None);
        }
        let user = if claims.has_user() {
            let Some(user_id) = self.subjects.person(&self.db, &client, &claims.sub).await? else {
                return Ok(None);
            };
            match crate::accounts::users::find_by_id(&self.db, &user_id).await? {
                Some(u) if !u.disabled && u.tokens_valid_after.is_none_or(|t| claims.iat >= t) => {
                    Some(Principal::proven(u))
                }
                _ => return Ok(None),
            }
        } else {
            None
        };
        Ok(Some(Live {
            claims,
            client,
            user,
        }))
    }

    /// The owner of a client-credentials token's client, as the portal's REST API
    /// lets such a token act for them: proven by the token, if the owner exists and
    /// is not disabled.
    pub async fn owner_of(&self, live: &Live) -> DomainResult<Option<Principal>> {
        let Some(owner) = live.client.owner_id.as_deref() else {
            return Ok(None);
        };
        Ok(crate::accounts::users::find_by_id(&self.db, owner)
            .await?
            .filter(|u| !u.disabled)
            .map(Principal::proven))
    }

    /// RFC 7662 §4: who may learn about a token. Its own client, and the resource
    /// servers of the API it was issued for (the clients an administrator named as
    /// that API's introspectors); nobody else, so a developer's fresh service client
    /// cannot read other people's tokens.
    pub async fn may_introspect(&self, caller: &Client, live: &Live) -> DomainResult<bool> {
        if caller.id == live.claims.client_id {
            return Ok(true);
        }
        Ok(self
            .catalogue
            .api(&live.claims.aud)
            .await?
            .is_some_and(|api| api.introspectors.contains(&caller.id)))
    }
}
