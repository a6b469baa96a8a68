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

use crate::platform::clock::Timestamp;
use crate::DomainResult;

pub use chain::{verify, Break, Verification};
pub use writer::AuditWriter;

/// Declares the event types once: the enum, their names, and the list of all of them
/// (so the viewer's filter cannot miss one).
macro_rules! event_types {
    ($($variant:ident => $name:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum EventType {
            $($variant,)*
        }

        impl EventType {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }

            /// Every event type, for the viewer's filter.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];
        }
    };
}

event_types! {
    UserCreated => "user.created",
    UserSignedUp => "user.signed_up",
    UserRoleChanged => "user.role_changed",
    UserPasswordChanged => "user.password_changed",
    UserDisabled => "user.disabled",
    UserEnabled => "user.enabled",
    UserPasswordResetRequested => "user.password_reset_requested",
    UserPasswordReset => "user.password_reset",
    UserVerificationSent => "user.email_verification_sent",
    UserEmailVerified => "user.email_verified",
    UserProfileUpdated => "user.profile_updated",
    UserEmailChangeRequested => "user.email_change_requested",
    UserEmailChanged => "user.email_changed",
    UserSecondFactorEnrolled => "user.second_factor_enrolled",
    UserSecondFactorDisabled => "user.second_factor_disabled",
    UserSecondFactorFailed => "user.second_factor_failed",
    UserRecoveryCodeUsed => "user.recovery_code_used",
    UserRecoveryCodesRegenerated => "user.recovery_codes_regenerated",
    UserTermsAccepted => "user.terms_accepted",
    UserProvisioned => "user.provisioned",
    UserDirectorySynced => "user.directory_synced",
    UserUpstreamLinked => "user.upstream_linked",
    UserUpstreamUnlinked => "user.upstream_unlinked",
    UserPasskeyAdded => "user.passkey_added",
    UserPasskeyRemoved => "user.passkey_removed",
    SessionSignedIn => "session.signed_in",
    SessionSignInFailed => "session.sign_in_failed",
    SessionSignedOut => "session.signed_out",
    ClientCreated => "client.created",
    ClientDeleted => "client.deleted",
    ClientUpdated => "client.updated",
    ClientDisabled => "client.disabled",
    ClientEnabled => "client.enabled",
    ClientClaimed => "client.claimed",
    ClientExpiryChanged => "client.expiry_changed",
    ClientStageChanged => "client.stage_changed",
    ClientSecretRotated => "client.secret_rotated",
    ClientSecretRevoked => "client.secret_revoked",
    ClientMemberAdded => "client.member_added",
    ClientMemberRemoved => "client.member_removed",
    ClientTransferOffered => "client.transfer_offered",
    ClientTransferCancelled => "client.transfer_cancelled",
    ClientTransferDeclined => "client.transfer_declined",
    ClientTransferred => "client.transferred",
    RequestSubmitted => "request.submitted",
    RequestApproved => "request.approved",
    RequestRejected => "request.rejected",
    DeveloperAccessRequested => "developer_access.requested",
    DeveloperAccessApproved => "developer_access.approved",
    DeveloperAccessRejected => "developer_access.rejected",
    RuleSaved => "approval_rule.saved",
    RuleDeleted => "approval_rule.deleted",
    ResourceCreated => "resource.created",
    ResourceIntrospectorsChanged => "resource.introspectors_changed",
    ScopeCreated => "scope.created",
    TokenRevoked => "token.revoked",
    GrantCreated => "grant.created",
    GrantChanged => "grant.changed",
    GrantRevoked => "grant.revoked",
    AgentRevoked => "agent.revoked",
    ScopeUpdated => "scope.updated",
    CodeReplayed => "authorization_code.replayed",
    RefreshTokenReused => "refresh_token.reused",
    SettingsChanged => "settings.changed",
    UpstreamProviderAdded => "upstream_provider.added",
    UpstreamProviderChanged => "upstream_provider.changed",
    UpstreamProviderRemoved => "upstream_provider.removed",
    TokenIssued => "token.issued",
    TokenRefreshed => "token.refreshed",
    DeviceAuthorizationIssued => "device_authorization.issued",
    DeviceAuthorizationApproved => "device_authorization.approved",
    DeviceAuthorizationDenied => "device_authorization.denied",
    ClientRegisteredDynamically => "client.registered_dynamically",
    ClientRegisteredByDocument => "client.registered_by_document",
    InitialAccessTokenMinted => "initial_access_token.minted",
    InitialAccessTokenRevoked => "initial_access_token.revoked",
    PersonalTokenCreated => "personal_token.created",
    PersonalTokenRevoked => "personal_token.revoked",
}

impl EventType {
    pub fn parse(s: &str) -> Option<EventType> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
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
        for &e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
        }
        let mut names: Vec<_> = EventType::ALL.iter().map(|e| e.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len());
        // Once missing from the hand-written list, so the viewer could not filter on them.
        assert_eq!(
            EventType::parse("grant.revoked"),
            Some(EventType::GrantRevoked)
        );
        assert_eq!(
            EventType::parse("scope.updated"),
            Some(EventType::ScopeUpdated)
        );
    }
}
