//! Token exchange (RFC 8693) as a business: a client that received a person's
//! access token — the API it was issued for, or the app that holds it — gets a
//! token for the same person that may only be narrower (scopes, audience, life),
//! with itself named in `act` and the earlier actors nested inside.
//!
//! Every exchanged token is recorded with the token it came from (its lineage), so
//! revoking any link — a token, the grant behind the first one, the person's
//! sessions — revokes everything derived from it in the same transaction
//! ([`crate::oauth::access_tokens::revoke`] walks the lineage down). A disabled or
//! deleted client anywhere in the chain ends the chain's tokens at the next check
//! (the live check reads the clients named in `act`).
//!
//! The lineage row and the `token.issued` event are written in the audit writer's
//! group commit ([`crate::audit::writer::Derivation`]), where the parent's
//! revocation and the person's `may_act` are checked in the same transaction: an
//! exchange costs a share of a batch's commit, not a write transaction of its own.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::access_tokens::{self, Act};
use super::{GrantType, IssueError, Live, ScopeSet, TokenSet, Tokens};
use crate::audit::writer::{Derivation, Derived};
use crate::audit::{Actor, AuditEvent, EventType};
use crate::clients::model::Client;
use crate::entities::token_lineage as tl;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// RFC 8693 §3: the one token type Portcullis exchanges and issues.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A hard bound on a chain's depth, whatever the setting says: the revocation walk
/// goes at most this many generations down.
pub const MAX_DEPTH_BOUND: usize = 16;

/// What operators set for token exchange (`[token_exchange]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangePolicy {
    /// How many exchanges may follow one another from a token a person's app
    /// received (a direct exchange is 1).
    pub max_depth: u32,
}

impl Default for ExchangePolicy {
    fn default() -> Self {
        Self { max_depth: 3 }
    }
}

/// Why an exchange is refused, with the RFC 8693 §2.2.2 / RFC 6749 §5.2 code each
/// gets. The messages are safe to show the client.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// `invalid_request`: the subject or actor token is not acceptable.
    #[error("{0}")]
    Unacceptable(String),
    #[error(transparent)]
    Issue(#[from] IssueError),
}

impl From<crate::DomainError> for ExchangeError {
    fn from(e: crate::DomainError) -> Self {
        ExchangeError::Issue(e.into())
    }
}

impl From<sea_orm::DbErr> for ExchangeError {
    fn from(e: sea_orm::DbErr) -> Self {
        ExchangeError::Issue(e.into())
    }
}

/// One exchange request, its tokens already checked to be alive.
pub struct Exchange<'a> {
    /// The authenticated client asking (the new actor).
    pub client: &'a Client,
    /// The live token it presents as `subject_token`.
    pub subject: Live,
    /// The live token it presents as `actor_token`, if any.
    pub actor: Option<Live>,
    /// `scope`, when given.
    pub scopes: Option<ScopeSet>,
    /// `resource` (or `audience`), when given.
    pub resource: Option<&'a str>,
    /// The key of the request's DPoP proof.
    pub dpop_jkt: Option<String>,
    pub ip: Option<String>,
    pub policy: ExchangePolicy,
}

fn refuse(why: impl Into<String>) -> ExchangeError {
    ExchangeError::Unacceptable(why.into())
}

impl Tokens {
    /// Issues the exchanged token, its lineage row and its `token.issued` event in
    /// one transaction.
    pub async fn exchange(
        &self,
        x: Exchange<'_>,
        now: Timestamp,
    ) -> Result<TokenSet, ExchangeError> {
        let subject = &x.subject.claims;
        let Some(person) = x.subject.user.as_ref().map(|p| p.user().clone()) else {
            return Err(refuse(
                "only a token that acts for a person can be exchanged (a service asks for its own token with client_credentials)",
            ));
        };
        // Only the party a token was meant for may trade it in: the client it was
        // issued to, or a resource server of the API it was issued for.
        if !self.may_introspect(x.client, &x.subject).await? {
            return Err(refuse(
                "the subject token was issued neither to this client nor for an API it serves",
            ));
        }
        // RFC 9449: a bound token is only usable with its key.
        if let Some(jkt) = subject.jkt() {
            if x.dpop_jkt.as_deref() != Some(jkt) {
                return Err(refuse(
                    "the subject token is DPoP-bound: the request's DPoP proof must be signed with its key",
                ));
            }
        }
        if let Some(actor) = &x.actor {
            if actor.claims.client_id != x.client.id || actor.claims.has_user() {
                return Err(refuse(
                    "the actor token must be this client's own token (client_credentials)",
                ));
            }
        }
        let depth = self.depth_of(&subject.jti).await? + 1;
        if depth > x.policy.max_depth {
            return Err(refuse(format!(
                "the delegation chain may be at most {} exchanges long",
                x.policy.max_depth
            )));
        }

        // Narrowing only: scopes within the subject's (and within what this client
        // may hold, or the token would be dead on arrival).
        let held = ScopeSet::parse(&subject.scope);
        let scopes = match x.scopes {
            Some(asked) => {
                if let Some(extra) = asked.first_outside(&held) {
                    return Err(IssueError::InvalidScope(format!(
                        "the subject token does not carry the scope '{extra}': an exchange can only narrow"
                    ))
                    .into());
                }
                asked
            }
            // Not asked: what the subject carries for APIs. Sign-in scopes
            // (`openid`, `profile`…) are the app's, not something to pass on.
            None => held
                .iter()
                .filter(|s| !crate::apis::is_builtin(s))
                .collect(),
        };
        if let Some(extra) = scopes.first_outside(&x.client.scope_set()) {
            return Err(IssueError::InvalidScope(format!(
                "this client has not been granted the scope '{extra}'"
            ))
            .into());
        }
        let aud = self.audience(&scopes, x.resource).await?;
        let ttl = match x.client.access_token_ttl_secs {
            Some(t) => t,
            None => self.runtime.get(&self.db).await?.access_token_secs,
        };
        // Never outlive the token it came from.
        let ttl = ttl.min(subject.exp - now).max(1);

        let mut claims = self.claims(
            x.client,
            Some((person.id.as_str(), subject.auth_time.unwrap_or(subject.iat))),
            aud,
            &scopes,
            ttl,
            now,
        );
        claims.auth_time = subject.auth_time;
        claims.cnf = super::issue::confirmation(x.dpop_jkt.as_deref());
        let origin = origin_client(subject).to_owned();
        claims.act = Some(Act {
            sub: x
                .actor
                .as_ref()
                .map_or_else(|| x.client.id.clone(), |a| a.claims.sub.clone()),
            client_id: Some(x.client.id.clone()),
            act: prior_actors(subject, &x.client.id).map(Box::new),
        });
        let jwt = access_tokens::sign_access(&self.keys.current(), &claims)?;

        // A pairwise client's `sub` is remembered first (idempotent), so that it
        // can be resolved back to the person later.
        self.subjects
            .remember(&self.db, x.client, &person.id, now)
            .await?;
        let event = AuditEvent::new(EventType::TokenIssued, Actor::Client(x.client.id.clone()))
            .target("user", &person.id)
            .ip(x.ip)
            .data(json!({
                "grant_type": GrantType::TokenExchange.as_str(),
                "client_id": claims.client_id,
                "user": person.id,
                "scopes": scopes.to_vec(),
                "jti": claims.jti,
                "aud": claims.aud,
                "expires_at": claims.exp,
                "dpop_jkt": claims.jkt(),
                "parent_jti": subject.jti,
                "depth": depth,
                "act": claims.act,
            }));
        let row = tl::Model {
            jti: claims.jti.clone(),
            parent_jti: subject.jti.clone(),
            depth: depth as i32,
            client_id: x.client.id.clone(),
            origin_client_id: origin,
            user_id: Some(person.id.clone()),
            expires_at: claims.exp,
            created_at: now,
        };
        // The lineage row and the event in the token endpoint's group commit, the
        // parent's revocation and the person's `may_act` checked in the same
        // transaction (see `record`).
        match self.audit.derive(Derivation { now, row, event }).await? {
            Derived::Issued => {}
            Derived::ParentRevoked => return Err(refuse("the subject token has been revoked")),
            // RFC 8693 §2.2.2's "unacceptable based on policy": `invalid_request`.
            Derived::NotAllowed => return Err(refuse(
                "the person has not allowed this client to act for them through the app they gave access to",
            )),
        }
        Ok(TokenSet {
            token_type: claims.token_type(),
            access_token: jwt,
            expires_in: ttl,
            scope: scopes,
            refresh_token: None,
            id_token: None,
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }

    /// How many exchanges lie behind the token `jti` (0 for a token from any
    /// other grant).
    async fn depth_of(&self, jti: &str) -> DomainResult<u32> {
        Ok(tl::Entity::find_by_id(jti.to_owned())
            .one(&self.db)
            .await?
            .map_or(0, |r| r.depth.max(0) as u32))
    }
}

/// The actors before this exchange: the subject token's own chain, or — for a
/// token an app received straight from the person — that app, the first to act
/// for them (unless it is the one exchanging now: an app narrowing its own token
/// is one actor, not two).
fn prior_actors(subject: &access_tokens::AccessClaims, exchanging: &str) -> Option<Act> {
    match &subject.act {
        Some(act) => Some(act.clone()),
        None if subject.client_id == exchanging => None,
        None => Some(Act {
            sub: subject.client_id.clone(),
            client_id: Some(subject.client_id.clone()),
            act: None,
        }),
    }
}

/// The app at the root of the subject's chain: the innermost actor, or the
/// subject's own client when it came straight from the person.
fn origin_client(subject: &access_tokens::AccessClaims) -> &str {
    subject
        .act
        .as_ref()
        .and_then(|a| a.clients().last())
        .unwrap_or(&subject.client_id)
}

/// Writes a derived token's lineage row in the caller's transaction (the audit
/// writer's batch on PostgreSQL; SQLite's batch does the same in SQL of its own),
/// once its parent is checked alive and the client allowed to act. Serialised
/// with a revocation of the parent (which takes the same lock before reading its
/// children): either the revocation sees this row, or this sees the revocation.
pub(crate) async fn record<C: ConnectionTrait>(conn: &C, row: &tl::Model) -> DomainResult<Derived> {
    lock_parent(conn, &row.parent_jti).await?;
    if access_tokens::is_revoked(conn, &row.parent_jti).await? {
        return Ok(Derived::ParentRevoked);
    }
    if let Some(user) = &row.user_id {
        if !super::agents::may_act_for(conn, user, &row.origin_client_id, &row.client_id).await? {
            return Ok(Derived::NotAllowed);
        }
    }
    tl::Entity::insert(tl::ActiveModel::from(row.clone()))
        .exec_without_returning(conn)
        .await?;
    Ok(Derived::Issued)
}

/// The first key of the PostgreSQL advisory lock that serialises an exchange with
/// a revocation of its parent token (the second is a hash of the parent's `jti`).
/// SQLite serialises all writers already.
const LINEAGE_LOCK: i32 = 8693;

pub(crate) async fn lock_parent<C: ConnectionTrait>(conn: &C, jti: &str) -> DomainResult<()> {
    Ok(crate::platform::db::lock_key(conn, LINEAGE_LOCK, jti).await?)
}

/// The tokens derived directly from `parents`, with their expiry. On PostgreSQL
/// each parent's lock is taken first (see [`lock_parent`]).
pub(crate) async fn children<C: ConnectionTrait>(
    conn: &C,
    parents: &[String],
) -> DomainResult<Vec<(String, Timestamp)>> {
    for p in parents {
        lock_parent(conn, p).await?;
    }
    Ok(tl::Entity::find()
        .filter(tl::Column::ParentJti.is_in(parents.iter().cloned()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.jti, r.expires_at))
        .collect())
}

/// Drops the lineage of tokens that have expired (their children expired too).
pub async fn purge<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<u64> {
    Ok(tl::Entity::delete_many()
        .filter(tl::Column::ExpiresAt.lt(now))
        .exec(conn)
        .await?
        .rows_affected)
}
