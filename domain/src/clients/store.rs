//! Clients in the database: created, found, saved only at the version they were
//! read at, listed and deleted.

use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::metadata::{validate_email_domains, validate_update, ClientUpdate, NewClient};
use super::model::{
    to_json, ApplicationType, AuthMethod, Client, GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN,
};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::{client, client_secret};
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::{random_token, SecretString};
use crate::{DomainError, DomainResult};

/// A registered client and, for confidential clients, its secret — shown exactly
/// once, here.
pub struct CreatedClient {
    pub client: Client,
    pub secret: Option<SecretString>,
}

pub async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: Actor,
    new: NewClient,
    now: Timestamp,
) -> DomainResult<CreatedClient> {
    let app = new.application_type.unwrap_or(ApplicationType::Web);
    let grants = new.grant_types.clone().unwrap_or_else(|| match app {
        ApplicationType::Service => vec![GRANT_CLIENT_CREDENTIALS.into()],
        _ => vec![GRANT_AUTHORIZATION_CODE.into(), GRANT_REFRESH_TOKEN.into()],
    });
    let f = validate_update(
        app,
        &ClientUpdate {
            name: new.name.clone(),
            description: new.description.clone(),
            redirect_uris: new.redirect_uris.clone(),
            post_logout_redirect_uris: new.post_logout_redirect_uris.clone(),
            grant_types: grants,
            auth_method: new.auth_method,
            logo_uri: new.logo_uri.clone(),
            client_uri: new.client_uri.clone(),
            policy_uri: new.policy_uri.clone(),
            tos_uri: new.tos_uri.clone(),
            jwks_uri: new.jwks_uri.clone(),
            contacts: new.contacts.clone(),
            id_token_alg: new.id_token_alg,
            userinfo_alg: new.userinfo_alg,
        },
    )?;
    let auth = f.auth_method.unwrap_or(AuthMethod::ClientSecretBasic);
    let grants = f.grant_types.clone();
    crate::platform::text::check_items("scopes", &new.scopes, limits::SCOPES)?;
    let (reviewed_grants, reviewed_uris) = if new.unreviewed {
        (Vec::new(), Vec::new())
    } else {
        (grants.clone(), f.redirect_uris.clone())
    };
    for s in &new.scopes {
        crate::apis::find_scope(db, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
    }
    let domains = validate_email_domains(&new.allowed_email_domains)?;

    let id = {
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    };
    let secret = (auth != AuthMethod::None).then(|| SecretString::new(random_token()));
    let secret_hash = match &secret {
        Some(s) => Some(hasher.hash(s).await?),
        None => None,
    };
    let txn = crate::platform::db::write_txn(db).await?;
    let model = client::ActiveModel {
        id: Set(id.clone()),
        name: Set(f.name.clone()),
        description: Set(f.description.clone()),
        owner_id: Set(new.owner_id),
        application_type: Set(app.as_str().into()),
        token_endpoint_auth_method: Set(auth.as_str().into()),
        redirect_uris: Set(to_json(&f.redirect_uris)),
        grant_types: Set(to_json(&grants)),
        scopes: Set(to_json(&new.scopes)),
        first_party: Set(new.first_party),
        allowed_email_domains: Set(to_json(&domains)),
        access_token_ttl_secs: Set(None),
        disabled: Set(false),
        expires_at: Set(new.expires_at),
        created_at: Set(now),
        updated_at: Set(now),
        id_token_signed_response_alg: Set(f
            .id_token_alg
            .unwrap_or(crate::oauth::keys::Alg::RS256)
            .as_str()
            .into()),
        userinfo_signed_response_alg: Set(f.userinfo_alg.map(|a| a.as_str().into())),
        logo_uri: Set(f.logo_uri.clone()),
        client_uri: Set(f.client_uri.clone()),
        policy_uri: Set(f.policy_uri.clone()),
        tos_uri: Set(f.tos_uri.clone()),
        jwks_uri: Set(f.jwks_uri.clone()),
        post_logout_redirect_uris: Set(to_json(&f.post_logout_redirect_uris)),
        contacts: Set(to_json(&f.contacts)),
        refresh_token_ttl_secs: Set(None),
        version: Set(1),
        reviewed_grant_types: Set(to_json(&reviewed_grants)),
        reviewed_redirect_uris: Set(to_json(&reviewed_uris)),
    }
    .insert(&txn)
    .await?;
    if let Some(hash) = secret_hash {
        client_secret::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            client_id: Set(id.clone()),
            secret_hash: Set(hash),
            created_at: Set(now),
            expires_at: Set(None),
        }
        .insert(&txn)
        .await?;
    }
    let client: Client = model.try_into()?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientCreated, actor)
            .target("client", &id)
            .data(json!({ "after": client })),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedClient { client, secret })
}

pub async fn find<C: ConnectionTrait>(conn: &C, id: &str) -> DomainResult<Option<Client>> {
    if !crate::platform::text::could_exist(id) {
        return Ok(None);
    }
    client::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .map(Client::try_from)
        .transpose()
}

/// Reads a client inside a write transaction, to change it: `SELECT … FOR UPDATE`
/// on PostgreSQL, so concurrent writers of the row take turns and each starts from
/// the previous one's result. (SQLite has no row locks and needs none: a write
/// transaction there is `BEGIN IMMEDIATE`, which already runs writers one at a
/// time.) Take it before anything else in the transaction — in particular before
/// the audit append's advisory lock — so that every writer locks in the same order.
pub async fn find_for_update<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> DomainResult<Option<Client>> {
    use sea_orm::QuerySelect;
    client::Entity::find_by_id(id.to_owned())
        .lock_exclusive()
        .one(conn)
        .await?
        .map(Client::try_from)
        .transpose()
}

/// The error of a write whose client changed since it was read: someone else's
/// change would otherwise be overwritten (issue 11, M4).
pub const STALE: &str = "the client was changed by someone else since you loaded it: reload it and make your change again";

/// Whether an error is [`STALE`]'s conflict.
pub fn is_stale(e: &DomainError) -> bool {
    matches!(e, DomainError::Conflict(m) if m == STALE)
}

/// Deletes a client, its secrets and (by cascade) everything issued to it.
pub async fn delete(
    db: &DatabaseConnection,
    actor: Actor,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let res = client::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::NotFound);
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::ClientDeleted, actor).target("client", id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Writes every field of `c` to its row (through the caller's transaction), if the
/// row is still at the version `c` was read at, and bumps the version. A row that
/// moved on in between is [`STALE`], never overwritten: without this check a
/// developer's edit read before an administrator disabled the client would write
/// `disabled = false` back (issue 11, M4). Writers read with [`find_for_update`]
/// inside their transaction, so for them the check cannot fail; it is the backstop.
pub async fn save<C: ConnectionTrait>(conn: &C, c: &Client, now: Timestamp) -> DomainResult<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::ExprTrait;
    let res = client::Entity::update_many()
        .set(client::ActiveModel {
            id: Set(c.id.clone()),
            name: Set(c.name.clone()),
            description: Set(c.description.clone()),
            owner_id: Set(c.owner_id.clone()),
            application_type: Set(c.application_type.as_str().into()),
            token_endpoint_auth_method: Set(c.auth_method.as_str().into()),
            redirect_uris: Set(to_json(&c.redirect_uris)),
            grant_types: Set(to_json(&c.grant_types)),
            scopes: Set(to_json(&c.scopes)),
            first_party: Set(c.first_party),
            allowed_email_domains: Set(to_json(&c.allowed_email_domains)),
            access_token_ttl_secs: Set(c.access_token_ttl_secs),
            disabled: Set(c.disabled),
            expires_at: Set(c.expires_at),
            created_at: Set(c.created_at),
            updated_at: Set(now),
            id_token_signed_response_alg: Set(c.id_token_alg.as_str().into()),
            userinfo_signed_response_alg: Set(c.userinfo_alg.map(|a| a.as_str().into())),
            logo_uri: Set(c.logo_uri.clone()),
            client_uri: Set(c.client_uri.clone()),
            policy_uri: Set(c.policy_uri.clone()),
            tos_uri: Set(c.tos_uri.clone()),
            jwks_uri: Set(c.jwks_uri.clone()),
            post_logout_redirect_uris: Set(to_json(&c.post_logout_redirect_uris)),
            contacts: Set(to_json(&c.contacts)),
            refresh_token_ttl_secs: Set(c.refresh_token_ttl_secs),
            reviewed_grant_types: Set(to_json(&c.reviewed_grant_types)),
            reviewed_redirect_uris: Set(to_json(&c.reviewed_redirect_uris)),
            ..Default::default()
        })
        .col_expr(
            client::Column::Version,
            Expr::col(client::Column::Version).add(1),
        )
        .filter(client::Column::Id.eq(c.id.clone()))
        .filter(client::Column::Version.eq(c.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 1 {
        return Ok(());
    }
    match find(conn, &c.id).await? {
        Some(_) => Err(DomainError::Conflict(STALE.into())),
        None => Err(DomainError::NotFound),
    }
}

/// How to order a client listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Name,
    Created,
    Expiry,
}

impl Sort {
    pub fn parse(s: &str) -> Self {
        match s {
            "created" => Sort::Created,
            "expiry" => Sort::Expiry,
            _ => Sort::Name,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Created => "created",
            Sort::Expiry => "expiry",
        }
    }
}

/// Clients, optionally only one owner's, filtered by a substring of name or id.
pub async fn list(
    db: &DatabaseConnection,
    owner: Option<&str>,
    search: &str,
    sort: Sort,
    page: u64,
    per_page: u64,
) -> DomainResult<crate::platform::page::Page<Client>> {
    use sea_orm::{Condition, PaginatorTrait, QueryOrder};
    let (page, per_page) = crate::platform::page::page_bounds(page, per_page, limits::PER_PAGE);
    let mut q = client::Entity::find();
    if let Some(o) = owner {
        q = q.filter(client::Column::OwnerId.eq(o));
    }
    let search = crate::platform::text::search("search", search)?;
    if !search.is_empty() {
        let pat = format!("%{}%", search.replace(['%', '_'], ""));
        q = q.filter(
            Condition::any()
                .add(client::Column::Name.like(&pat))
                .add(client::Column::Id.like(&pat)),
        );
    }
    q = match sort {
        Sort::Name => q.order_by_asc(client::Column::Name),
        Sort::Created => q.order_by_desc(client::Column::CreatedAt),
        // Soonest first; clients that never expire last.
        Sort::Expiry => q
            .order_by_asc(client::Column::ExpiresAt.is_null())
            .order_by_asc(client::Column::ExpiresAt),
    }
    .order_by_asc(client::Column::Id);
    let paginator = q.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(Client::try_from)
        .collect::<DomainResult<Vec<_>>>()?;
    Ok(crate::platform::page::Page {
        items,
        page,
        per_page,
        total,
    })
}
