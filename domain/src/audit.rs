//! Audit events: one enum of event names (`entity.past_tense`) and one function that
//! records an event on the connection or transaction that makes the change, so an
//! event exists exactly when its change was committed.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::Value;

use crate::clock::Timestamp;
use crate::entities::audit_event;
use crate::DomainResult;

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
        }
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
    fn parts(&self) -> (&'static str, Option<String>) {
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

/// Appends `event` through `conn`, which should be the transaction making the change.
pub async fn record<C: ConnectionTrait>(
    conn: &C,
    now: Timestamp,
    event: AuditEvent,
) -> DomainResult<()> {
    let (actor_kind, actor_id) = event.actor.parts();
    let (target_kind, target_id) = match event.target {
        Some((k, id)) => (Some(k.to_owned()), Some(id)),
        None => (None, None),
    };
    audit_event::ActiveModel {
        occurred_at: Set(now),
        event_type: Set(event.event.as_str().to_owned()),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        target_kind: Set(target_kind),
        target_id: Set(target_id),
        ip: Set(event.ip),
        data: Set(event.data.to_string()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}
