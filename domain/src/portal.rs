//! The developer portal's rules (seed 001): who may see and change which client,
//! which changes apply at once and which become requests for an administrator,
//! and how requests are decided — by a scope's policy, its CEL rule, or a person.
//!
//! Every function here checks access itself (the UI, the REST API and the CLI all
//! call in), writes its audit event, notifications and e-mails in the same
//! transaction as the change, and returns `NotFound` — never `Forbidden` — for a
//! client the caller may not see, so client ids cannot be probed.
//!
//! What a developer may change directly follows seed 001's table: the "YES" fields
//! (see [`ClientUpdate`]). The "Approval" fields — scopes, refresh-token lifetime,
//! re-enabling a disabled client, registration expiry — and enabling the password
//! grant become requests. Changes that only reduce what a client can do (removing a
//! scope, turning the password grant off, disabling the client) apply at once:
//! least privilege never waits for a person.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::clients::{
    self, ApplicationType, Client, ClientUpdate, CreatedClient, NewClient, Overlap, SecretCache,
    GRANT_PASSWORD,
};
use crate::clock::{format_date, Timestamp};
use crate::entities::{change_request, client};
use crate::notify::{self, Message};
use crate::password::PasswordHasher;
use crate::review;
use crate::rules::{self, RuleInput, Verdict};
use crate::secret::SecretString;
use crate::users::{AdminCtx, Page, Role, User};
use crate::{DomainError, DomainResult};

/// The longest a registration may be extended to, from now.
pub const MAX_EXTENSION_DAYS: i64 = 2 * 365;

/// Who is acting, from where, and (for the REST API) through which client.
#[derive(Clone, Debug)]
pub struct Who {
    pub user: User,
    pub ip: Option<String>,
    /// Set when the call came with a client-credentials token acting for its owner.
    pub via_client: Option<String>,
}

impl Who {
    pub fn new(user: User, ip: Option<String>) -> Self {
        Self {
            user,
            ip,
            via_client: None,
        }
    }
    fn actor(&self) -> Actor {
        Actor::User(self.user.id.clone())
    }
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin && !self.user.disabled
    }
    fn admin(&self) -> Option<AdminCtx> {
        AdminCtx::for_user(&self.user)
    }
    fn event(&self, event: EventType, client_id: &str) -> AuditEvent {
        AuditEvent::new(event, self.actor())
            .target("client", client_id)
            .ip(self.ip.clone())
    }
    fn extra(&self, mut data: Value) -> Value {
        if let (Some(c), Value::Object(m)) = (&self.via_client, &mut data) {
            m.insert("via_client".into(), json!(c));
        }
        data
    }
    fn require_developer(&self) -> DomainResult<()> {
        if self.user.disabled || !self.user.role.can_develop() {
            return Err(DomainError::Forbidden);
        }
        Ok(())
    }
}

fn can_manage(who: &Who, c: &Client) -> bool {
    who.is_admin() || (!who.user.disabled && c.owner_id.as_deref() == Some(who.user.id.as_str()))
}

/// A justification or reason as stored: bounded, no control or invisible characters.
fn justification_text(j: &str) -> DomainResult<String> {
    crate::text::paragraph("justification", j, limits::JUSTIFICATION)
}

/// A client the caller may manage; `NotFound` otherwise (also for someone else's).
pub async fn client_for<C: ConnectionTrait>(conn: &C, who: &Who, id: &str) -> DomainResult<Client> {
    match clients::find(conn, id).await? {
        Some(c) if can_manage(who, &c) => Ok(c),
        _ => Err(DomainError::NotFound),
    }
}

/// [`client_for`] inside a write transaction, locking the row: every change to a
/// client starts from the row as it is at that moment, never from a copy read
/// earlier (issue 11, M4; see [`clients::find_for_update`]).
async fn locked_client<C: ConnectionTrait>(conn: &C, who: &Who, id: &str) -> DomainResult<Client> {
    match clients::find_for_update(conn, id).await? {
        Some(c) if can_manage(who, &c) => Ok(c),
        _ => Err(DomainError::NotFound),
    }
}

/// The fields that changed between two versions of a client, as
/// `{field: {"before": …, "after": …}}`.
pub fn diff(before: &Client, after: &Client) -> Value {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return json!({});
    };
    let mut out = serde_json::Map::new();
    for (k, av) in &a {
        if k == "updated_at" || k == "version" {
            continue;
        }
        let bv = b.get(k).cloned().unwrap_or(Value::Null);
        if &bv != av {
            out.insert(k.clone(), json!({ "before": bv, "after": av }));
        }
    }
    Value::Object(out)
}

// ------------------------------------------------------------------ clients

/// A developer's registration form.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    pub application_type: Option<ApplicationType>,
    pub fields: ClientUpdate,
    /// Seed 003: e-mail domains tokens may be issued for (empty = any). Only a
    /// restriction, so a developer may set it.
    pub allowed_email_domains: Vec<String>,
}

/// Registers a client owned by the caller. It gets only the default scopes (a
/// service client none at all: least privilege, seed 003) and the default
/// registration lifetime; everything more is requested.
pub async fn register(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    who: &Who,
    settings: &crate::server_settings::RuntimeSettings,
    reg: Registration,
    now: Timestamp,
) -> DomainResult<CreatedClient> {
    who.require_developer()?;
    let app = reg.application_type.unwrap_or(ApplicationType::Web);
    if reg.fields.grant_types.iter().any(|g| g == GRANT_PASSWORD) {
        return Err(DomainError::invalid(
            "grant_types",
            "the password grant needs an administrator's approval: create the client, then request it from the client's page",
        ));
    }
    let scopes = match app {
        ApplicationType::Service => Vec::new(),
        _ => settings.default_client_scopes.clone(),
    };
    let days = settings.default_client_lifetime_days;
    let f = reg.fields;
    let grant_types = (!f.grant_types.is_empty()).then_some(f.grant_types);
    clients::create(
        db,
        hasher,
        who.actor(),
        NewClient {
            name: f.name,
            description: f.description,
            application_type: Some(app),
            auth_method: f.auth_method,
            redirect_uris: f.redirect_uris,
            grant_types,
            scopes,
            first_party: false,
            allowed_email_domains: reg.allowed_email_domains,
            owner_id: Some(who.user.id.clone()),
            id_token_alg: f.id_token_alg,
            userinfo_alg: f.userinfo_alg,
            logo_uri: f.logo_uri,
            client_uri: f.client_uri,
            policy_uri: f.policy_uri,
            tos_uri: f.tos_uri,
            jwks_uri: f.jwks_uri,
            post_logout_redirect_uris: f.post_logout_redirect_uris,
            contacts: f.contacts,
            expires_at: (days > 0).then_some(now + days * 86_400),
            // An administrator's registration is its own review (M7).
            unreviewed: !who.is_admin(),
        },
        now,
    )
    .await
}

/// The approval-gated settings of a client (seed 001: "Approval"), as a developer
/// may propose them on the edit form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gated {
    /// None = the server default.
    pub refresh_token_ttl_secs: Option<i64>,
    pub password_grant: bool,
}

impl Gated {
    pub fn of(c: &Client) -> Self {
        Self {
            refresh_token_ttl_secs: c.refresh_token_ttl_secs,
            password_grant: c.allows_grant(GRANT_PASSWORD),
        }
    }
}

/// A field change that waits for approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `refresh_token_ttl_secs`, `password_grant`, `enabled`, `scopes`, `expires_at`,
    /// or `grant_types` / `redirect_uris` (additions beyond what was reviewed: the
    /// entries of `after` missing from `before` are added on approval).
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// The result of an edit: the client as it now is, and the request made for the
/// changes that need approval, if any.
#[derive(Clone, Debug)]
pub struct UpdateOutcome {
    pub client: Client,
    pub request: Option<Request>,
}

/// Edits a client. Directly editable fields apply at once. Approval-gated ones
/// apply at once for administrators; for developers, changes that reduce privilege
/// apply at once and the rest become one change request (with `justification`).
/// A developer's edit that adds a grant type or a redirect origin nobody reviewed,
/// while the client holds an approval-gated scope, is such a request too (M7); an
/// administrator's edit records the client as reviewed.
///
/// `expected_version` is the version the editor saw (the form's, or the REST
/// API's `If-Match`): when the client changed since, the edit is refused as
/// [`clients::STALE`] instead of overwriting the other change (M4). Without it the
/// fields given are applied to the row as it is now; fields not given, such as
/// `disabled`, are never written back from an older copy.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    fields: ClientUpdate,
    gated: Option<Gated>,
    justification: &str,
    expected_version: Option<i64>,
    now: Timestamp,
) -> DomainResult<UpdateOutcome> {
    who.require_developer()?;
    justification_text(justification)?;
    // The application type never changes, so the fields can be checked before the
    // row is locked.
    let app = client_for(db, who, id).await?.application_type;
    let fields = clients::validate_update(app, &fields)?;
    if let Some(t) = gated.as_ref().and_then(|g| g.refresh_token_ttl_secs) {
        if !(3600..=365 * 86_400).contains(&t) {
            return Err(DomainError::invalid(
                "refresh_token_ttl_secs",
                "must be between 1 hour and 365 days",
            ));
        }
    }

    let txn = crate::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(DomainError::Conflict(clients::STALE.into()));
    }
    let mut next = current.clone();
    clients::apply_update(&mut next, fields);

    let mut asks = Vec::new();
    if let Some(g) = gated {
        let have = Gated::of(&current);
        if g.password_grant != have.password_grant {
            if g.password_grant && current.application_type != ApplicationType::Web {
                return Err(DomainError::invalid(
                    "password_grant",
                    "only web (confidential) clients may use the password grant",
                ));
            }
            if !g.password_grant || who.is_admin() {
                set_grant(&mut next, GRANT_PASSWORD, g.password_grant);
            } else {
                asks.push(FieldChange {
                    field: "password_grant".into(),
                    before: json!(false),
                    after: json!(true),
                });
            }
        }
        if g.refresh_token_ttl_secs != have.refresh_token_ttl_secs {
            if who.is_admin() {
                next.refresh_token_ttl_secs = g.refresh_token_ttl_secs;
            } else {
                asks.push(FieldChange {
                    field: "refresh_token_ttl_secs".into(),
                    before: json!(have.refresh_token_ttl_secs),
                    after: json!(g.refresh_token_ttl_secs),
                });
            }
        }
    }
    if who.is_admin() {
        next.mark_reviewed();
    } else {
        let wider = review::widening(&current, &next);
        if !wider.is_empty() && review::guarded(&txn, &current).await? {
            asks.extend(review::hold_back(&current, &mut next, &wider));
        }
    }
    if !asks.is_empty() && justification.trim().is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "explain why: these changes need an administrator's approval",
        ));
    }

    let changed = diff(&current, &next);
    if changed.as_object().is_some_and(|m| !m.is_empty()) {
        clients::save(&txn, &next, now).await?;
        audit::record(
            &txn,
            now,
            who.event(EventType::ClientUpdated, id)
                .data(who.extra(json!({ "changes": changed }))),
        )
        .await?;
    }
    let request = if asks.is_empty() {
        None
    } else {
        Some(
            submit(
                &txn,
                who,
                &next,
                Ask::Change { changes: asks },
                justification,
                now,
            )
            .await?,
        )
    };
    txn.commit().await?;
    cache.invalidate_client(id);
    let client = clients::find(db, id).await?.ok_or(DomainError::NotFound)?;
    Ok(UpdateOutcome { client, request })
}

fn set_grant(c: &mut Client, grant: &str, on: bool) {
    c.grant_types.retain(|g| g != grant);
    if on {
        c.grant_types.push(grant.to_owned());
    }
}

/// Disables or re-enables a client. Disabling applies at once (owner or admin).
/// Re-enabling is immediate for administrators and a change request for owners.
/// Returns the request when one was made.
pub async fn set_enabled(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    enabled: bool,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Option<Request>> {
    who.require_developer()?;
    justification_text(justification)?;
    let txn = crate::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    if current.disabled != enabled {
        return Err(DomainError::Conflict(format!(
            "the client is already {}",
            if enabled { "enabled" } else { "disabled" }
        )));
    }
    let request = if enabled && !who.is_admin() {
        if justification.trim().is_empty() {
            return Err(DomainError::invalid(
                "justification",
                "explain why the client should be enabled again",
            ));
        }
        Some(
            submit(
                &txn,
                who,
                &current,
                Ask::Change {
                    changes: vec![FieldChange {
                        field: "enabled".into(),
                        before: json!(false),
                        after: json!(true),
                    }],
                },
                justification,
                now,
            )
            .await?,
        )
    } else {
        let mut next = current.clone();
        next.disabled = !enabled;
        clients::save(&txn, &next, now).await?;
        let event = if enabled {
            EventType::ClientEnabled
        } else {
            EventType::ClientDisabled
        };
        audit::record(
            &txn,
            now,
            who.event(event, id).data(who.extra(json!({
                "before": { "disabled": current.disabled },
                "after": { "disabled": next.disabled },
                "reason": Some(justification.trim()).filter(|s| !s.is_empty()),
            }))),
        )
        .await?;
        if !enabled && current.owner_id.as_deref() != Some(who.user.id.as_str()) {
            let why = Some(justification.trim())
                .filter(|s| !s.is_empty())
                .map(|r| format!(" Reason: {r}"))
                .unwrap_or_default();
            notify::notify_owner(
                &txn,
                current.owner_id.as_deref(),
                &Message {
                    kind: "client.disabled",
                    title: format!("\"{}\" was disabled", current.name),
                    body: format!(
                        "An administrator disabled your client \"{}\" ({}). It gets no tokens until it is enabled again.{why}",
                        current.name, current.id
                    ),
                    link: Some(format!("/developer/clients/{}", current.id)),
                },
                now,
            )
            .await?;
        }
        None
    };
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(request)
}

/// Administrators: sets (or clears) a registration's expiry directly.
pub async fn set_expiry(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> DomainResult<Client> {
    if !who.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let txn = crate::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    let mut next = current.clone();
    next.expires_at = expires_at;
    clients::save(&txn, &next, now).await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientExpiryChanged, id)
            .data(who.extra(json!({ "before": current.expires_at, "after": expires_at }))),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(next)
}

/// Administrators: sets a client's scopes directly (e.g. to remove one).
pub async fn set_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scopes: Vec<String>,
    now: Timestamp,
) -> DomainResult<Client> {
    crate::text::check_items("scopes", &scopes, limits::SCOPES)?;
    change_scopes(db, cache, who, id, |_| scopes, now).await
}

/// Removes one scope from a client (owners and administrators: least privilege
/// needs no approval). The scope is removed from the client as it is when the
/// change is written, so a scope approved meanwhile stays (M4).
pub async fn remove_scope(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scope: &str,
    now: Timestamp,
) -> DomainResult<Client> {
    change_scopes(
        db,
        cache,
        who,
        id,
        |c| c.scopes.iter().filter(|s| *s != scope).cloned().collect(),
        now,
    )
    .await
}

async fn change_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    scopes: impl FnOnce(&Client) -> Vec<String>,
    now: Timestamp,
) -> DomainResult<Client> {
    let txn = crate::db::write_txn(db).await?;
    let current = locked_client(&txn, who, id).await?;
    let scopes: Vec<String> = scopes(&current)
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Owners may only remove scopes; adding one is a request.
    if !who.is_admin() && scopes.iter().any(|s| !current.scopes.contains(s)) {
        return Err(DomainError::invalid(
            "scopes",
            "adding a scope needs approval: use a scope request",
        ));
    }
    for s in &scopes {
        crate::resources::find_scope(&txn, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
    }
    let mut next = current.clone();
    next.scopes = scopes;
    clients::save(&txn, &next, now).await?;
    // Taking a scope away bounds every consent, refresh token and live token of the
    // client at once (refreshes and token checks also bound by the client's scopes).
    let narrowed = crate::grants::narrow_to_client(&txn, id, &next.scopes, now).await?;
    audit::record(
        &txn,
        now,
        who.event(EventType::ClientUpdated, id).data(
            who.extra(json!({ "changes": diff(&current, &next), "consents_narrowed": narrowed })),
        ),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(id);
    Ok(next)
}

/// Rotates a client's secret; the old one keeps working for `overlap`.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    overlap: Overlap,
    now: Timestamp,
) -> DomainResult<SecretString> {
    who.require_developer()?;
    client_for(db, who, id).await?;
    let s =
        clients::rotate_secret(db, hasher, who.actor(), who.ip.clone(), id, overlap, now).await?;
    cache.invalidate_client(id);
    Ok(s)
}

/// Deletes a client: its refresh tokens, codes and grants go with it, and its
/// access tokens are reported inactive at once.
pub async fn delete(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    who.require_developer()?;
    client_for(db, who, id).await?;
    clients::delete(db, who.actor(), id, now).await?;
    cache.invalidate_client(id);
    Ok(())
}

/// The caller's clients (administrators may pass `all` to see everyone's).
pub async fn list_clients(
    db: &DatabaseConnection,
    who: &Who,
    all: bool,
    search: &str,
    sort: clients::Sort,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<Client>> {
    if all && !who.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let owner = (!all).then_some(who.user.id.as_str());
    clients::list(db, owner, search, sort, page, per_page).await
}

// ------------------------------------------------------------------ requests

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ask {
    Scopes {
        scopes: Vec<String>,
    },
    Extension {
        expires_at: Timestamp,
        previous: Option<Timestamp>,
    },
    Change {
        changes: Vec<FieldChange>,
    },
}

impl Ask {
    pub fn kind(&self) -> &'static str {
        match self {
            Ask::Scopes { .. } => "scopes",
            Ask::Extension { .. } => "extension",
            Ask::Change { .. } => "change",
        }
    }
    /// One line for lists and e-mails.
    pub fn summary(&self) -> String {
        match self {
            Ask::Scopes { scopes } => format!("scopes {}", scopes.join(", ")),
            Ask::Extension { expires_at, .. } => {
                format!("extension until {}", format_date(*expires_at))
            }
            Ask::Change { changes } => format!(
                "change of {}",
                changes
                    .iter()
                    .map(|c| c.field.replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// How a scope was judged when the request was submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub scope: String,
    /// `policy` (the scope needs no approval) or `rule`; absent when a person decides.
    pub by: Option<String>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Payload {
    ask: Option<Ask>,
    #[serde(default)]
    evaluations: Vec<Evaluation>,
}

/// Who decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decider {
    /// `user`, `rule` or `policy`.
    pub kind: String,
    /// The user id or the rule's scope.
    pub id: Option<String>,
    /// A username, or a description of the rule.
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub requester_id: Option<String>,
    pub requester_username: Option<String>,
    pub requester_email: Option<String>,
    pub ask: Ask,
    pub justification: String,
    pub status: Status,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    pub decider: Option<Decider>,
    pub reason: Option<String>,
    /// Scopes actually approved (a subset of those asked, for scope requests).
    pub granted: Option<Vec<String>>,
    pub evaluations: Vec<Evaluation>,
}

async fn to_requests<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<change_request::Model>,
) -> DomainResult<Vec<Request>> {
    let mut users: HashMap<String, Option<User>> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let client_ids: Vec<String> = rows.iter().map(|r| r.client_id.clone()).collect();
    if !client_ids.is_empty() {
        for c in client::Entity::find()
            .filter(client::Column::Id.is_in(client_ids))
            .all(conn)
            .await?
        {
            names.insert(c.id, c.name);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        for uid in [r.requester_id.clone(), r.decider_id.clone()]
            .into_iter()
            .flatten()
        {
            if let std::collections::hash_map::Entry::Vacant(e) = users.entry(uid) {
                let u = crate::users::find_by_id(conn, e.key()).await?;
                e.insert(u);
            }
        }
        let requester = r
            .requester_id
            .as_ref()
            .and_then(|id| users.get(id).cloned().flatten());
        let payload: Payload = serde_json::from_str(&r.payload).unwrap_or_default();
        let ask = payload
            .ask
            .ok_or_else(|| DomainError::Internal(format!("request {} has no ask", r.id)))?;
        let decider = r.decider_kind.as_ref().map(|k| Decider {
            kind: k.clone(),
            id: r.decider_id.clone(),
            name: match k.as_str() {
                "user" => r
                    .decider_id
                    .as_ref()
                    .and_then(|id| users.get(id).cloned().flatten())
                    .map(|u| u.username)
                    .unwrap_or_else(|| "a former administrator".into()),
                "rule" => format!(
                    "auto-approval rule for {}",
                    r.decider_id.clone().unwrap_or_default()
                ),
                _ => "policy: the scopes need no approval".into(),
            },
        });
        out.push(Request {
            client_name: names.get(&r.client_id).cloned().unwrap_or_default(),
            requester_username: requester.as_ref().map(|u| u.username.clone()),
            requester_email: requester.as_ref().map(|u| u.email.clone()),
            status: Status::parse(&r.status).unwrap_or(Status::Pending),
            granted: r
                .granted
                .as_deref()
                .and_then(|g| serde_json::from_str(g).ok()),
            evaluations: payload.evaluations,
            id: r.id,
            client_id: r.client_id,
            requester_id: r.requester_id,
            ask,
            justification: r.justification,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decider,
            reason: r.reason,
        });
    }
    Ok(out)
}

/// Inserts a pending request and tells the administrators (inside `conn`'s
/// transaction).
async fn submit<C: ConnectionTrait>(
    conn: &C,
    who: &Who,
    client: &Client,
    ask: Ask,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    let id = uuid::Uuid::now_v7().to_string();
    let row = insert_request(conn, &id, who, client, &ask, &[], justification, now).await?;
    notify_pending(conn, client, &ask, &row.id, now).await?;
    Ok(to_requests(conn, vec![row]).await?.remove(0))
}

#[allow(clippy::too_many_arguments)]
async fn insert_request<C: ConnectionTrait>(
    conn: &C,
    id: &str,
    who: &Who,
    client: &Client,
    ask: &Ask,
    evaluations: &[Evaluation],
    justification: &str,
    now: Timestamp,
) -> DomainResult<change_request::Model> {
    let justification = justification_text(justification)?;
    let justification = justification.as_str();
    let payload = json!({ "ask": ask, "evaluations": evaluations });
    let row = change_request::ActiveModel {
        id: Set(id.to_owned()),
        client_id: Set(client.id.clone()),
        requester_id: Set(Some(who.user.id.clone())),
        kind: Set(ask.kind().into()),
        status: Set(Status::Pending.as_str().into()),
        payload: Set(payload.to_string()),
        justification: Set(justification.to_owned()),
        created_at: Set(now),
        decided_at: Set(None),
        decider_kind: Set(None),
        decider_id: Set(None),
        reason: Set(None),
        granted: Set(None),
    }
    .insert(conn)
    .await?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::RequestSubmitted, who.actor())
            .target("request", id)
            .ip(who.ip.clone())
            .data(who.extra(json!({
                "client_id": client.id,
                "ask": ask,
                "justification": justification,
            }))),
    )
    .await?;
    Ok(row)
}

async fn notify_pending<C: ConnectionTrait>(
    conn: &C,
    client: &Client,
    ask: &Ask,
    request_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    notify::notify_admins(
        conn,
        &Message {
            kind: "request.pending",
            title: format!("New request for \"{}\": {}", client.name, ask.summary()),
            body: format!(
                "A developer asks for {} on the client \"{}\" ({}). Review it in the approval queue.",
                ask.summary(),
                client.name,
                client.id
            ),
            link: Some(format!("/admin/requests#{request_id}")),
        },
        now,
    )
    .await
}

/// Scopes that cannot be asked for by a client of this type.
fn scope_fits(app: ApplicationType, scope: &str) -> bool {
    // Service clients act for nobody: OpenID scopes mean nothing to them.
    !(app == ApplicationType::Service && crate::resources::is_builtin(scope))
}

/// Requests more scopes for a client. Each scope is judged at once: a scope that
/// needs no approval is approved by policy; otherwise its CEL rule (if any) may
/// approve or reject it; the rest wait for an administrator. A rule rejection
/// rejects the request (with the rule's reason); when every scope is approved, the
/// request is approved and the scopes apply at once.
pub async fn request_scopes(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    client_id: &str,
    scopes: &[String],
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    who.require_developer()?;
    crate::text::check_items("scopes", scopes, limits::SCOPES)?;
    justification_text(justification)?;
    let client = client_for(db, who, client_id).await?;
    let asked: Vec<String> = scopes
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if asked.is_empty() {
        return Err(DomainError::invalid("scopes", "choose at least one scope"));
    }
    if justification.trim().is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "explain what the client needs the scopes for",
        ));
    }
    let mut infos = Vec::new();
    for s in &asked {
        let info = crate::resources::find_scope(db, s)
            .await?
            .ok_or_else(|| DomainError::invalid("scopes", format!("unknown scope '{s}'")))?;
        if client.scopes.contains(s) {
            return Err(DomainError::invalid(
                "scopes",
                format!("the client already has '{s}'"),
            ));
        }
        if !scope_fits(client.application_type, s) {
            return Err(DomainError::invalid(
                "scopes",
                format!(
                    "'{s}' is an OpenID scope: service clients act for nobody and cannot use it"
                ),
            ));
        }
        infos.push(info);
    }
    for pending in pending_scope_requests(db, client_id).await? {
        if let Ask::Scopes { scopes } = &pending.ask {
            if let Some(dup) = scopes.iter().find(|s| asked.contains(s)) {
                return Err(DomainError::Conflict(format!(
                    "a request for '{dup}' is already waiting for a decision"
                )));
            }
        }
    }

    // Judge each scope.
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut evaluations = Vec::new();
    for info in &infos {
        let (by, verdict) = if !info.requires_approval {
            (Some("policy".to_owned()), Verdict::Approve)
        } else if let Some(rule) = rules::find(db, &info.name).await? {
            let input = RuleInput::new(
                &request_id,
                &info.name,
                &asked,
                justification.trim(),
                now,
                &client,
                &who.user,
            );
            match rules::evaluate(&rule, &input) {
                v @ (Verdict::Approve | Verdict::Reject { .. }) => (Some("rule".to_owned()), v),
                v => (None, v),
            }
        } else {
            (
                None,
                Verdict::Human {
                    why: "no auto-approval rule for this scope".into(),
                },
            )
        };
        evaluations.push(Evaluation {
            scope: info.name.clone(),
            by,
            verdict,
        });
    }

    let ask = Ask::Scopes {
        scopes: asked.clone(),
    };
    let txn = crate::db::write_txn(db).await?;
    // Lock the client before the request's audit event (see `locked_client`).
    let client = locked_client(&txn, who, client_id).await?;
    let row = insert_request(
        &txn,
        &request_id,
        who,
        &client,
        &ask,
        &evaluations,
        justification,
        now,
    )
    .await?;
    let rejected = evaluations.iter().find_map(|e| match &e.verdict {
        Verdict::Reject { reason } => Some((e.scope.clone(), reason.clone())),
        _ => None,
    });
    let all_approved = evaluations
        .iter()
        .all(|e| matches!(e.verdict, Verdict::Approve));
    if let Some((scope, reason)) = rejected {
        let decider = Decider {
            kind: "rule".into(),
            id: Some(scope.clone()),
            name: String::new(),
        };
        decide(
            &txn,
            &row,
            &client,
            &decider,
            Actor::Rule(scope.clone()),
            Decision::Reject {
                reason: format!("{scope}: {reason}"),
            },
            who.ip.clone(),
            now,
        )
        .await?;
    } else if all_approved {
        let by_rule = evaluations
            .iter()
            .find(|e| e.by.as_deref() == Some("rule"))
            .map(|e| e.scope.clone());
        let (decider, actor) = match by_rule {
            Some(scope) => (
                Decider {
                    kind: "rule".into(),
                    id: Some(scope.clone()),
                    name: String::new(),
                },
                Actor::Rule(scope),
            ),
            None => (
                Decider {
                    kind: "policy".into(),
                    id: None,
                    name: String::new(),
                },
                Actor::System,
            ),
        };
        decide(
            &txn,
            &row,
            &client,
            &decider,
            actor,
            Decision::Approve {
                scopes: Some(asked.clone()),
                note: None,
            },
            who.ip.clone(),
            now,
        )
        .await?;
    } else {
        notify_pending(&txn, &client, &ask, &row.id, now).await?;
    }
    txn.commit().await?;
    cache.invalidate_client(client_id);
    find_request_unchecked(db, &request_id).await
}

/// Requests a later registration expiry (always decided by a person).
pub async fn request_extension(
    db: &DatabaseConnection,
    who: &Who,
    client_id: &str,
    expires_at: Timestamp,
    justification: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    who.require_developer()?;
    justification_text(justification)?;
    let client = client_for(db, who, client_id).await?;
    if justification.trim().is_empty() {
        return Err(DomainError::invalid(
            "justification",
            "explain why the client needs more time",
        ));
    }
    let Some(current) = client.expires_at else {
        return Err(DomainError::invalid(
            "expires_at",
            "this registration never expires",
        ));
    };
    if expires_at <= std::cmp::max(current, now) {
        return Err(DomainError::invalid(
            "expires_at",
            format!(
                "must be later than the current expiry ({})",
                format_date(current)
            ),
        ));
    }
    if expires_at > now + MAX_EXTENSION_DAYS * 86_400 {
        return Err(DomainError::invalid(
            "expires_at",
            format!("may be at most {MAX_EXTENSION_DAYS} days from today"),
        ));
    }
    if pending_requests(db, client_id)
        .await?
        .iter()
        .any(|r| matches!(r.ask, Ask::Extension { .. }))
    {
        return Err(DomainError::Conflict(
            "an extension request for this client is already waiting for a decision".into(),
        ));
    }
    let txn = crate::db::write_txn(db).await?;
    let req = submit(
        &txn,
        who,
        &client,
        Ask::Extension {
            expires_at,
            previous: Some(current),
        },
        justification,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(req)
}

enum Decision {
    Approve {
        scopes: Option<Vec<String>>,
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
}

/// Records a decision and applies an approval, inside `conn`'s transaction. The
/// status update is conditional on the request still being pending, so two
/// administrators deciding at once cannot both succeed.
#[allow(clippy::too_many_arguments)]
async fn decide<C: ConnectionTrait>(
    conn: &C,
    row: &change_request::Model,
    client: &Client,
    decider: &Decider,
    actor: Actor,
    decision: Decision,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    let payload: Payload = serde_json::from_str(&row.payload).unwrap_or_default();
    let ask = payload
        .ask
        .ok_or_else(|| DomainError::Internal(format!("request {} has no ask", row.id)))?;
    let (status, reason, granted) = match &decision {
        Decision::Approve { scopes, note } => {
            let granted = match (&ask, scopes) {
                (Ask::Scopes { scopes: asked }, Some(pick)) => {
                    let pick: Vec<String> = pick
                        .iter()
                        .filter(|s| asked.contains(s))
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    if pick.is_empty() {
                        return Err(DomainError::invalid(
                            "scopes",
                            "approve at least one of the requested scopes, or reject the request",
                        ));
                    }
                    Some(pick)
                }
                (Ask::Scopes { scopes: asked }, None) => Some(asked.clone()),
                _ => None,
            };
            (Status::Approved, note.clone(), granted)
        }
        Decision::Reject { reason } => (Status::Rejected, Some(reason.clone()), None),
    };
    let res = change_request::Entity::update_many()
        .col_expr(change_request::Column::Status, Expr::value(status.as_str()))
        .col_expr(change_request::Column::DecidedAt, Expr::value(now))
        .col_expr(
            change_request::Column::DeciderKind,
            Expr::value(decider.kind.clone()),
        )
        .col_expr(
            change_request::Column::DeciderId,
            Expr::value(decider.id.clone()),
        )
        .col_expr(change_request::Column::Reason, Expr::value(reason.clone()))
        .col_expr(
            change_request::Column::Granted,
            Expr::value(granted.as_ref().map(|g| json!(g).to_string())),
        )
        .filter(change_request::Column::Id.eq(row.id.clone()))
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "this request has already been decided".into(),
        ));
    }

    let mut changes = Value::Null;
    if status == Status::Approved {
        // Apply to the client as it is now, not as it was when the request was read.
        let client = &clients::find_for_update(conn, &client.id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let mut next = client.clone();
        match &ask {
            Ask::Scopes { .. } => {
                for s in granted.iter().flatten() {
                    if !next.scopes.contains(s) {
                        next.scopes.push(s.clone());
                    }
                }
            }
            Ask::Extension { expires_at, .. } => next.expires_at = Some(*expires_at),
            Ask::Change { changes } => {
                for ch in changes {
                    if review::apply_approved(&mut next, ch)? {
                        continue;
                    }
                    match ch.field.as_str() {
                        "password_grant" => {
                            set_grant(&mut next, GRANT_PASSWORD, ch.after == json!(true))
                        }
                        "refresh_token_ttl_secs" => next.refresh_token_ttl_secs = ch.after.as_i64(),
                        "enabled" => next.disabled = ch.after != json!(true),
                        "expires_at" => next.expires_at = ch.after.as_i64(),
                        other => {
                            return Err(DomainError::Internal(format!(
                                "request {} changes unknown field {other}",
                                row.id
                            )))
                        }
                    }
                }
            }
        }
        // What an administrator or a rule approved here, they approved for the
        // client as it is: its grant types and redirect origins count as reviewed
        // (M7). An automatic approval by policy (no approval needed) is no review.
        let reviewed = match &ask {
            Ask::Scopes { .. } => decider.kind == "user" || decider.kind == "rule",
            Ask::Change { .. } => true,
            Ask::Extension { .. } => false,
        };
        if reviewed {
            next.mark_reviewed();
        }
        changes = diff(client, &next);
        clients::save(conn, &next, now).await?;
    }

    let event = match status {
        Status::Approved => EventType::RequestApproved,
        _ => EventType::RequestRejected,
    };
    audit::record(
        conn,
        now,
        AuditEvent::new(event, actor)
            .target("request", &row.id)
            .ip(ip)
            .data(json!({
                "client_id": client.id,
                "ask": ask,
                "decided_by": decider.kind,
                "rule": (decider.kind == "rule").then_some(&decider.id),
                "granted": granted,
                "reason": reason,
                "changes": changes,
            })),
    )
    .await?;

    let (title, body) = match status {
        Status::Approved => (
            format!("Approved: {} for \"{}\"", ask.summary(), client.name),
            format!(
                "Your request for {} on \"{}\" was approved{}.{}",
                match &granted {
                    Some(g) => format!("the scopes {}", g.join(", ")),
                    None => ask.summary(),
                },
                client.name,
                match decider.kind.as_str() {
                    "rule" => " automatically by an approval rule",
                    "policy" => " automatically",
                    _ => "",
                },
                reason
                    .as_ref()
                    .map(|r| format!(" Note: {r}"))
                    .unwrap_or_default()
            ),
        ),
        _ => (
            format!("Rejected: {} for \"{}\"", ask.summary(), client.name),
            format!(
                "Your request for {} on \"{}\" was rejected. Reason: {}",
                ask.summary(),
                client.name,
                reason.clone().unwrap_or_default()
            ),
        ),
    };
    let msg = Message {
        kind: if status == Status::Approved {
            "request.approved"
        } else {
            "request.rejected"
        },
        title,
        body,
        link: Some(format!("/developer/requests#{}", row.id)),
    };
    notify::notify_owner(conn, row.requester_id.as_deref(), &msg, now).await?;
    Ok(())
}

/// Administrators: approves a pending request, optionally only some of its scopes.
pub async fn approve(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    request_id: &str,
    scopes: Option<Vec<String>>,
    note: Option<String>,
    now: Timestamp,
) -> DomainResult<Request> {
    if let Some(s) = &scopes {
        crate::text::check_items("scopes", s, limits::SCOPES)?;
    }
    let note = match note {
        Some(n) => Some(crate::text::paragraph("note", &n, limits::REASON)?),
        None => None,
    };
    decide_by_admin(
        db,
        cache,
        who,
        request_id,
        Decision::Approve {
            scopes,
            note: note.filter(|n| !n.is_empty()),
        },
        now,
    )
    .await
}

/// Administrators: rejects a pending request. The reason is required and is sent
/// to the developer.
pub async fn reject(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    request_id: &str,
    reason: &str,
    now: Timestamp,
) -> DomainResult<Request> {
    let reason = crate::text::paragraph("reason", reason, limits::REASON)?;
    if reason.is_empty() {
        return Err(DomainError::invalid(
            "reason",
            "is required: the developer is told why",
        ));
    }
    decide_by_admin(db, cache, who, request_id, Decision::Reject { reason }, now).await
}

async fn decide_by_admin(
    db: &DatabaseConnection,
    cache: &SecretCache,
    who: &Who,
    request_id: &str,
    decision: Decision,
    now: Timestamp,
) -> DomainResult<Request> {
    if who.admin().is_none() {
        return Err(DomainError::Forbidden);
    }
    if !crate::text::could_exist(request_id) {
        return Err(DomainError::NotFound);
    }
    let txn = crate::db::write_txn(db).await?;
    let row = change_request::Entity::find_by_id(request_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if row.status != Status::Pending.as_str() {
        return Err(DomainError::Conflict(
            "this request has already been decided".into(),
        ));
    }
    let client = clients::find_for_update(&txn, &row.client_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let decider = Decider {
        kind: "user".into(),
        id: Some(who.user.id.clone()),
        name: who.user.username.clone(),
    };
    decide(
        &txn,
        &row,
        &client,
        &decider,
        who.actor(),
        decision,
        who.ip.clone(),
        now,
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(&row.client_id);
    find_request_unchecked(db, request_id).await
}

async fn find_request_unchecked(db: &DatabaseConnection, id: &str) -> DomainResult<Request> {
    if !crate::text::could_exist(id) {
        return Err(DomainError::NotFound);
    }
    let row = change_request::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(to_requests(db, vec![row]).await?.remove(0))
}

/// One request, for its client's owner or an administrator.
pub async fn find_request(db: &DatabaseConnection, who: &Who, id: &str) -> DomainResult<Request> {
    let req = find_request_unchecked(db, id).await?;
    if who.is_admin() {
        return Ok(req);
    }
    client_for(db, who, &req.client_id).await?;
    Ok(req)
}

async fn pending_requests<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<Request>> {
    let rows = change_request::Entity::find()
        .filter(change_request::Column::ClientId.eq(client_id))
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .all(conn)
        .await?;
    to_requests(conn, rows).await
}

async fn pending_scope_requests<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
) -> DomainResult<Vec<Request>> {
    Ok(pending_requests(conn, client_id)
        .await?
        .into_iter()
        .filter(|r| matches!(r.ask, Ask::Scopes { .. }))
        .collect())
}

/// Filters for request listings.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RequestFilter {
    pub status: Option<Status>,
    /// `scopes`, `extension` or `change`.
    pub kind: Option<String>,
    pub client_id: Option<String>,
}

/// Requests visible to the caller: administrators see all (`mine = false`), others
/// the requests for the clients they own. Pending requests are listed oldest
/// first (a queue); decided ones newest first.
pub async fn list_requests(
    db: &DatabaseConnection,
    who: &Who,
    mine: bool,
    filter: &RequestFilter,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<Request>> {
    let (page, per_page) = crate::users::page_bounds(page, per_page, limits::PER_PAGE);
    let mut q = change_request::Entity::find();
    if mine || !who.is_admin() {
        let owned: Vec<String> = client::Entity::find()
            .select_only()
            .column(client::Column::Id)
            .filter(client::Column::OwnerId.eq(who.user.id.clone()))
            .into_tuple()
            .all(db)
            .await?;
        q = q.filter(
            sea_orm::Condition::any()
                .add(change_request::Column::ClientId.is_in(owned))
                .add(change_request::Column::RequesterId.eq(who.user.id.clone())),
        );
    }
    if let Some(s) = filter.status {
        q = q.filter(change_request::Column::Status.eq(s.as_str()));
    }
    if let Some(k) = filter.kind.as_deref().filter(|k| !k.is_empty()) {
        q = q.filter(change_request::Column::Kind.eq(crate::text::search("kind", k)?));
    }
    if let Some(c) = filter.client_id.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(change_request::Column::ClientId.eq(crate::text::search("client_id", c)?));
    }
    q = if filter.status == Some(Status::Pending) {
        q.order_by_asc(change_request::Column::CreatedAt)
            .order_by_asc(change_request::Column::Id)
    } else {
        q.order_by_desc(change_request::Column::CreatedAt)
            .order_by_desc(change_request::Column::Id)
    };
    let p = q.paginate(db, per_page);
    let total = p.num_items().await?;
    let rows = p.fetch_page(page - 1).await?;
    Ok(Page {
        items: to_requests(db, rows).await?,
        page,
        per_page,
        total,
    })
}

/// How many requests wait for an administrator.
pub async fn pending_count<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    Ok(change_request::Entity::find()
        .filter(change_request::Column::Status.eq(Status::Pending.as_str()))
        .count(conn)
        .await?)
}

/// A rule tried against recent scope requests for its scope, before saving it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrial {
    pub request_id: String,
    pub client_name: String,
    pub developer: String,
    pub created_at: Timestamp,
    pub verdict: Verdict,
}

/// Evaluates a draft rule against the most recent scope requests that asked for
/// its scope (at most `limit`), without changing anything.
pub async fn test_rule(
    db: &DatabaseConnection,
    who: &Who,
    draft: &rules::RuleDraft,
    limit: u64,
) -> DomainResult<Vec<RuleTrial>> {
    if !who.is_admin() {
        return Err(DomainError::Forbidden);
    }
    let rule = rules::validate(db, draft).await?;
    let pat = format!("%\"{}\"%", rule.scope.replace(['%', '_'], ""));
    let rows = change_request::Entity::find()
        .filter(change_request::Column::Kind.eq("scopes"))
        .filter(Expr::col(change_request::Column::Payload).like(pat))
        .order_by_desc(change_request::Column::CreatedAt)
        .limit(limit.clamp(1, 100))
        .all(db)
        .await?;
    let mut out = Vec::new();
    for req in to_requests(db, rows).await? {
        let Ask::Scopes { scopes } = &req.ask else {
            continue;
        };
        if !scopes.contains(&rule.scope) {
            continue;
        }
        let (Some(c), Some(dev)) = (
            clients::find(db, &req.client_id).await?,
            match &req.requester_id {
                Some(id) => crate::users::find_by_id(db, id).await?,
                None => None,
            },
        ) else {
            continue;
        };
        let input = RuleInput::new(
            &req.id,
            &rule.scope,
            scopes,
            &req.justification,
            req.created_at,
            &c,
            &dev,
        );
        out.push(RuleTrial {
            request_id: req.id.clone(),
            client_name: req.client_name.clone(),
            developer: dev.username.clone(),
            created_at: req.created_at,
            verdict: rules::evaluate(&rule, &input),
        });
    }
    Ok(out)
}
