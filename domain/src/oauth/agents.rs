//! The agents acting for a person: clients that got tokens for them by token
//! exchange (RFC 8693), listed under the app the person allowed (My apps), and
//! stopped one at a time — every live token an agent holds for the person, and by
//! cascade everything derived from those, revoked in one transaction.
//!
//! The person also says who may act for them through each app ([`MayAct`], RFC
//! 8693 §4.4 `may_act`): any agent (the default), only the agents they name, or
//! none. Token exchange asks [`may_act_for`]; narrowing it revokes at once what
//! the agents no longer allowed hold.

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{grant, token_lineage as tl};
use crate::oauth::access_tokens::RevocationMirror;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// One agent acting for a person through an app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentUse {
    /// The app the person allowed, at the root of the chain.
    pub origin_client_id: String,
    pub client_id: String,
    pub client_name: String,
    /// When it last got a token for the person.
    pub last_used: Timestamp,
    /// Its tokens for the person that have not expired.
    pub live_tokens: usize,
    /// How many exchanges lie between it and the app (1: straight from the app's
    /// token).
    pub depth: i32,
}

/// Every agent holding a live token for `user_id`, most recently active first.
///
/// One grouped query: an agent that exchanged tens of thousands of tokens for the
/// person costs one row here, not one per token (nor a list of their `jti`s as
/// statement parameters, which SQLite caps at 32,766).
pub async fn agents_of(
    db: &DatabaseConnection,
    user_id: &str,
    now: Timestamp,
) -> DomainResult<Vec<AgentUse>> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        client_id: String,
        origin_client_id: String,
        live: i64,
        depth: i32,
        last_used: i64,
    }
    let rows = tl::Entity::find()
        .select_only()
        .column(tl::Column::ClientId)
        .column(tl::Column::OriginClientId)
        .column_as(Expr::cust("COUNT(*)"), "live")
        .column_as(tl::Column::Depth.min(), "depth")
        .column_as(tl::Column::CreatedAt.max(), "last_used")
        .filter(tl::Column::UserId.eq(user_id))
        .filter(tl::Column::ExpiresAt.gt(now))
        .filter(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE revoked_tokens.jti = token_lineage.jti)",
        ))
        .group_by(tl::Column::ClientId)
        .group_by(tl::Column::OriginClientId)
        .into_model::<Row>()
        .all(db)
        .await?;
    let mut out: Vec<AgentUse> = rows
        .into_iter()
        .map(|r| AgentUse {
            origin_client_id: r.origin_client_id,
            client_name: r.client_id.clone(),
            client_id: r.client_id,
            last_used: r.last_used,
            live_tokens: usize::try_from(r.live).unwrap_or(0),
            depth: r.depth,
        })
        .collect();
    out.sort_by(|a, b| {
        b.last_used
            .cmp(&a.last_used)
            .then_with(|| a.client_id.cmp(&b.client_id))
    });
    // Every agent's name in one query (a deleted client keeps its id as name).
    let names = crate::clients::store::names(db, out.iter().map(|a| a.client_id.clone())).await?;
    for a in &mut out {
        if let Some(n) = names.get(&a.client_id) {
            a.client_name = n.clone();
        }
    }
    Ok(out)
}

/// The person stops an agent: every live token it holds for them is revoked,
/// with everything derived from those (cascade), in one transaction. An agent
/// holding nothing for them is NotFound (as anyone else's would be).
pub async fn revoke_agent(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    user_id: &str,
    agent_client_id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<usize> {
    if !crate::platform::text::could_exist(agent_client_id) {
        return Err(DomainError::NotFound);
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let live = tl::Entity::find()
        .filter(tl::Column::UserId.eq(user_id))
        .filter(tl::Column::ClientId.eq(agent_client_id))
        .filter(tl::Column::ExpiresAt.gt(now))
        .all(&txn)
        .await?;
    if live.is_empty() {
        return Err(DomainError::NotFound);
    }
    for r in &live {
        crate::oauth::access_tokens::revoke(&txn, revocations, &r.jti, r.expires_at).await?;
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::AgentRevoked, Actor::User(user_id.to_owned()))
            .target("client", agent_client_id)
            .ip(ip)
            .data(json!({
                "agent": agent_client_id,
                "through": live.iter().map(|r| r.origin_client_id.as_str()).collect::<std::collections::BTreeSet<_>>(),
                "access_tokens_revoked": live.len(),
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(live.len())
}

/// Which agents may act for a person through one app (RFC 8693 §4.4 `may_act`), as
/// the person said on the consent page or under My apps. The app itself narrowing
/// its own token is not an agent and is always allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MayAct {
    /// Any agent the app, or an API it was given access to, hands the access to.
    #[default]
    Any,
    /// Only these clients (none when empty).
    Only(BTreeSet<String>),
}

/// How many agents a person can name for one app.
pub const MAX_NAMED_AGENTS: usize = 50;

impl MayAct {
    /// No agent at all.
    pub fn none() -> Self {
        MayAct::Only(BTreeSet::new())
    }

    /// The consent screen's answer (`agents`): `any` or `none` change it; `only`
    /// (the list chosen on My apps) and no answer leave it as it is (`None`).
    /// Anything else is an error the caller reports.
    pub fn from_consent(answer: Option<&str>) -> Result<Option<Self>, &'static str> {
        match answer {
            None | Some("only") => Ok(None),
            Some("any") => Ok(Some(MayAct::Any)),
            Some("none") => Ok(Some(MayAct::none())),
            Some(_) => Err("agents must be any, none or only"),
        }
    }

    /// The stored form (`grants.may_act`). A value that cannot be read allows no
    /// agent: the stricter reading.
    pub fn from_column(c: Option<&str>) -> Self {
        match c {
            None => MayAct::Any,
            Some(s) => serde_json::from_str::<Vec<String>>(s)
                .map(|v| MayAct::Only(v.into_iter().collect()))
                .unwrap_or_else(|_| MayAct::none()),
        }
    }

    fn to_column(&self) -> Option<String> {
        match self {
            MayAct::Any => None,
            MayAct::Only(list) => {
                Some(serde_json::Value::from_iter(list.iter().cloned()).to_string())
            }
        }
    }

    /// Whether `client_id` may act for the person through the app.
    pub fn allows(&self, client_id: &str) -> bool {
        match self {
            MayAct::Any => true,
            MayAct::Only(list) => list.contains(client_id),
        }
    }

    /// The pages' name for it: `any`, `none` or `only`.
    pub fn mode(&self) -> &'static str {
        match self {
            MayAct::Any => "any",
            MayAct::Only(list) if list.is_empty() => "none",
            MayAct::Only(_) => "only",
        }
    }

    /// The JSON the audit log and the REST view show: `"any"` or the list.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            MayAct::Any => json!("any"),
            MayAct::Only(list) => json!(list),
        }
    }

    fn check(&self) -> DomainResult<()> {
        if let MayAct::Only(list) = self {
            if list.len() > MAX_NAMED_AGENTS {
                return Err(DomainError::invalid(
                    "agents",
                    format!("name at most {MAX_NAMED_AGENTS} agents"),
                ));
            }
            if list.iter().any(|c| !crate::platform::text::could_exist(c)) {
                return Err(DomainError::invalid(
                    "agents",
                    "an agent named is not a client here",
                ));
            }
        }
        Ok(())
    }
}

/// The person says which agents may act for them through one of their apps
/// (`grant_id`). An agent no longer allowed loses every live token it holds for
/// them through that app, with everything derived from those (cascade), in the
/// same transaction. Returns how many tokens were revoked.
pub async fn set_may_act(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    user_id: &str,
    grant_id: &str,
    may_act: MayAct,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<usize> {
    may_act.check()?;
    let txn = crate::platform::db::write_txn(db).await?;
    crate::oauth::consents::owned(&txn, user_id, grant_id).await?;
    let revoked = apply_may_act(&txn, revocations, grant_id, &may_act, ip, now).await?;
    txn.commit().await?;
    Ok(revoked)
}

/// [`set_may_act`] in the caller's transaction (also the consent page's), for a
/// grant already known to be the person's. Nothing happens when the grant says so
/// already.
pub async fn apply_may_act<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    grant_id: &str,
    may_act: &MayAct,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<usize> {
    may_act.check()?;
    let g = grant::Entity::find_by_id(grant_id.to_owned())
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let before = MayAct::from_column(g.may_act.as_deref());
    if &before == may_act {
        return Ok(0);
    }
    // Taken before the lineage is read: an exchange under this grant reads the
    // grant `FOR SHARE` in its own transaction (PostgreSQL), so either it sees
    // the new list, or its token is committed before the lineage below is read.
    grant::Entity::update_many()
        .col_expr(grant::Column::MayAct, Expr::value(may_act.to_column()))
        .col_expr(grant::Column::UpdatedAt, Expr::value(now))
        .filter(grant::Column::Id.eq(&g.id))
        .exec(conn)
        .await?;
    let live = tl::Entity::find()
        .filter(tl::Column::UserId.eq(&g.user_id))
        .filter(tl::Column::OriginClientId.eq(&g.client_id))
        .filter(tl::Column::ClientId.ne(&g.client_id))
        .filter(tl::Column::ExpiresAt.gt(now))
        .all(conn)
        .await?;
    let mut revoked = 0;
    for r in live.iter().filter(|r| !may_act.allows(&r.client_id)) {
        crate::oauth::access_tokens::revoke(conn, revocations, &r.jti, r.expires_at).await?;
        revoked += 1;
    }
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::GrantChanged, Actor::User(g.user_id.clone()))
            .target("grant", &g.id)
            .ip(ip)
            .data(json!({
                "client": g.client_id,
                "before": { "may_act": before.to_json() },
                "after": { "may_act": may_act.to_json() },
                "access_tokens_revoked": revoked,
            })),
    )
    .await?;
    Ok(revoked)
}

/// Whether the person let `client_id` act for them through `origin_client_id`,
/// read in the exchange's transaction (`FOR SHARE` on PostgreSQL: see
/// [`apply_may_act`]). No grant (the password grant keeps none) limits nothing.
pub(crate) async fn may_act_for<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    origin_client_id: &str,
    client_id: &str,
) -> DomainResult<bool> {
    if client_id == origin_client_id {
        return Ok(true);
    }
    let g = grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::ClientId.eq(origin_client_id))
        .lock_shared()
        .one(conn)
        .await?;
    Ok(may_act_allows(
        origin_client_id,
        client_id,
        g.as_ref().map(|g| g.may_act.as_deref()),
    ))
}

/// Whether `client_id` may act through `origin_client_id`, given the person's
/// grant to it (`None`: no grant) and its stored `may_act` column.
pub(crate) fn may_act_allows(
    origin_client_id: &str,
    client_id: &str,
    grant: Option<Option<&str>>,
) -> bool {
    client_id == origin_client_id
        || grant.is_none_or(|stored| MayAct::from_column(stored).allows(client_id))
}

/// Every agent that got a token for the person through each app (by the app's
/// client id) whose lineage is still kept (until it expires), stopped or not:
/// what My apps offers to allow or not. One query for all the person's apps; at
/// most [`MAX_NAMED_AGENTS`] per app.
pub async fn seen_through(
    db: &DatabaseConnection,
    user_id: &str,
) -> DomainResult<std::collections::BTreeMap<String, Vec<String>>> {
    let pairs: Vec<(String, String)> = tl::Entity::find()
        .select_only()
        .column(tl::Column::OriginClientId)
        .column(tl::Column::ClientId)
        .distinct()
        .filter(tl::Column::UserId.eq(user_id))
        .filter(sea_orm::sea_query::ExprTrait::ne(
            Expr::col(tl::Column::ClientId),
            Expr::col(tl::Column::OriginClientId),
        ))
        .order_by_asc(tl::Column::OriginClientId)
        .order_by_asc(tl::Column::ClientId)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_app: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (origin, client) in pairs {
        let ids = by_app.entry(origin).or_default();
        if ids.len() < MAX_NAMED_AGENTS {
            ids.push(client);
        }
    }
    Ok(by_app)
}
