//! Dynamic client registration, governed (RFC 7591 + 7592; issue 16, item 1).
//!
//! A registration is validated by the same rules as the portal's
//! (`ClientPatch::register`, `store::prepare`), and the client is written by the
//! same `store::insert`, beside a `dynamic_registrations` row saying how it came
//! (`open`, or `token` with the initial access token's id), from which address,
//! and holding the SHA-256 of its registration access token.
//!
//! Admission: every dynamically registered client starts **disabled** — awaiting
//! admission — and gets no tokens until it is admitted: by the admission rule, by
//! an administrator in the approval queue, or by enabling it (the same switch as
//! any client's). Its admission request is opened in the registration's
//! transaction (`portal::admission`). A 7592 update that changes what admission
//! vetted (redirect URIs, grant types, keys) sends the client back to awaiting
//! admission, with a new request.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::Serialize;
use serde_json::json;

use super::authenticate::SecretCache;
use super::metadata::{ClientPatch, NewClient};
use super::model::{ApplicationType, Client, GrantType, SubjectType};
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::dynamic_registration as dr;
use crate::platform::clock::Timestamp;
use crate::platform::password::PasswordHasher;
use crate::platform::secret::{random_token, token_hash, SecretString};
use crate::portal::admission::{self, Arrival};
use crate::portal::request::Status;
use crate::settings::{RegistrationMode, RuntimeSettings};
use crate::{DomainError, DomainResult};

/// Why a registration or a 7592 request was refused.
#[derive(Debug)]
pub enum Refused {
    /// Registration is turned off.
    Off,
    /// The initial access token (registration) or the registration access token
    /// (7592) is missing, unknown, expired, revoked or used up — one answer for
    /// all, and the same whether the client exists or not.
    InvalidToken,
    /// The same registrant registered the same software before, and it was
    /// refused admission (see `clients::fold`).
    RefusedBefore,
    /// The metadata is invalid (or the database failed).
    Domain(DomainError),
}

impl From<DomainError> for Refused {
    fn from(e: DomainError) -> Self {
        Self::Domain(e)
    }
}

impl From<sea_orm::DbErr> for Refused {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Domain(e.into())
    }
}

/// How many open registrations one address may make in a window: an open
/// endpoint lets anyone create rows, and each one is a card in the approval queue.
/// Likewise how many metadata documents not already held one address may make
/// this server fetch: each fetch is an outbound request on its behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenRegistrationLimit {
    pub per_address: i32,
    pub documents_per_address: i32,
    pub window_secs: i64,
}

impl Default for OpenRegistrationLimit {
    fn default() -> Self {
        Self {
            per_address: 20,
            documents_per_address: 30,
            window_secs: 3600,
        }
    }
}

/// Counts a fetch of a metadata document this server does not hold fresh, asked
/// for from `ip`: as [`count_open_registration`], against
/// `documents_per_address`.
pub async fn count_document_fetch(
    db: &DatabaseConnection,
    limit: &OpenRegistrationLimit,
    ip: &str,
    now: Timestamp,
) -> DomainResult<Option<i64>> {
    count(
        db,
        format!("document-ip:{ip}"),
        limit.documents_per_address,
        limit.window_secs,
        now,
    )
    .await
}

/// Counts an open registration from `ip` against `limit` — check and count in one
/// step, shared by every process through the throttle table — before anything is
/// read or stored. `Some(seconds)` when the address has used its registrations
/// for this window: the registration is refused, and nothing was counted.
pub async fn count_open_registration(
    db: &DatabaseConnection,
    limit: &OpenRegistrationLimit,
    ip: &str,
    now: Timestamp,
) -> DomainResult<Option<i64>> {
    count(
        db,
        format!("register-ip:{ip}"),
        limit.per_address,
        limit.window_secs,
        now,
    )
    .await
}

/// One attempt counted against `key`, checked and counted in one step.
async fn count(
    db: &DatabaseConnection,
    key: String,
    max: i32,
    window_secs: i64,
    now: Timestamp,
) -> DomainResult<Option<i64>> {
    use crate::accounts::throttle::{reserve, Limit, Reservation};
    let limits = [Limit {
        key,
        max,
        window_secs,
        lockout_secs: window_secs,
    }];
    Ok(match reserve(db, &limits, now).await? {
        // The slot is kept: a registration counts whatever becomes of it.
        Reservation::Granted(_) => None,
        Reservation::Refused {
            retry_after_secs, ..
        } => Some(retry_after_secs),
    })
}

/// Who registers, as the endpoint saw it.
#[derive(Clone, Debug, Default)]
pub struct Registrant {
    /// The bearer token sent with the registration, if any.
    pub initial_token: Option<String>,
    pub ip: Option<String>,
}

/// How a dynamically registered client came: shown on /admin/clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Origin {
    /// `open` or `token`.
    pub via: String,
    pub initial_token_id: Option<String>,
    pub ip: Option<String>,
    pub software_id: Option<String>,
    pub registered_at: Timestamp,
}

impl From<dr::Model> for Origin {
    fn from(m: dr::Model) -> Self {
        Self {
            via: m.via,
            initial_token_id: m.initial_token_id,
            ip: m.ip,
            software_id: m.software_id,
            registered_at: m.created_at,
        }
    }
}

/// A new client, with its secret (confidential clients) and its registration
/// access token: both shown once, here.
pub struct Registered {
    pub client: Client,
    pub secret: Option<SecretString>,
    pub registration_access_token: SecretString,
}

/// What a registration asks for.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub application_type: Option<ApplicationType>,
    pub metadata: ClientPatch,
    pub software_id: Option<String>,
    /// RFC 7591 `scope`: what the client will ask for. Those that exist and need
    /// no approval are granted with the registration; the rest are not.
    pub scopes: Vec<String>,
}

pub(crate) fn check_request(req: &Request) -> DomainResult<()> {
    if req
        .metadata
        .grant_types
        .iter()
        .flatten()
        .any(|g| g == GrantType::Password.as_str())
    {
        return Err(DomainError::invalid(
            "grant_types",
            "the password grant is not available to dynamically registered clients",
        ));
    }
    if let Some(s) = &req.software_id {
        crate::platform::text::line("software_id", s, limits::SOFTWARE_ID)?;
    }
    if req.scopes.len() > limits::SCOPES {
        return Err(DomainError::invalid(
            "scope",
            format!("at most {} scopes", limits::SCOPES),
        ));
    }
    if let Some(bad) = req
        .scopes
        .iter()
        .find(|s| !crate::oauth::valid_scope_token(s) || s.len() > limits::SCOPE_NAME)
    {
        return Err(DomainError::invalid(
            "scope",
            format!("'{}' is not a valid scope name", bad.escape_debug()),
        ));
    }
    Ok(())
}

/// The scopes a registration gets: the defaults (a service client none), and of
/// those it asked for, the ones that exist and need no administrator's approval
/// (as a developer adds them in the portal at once). Returns them with the ones
/// asked for and not granted.
pub(crate) async fn granted_scopes<C: sea_orm::ConnectionTrait>(
    conn: &C,
    app: ApplicationType,
    settings: &RuntimeSettings,
    asked: &[String],
) -> DomainResult<(Vec<String>, Vec<String>)> {
    let mut granted = match app {
        ApplicationType::Service => Vec::new(),
        _ => settings.default_client_scopes.clone(),
    };
    let mut not_granted = Vec::new();
    for s in asked {
        if granted.contains(s) || not_granted.contains(s) {
            continue;
        }
        // A service client acts for nobody: sign-in scopes are not for it.
        let free = crate::apis::find_scope(conn, s).await?.is_some_and(|info| {
            !info.requires_approval && (app != ApplicationType::Service || info.audience.is_some())
        });
        if free {
            granted.push(s.clone());
        } else {
            not_granted.push(s.clone());
        }
    }
    Ok((granted, not_granted))
}

/// Registers a client (RFC 7591 §3). It starts disabled, awaiting admission; it
/// gets the default scopes (a service client none), the free scopes it asked for
/// (see [`granted_scopes`]) and the default lifetime.
pub async fn register(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    settings: &RuntimeSettings,
    req: Request,
    who: Registrant,
    now: Timestamp,
) -> Result<Registered, Refused> {
    let mode = crate::settings::registration_mode(db).await?;
    let token = match mode {
        RegistrationMode::Off => return Err(Refused::Off),
        RegistrationMode::Open => None,
        RegistrationMode::Token => Some(who.initial_token.clone().ok_or(Refused::InvalidToken)?),
    };
    check_request(&req)?;
    let app = req.application_type.unwrap_or(ApplicationType::Web);
    let (scopes, not_granted) = granted_scopes(db, app, settings, &req.scopes).await?;
    let days = settings.default_client_lifetime_days;
    let mut ready = super::store::prepare(
        db,
        hasher,
        NewClient {
            application_type: Some(app),
            metadata: req.metadata,
            scopes,
            first_party: false,
            pre_authorized: false,
            allowed_email_domains: Vec::new(),
            owner_id: None,
            expires_at: (days > 0).then_some(now + days * 86_400),
            unreviewed: true,
            // Nobody's team: development would admit no one. Admission governs it.
            stage: Default::default(),
            requestable_claims: Vec::new(),
            subject_type: SubjectType::Public,
        },
        now,
    )
    .await?;
    ready.await_admission();
    let rat = SecretString::new(random_token());
    let txn = crate::platform::db::write_txn(db).await?;
    let initial_token_id = match &token {
        Some(t) => Some(
            super::initial_tokens::claim(&txn, t, now)
                .await?
                .ok_or(Refused::InvalidToken)?,
        ),
        None => None,
    };
    let id = ready.id().to_owned();
    let software_id = req.software_id.map(|s| s.trim().to_owned());
    let registrant = super::fold::Registrant {
        via: mode.as_str(),
        ip: who.ip.as_deref(),
        initial_token_id: initial_token_id.as_deref(),
        software_id: software_id.as_deref(),
    };
    let folded = super::fold::fold(&txn, &registrant, ready.client(), now).await?;
    if folded.refused_twin.is_some() {
        // Dropping the transaction gives the initial access token's use back.
        return Err(Refused::RefusedBefore);
    }
    let mut created = super::store::insert(&txn, Actor::Client(id.clone()), ready, now).await?;
    dr::ActiveModel {
        client_id: Set(id.clone()),
        token_hash: Set(token_hash(rat.expose())),
        via: Set(mode.as_str().to_owned()),
        initial_token_id: Set(initial_token_id.clone()),
        ip: Set(who.ip.clone()),
        software_id: Set(software_id.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::ClientRegisteredDynamically,
            Actor::Client(id.clone()),
        )
        .target("client", &id)
        .ip(who.ip.clone())
        .data(json!({
            "via": mode.as_str(),
            "initial_access_token": initial_token_id,
            "software_id": software_id,
            "scopes_not_granted": not_granted,
            "replaces": folded.replaced,
        })),
    )
    .await?;
    let arrival = Arrival {
        via: mode.as_str().to_owned(),
        initial_token: initial_token_id,
        ip: who.ip,
        software_id,
        scopes: req.scopes,
        ..Default::default()
    };
    if admission::open(&txn, &created.client, arrival, now).await? == Status::Approved {
        // Admitted at once by the admission rule.
        created.client = super::store::find(&txn, &id)
            .await?
            .ok_or(DomainError::NotFound)?;
    }
    txn.commit().await?;
    Ok(Registered {
        client: created.client,
        secret: created.secret,
        registration_access_token: rat,
    })
}

/// The client a registration access token is for (RFC 7592 §3): looked up by
/// the token's hash, so the token is never compared in the clear, and a wrong
/// token and an unknown client get the same answer.
pub async fn authorize<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    rat: Option<&str>,
) -> Result<(Client, Origin), Refused> {
    let rat = rat
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or(Refused::InvalidToken)?;
    let row = dr::Entity::find()
        .filter(dr::Column::TokenHash.eq(token_hash(rat)))
        .one(conn)
        .await?
        .filter(|r| r.client_id == client_id)
        .ok_or(Refused::InvalidToken)?;
    let client = super::store::find(conn, client_id)
        .await?
        .ok_or(Refused::InvalidToken)?;
    Ok((client, row.into()))
}

/// How a client was registered dynamically, if it was.
pub async fn origin<C: ConnectionTrait>(conn: &C, client_id: &str) -> DomainResult<Option<Origin>> {
    Ok(dr::Entity::find_by_id(client_id.to_owned())
        .one(conn)
        .await?
        .map(Into::into))
}

/// How each of `ids` was registered, for those registered dynamically (one query:
/// a page of the administrators' client list).
pub async fn origins<C: ConnectionTrait>(
    conn: &C,
    ids: &[String],
) -> DomainResult<std::collections::HashMap<String, Origin>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(dr::Entity::find()
        .filter(dr::Column::ClientId.is_in(ids.iter().cloned()))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.client_id.clone(), m.into()))
        .collect())
}

/// RFC 7592 §2.2: replaces the client's metadata (fields left out get the
/// defaults of its type), validated as at registration. Changing what admission
/// vetted (redirect URIs, grant types, keys) sends it back to awaiting admission;
/// changing between a secret and no secret is refused (register again instead).
pub async fn update(
    db: &DatabaseConnection,
    cache: &SecretCache,
    client_id: &str,
    rat: Option<&str>,
    req: Request,
    now: Timestamp,
) -> Result<Client, Refused> {
    let (current, origin) = authorize(db, client_id, rat).await?;
    check_request(&req)?;
    let app = current.metadata.application_type;
    if req.application_type.is_some_and(|a| a != app) {
        return Err(DomainError::invalid(
            "application_type",
            "cannot be changed: register a new client",
        )
        .into());
    }
    let replaced = req.metadata.register(app)?;
    if replaced.has_secret() != current.metadata.has_secret() {
        return Err(DomainError::invalid(
            "token_endpoint_auth_method",
            "cannot change between a secret and none: register a new client",
        )
        .into());
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let current = super::store::find_for_update(&txn, client_id)
        .await?
        .ok_or(Refused::InvalidToken)?;
    let mut next = current.clone();
    next.metadata = ClientPatch::all(&replaced).edit(&current.metadata)?;
    let m = (&current.metadata, &next.metadata);
    let revetted = m.0.redirect_uris != m.1.redirect_uris
        || m.0.grant_types != m.1.grant_types
        || m.0.jwks_uri != m.1.jwks_uri
        || m.0.jwks != m.1.jwks;
    if revetted {
        next.disabled = true;
    }
    super::store::save(&txn, &next, now).await?;
    // An admitted client (or one refused) asks again for what changed; one
    // awaiting admission, or disabled by an administrator, does not.
    if revetted
        && (!current.disabled
            || admission::latest(&txn, client_id).await? == Some(Status::Rejected))
    {
        let arrival = Arrival {
            via: origin.via.clone(),
            initial_token: origin.initial_token_id.clone(),
            ip: origin.ip.clone(),
            software_id: origin.software_id.clone(),
            scopes: req.scopes.clone(),
            again: true,
            ..Default::default()
        };
        admission::open(&txn, &next, arrival, now).await?;
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::ClientUpdated,
            Actor::Client(client_id.to_owned()),
        )
        .target("client", client_id)
        .data(json!({
            "before": current,
            "after": next,
            "via": "rfc7592",
            "awaiting_admission": next.disabled,
        })),
    )
    .await?;
    txn.commit().await?;
    cache.invalidate_client(client_id);
    super::store::find(db, client_id)
        .await?
        .ok_or(Refused::InvalidToken)
}

/// RFC 7592 §2.3: deletes the client as the portal does (its grants, codes and
/// refresh tokens by cascade, its access tokens inactive at once).
pub async fn delete(
    db: &DatabaseConnection,
    cache: &SecretCache,
    client_id: &str,
    rat: Option<&str>,
    now: Timestamp,
) -> Result<(), Refused> {
    authorize(db, client_id, rat).await?;
    super::store::delete(db, Actor::Client(client_id.to_owned()), client_id, now).await?;
    cache.invalidate_client(client_id);
    Ok(())
}
