//! Run-time settings that administrators change, stored in the database so every
//! process sees the same value.
//!
//! - here: the settings page's values ([`RuntimeSettings`]: load, cache, check,
//!   update) and the one writer of a setting with its audit event;
//! - `registration`: who may register at `/oauth/register`;
//! - `metadata_documents`: client ID metadata documents, kept as one JSON value.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::terms::Terms;
use crate::accounts::users::{AdminCtx, Role};
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::server_setting as ss;
use crate::platform::cache::TtlCache;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

mod metadata_documents;
mod registration;

pub use metadata_documents::*;
pub use registration::*;

/// Seed 000: whether applications not marked first-party may use OAuth at all.
pub const THIRD_PARTY_OAUTH: &str = "third_party_oauth_enabled";

/// The scopes a client in development adds without approval ([`SANDBOX_SCOPES`]),
/// read where the portal judges a scope request.
pub async fn sandbox_scopes<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<String>> {
    Ok(ss::Entity::find_by_id(SANDBOX_SCOPES.to_owned())
        .one(conn)
        .await?
        .map(|r| crate::oauth::scope::ScopeSet::parse(&r.value).to_vec())
        .unwrap_or_default())
}

/// Changes a boolean setting, recording who changed it from what to what.
pub async fn set_bool(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    key: &str,
    value: bool,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let before = ss::Entity::find_by_id(key.to_owned())
        .one(&txn)
        .await?
        .map(|r| r.value);
    store(&txn, ctx, key, before, &value.to_string(), now).await?;
    txn.commit().await?;
    Ok(())
}

/// Writes one setting and its `settings.changed` event (before and after) through
/// the caller's transaction.
pub(super) async fn store<C: ConnectionTrait>(
    txn: &C,
    ctx: &AdminCtx,
    key: &str,
    before: impl Serialize,
    after: &str,
    now: Timestamp,
) -> DomainResult<()> {
    ss::Entity::insert(ss::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(after.to_owned()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(ss::Column::Key)
            .update_columns([ss::Column::Value, ss::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    audit::record(
        txn,
        now,
        AuditEvent::new(EventType::SettingsChanged, ctx.actor().clone())
            .target("setting", key)
            .data(json!({ "before": before, "after": after })),
    )
    .await
}

/// Scopes every new (non-service) client starts with.
pub const DEFAULT_CLIENT_SCOPES: &str = "default_client_scopes";
/// Days a new registration is valid (0 = no expiry).
pub const DEFAULT_CLIENT_LIFETIME_DAYS: &str = "default_client_lifetime_days";

/// Access-token lifetime override (seconds).
pub const ACCESS_TOKEN_TTL: &str = "access_token_ttl_secs";
/// Refresh-token lifetime override (seconds).
pub const REFRESH_TOKEN_TTL: &str = "refresh_token_ttl_secs";
/// Self sign-up override.
pub const SELF_SIGNUP: &str = "allow_self_signup";
/// Every token request must carry a DPoP proof (RFC 9449), for every client.
pub const REQUIRE_DPOP: &str = "require_dpop";
/// The longest a personal access token may live (days).
pub const PERSONAL_TOKEN_MAX_DAYS: &str = "personal_token_max_days";
/// Personal access tokens: a day to a year; 90 days unless changed.
pub const PERSONAL_TOKEN_DAYS_RANGE: std::ops::RangeInclusive<i64> = 1..=365;
pub const PERSONAL_TOKEN_DAYS_DEFAULT: i64 = 90;
/// The roles whose people must sign in with a second factor (space-separated).
pub const SECOND_FACTOR_ROLES: &str = "second_factor_roles";
/// Issue 13, lifecycle states: new portal clients start in development (only
/// their team signs in) until an administrator promotes them.
pub const NEW_CLIENTS_IN_DEVELOPMENT: &str = "new_clients_in_development";
/// Scopes a client in development may add without approval (space-separated).
pub const SANDBOX_SCOPES: &str = "sandbox_scopes";
/// The terms of use people accept (`accounts::terms`): where, and which version.
pub const TERMS_URL: &str = "terms_url";
pub const TERMS_VERSION: &str = "terms_version";

/// Access tokens: at least a minute, at most an hour. They cannot be recalled from
/// an API that checks them offline, so the upper bound is the revocation window.
pub const ACCESS_TOKEN_RANGE: std::ops::RangeInclusive<i64> = 60..=3600;
/// Refresh tokens: an hour to a year.
pub const REFRESH_TOKEN_RANGE: std::ops::RangeInclusive<i64> = 3600..=365 * 86_400;
/// Registration expiry in days; 0 means registrations never expire.
pub const CLIENT_LIFETIME_DAYS_RANGE: std::ops::RangeInclusive<i64> = 0..=3650;

/// The values of the settings file, which the database may override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDefaults {
    pub access_token_secs: i64,
    pub refresh_token_secs: i64,
    pub allow_self_signup: bool,
    /// The settings file's `[dpop] required`.
    pub require_dpop: bool,
    /// The settings file's `new_clients_in_development` (on unless turned off).
    pub new_clients_in_development: bool,
}

/// Every setting an administrator can change at run time, as now in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeSettings {
    pub third_party_oauth: bool,
    pub access_token_secs: i64,
    pub refresh_token_secs: i64,
    pub allow_self_signup: bool,
    pub default_client_scopes: Vec<String>,
    pub default_client_lifetime_days: i64,
    /// Token requests without a DPoP proof are refused, whatever the client.
    pub require_dpop: bool,
    /// Client ID metadata documents (changed by [`set_metadata_documents`], not
    /// by the settings page's [`update`]).
    #[serde(default)]
    pub metadata_documents: MetadataDocuments,
    /// The longest a personal access token may live (days); also shortens the
    /// tokens made before it was lowered.
    #[serde(default = "default_personal_token_days")]
    pub personal_token_max_days: i64,
    /// The roles whose people must sign in with a second factor: those without
    /// one set it up at their next sign-in, and a session made without one is
    /// no session for them (`accounts::second_factor::policy`).
    #[serde(default)]
    pub second_factor_roles: Vec<Role>,
    /// The terms of use accepted at sign-up, and at the next sign-in after a new
    /// version (`None`: no terms configured).
    #[serde(default)]
    pub terms: Option<Terms>,
    /// New clients that developers register start in development: only their
    /// team signs in to them until an administrator promotes them (issue 13).
    /// On unless the settings file or an administrator turns it off; a database
    /// that held clients before this default keeps it off (migration m0048).
    #[serde(default)]
    pub new_clients_in_development: bool,
    /// Scopes that a client in development adds without an administrator's
    /// approval (test data, sandboxes): its team alone signs in to it, and its
    /// promotion to production is reviewed with every scope it holds.
    #[serde(default)]
    pub sandbox_scopes: Vec<String>,
}

fn default_personal_token_days() -> i64 {
    PERSONAL_TOKEN_DAYS_DEFAULT
}

/// Reads every override in one query; unset or unreadable values fall back to the
/// settings file (or the built-in default).
pub async fn load<C: ConnectionTrait>(
    conn: &C,
    defaults: FileDefaults,
) -> DomainResult<RuntimeSettings> {
    let rows: std::collections::HashMap<String, String> = ss::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.key, r.value))
        .collect();
    let int = |k: &str, d: i64| rows.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let boolean = |k: &str, d: bool| rows.get(k).map(|v| v == "true").unwrap_or(d);
    Ok(RuntimeSettings {
        third_party_oauth: boolean(THIRD_PARTY_OAUTH, true),
        access_token_secs: int(ACCESS_TOKEN_TTL, defaults.access_token_secs),
        refresh_token_secs: int(REFRESH_TOKEN_TTL, defaults.refresh_token_secs),
        allow_self_signup: boolean(SELF_SIGNUP, defaults.allow_self_signup),
        default_client_scopes: rows
            .get(DEFAULT_CLIENT_SCOPES)
            .map(|v| crate::oauth::scope::ScopeSet::parse(v).to_vec())
            .unwrap_or_else(|| vec!["openid".to_owned()]),
        default_client_lifetime_days: int(DEFAULT_CLIENT_LIFETIME_DAYS, 365),
        require_dpop: boolean(REQUIRE_DPOP, defaults.require_dpop),
        metadata_documents: rows
            .get(METADATA_DOCUMENTS)
            .and_then(|v| serde_json::from_str(v).ok())
            .unwrap_or_default(),
        personal_token_max_days: int(PERSONAL_TOKEN_MAX_DAYS, PERSONAL_TOKEN_DAYS_DEFAULT),
        // An unknown name (a role that no longer exists) is skipped, never fatal.
        second_factor_roles: rows
            .get(SECOND_FACTOR_ROLES)
            .map(|v| roles_of(v))
            .unwrap_or_default(),
        terms: match (rows.get(TERMS_URL), rows.get(TERMS_VERSION)) {
            (Some(url), Some(version)) if !url.is_empty() && !version.is_empty() => Some(Terms {
                url: url.clone(),
                version: version.clone(),
            }),
            _ => None,
        },
        new_clients_in_development: boolean(
            NEW_CLIENTS_IN_DEVELOPMENT,
            defaults.new_clients_in_development,
        ),
        sandbox_scopes: rows
            .get(SANDBOX_SCOPES)
            .map(|v| crate::oauth::scope::ScopeSet::parse(v).to_vec())
            .unwrap_or_default(),
    })
}

fn roles_of(stored: &str) -> Vec<Role> {
    let mut roles: Vec<Role> = stored
        .split_whitespace()
        .filter_map(|r| Role::parse(r).ok())
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// The run-time settings through a short-lived in-memory copy (`cache_ttl_ms`),
/// shared by the portal and the token path. Changes made through [`update`] with
/// this handle are seen at once; other processes' changes within the TTL.
#[derive(Clone)]
pub struct SettingsCache {
    defaults: FileDefaults,
    cache: TtlCache<(), RuntimeSettings>,
}

impl SettingsCache {
    pub fn new(
        defaults: FileDefaults,
        ttl: std::time::Duration,
        clock: std::sync::Arc<dyn crate::platform::clock::Clock>,
    ) -> Self {
        Self {
            defaults,
            cache: TtlCache::new("settings", ttl, 1, clock),
        }
    }

    pub fn defaults(&self) -> FileDefaults {
        self.defaults
    }

    pub async fn get<C: ConnectionTrait>(&self, conn: &C) -> DomainResult<RuntimeSettings> {
        if let Some(hit) = self.cache.get(&()) {
            return Ok(hit);
        }
        let fresh = load(conn, self.defaults).await?;
        self.cache.insert((), fresh.clone());
        Ok(fresh)
    }

    pub fn invalidate(&self) {
        self.cache.invalidate(&());
    }
}

/// Checks an administrator's new settings: lifetimes within their ranges, default
/// scopes that exist and need no approval (every new client gets them, so a scope
/// that needs approval would bypass it).
async fn validate<C: ConnectionTrait>(conn: &C, s: &RuntimeSettings) -> DomainResult<()> {
    if !ACCESS_TOKEN_RANGE.contains(&s.access_token_secs) {
        return Err(DomainError::invalid(
            "access_token_secs",
            "must be between 60 seconds and 1 hour (3600 seconds)",
        ));
    }
    if !REFRESH_TOKEN_RANGE.contains(&s.refresh_token_secs) {
        return Err(DomainError::invalid(
            "refresh_token_hours",
            "must be between 1 hour and 365 days (8760 hours)",
        ));
    }
    if !CLIENT_LIFETIME_DAYS_RANGE.contains(&s.default_client_lifetime_days) {
        return Err(DomainError::invalid(
            "default_client_lifetime_days",
            "must be between 0 (never expires) and 3650 days",
        ));
    }
    if !PERSONAL_TOKEN_DAYS_RANGE.contains(&s.personal_token_max_days) {
        return Err(DomainError::invalid(
            "personal_token_max_days",
            "must be between 1 and 365 days",
        ));
    }
    if let Some(t) = &s.terms {
        t.validate()?;
    }
    crate::platform::text::check_items(
        "default_client_scopes",
        &s.default_client_scopes,
        limits::SCOPES,
    )?;
    for name in &s.default_client_scopes {
        match crate::apis::find_scope(conn, name).await? {
            None => {
                return Err(DomainError::invalid(
                    "default_client_scopes",
                    format!("names an unknown scope '{name}'"),
                ))
            }
            Some(info) if info.requires_approval => {
                return Err(DomainError::invalid(
                    "default_client_scopes",
                    format!("cannot include '{name}': it needs an administrator's approval"),
                ))
            }
            Some(_) => {}
        }
    }
    crate::platform::text::check_items("sandbox_scopes", &s.sandbox_scopes, limits::SCOPES)?;
    for name in &s.sandbox_scopes {
        if name == crate::apis::PORTAL_SCOPE {
            return Err(DomainError::invalid(
                "sandbox_scopes",
                format!("cannot include '{name}': it acts on the portal for the person signed in"),
            ));
        }
        if crate::apis::find_scope(conn, name).await?.is_none() {
            return Err(DomainError::invalid(
                "sandbox_scopes",
                format!("names an unknown scope '{name}'"),
            ));
        }
    }
    Ok(())
}

fn as_pairs(s: &RuntimeSettings) -> [(&'static str, String); 13] {
    [
        (THIRD_PARTY_OAUTH, s.third_party_oauth.to_string()),
        (ACCESS_TOKEN_TTL, s.access_token_secs.to_string()),
        (REFRESH_TOKEN_TTL, s.refresh_token_secs.to_string()),
        (SELF_SIGNUP, s.allow_self_signup.to_string()),
        (DEFAULT_CLIENT_SCOPES, s.default_client_scopes.join(" ")),
        (
            DEFAULT_CLIENT_LIFETIME_DAYS,
            s.default_client_lifetime_days.to_string(),
        ),
        (REQUIRE_DPOP, s.require_dpop.to_string()),
        (
            PERSONAL_TOKEN_MAX_DAYS,
            s.personal_token_max_days.to_string(),
        ),
        (
            SECOND_FACTOR_ROLES,
            s.second_factor_roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            TERMS_URL,
            s.terms.as_ref().map(|t| t.url.clone()).unwrap_or_default(),
        ),
        (
            TERMS_VERSION,
            s.terms
                .as_ref()
                .map(|t| t.version.clone())
                .unwrap_or_default(),
        ),
        (
            NEW_CLIENTS_IN_DEVELOPMENT,
            s.new_clients_in_development.to_string(),
        ),
        (SANDBOX_SCOPES, s.sandbox_scopes.join(" ")),
    ]
}

/// An administrator saves the settings page: validates everything, then stores the
/// values that changed and records one `settings.changed` event per setting (before
/// and after) in the same transaction. Returns what is now in force.
pub async fn update(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    cache: &SettingsCache,
    mut new: RuntimeSettings,
    now: Timestamp,
) -> DomainResult<RuntimeSettings> {
    new.default_client_scopes.sort();
    new.default_client_scopes.dedup();
    new.second_factor_roles.sort();
    new.second_factor_roles.dedup();
    new.sandbox_scopes.sort();
    new.sandbox_scopes.dedup();
    validate(db, &new).await?;
    // An administrator who would be bound by the policy and has no second factor
    // would lose their own session on saving: they set one up first.
    if let Some(admin) = ctx.user_id() {
        let me = crate::accounts::users::find_by_id(db, admin).await?;
        if let Some(me) = me {
            if new.second_factor_roles.contains(&me.role)
                && !crate::accounts::second_factor::factor::is_active(db, &me.id).await?
            {
                return Err(DomainError::invalid(
                    "second_factor_roles",
                    "would include your own role: set up two-step sign-in for yourself first",
                ));
            }
        }
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let current = load(&txn, cache.defaults).await?;
    new.metadata_documents = current.metadata_documents.clone();
    for ((key, before), (_, after)) in as_pairs(&current).into_iter().zip(as_pairs(&new)) {
        if before == after {
            continue;
        }
        store(&txn, ctx, key, before, &after, now).await?;
    }
    txn.commit().await?;
    cache.invalidate();
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: FileDefaults = FileDefaults {
        access_token_secs: 300,
        refresh_token_secs: 30 * 86_400,
        allow_self_signup: false,
        require_dpop: false,
        new_clients_in_development: true,
    };

    #[tokio::test]
    async fn overrides_win_over_the_file_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::platform::db::connect(&format!("sqlite://{}/s.db", dir.path().display()))
            .await
            .unwrap();
        crate::platform::db::migrate(&db).await.unwrap();
        let cache = SettingsCache::new(
            DEFAULTS,
            std::time::Duration::ZERO,
            std::sync::Arc::new(crate::platform::clock::SystemClock),
        );
        let s = cache.get(&db).await.unwrap();
        assert_eq!((s.access_token_secs, s.allow_self_signup), (300, false));
        let ctx = AdminCtx::operator();
        let mut new = s.clone();
        new.access_token_secs = 59;
        assert!(matches!(
            update(&db, &ctx, &cache, new, 1).await,
            Err(DomainError::Invalid {
                field: "access_token_secs",
                ..
            })
        ));
        let mut new = s.clone();
        new.default_client_scopes = vec!["nope".into()];
        assert!(matches!(
            update(&db, &ctx, &cache, new, 1).await,
            Err(DomainError::Invalid {
                field: "default_client_scopes",
                ..
            })
        ));
        let mut new = s.clone();
        new.access_token_secs = 120;
        new.allow_self_signup = true;
        update(&db, &ctx, &cache, new, 1).await.unwrap();
        let s = cache.get(&db).await.unwrap();
        assert_eq!((s.access_token_secs, s.allow_self_signup), (120, true));
        assert_eq!(
            s.refresh_token_secs,
            30 * 86_400,
            "unchanged keeps the file value"
        );
    }
}
