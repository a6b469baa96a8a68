//! Clients in the database: created, found, saved only at the version they were
//! read at, listed and deleted.

use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::metadata::NewClient;
use super::model::{row, ApplicationType, Client, SubjectType};
use super::validate::validate_email_domains;
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
    /// The change request made with the registration for what needs an
    /// administrator's approval (a developer's pairwise subjects), if any.
    pub request_id: Option<String>,
}

/// A new client id: 128 random bits, base64url, never beginning with '-' (an id
/// that looks like a flag trips command-line tools: `portcullis client delete -Q…`
/// failed once in every 64 registrations). Redrawn, not altered, so every allowed
/// id stays equally likely.
pub fn new_client_id() -> String {
    use base64::Engine;
    loop {
        let mut b = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        if !id.starts_with('-') {
            return id;
        }
    }
}

pub async fn create(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    actor: Actor,
    new: NewClient,
    now: Timestamp,
) -> DomainResult<CreatedClient> {
    let ready = prepare(db, hasher, new, now).await?;
    let txn = crate::platform::db::write_txn(db).await?;
    let created = insert(&txn, actor, ready, now).await?;
    txn.commit().await?;
    Ok(created)
}

/// A new client validated and its secret hashed, ready for [`insert`] (the slow
/// and fallible work done before any write transaction).
pub(crate) struct Prepared {
    client: Client,
    secret: Option<SecretString>,
    secret_hash: Option<String>,
}

impl Prepared {
    /// The new client's id.
    pub(crate) fn id(&self) -> &str {
        &self.client.id
    }

    /// The new client, as it will be stored.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Registered disabled: a dynamic registration awaits admission.
    pub(crate) fn await_admission(&mut self) {
        self.client.disabled = true;
    }

    /// Registered under a given id: a metadata document's client is its URL.
    pub(crate) fn use_id(&mut self, id: &str) {
        self.client.id = id.to_owned();
    }
}

pub(crate) async fn prepare(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    new: NewClient,
    now: Timestamp,
) -> DomainResult<Prepared> {
    let app = new.application_type.unwrap_or(ApplicationType::Web);
    let mut metadata = new.metadata.register(app)?;
    // Approval-gated (it decides every person's `sub`): only a registration that
    // is itself the review sets it; a developer's asks through a change request.
    if new.subject_type != SubjectType::Public {
        if new.unreviewed {
            return Err(DomainError::invalid(
                "subject_type",
                "needs an administrator's approval",
            ));
        }
        if app == ApplicationType::Service {
            return Err(DomainError::invalid(
                "subject_type",
                "service clients sign no one in: they have no subjects",
            ));
        }
        metadata.subject_type = new.subject_type;
        if let Some(e) = super::sector::problem(None, &metadata) {
            return Err(e);
        }
    }
    // Approval-gated: only a registration that is itself the review sets them.
    if new.unreviewed && !new.requestable_claims.is_empty() {
        return Err(DomainError::invalid(
            "requestable_claims",
            "need an administrator's approval: ask for them once the client is registered",
        ));
    }
    metadata.requestable_claims = crate::oauth::claims::requestable_list(&new.requestable_claims)?;
    if new.pre_authorized {
        crate::portal::governed::check_pre_authorizable(metadata.is_public())?;
    }
    crate::platform::text::check_items("scopes", &new.scopes, limits::SCOPES)?;
    for s in &new.scopes {
        crate::apis::find_scope(db, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
    }
    let allowed_email_domains = validate_email_domains(&new.allowed_email_domains)?;
    let (reviewed_grant_types, reviewed_redirect_uris) = if new.unreviewed {
        (Vec::new(), Vec::new())
    } else {
        (metadata.grant_types.clone(), metadata.redirect_uris.clone())
    };
    let id = new_client_id();
    // Key-only clients (private_key_jwt) get no secret at all.
    let secret = metadata
        .has_secret()
        .then(|| SecretString::new(random_token()));
    let secret_hash = match &secret {
        Some(s) => Some(hasher.hash(s).await?),
        None => None,
    };
    let client = Client {
        id: id.clone(),
        metadata,
        owner_id: new.owner_id,
        scopes: new.scopes,
        first_party: new.first_party,
        pre_authorized: new.pre_authorized,
        allowed_email_domains,
        access_token_ttl_secs: None,
        refresh_token_ttl_secs: None,
        disabled: false,
        expires_at: new.expires_at,
        created_at: now,
        updated_at: now,
        version: 1,
        reviewed_grant_types,
        reviewed_redirect_uris,
        stage: new.stage,
    };
    Ok(Prepared {
        client,
        secret,
        secret_hash,
    })
}

/// Writes a [`prepare`]d client, its secret and its audit event in `conn`'s
/// transaction.
pub(crate) async fn insert<C: ConnectionTrait>(
    conn: &C,
    actor: Actor,
    ready: Prepared,
    now: Timestamp,
) -> DomainResult<CreatedClient> {
    let Prepared {
        client,
        secret,
        secret_hash,
    } = ready;
    let id = client.id.clone();
    let model = row(&client).insert(conn).await?;
    if let Some(hash) = secret_hash {
        client_secret::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            client_id: Set(id.clone()),
            secret_hash: Set(hash),
            created_at: Set(now),
            expires_at: Set(None),
        }
        .insert(conn)
        .await?;
    }
    let client: Client = model.try_into()?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::ClientCreated, actor)
            .target("client", &id)
            .data(json!({ "after": client })),
    )
    .await?;
    Ok(CreatedClient {
        client,
        secret,
        request_id: None,
    })
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

/// The names of the clients `ids` (one query, each id once), for display; an id
/// that names no client (a deleted one) is left out, and the caller shows the id.
pub async fn names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = String>,
) -> DomainResult<std::collections::HashMap<String, String>> {
    use sea_orm::QuerySelect;
    let mut ids: Vec<String> = ids
        .into_iter()
        .filter(|id| crate::platform::text::could_exist(id))
        .collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, String)> = client::Entity::find()
        .select_only()
        .column(client::Column::Id)
        .column(client::Column::Name)
        .filter(client::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
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

/// Disables or enables a client as the operator (the CLI): at once, audited as
/// `client.disabled` / `client.enabled` in the same transaction. Enabling a
/// self-registered client is its admission. Returns the client as saved.
pub async fn set_disabled(
    db: &DatabaseConnection,
    actor: Actor,
    id: &str,
    disabled: bool,
    now: Timestamp,
) -> DomainResult<Client> {
    let txn = crate::platform::db::write_txn(db).await?;
    let current = find_for_update(&txn, id)
        .await?
        .ok_or(DomainError::NotFound)?;
    if current.disabled == disabled {
        return Err(DomainError::Conflict(format!(
            "the client is already {}",
            if disabled { "disabled" } else { "enabled" }
        )));
    }
    let mut next = current.clone();
    next.disabled = disabled;
    save(&txn, &next, now).await?;
    if !disabled {
        crate::portal::admission::settle(&txn, id, &actor, None, now).await?;
    }
    let event = if disabled {
        EventType::ClientDisabled
    } else {
        EventType::ClientEnabled
    };
    audit::record(
        &txn,
        now,
        AuditEvent::new(event, actor)
            .target("client", id)
            .data(json!({
                "before": { "disabled": current.disabled },
                "after": { "disabled": next.disabled },
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(next)
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
            updated_at: Set(now),
            version: NotSet,
            ..row(c)
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

/// The ids of the clients a person co-owns (issue 13, teams), as a subquery.
fn co_owned_ids(user_id: &str) -> sea_orm::sea_query::SelectStatement {
    use crate::entities::client_member;
    sea_orm::sea_query::Query::select()
        .column(client_member::Column::ClientId)
        .from(client_member::Entity)
        .and_where(client_member::Column::UserId.eq(user_id))
        .to_owned()
}

/// Clients, optionally only one person's (those they own or co-own), filtered by
/// a substring of name or id.
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
        // Theirs and those they co-own (issue 13, teams).
        q = q.filter(
            Condition::any()
                .add(client::Column::OwnerId.eq(o))
                .add(client::Column::Id.in_subquery(co_owned_ids(o))),
        );
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

#[cfg(test)]
mod tests {
    #[test]
    fn client_ids_never_look_like_a_command_line_flag() {
        // Without the redraw, 2,000 ids contain one starting with '-' with
        // probability 1 - (63/64)^2000 (all but certain).
        for _ in 0..2_000 {
            let id = super::new_client_id();
            assert!(!id.starts_with('-'), "{id}");
            assert_eq!(id.len(), 22);
        }
    }
}
