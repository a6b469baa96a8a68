//! Audit events: one enum of event names (`entity.past_tense`) and one function that
//! records an event on the connection or transaction that makes the change, so an
//! event exists exactly when its change was committed.
//!
//! The log is append-only and tamper-evident: [`chain`] links every event to the one
//! before it by hash, and [`chain::verify`] finds the first event that was altered,
//! inserted or deleted. [`writer`] batches the token endpoint's events into group
//! commits; [`query`] serves the administrators' viewer and export.

pub mod chain;
pub mod query;
pub mod writer;

use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::clock::Timestamp;
use crate::DomainResult;

pub use chain::{verify, Break, Verification};
pub use writer::AuditWriter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    UserCreated,
    UserSignedUp,
    UserRoleChanged,
    UserPasswordChanged,
    UserDisabled,
    UserEnabled,
    SessionSignedIn,
    SessionSignInFailed,
    SessionSignedOut,
    ClientCreated,
    ClientDeleted,
    ClientUpdated,
    ClientDisabled,
    ClientEnabled,
    ClientExpiryChanged,
    ClientSecretRotated,
    RequestSubmitted,
    RequestApproved,
    RequestRejected,
    RuleSaved,
    RuleDeleted,
    ResourceCreated,
    ScopeCreated,
    TokenRevoked,
    GrantCreated,
    GrantChanged,
    GrantRevoked,
    ScopeUpdated,
    CodeReplayed,
    RefreshTokenReused,
    SettingsChanged,
    TokenIssued,
    TokenRefreshed,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserSignedUp => "user.signed_up",
            EventType::UserRoleChanged => "user.role_changed",
            EventType::UserPasswordChanged => "user.password_changed",
            EventType::UserDisabled => "user.disabled",
            EventType::UserEnabled => "user.enabled",
            EventType::SessionSignedIn => "session.signed_in",
            EventType::SessionSignInFailed => "session.sign_in_failed",
            EventType::SessionSignedOut => "session.signed_out",
            EventType::ClientCreated => "client.created",
            EventType::ClientDeleted => "client.deleted",
            EventType::ClientUpdated => "client.updated",
            EventType::ClientDisabled => "client.disabled",
            EventType::ClientEnabled => "client.enabled",
            EventType::ClientExpiryChanged => "client.expiry_changed",
            EventType::ClientSecretRotated => "client.secret_rotated",
            EventType::RequestSubmitted => "request.submitted",
            EventType::RequestApproved => "request.approved",
            EventType::RequestRejected => "request.rejected",
            EventType::RuleSaved => "approval_rule.saved",
            EventType::RuleDeleted => "approval_rule.deleted",
            EventType::ResourceCreated => "resource.created",
            EventType::ScopeCreated => "scope.created",
            EventType::TokenRevoked => "token.revoked",
            EventType::GrantCreated => "grant.created",
            EventType::GrantChanged => "grant.changed",
            EventType::GrantRevoked => "grant.revoked",
            EventType::ScopeUpdated => "scope.updated",
            EventType::CodeReplayed => "authorization_code.replayed",
            EventType::RefreshTokenReused => "refresh_token.reused",
            EventType::SettingsChanged => "settings.changed",
            EventType::TokenIssued => "token.issued",
            EventType::TokenRefreshed => "token.refreshed",
        }
    }

    /// Every event type, for the viewer's filter.
    pub const ALL: [EventType; 31] = [
        EventType::UserCreated,
        EventType::UserSignedUp,
        EventType::UserRoleChanged,
        EventType::UserPasswordChanged,
        EventType::UserDisabled,
        EventType::UserEnabled,
        EventType::SessionSignedIn,
        EventType::SessionSignInFailed,
        EventType::SessionSignedOut,
        EventType::ClientCreated,
        EventType::ClientDeleted,
        EventType::ClientUpdated,
        EventType::ClientDisabled,
        EventType::ClientEnabled,
        EventType::ClientExpiryChanged,
        EventType::ClientSecretRotated,
        EventType::RequestSubmitted,
        EventType::RequestApproved,
        EventType::RequestRejected,
        EventType::RuleSaved,
        EventType::RuleDeleted,
        EventType::ResourceCreated,
        EventType::ScopeCreated,
        EventType::TokenIssued,
        EventType::TokenRefreshed,
        EventType::TokenRevoked,
        EventType::GrantCreated,
        EventType::GrantChanged,
        EventType::CodeReplayed,
        EventType::RefreshTokenReused,
        EventType::SettingsChanged,
    ];

    pub fn parse(s: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(String),
    /// An operator at the command line of the server machine.
    Operator,
    /// Portcullis itself (start-up, scheduled jobs).
    System,
    /// Someone not signed in (e.g. a failed sign-in).
    Anonymous,
    /// An OAuth client acting for itself.
    Client(String),
    /// An auto-approval rule (named by its scope) deciding a request.
    Rule(String),
}

impl Actor {
    pub(crate) fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Actor::User(id) => ("user", Some(id.clone())),
            Actor::Operator => ("operator", None),
            Actor::System => ("system", None),
            Actor::Anonymous => ("anonymous", None),
            Actor::Client(id) => ("client", Some(id.clone())),
            Actor::Rule(scope) => ("rule", Some(scope.clone())),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub event: EventType,
    pub actor: Actor,
    pub target: Option<(&'static str, String)>,
    pub ip: Option<String>,
    /// Details: `before`/`after` for changes, `reason`, and so on. Never secrets.
    pub data: Value,
}

impl AuditEvent {
    pub fn new(event: EventType, actor: Actor) -> Self {
        Self {
            event,
            actor,
            target: None,
            ip: None,
            data: Value::Object(Default::default()),
        }
    }
    pub fn target(mut self, kind: &'static str, id: impl Into<String>) -> Self {
        self.target = Some((kind, id.into()));
        self
    }
    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }
    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

/// Appends `event` through `conn`, which should be the transaction making the change
/// (a bare connection works too, but then the event is committed on its own).
///
/// The event joins the hash chain; on PostgreSQL this takes the chain's advisory lock
/// for the rest of the transaction, so call it late in the transaction.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    now: Timestamp,
    event: AuditEvent,
) -> DomainResult<()> {
    chain::append(conn, &[(now, event)]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_is_listed_once_and_parses_back() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
        }
        let mut names: Vec<_> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len());
    }
}
