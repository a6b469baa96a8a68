//! Asking for developer access (issue 13): a person whose account may not
//! register apps asks from `/developer`, saying what they will build;
//! administrators approve or reject it (with a reason) in the approval queue.
//! Approval makes the account a developer's. The ask, the decision, the role
//! change, their audit events and the notifications are each one transaction.
//!
//! A person has at most one request waiting: the database's partial unique index
//! (m0044) decides between two sends at once, and a decision is taken only from
//! `pending` (a conditional update), so two administrators deciding at once make
//! one decision.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::access::{PortalAdmin, Who};
use super::notify::{notify_admins, notify_user, Message};
use super::request::Status;
use crate::accounts::users::{Role, User};
use crate::audit::{self, AuditEvent, EventType};
use crate::entities::{developer_request, user};
use crate::platform::clock::Timestamp;
use crate::platform::page::{page_bounds, Page};
use crate::{DomainError, DomainResult};

/// A request for developer access, as its asker and administrators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperRequest {
    pub id: String,
    pub status: Status,
    /// What the person says they will build.
    pub plan: String,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

impl TryFrom<developer_request::Model> for DeveloperRequest {
    type Error = DomainError;
    fn try_from(m: developer_request::Model) -> DomainResult<Self> {
        Ok(Self {
            status: Status::parse(&m.status).ok_or_else(|| {
                DomainError::Internal(format!(
                    "developer request {} has status {}",
                    m.id, m.status
                ))
            })?,
            id: m.id,
            plan: m.plan,
            created_at: m.created_at,
            decided_at: m.decided_at,
            reason: m.reason,
        })
    }
}

/// A waiting request with what an administrator needs to decide it: who asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingRequest {
    pub request: DeveloperRequest,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub email_verified: bool,
    /// When the account was made.
    pub member_since: Timestamp,
}

/// The caller asks for developer access. Refused for an account that already
/// has it (a conflict), and while an earlier request waits.
pub async fn ask(
    db: &DatabaseConnection,
    who: &Who,
    plan: &str,
    now: Timestamp,
) -> DomainResult<DeveloperRequest> {
    if who.user.disabled {
        return Err(DomainError::Forbidden);
    }
    if who.user.role.can_develop() {
        return Err(DomainError::Conflict(
            "your account can already register apps".into(),
        ));
    }
    let plan = crate::platform::text::paragraph("plan", plan, limits::JUSTIFICATION)?;
    if plan.is_empty() {
        return Err(DomainError::invalid(
            "plan",
            "say what you will build, for the administrators who decide",
        ));
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let row = developer_request::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        user_id: Set(who.user.id.clone()),
        plan: Set(plan.clone()),
        status: Set(Status::Pending.as_str().to_owned()),
        created_at: Set(now),
        decided_at: Set(None),
        decider_id: Set(None),
        reason: Set(None),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::Conflict(
            "your request for developer access is already waiting for an administrator".into(),
        ),
        _ => DomainError::from(e),
    })?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(EventType::DeveloperAccessRequested, who.actor())
            .target("user", &who.user.id)
            .ip(who.ip.clone())
            .data(json!({ "request_id": row.id })),
    )
    .await?;
    let name = &who.user.display_name;
    notify_admins(
        &txn,
        &Message {
            kind: "developer_access.requested",
            title: format!("{name} asks for developer access"),
            body: format!(
                "{name} ({}) asks to register apps. What they will build:\n\n{plan}",
                who.user.email
            ),
            link: Some("/admin/requests".into()),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    row.try_into()
}

/// The caller's latest request (waiting or decided), for `/developer`.
pub async fn latest<C: ConnectionTrait>(
    conn: &C,
    user_id: &str,
) -> DomainResult<Option<DeveloperRequest>> {
    developer_request::Entity::find()
        .filter(developer_request::Column::UserId.eq(user_id))
        .order_by_desc(developer_request::Column::CreatedAt)
        .order_by_desc(developer_request::Column::Id)
        .one(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// How many requests wait (for the queue's badge).
pub async fn waiting_count<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    Ok(developer_request::Entity::find()
        .filter(developer_request::Column::Status.eq(Status::Pending.as_str()))
        .count(conn)
        .await?)
}

/// Administrators: the waiting requests, oldest first, with who asks.
pub async fn waiting(
    db: &DatabaseConnection,
    _admin: &PortalAdmin<'_>,
    page: u64,
) -> DomainResult<Page<WaitingRequest>> {
    let (page, per_page) = page_bounds(page, limits::PER_PAGE, limits::PER_PAGE);
    let pages = developer_request::Entity::find()
        .filter(developer_request::Column::Status.eq(Status::Pending.as_str()))
        .order_by_asc(developer_request::Column::CreatedAt)
        .order_by_asc(developer_request::Column::Id)
        .find_also_related(user::Entity)
        .paginate(db, per_page);
    let total = pages.num_items().await?;
    let mut items = Vec::new();
    for (r, u) in pages.fetch_page(page - 1).await? {
        // The foreign key removes a request with its account.
        let Some(u) = u else { continue };
        items.push(WaitingRequest {
            user_id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            email_verified: u.email_verified,
            member_since: u.created_at,
            request: r.try_into()?,
        });
    }
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

/// Administrators: approves a waiting request; the account becomes a developer's
/// (unless it meanwhile got developer access another way).
pub async fn approve(
    db: &DatabaseConnection,
    admin: &PortalAdmin<'_>,
    id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let (row, asker) = take(&txn, admin, id, Status::Approved, None, now).await?;
    let before = asker.role;
    // One write, and only while the account is still a plain user's: a role an
    // administrator set meanwhile is kept.
    let promoted = user::Entity::update_many()
        .col_expr(user::Column::Role, Expr::value(Role::Developer.as_str()))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(asker.id.clone()))
        .filter(user::Column::Role.eq(Role::User.as_str()))
        .exec(&txn)
        .await?;
    if promoted.rows_affected == 1 {
        audit::record(
            &txn,
            now,
            AuditEvent::new(EventType::UserRoleChanged, admin.ctx.actor().clone())
                .target("user", &asker.id)
                .ip(admin.who.ip.clone())
                .data(json!({
                    "before": { "role": before.as_str() },
                    "after": { "role": Role::Developer.as_str() },
                    "request_id": row.id,
                })),
        )
        .await?;
    }
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::DeveloperAccessApproved,
            admin.ctx.actor().clone(),
        )
        .target("user", &asker.id)
        .ip(admin.who.ip.clone())
        .data(json!({ "request_id": row.id })),
    )
    .await?;
    notify_user(
        &txn,
        &asker,
        &Message {
            kind: "developer_access.approved",
            title: "You can register apps now".into(),
            body: "An administrator approved your request for developer access. \
                   Register your first app from My clients."
                .into(),
            link: Some("/developer".into()),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Administrators: rejects a waiting request. The reason is required; the person
/// reads it and may ask again.
pub async fn reject(
    db: &DatabaseConnection,
    admin: &PortalAdmin<'_>,
    id: &str,
    reason: &str,
    now: Timestamp,
) -> DomainResult<()> {
    let reason = crate::platform::text::paragraph("reason", reason, limits::REASON)?;
    if reason.is_empty() {
        return Err(DomainError::invalid(
            "reason",
            "say why, for the person who asked",
        ));
    }
    let txn = crate::platform::db::write_txn(db).await?;
    let (row, asker) = take(&txn, admin, id, Status::Rejected, Some(&reason), now).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(
            EventType::DeveloperAccessRejected,
            admin.ctx.actor().clone(),
        )
        .target("user", &asker.id)
        .ip(admin.who.ip.clone())
        .data(json!({ "request_id": row.id, "reason": reason })),
    )
    .await?;
    notify_user(
        &txn,
        &asker,
        &Message {
            kind: "developer_access.rejected",
            title: "Your request for developer access was declined".into(),
            body: format!("An administrator declined your request. Their reason:\n\n{reason}"),
            link: Some("/developer".into()),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Marks a waiting request decided — only if it still waits — and returns it with
/// its asker.
async fn take<C: ConnectionTrait>(
    conn: &C,
    admin: &PortalAdmin<'_>,
    id: &str,
    status: Status,
    reason: Option<&str>,
    now: Timestamp,
) -> DomainResult<(developer_request::Model, User)> {
    if !crate::platform::text::could_exist(id) {
        return Err(DomainError::NotFound);
    }
    let row = developer_request::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let done = developer_request::Entity::update_many()
        .col_expr(
            developer_request::Column::Status,
            Expr::value(status.as_str()),
        )
        .col_expr(developer_request::Column::DecidedAt, Expr::value(now))
        .col_expr(
            developer_request::Column::DeciderId,
            Expr::value(admin.ctx.user_id().map(str::to_owned)),
        )
        .col_expr(
            developer_request::Column::Reason,
            Expr::value(reason.map(str::to_owned)),
        )
        .filter(developer_request::Column::Id.eq(id))
        .filter(developer_request::Column::Status.eq(Status::Pending.as_str()))
        .exec(conn)
        .await?;
    if done.rows_affected != 1 {
        return Err(DomainError::Conflict(
            "this request has already been decided".into(),
        ));
    }
    let asker = crate::accounts::users::find_by_id(conn, &row.user_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok((row, asker))
}
