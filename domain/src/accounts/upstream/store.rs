//! Upstream providers that administrators add, change and remove on a page
//! (`/admin/sign-in-providers`), beside the settings file's fixed ones.
//!
//! A provider is saved only when its issuer answers with a discovery document
//! whose `issuer` is exactly the one typed (the sign-in would fail otherwise).
//! Its `id` and `issuer` never change once saved: the links of people to it are
//! the provider's subjects, which mean something only at that issuer — a
//! provider moved to another issuer under the same id would hand its accounts
//! to whoever holds those subjects there. Removing a provider removes its links
//! in the same transaction, for the same reason. The client secret is sealed
//! with the key-encryption key (as second-factor secrets are) and never shown
//! again; the change feed's `upstream` topic (m0043's trigger) drops every
//! process's copy.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::config::{
    check, valid_domain, valid_id, valid_name, valid_scope, Claims, ClientAuth, ProviderConfig,
    RoleClaim,
};
use super::Upstreams;
use crate::accounts::users::{AdminCtx, Role};
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::{upstream_link, upstream_provider};
use crate::oauth::keys::Kek;
use crate::platform::clock::Timestamp;
use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

/// Providers administrators may add.
pub const MAX_PROVIDERS: u64 = 50;

/// What the page sends (text as typed; lists one per line or space-separated).
#[derive(Clone, Debug, Default)]
pub struct ProviderInput {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_auth: String,
    /// Empty on a change: the secret stays as it is.
    pub client_secret: SecretString,
    pub scopes: String,
    pub domains: String,
    pub provision: bool,
    pub default_role: String,
    pub trust_email: bool,
    pub username_claim: String,
    pub display_name_claim: String,
    pub given_name_claim: String,
    pub family_name_claim: String,
    pub email_claim: String,
    /// Empty: roles stay the administrators' to set.
    pub role_claim: String,
    pub admin_values: String,
    pub developer_values: String,
    pub timeout_secs: String,
}

/// A provider as the page lists it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub config: ProviderConfig,
    /// From the settings file (read-only here).
    pub fixed: bool,
    /// People linked to it.
    pub linked: u64,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn claim_name(field: &'static str, s: &str, default: &str) -> Result<String, DomainError> {
    let s = s.trim();
    let s = if s.is_empty() { default } else { s };
    if s.len() > 100 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(DomainError::invalid(
            field,
            "a claim name: up to 100 characters, no spaces",
        ));
    }
    Ok(s.to_owned())
}

/// The provider `input` describes, every problem at once (one per field).
/// `current`: the saved provider a change starts from (its id, issuer and
/// secret stay).
pub fn parse(
    input: &ProviderInput,
    current: Option<&ProviderConfig>,
) -> Result<ProviderConfig, Vec<DomainError>> {
    let mut problems = Vec::new();
    let mut ok = |r: Result<(), DomainError>| {
        if let Err(e) = r {
            problems.push(e);
        }
    };
    let id = match current {
        Some(c) => c.id.clone(),
        None => input.id.trim().to_owned(),
    };
    if current.is_none() && !valid_id(&id) {
        ok(Err(DomainError::invalid(
            "id",
            "1 to 32 of a–z, 0–9 and '-' (it appears in addresses and never changes)",
        )));
    }
    let name = input.name.trim().to_owned();
    if !valid_name(&name) {
        ok(Err(DomainError::invalid(
            "name",
            "1 to 60 characters: people read \"Continue with …\"",
        )));
    } else {
        ok(crate::platform::text::check_chars("name", &name, false));
    }
    let issuer = match current {
        Some(c) => c.issuer.clone(),
        None => input.issuer.trim().to_owned(),
    };
    if current.is_none() {
        if issuer.len() > 512 {
            ok(Err(DomainError::invalid(
                "issuer",
                "at most 512 characters",
            )));
        } else if let Err(e) = crate::oauth::check_issuer(&issuer) {
            ok(Err(DomainError::invalid("issuer", e)));
        }
    }
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty() || client_id.len() > 255 {
        ok(Err(DomainError::invalid(
            "client_id",
            "the client id the provider gave this server: 1 to 255 characters",
        )));
    }
    let client_auth = ClientAuth::parse(input.client_auth.trim()).unwrap_or_else(|| {
        ok(Err(DomainError::invalid(
            "client_auth",
            "choose how this server authenticates to the provider",
        )));
        ClientAuth::default()
    });
    let typed_secret = input.client_secret.expose().trim();
    let client_secret = if !client_auth.uses_secret() {
        SecretString::default()
    } else if !typed_secret.is_empty() {
        if typed_secret.len() > 1024 {
            ok(Err(DomainError::invalid(
                "client_secret",
                "at most 1024 characters",
            )));
        }
        SecretString::new(typed_secret)
    } else {
        match current {
            Some(c) if !c.client_secret.expose().is_empty() => c.client_secret.clone(),
            _ => {
                ok(Err(DomainError::invalid(
                    "client_secret",
                    "the client secret the provider gave this server (or choose private_key_jwt)",
                )));
                SecretString::default()
            }
        }
    };
    let scopes = words(&input.scopes);
    if scopes.len() > 20 || !scopes.iter().all(|s| valid_scope(s)) {
        ok(Err(DomainError::invalid(
            "scopes",
            "up to 20 scope names (besides openid), separated by spaces",
        )));
    }
    let domains: Vec<String> = words(&input.domains)
        .into_iter()
        .map(|d| d.to_ascii_lowercase())
        .collect();
    if domains.len() > 20 || !domains.iter().all(|d| valid_domain(d)) {
        ok(Err(DomainError::invalid(
            "domains",
            "up to 20 domain names such as campus.example, separated by spaces",
        )));
    }
    let default_role = match input.default_role.trim() {
        "user" | "" => Role::User,
        "developer" => Role::Developer,
        "admin" => Role::Admin,
        _ => {
            ok(Err(DomainError::invalid(
                "default_role",
                "choose user, developer or administrator",
            )));
            Role::User
        }
    };
    let defaults = Claims::default();
    let mut claim = |field, typed: &str, default: &str| {
        claim_name(field, typed, default).unwrap_or_else(|e| {
            ok(Err(e));
            default.to_owned()
        })
    };
    let claims = Claims {
        username: claim("username_claim", &input.username_claim, &defaults.username),
        display_name: claim(
            "display_name_claim",
            &input.display_name_claim,
            &defaults.display_name,
        ),
        given_name: claim(
            "given_name_claim",
            &input.given_name_claim,
            &defaults.given_name,
        ),
        family_name: claim(
            "family_name_claim",
            &input.family_name_claim,
            &defaults.family_name,
        ),
        email: claim("email_claim", &input.email_claim, &defaults.email),
    };
    let roles = match input.role_claim.trim() {
        "" => None,
        c => {
            let c = claim_name("role_claim", c, "groups").unwrap_or_else(|e| {
                ok(Err(e));
                String::new()
            });
            let mut values = |field, s: &str| {
                let v = words(s);
                if v.len() > 50 || v.iter().any(|x| x.len() > 200) {
                    ok(Err(DomainError::invalid(
                        field,
                        "up to 50 values, separated by spaces",
                    )));
                }
                v
            };
            Some(RoleClaim {
                claim: c,
                admin: values("admin_values", &input.admin_values),
                developer: values("developer_values", &input.developer_values),
            })
        }
    };
    let timeout_secs = match input.timeout_secs.trim() {
        "" => 10,
        t => match t.parse::<u64>() {
            Ok(n) if (1..=60).contains(&n) => n,
            _ => {
                ok(Err(DomainError::invalid(
                    "timeout_secs",
                    "a whole number of seconds, 1 to 60",
                )));
                10
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ProviderConfig {
        id,
        name,
        issuer,
        client_id,
        client_auth,
        client_secret,
        scopes,
        domains,
        provision: input.provision,
        default_role,
        trust_email: input.trust_email,
        claims,
        roles,
        timeout_secs,
    })
}

/// The administrators' providers, secrets unsealed, by name.
pub(crate) async fn load<C: ConnectionTrait>(
    conn: &C,
    kek: &Kek,
) -> DomainResult<Vec<ProviderConfig>> {
    let rows = upstream_provider::Entity::find()
        .order_by_asc(upstream_provider::Column::Id)
        .all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(unseal(&r, kek)?);
    }
    out.sort_by_key(|p| p.name.to_lowercase());
    Ok(out)
}

fn unseal(r: &upstream_provider::Model, kek: &Kek) -> DomainResult<ProviderConfig> {
    let mut p: ProviderConfig = serde_json::from_str(&r.config)
        .map_err(|e| DomainError::Internal(format!("stored upstream provider {}: {e}", r.id)))?;
    if let Some(sealed) = &r.secret_sealed {
        let bytes = kek.open(sealed)?;
        p.client_secret = SecretString::new(
            String::from_utf8(bytes)
                .map_err(|_| DomainError::Internal("stored upstream secret".into()))?,
        );
    }
    Ok(p)
}

/// Every provider, for the administrators' page: fixed ones first.
pub async fn list(db: &DatabaseConnection, upstreams: &Upstreams) -> DomainResult<Vec<Listed>> {
    #[derive(FromQueryResult)]
    struct Links {
        provider: String,
        n: i64,
    }
    let rows = upstream_provider::Entity::find().all(db).await?;
    // People linked to each provider, in one grouped read.
    let links = upstream_link::Entity::find()
        .select_only()
        .column(upstream_link::Column::Provider)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(upstream_link::Column::Provider)
        .into_model::<Links>()
        .all(db)
        .await?;
    Ok(upstreams
        .all(db)
        .await?
        .iter()
        .map(|p| {
            let row = rows.iter().find(|r| r.id == p.id);
            Listed {
                config: p.clone(),
                fixed: row.is_none(),
                linked: links
                    .iter()
                    .find(|l| l.provider == p.id)
                    .map_or(0, |l| l.n.max(0) as u64),
                created_at: row.map(|r| r.created_at),
                updated_at: row.map(|r| r.updated_at),
            }
        })
        .collect())
}

/// One administrator's provider, read from its row (`NotFound` for a fixed or
/// unknown one).
pub async fn stored(
    db: &DatabaseConnection,
    upstreams: &Upstreams,
    id: &str,
) -> DomainResult<Listed> {
    let row = upstream_provider::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let linked = upstream_link::Entity::find()
        .filter(upstream_link::Column::Provider.eq(id))
        .count(db)
        .await?;
    Ok(Listed {
        config: unseal(&row, &upstreams.kek)?,
        fixed: false,
        linked,
        created_at: Some(row.created_at),
        updated_at: Some(row.updated_at),
    })
}

/// What an event says of a provider: its settings, never its secret.
fn described(p: &ProviderConfig) -> serde_json::Value {
    serde_json::to_value(p).unwrap_or_default()
}

/// Adds the provider `input` describes, once its issuer answered.
pub async fn add(
    db: &DatabaseConnection,
    upstreams: &Upstreams,
    kek: &Kek,
    ctx: &AdminCtx,
    input: &ProviderInput,
    now: Timestamp,
) -> Result<ProviderConfig, Vec<DomainError>> {
    let p = parse(input, None)?;
    let all = upstreams.all(db).await.map_err(|e| vec![e])?;
    if all.iter().any(|o| o.id == p.id) {
        return Err(vec![DomainError::invalid(
            "id",
            "another provider has this id",
        )]);
    }
    let count = upstream_provider::Entity::find()
        .count(db)
        .await
        .map_err(|e| vec![e.into()])?;
    if count >= MAX_PROVIDERS {
        return Err(vec![DomainError::Conflict(format!(
            "At most {MAX_PROVIDERS} providers can be added here; remove one first."
        ))]);
    }
    together(&all, &p)?;
    answers(upstreams, &p, now).await?;
    let txn = crate::platform::db::write_txn(db)
        .await
        .map_err(|e| vec![e.into()])?;
    upstream_provider::ActiveModel {
        id: Set(p.id.clone()),
        config: Set(described(&p).to_string()),
        secret_sealed: Set(sealed(&p, kek).map_err(|e| vec![e])?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| vec![e.into()])?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UpstreamProviderAdded, ctx.actor().clone())
            .target("upstream_provider", &p.id)
            .data(json!({ "after": described(&p) })),
    )
    .await
    .map_err(|e| vec![e])?;
    txn.commit().await.map_err(|e| vec![e.into()])?;
    upstreams.invalidate();
    Ok(p)
}

/// Changes the administrators' provider `id` (not its id or issuer).
pub async fn change(
    db: &DatabaseConnection,
    upstreams: &Upstreams,
    kek: &Kek,
    ctx: &AdminCtx,
    id: &str,
    input: &ProviderInput,
    now: Timestamp,
) -> Result<ProviderConfig, Vec<DomainError>> {
    let current = stored(db, upstreams, id).await.map_err(|e| vec![e])?.config;
    let p = parse(input, Some(&current))?;
    let all = upstreams.all(db).await.map_err(|e| vec![e])?;
    let others: Vec<ProviderConfig> = all.iter().filter(|o| o.id != id).cloned().collect();
    together(&others, &p)?;
    answers(upstreams, &p, now).await?;
    let txn = crate::platform::db::write_txn(db)
        .await
        .map_err(|e| vec![e.into()])?;
    let row = upstream_provider::Entity::find_by_id(id.to_owned())
        .one(&txn)
        .await
        .map_err(|e| vec![e.into()])?
        .ok_or_else(|| vec![DomainError::NotFound])?;
    let mut am: upstream_provider::ActiveModel = row.into();
    am.config = Set(described(&p).to_string());
    am.secret_sealed = Set(sealed(&p, kek).map_err(|e| vec![e])?);
    am.updated_at = Set(now);
    am.update(&txn).await.map_err(|e| vec![e.into()])?;
    let secret_changed = current.client_secret != p.client_secret;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UpstreamProviderChanged, ctx.actor().clone())
            .target("upstream_provider", id)
            .data(json!({
                "before": described(&current),
                "after": described(&p),
                "secret_changed": secret_changed,
            })),
    )
    .await
    .map_err(|e| vec![e])?;
    txn.commit().await.map_err(|e| vec![e.into()])?;
    upstreams.invalidate();
    Ok(p)
}

/// Removes the administrators' provider `id` and the links of people to it;
/// returns how many links went.
pub async fn remove(
    db: &DatabaseConnection,
    upstreams: &Upstreams,
    ctx: &AdminCtx,
    id: &str,
    now: Timestamp,
) -> DomainResult<u64> {
    let current = stored(db, upstreams, id).await?.config;
    let txn = crate::platform::db::write_txn(db).await?;
    let gone = upstream_provider::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?
        .rows_affected;
    if gone != 1 {
        return Err(DomainError::NotFound);
    }
    let unlinked = upstream_link::Entity::delete_many()
        .filter(upstream_link::Column::Provider.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::UpstreamProviderRemoved, ctx.actor().clone())
            .target("upstream_provider", id)
            .data(json!({ "before": described(&current), "links_removed": unlinked })),
    )
    .await?;
    txn.commit().await?;
    upstreams.invalidate();
    Ok(unlinked)
}

fn sealed(p: &ProviderConfig, kek: &Kek) -> DomainResult<Option<String>> {
    if !p.client_auth.uses_secret() {
        return Ok(None);
    }
    kek.seal(p.client_secret.expose().as_bytes()).map(Some)
}

/// The rules across providers (ids, domains), with `p` among `others`.
fn together(others: &[ProviderConfig], p: &ProviderConfig) -> Result<(), Vec<DomainError>> {
    for d in &p.domains {
        if let Some(o) = others.iter().find(|o| o.serves(&format!("x@{d}"))) {
            return Err(vec![DomainError::invalid(
                "domains",
                format!(
                    "{d} already goes to {}; each domain goes to one provider",
                    o.name
                ),
            )]);
        }
    }
    let mut all = others.to_vec();
    all.push(p.clone());
    check(&all).map_err(|e| vec![DomainError::Conflict(e)])
}

/// The provider's issuer answers with its discovery document and keys.
async fn answers(
    upstreams: &Upstreams,
    p: &ProviderConfig,
    now: Timestamp,
) -> Result<(), Vec<DomainError>> {
    upstreams.oidc.probe(p, now).await.map_err(|e| {
        let why = match e {
            super::UpstreamError::Refused(super::Refusal::Unavailable) => {
                "the issuer did not answer: is the address right, and can this server reach it?"
            }
            _ if p.client_auth == ClientAuth::PrivateKeyJwt => {
                "the issuer's discovery document could not be used (its issuer must be exactly this address, and it must take private_key_jwt)"
            }
            _ => "the issuer's discovery document could not be used (its issuer must be exactly this address)",
        };
        vec![DomainError::invalid("issuer", why)]
    })
}
