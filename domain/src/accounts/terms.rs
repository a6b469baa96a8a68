//! The terms of use (seed 002): when an administrator configures them, a person
//! accepts them to sign up, and again at their next sign-in once an administrator
//! publishes a new version. The account keeps the version last accepted and when;
//! each acceptance is a `user.terms_accepted` event.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::users::User;
use crate::audit::{self, Actor, AuditEvent, EventType};
use crate::entities::user;
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// The longest version label.
pub const VERSION_MAX: usize = 64;

/// The terms in force: where people read them, and the label of this version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub url: String,
    pub version: String,
}

impl Terms {
    /// Checks an administrator's terms: an absolute http(s) URL and a short label.
    pub fn validate(&self) -> DomainResult<()> {
        crate::platform::text::uri("terms_url", &self.url)?;
        let parsed = url::Url::parse(&self.url)
            .map_err(|_| DomainError::invalid("terms_url", "must be an absolute URL"))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
            return Err(DomainError::invalid(
                "terms_url",
                "must be an http or https URL people can open",
            ));
        }
        crate::platform::text::check_len("terms_version", &self.version, VERSION_MAX)?;
        crate::platform::text::check_chars("terms_version", &self.version, false)?;
        if self.version.trim().is_empty() || self.version.trim() != self.version {
            return Err(DomainError::invalid(
                "terms_version",
                "must be a label such as 2026-12, without spaces around it",
            ));
        }
        Ok(())
    }
}

/// Whether `user` has to accept `current` before their next session.
pub fn needs(current: Option<&Terms>, user: &User) -> bool {
    current.is_some_and(|t| user.terms_version.as_deref() != Some(t.version.as_str()))
}

/// Records that `user` accepted `version` of the terms now: the account row and
/// its event, through the caller's transaction.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    user: &User,
    version: &str,
    ip: Option<String>,
    now: Timestamp,
) -> DomainResult<()> {
    user::ActiveModel {
        id: Set(user.id.clone()),
        terms_version: Set(Some(version.to_owned())),
        terms_accepted_at: Set(Some(now)),
        ..Default::default()
    }
    .update(conn)
    .await?;
    audit::record(
        conn,
        now,
        AuditEvent::new(EventType::UserTermsAccepted, Actor::User(user.id.clone()))
            .target("user", &user.id)
            .ip(ip)
            .data(json!({ "before": user.terms_version, "after": version })),
    )
    .await
}
