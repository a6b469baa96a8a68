//! Consents: a user allowed a client some scopes. Reused on the next visit unless
//! more scopes are asked for or the client forces the consent screen. People see
//! their consents as "connected apps", and can narrow or withdraw them.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{json, Value};

use crate::apis::ScopeInfo;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{authorization_code as code, grant, refresh_token as rt};
use crate::oauth::access_tokens::RevocationMirror;
use crate::oauth::agents::MayAct;
use crate::oauth::scope::ScopeSet;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    /// When the user first allowed the app.
    pub created_at: Timestamp,
    /// When a token was last issued or refreshed under it.
    pub last_used_at: Option<Timestamp>,
    /// Which agents may act for the person through this app.
    pub may_act: MayAct,
}

fn from_model(m: grant::Model) -> Grant {
    Grant {
        scopes: ScopeSet::parse_vec(&m.scopes),
        id: m.id,
        user_id: m.user_id,
        client_id: m.client_id,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        may_act: MayAct::from_column(m.may_act.as_deref()),
    }
}

pub async fn find<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    client_id: &str,
) -> DomainResult<Option<Grant>> {
    Ok(grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::ClientId.eq(client_id))
        .one(conn)
        .await?
        .map(from_model))
}

pub async fn find_by_id<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<Grant>> {
    Ok(grant::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .map(from_model))
}

/// Who gave a consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    /// The person, on the consent page (or the device page).
    Person,
    /// Nobody was asked: an administrator pre-authorized the client (issue 17).
    PreAuthorization,
}

impl By {
    /// The audit event of a consent: the person's own, or Portcullis' (the actor is
    /// `system`, the person is named in the data, and `pre_authorized` says why) so
    /// the log never shows a click nobody made.
    fn event(
        self,
        event: EventType,
        user_id: &str,
        client_id: &str,
        mut data: Value,
    ) -> AuditEvent {
        let actor = match self {
            By::Person => Actor::User(user_id.to_owned()),
            By::PreAuthorization => {
                data["user"] = json!(user_id);
                data["pre_authorized"] = json!(true);
                Actor::System
            }
        };
        AuditEvent::new(event, actor)
            .target("client", client_id)
            .data(data)
    }
}

/// Records that `user_id` allowed `scopes` to `client_id` (added to what they had
/// allowed before), in the caller's transaction.
///
/// Two first consents of one person to one app at once (a double click, two tabs,
/// two devices) both find no grant: the second insert does nothing (the unique
/// index on person and app, without aborting a PostgreSQL transaction), and the
/// loser reads the winner's grant — committed by then, as the insert waited for
/// it — and adds its scopes to it.
pub async fn allow<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<Grant> {
    record(conn, user_id, client_id, scopes, ip, now, By::Person).await
}

/// Records the consent of `user_id` to a client an administrator pre-authorized
/// (issue 17): the same grant as [`allow`] writes — the person sees the app under
/// My apps and can withdraw it — with an audit event that says nobody was asked.
pub async fn pre_authorize<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<Grant> {
    record(
        conn,
        user_id,
        client_id,
        scopes,
        ip,
        now,
        By::PreAuthorization,
    )
    .await
}

async fn record<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    ip: Option<String>,
    now: Timestamp,
    by: By,
) -> DomainResult<Grant> {
    for _ in 0..2 {
        let existing = grant::Entity::find()
            .filter(grant::Column::UserId.eq(user_id))
            .filter(grant::Column::ClientId.eq(client_id))
            .one(conn)
            .await?;
        if let Some(existing) = existing {
            return widen(conn, existing, scopes, ip, now, by).await;
        }
        let mut s = scopes.to_vec();
        s.sort();
        s.dedup();
        let m = grant::Model {
            id: uuid::Uuid::now_v7().to_string(),
            user_id: user_id.to_owned(),
            client_id: client_id.to_owned(),
            scopes: s.join(" "),
            created_at: now,
            updated_at: now,
            last_used_at: None,
            may_act: None,
        };
        let inserted = grant::Entity::insert(grant::ActiveModel::from(m.clone()))
            .on_conflict(
                OnConflict::columns([grant::Column::UserId, grant::Column::ClientId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        if inserted == 1 {
            audit::record(
                conn,
                now,
                by.event(
                    EventType::GrantCreated,
                    user_id,
                    client_id,
                    json!({ "after": { "scopes": s } }),
                )
                .ip(ip),
            )
            .await?;
            return Ok(from_model(m));
        }
    }
    Err(DomainError::Internal(
        "a consent was neither found nor created".into(),
    ))
}

/// Adds `scopes` to an existing grant (an event only when something changed).
async fn widen<C: ConnectionTrait>(
    conn: &C,
    existing: grant::Model,
    scopes: &[String],
    ip: Option<String>,
    now: Timestamp,
    by: By,
) -> DomainResult<Grant> {
    let before = ScopeSet::parse_vec(&existing.scopes);
    let mut after = before.clone();
    after.extend(scopes.iter().cloned());
    after.sort();
    after.dedup();
    if after == before {
        return Ok(from_model(existing));
    }
    let (user_id, client_id) = (existing.user_id.clone(), existing.client_id.clone());
    let mut am: grant::ActiveModel = existing.into();
    am.scopes = Set(after.join(" "));
    am.updated_at = Set(now);
    let m = am.update(conn).await?;
    audit::record(
        conn,
        now,
        by.event(
            EventType::GrantChanged,
            &user_id,
            &client_id,
            json!({ "before": { "scopes": before }, "after": { "scopes": after } }),
        )
        .ip(ip),
    )
    .await?;
    Ok(from_model(m))
}

pub async fn touch<C: ConnectionTrait>(
    conn: &C,
    grant_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    grant::Entity::update_many()
        .col_expr(
            grant::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(grant::Column::Id.eq(grant_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Bounds every consent given to `client_id` by the scopes the client still holds
/// (an administrator took some away): what people see under My apps and what a
/// refresh can still issue shrink together, in the caller's transaction. Returns
/// how many consents changed.
pub async fn narrow_to_client<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    held: &[String],
    now: Timestamp,
) -> DomainResult<u64> {
    let rows = grant::Entity::find()
        .filter(grant::Column::ClientId.eq(client_id))
        .all(conn)
        .await?;
    let mut changed = 0;
    for m in rows {
        let before = ScopeSet::parse_vec(&m.scopes);
        let after: Vec<String> = before
            .iter()
            .filter(|s| held.contains(s))
            .cloned()
            .collect();
        if after == before {
            continue;
        }
        let mut am: grant::ActiveModel = m.into();
        am.scopes = Set(after.join(" "));
        am.updated_at = Set(now);
        am.update(conn).await?;
        changed += 1;
    }
    Ok(changed)
}

/// One app a person has allowed, as their "connected apps" page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectedApp {
    pub grant: Grant,
    pub client_name: String,
    pub logo_uri: Option<String>,
    /// The client's own access-token lifetime, when it has one.
    pub access_token_ttl_secs: Option<i64>,
    /// The developer (username) who owns the client, when there is one.
    pub owner: Option<String>,
    /// The granted scopes with their consent-screen wording (unknown ones keep
    /// their name as the description).
    pub scopes: Vec<ScopeInfo>,
}

/// Every app `user_id` has allowed, most recently authorised first.
pub async fn connected_apps<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> DomainResult<Vec<ConnectedApp>> {
    let rows = grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .order_by_desc(grant::Column::CreatedAt)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let g = from_model(m);
        // Grants go with their client (cascade), so a missing client is a race.
        let Some(client) = crate::clients::store::find(conn, &g.client_id).await? else {
            continue;
        };
        let owner = match &client.owner_id {
            Some(id) => crate::accounts::users::find_by_id(conn, id)
                .await?
                .map(|u| u.username),
            None => None,
        };
        let mut scopes = Vec::with_capacity(g.scopes.len());
        for name in &g.scopes {
            scopes.push(
                crate::apis::find_scope(conn, name)
                    .await?
                    .unwrap_or_else(|| ScopeInfo {
                        name: name.clone(),
                        description: name.clone(),
                        audience: None,
                        requires_approval: false,
                    }),
            );
        }
        out.push(ConnectedApp {
            grant: g,
            client_name: client.metadata.name,
            logo_uri: client.metadata.logo_uri,
            access_token_ttl_secs: client.access_token_ttl_secs,
            owner,
            scopes,
        });
    }
    Ok(out)
}

/// The grant `grant_id` if it belongs to `user_id`; another person's grant is
/// NotFound, exactly like one that does not exist.
pub(crate) async fn owned<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
    grant_id: &str,
) -> DomainResult<grant::Model> {
    if !crate::platform::text::could_exist(grant_id) {
        return Err(DomainError::NotFound);
    }
    grant::Entity::find_by_id(grant_id.to_owned())
        .one(conn)
        .await?
        .filter(|g| g.user_id == user_id)
        .ok_or(DomainError::NotFound)
}

/// Puts every access token issued under the grant that has not expired yet on the
/// revocation list: those issued from its codes (`issued_jti`) and with its refresh
/// tokens (`access_jti`) and from its device codes. Returns how many.
async fn revoke_access_tokens<C: ConnectionTrait>(
    conn: &C,
    revocations: &RevocationMirror,
    grant_id: &str,
    now: Timestamp,
) -> DomainResult<usize> {
    let mut live: Vec<(String, Timestamp)> = Vec::new();
    for c in code::Entity::find()
        .filter(code::Column::GrantId.eq(grant_id))
        .filter(code::Column::IssuedJtiExp.gt(now))
        .all(conn)
        .await?
    {
        if let (Some(j), Some(e)) = (c.issued_jti, c.issued_jti_exp) {
            live.push((j, e));
        }
    }
    for r in rt::Entity::find()
        .filter(rt::Column::GrantId.eq(grant_id))
        .filter(rt::Column::AccessExp.gt(now))
        .all(conn)
        .await?
    {
        if let (Some(j), Some(e)) = (r.access_jti, r.access_exp) {
            live.push((j, e));
        }
    }
    live.extend(crate::oauth::device::issued_under_grant(conn, grant_id, now).await?);
    for (jti, exp) in &live {
        crate::oauth::access_tokens::revoke(conn, revocations, jti, *exp).await?;
    }
    Ok(live.len())
}

/// The person withdraws an app's access, in one transaction: its live access
/// tokens go on the revocation list (introspection and userinfo refuse them at
/// once, and everything derived from them by token exchange), its refresh tokens
/// and unused codes are deleted, and the grant is removed, so the next
/// authorization asks for consent again.
pub async fn revoke(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    user_id: &str,
    grant_id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let g = owned(&txn, user_id, grant_id).await?;
    withdraw(
        &txn,
        revocations,
        g,
        Actor::User(user_id.to_owned()),
        ip,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An administrator withdraws `user_id`'s grant (seen on their authorizations
/// page), exactly as the person would; the event names the administrator.
pub async fn revoke_as_admin(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    admin: &crate::accounts::AdminCtx,
    user_id: &str,
    grant_id: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let g = owned(&txn, user_id, grant_id).await?;
    withdraw(&txn, revocations, g, admin.actor.clone(), ip, now).await?;
    txn.commit().await?;
    Ok(())
}

async fn withdraw(
    txn: &sea_orm::DatabaseTransaction,
    revocations: &RevocationMirror,
    g: grant::Model,
    actor: Actor,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    let grant_id = g.id.clone();
    let access_tokens = revoke_access_tokens(txn, revocations, &grant_id, now).await?;
    let refresh_tokens = rt::Entity::delete_many()
        .filter(rt::Column::GrantId.eq(&grant_id))
        .exec(txn)
        .await?
        .rows_affected;
    code::Entity::delete_many()
        .filter(code::Column::GrantId.eq(&grant_id))
        .exec(txn)
        .await?;
    grant::Entity::delete_by_id(grant_id.clone())
        .exec(txn)
        .await?;
    audit::record(
        txn,
        now,
        AuditEvent::new(EventType::GrantRevoked, actor)
            .target("grant", &grant_id)
            .ip(ip)
            .data(json!({
                "client": g.client_id,
                "user": g.user_id,
                "scopes": ScopeSet::parse_vec(&g.scopes),
                "access_tokens_revoked": access_tokens,
                "refresh_tokens_deleted": refresh_tokens,
            })),
    )
    .await
}

/// The person narrows what an app may do to `keep` (a subset of what they
/// allowed). Later tokens carry only those scopes: the refresh grant issues at most
/// the grant's current scopes. The access tokens already issued carry the wider
/// set, so they are revoked too (the app refreshes and gets a narrower token):
/// stricter than waiting for them to expire, and it makes the change immediate
/// for every API that introspects.
pub async fn change_scopes(
    db: &DatabaseConnection,
    revocations: &RevocationMirror,
    user_id: &str,
    grant_id: &str,
    keep: &[String],
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<Grant> {
    crate::platform::text::check_items("scopes", keep, limits::SCOPES)?;
    let mut keep = keep.to_vec();
    keep.sort();
    keep.dedup();
    let txn = crate::platform::db::write_txn(db).await?;
    let g = owned(&txn, user_id, grant_id).await?;
    let before = ScopeSet::parse_vec(&g.scopes);
    if let Some(extra) = keep.iter().find(|s| !before.contains(s)) {
        return Err(DomainError::invalid(
            "scopes",
            format!("'{extra}' was not allowed to this app; only permissions it has can be kept"),
        ));
    }
    if keep.is_empty() {
        return Err(DomainError::invalid(
            "scopes",
            "must keep at least one permission; to remove them all, revoke the app's access",
        ));
    }
    if keep == before {
        txn.rollback().await?;
        return Ok(from_model(g));
    }
    let mut am: grant::ActiveModel = g.into();
    am.scopes = Set(keep.join(" "));
    am.updated_at = Set(now);
    let m = am.update(&txn).await?;
    revoke_access_tokens(&txn, revocations, grant_id, now).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::GrantChanged, Actor::User(user_id.to_owned()))
            .target("grant", grant_id)
            .ip(ip)
            .data(json!({
                "client": m.client_id,
                "before": { "scopes": before },
                "after": { "scopes": keep },
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(from_model(m))
}
