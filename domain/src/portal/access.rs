//! Who is acting, and which clients they may see and change.

use std::sync::{Arc, Mutex};

use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::accounts::users::{AdminCtx, Principal, Role};
use crate::audit::{Actor, AuditEvent, EventType};
use crate::clients::model::Client;
use crate::{DomainError, DomainResult};

/// The longest a registration may be extended to, from now.
pub const MAX_EXTENSION_DAYS: i64 = 2 * 365;

/// Who is acting, from where, and (for the REST API) through which client.
#[derive(Clone, Debug)]
pub struct Who {
    pub user: Principal,
    pub ip: Option<String>,
    /// Set when the call came with a client-credentials token acting for its owner.
    pub via_client: Option<String>,
    /// What gave the caller the client they act on (set by [`may_manage`] each
    /// time it decides, so it is the standing on the client checked last — every
    /// change checks its client just before writing its event): audit events name
    /// a co-owner's or an administrator's part (issue 13, "audit events name who
    /// acted in which team").
    standing: Arc<Mutex<Option<Standing>>>,
}

/// How a caller came to manage a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Owner,
    CoOwner,
    /// An administrator acting on someone else's client.
    Administrator,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::CoOwner => "co_owner",
            Self::Administrator => "administrator",
        }
    }
}

impl Who {
    pub fn new(user: Principal, ip: Option<String>) -> Self {
        Self::acting(user, ip, None)
    }
    /// A caller acting through a client (the REST API's client-credentials
    /// tokens), or not.
    pub fn acting(user: Principal, ip: Option<String>, via_client: Option<String>) -> Self {
        Self {
            user,
            ip,
            via_client,
            standing: Arc::default(),
        }
    }
    /// What gave the caller the client they act on, once decided.
    pub fn standing(&self) -> Option<Standing> {
        *self.standing.lock().unwrap_or_else(|e| e.into_inner())
    }
    pub(crate) fn actor(&self) -> Actor {
        Actor::User(self.user.id.clone())
    }
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin && !self.user.disabled
    }
    pub(crate) fn admin(&self) -> Option<AdminCtx> {
        AdminCtx::for_principal(&self.user)
    }
    pub(crate) fn event(&self, event: EventType, client_id: &str) -> AuditEvent {
        AuditEvent::new(event, self.actor())
            .target("client", client_id)
            .ip(self.ip.clone())
    }
    /// The event's data with how the caller acted: through which client, and as
    /// a co-owner or an administrator (an owner's part goes without saying).
    pub(crate) fn extra(&self, mut data: Value) -> Value {
        if let Value::Object(m) = &mut data {
            if let Some(c) = &self.via_client {
                m.insert("via_client".into(), json!(c));
            }
            if let Some(s) = self.standing().filter(|s| *s != Standing::Owner) {
                m.insert("acting_as".into(), json!(s.as_str()));
            }
        }
        data
    }
    pub(crate) fn require_developer(&self) -> DomainResult<()> {
        if self.user.disabled || !self.user.role.can_develop() {
            return Err(DomainError::Forbidden);
        }
        Ok(())
    }
}

/// An administrator acting in the portal: the capability, and who they are (named
/// in decisions and audit events). Made only by [`Who::as_admin`], from a proven
/// identity; administrator operations take it, so they cannot be reached without.
pub struct PortalAdmin<'a> {
    pub(crate) ctx: AdminCtx,
    pub(crate) who: &'a Who,
}

impl PortalAdmin<'_> {
    pub fn ctx(&self) -> &AdminCtx {
        &self.ctx
    }
}

impl Who {
    /// The administrator capability of this caller, or `Forbidden`.
    pub fn as_admin(&self) -> DomainResult<PortalAdmin<'_>> {
        let ctx = self.admin().ok_or(DomainError::Forbidden)?;
        Ok(PortalAdmin { ctx, who: self })
    }
}

/// A justification or reason as stored: bounded, no control or invisible characters.
pub(crate) fn justification_text(j: &str) -> DomainResult<String> {
    crate::platform::text::paragraph("justification", j, limits::JUSTIFICATION)
}

/// Whether the caller may manage the client: its owner, a co-owner (issue 13,
/// teams: [`super::team`]) or an administrator; never a disabled account.
pub(crate) async fn may_manage<C: ConnectionTrait>(
    conn: &C,
    who: &Who,
    c: &Client,
) -> DomainResult<bool> {
    let standing = if who.user.disabled {
        None
    } else if c.owner_id.as_deref() == Some(who.user.id.as_str()) {
        Some(Standing::Owner)
    } else if super::team::is_co_owner(conn, &c.id, &who.user.id).await? {
        Some(Standing::CoOwner)
    } else if who.is_admin() {
        Some(Standing::Administrator)
    } else {
        None
    };
    *who.standing.lock().unwrap_or_else(|e| e.into_inner()) = standing;
    Ok(standing.is_some())
}

/// A client the caller may manage; `NotFound` otherwise (also for someone else's).
pub async fn client_for<C: ConnectionTrait>(conn: &C, who: &Who, id: &str) -> DomainResult<Client> {
    match crate::clients::store::find(conn, id).await? {
        Some(c) if may_manage(conn, who, &c).await? => Ok(c),
        _ => Err(DomainError::NotFound),
    }
}

/// [`client_for`] inside a write transaction, locking the row: every change to a
/// client starts from the row as it is at that moment, never from a copy read
/// earlier (issue 11, M4; see [`crate::clients::store::find_for_update`]).
pub(crate) async fn locked_client<C: ConnectionTrait>(
    conn: &C,
    who: &Who,
    id: &str,
) -> DomainResult<Client> {
    match crate::clients::store::find_for_update(conn, id).await? {
        Some(c) if may_manage(conn, who, &c).await? => Ok(c),
        _ => Err(DomainError::NotFound),
    }
}
