//! Telling people what happened: in-app notifications (the bell) and e-mail.
//!
//! Both are written through the caller's transaction, in the same commit as the
//! change they announce: a notification exists exactly when its change does. Every
//! e-mail goes to the outbox table first; a background sender (see `mail`) delivers
//! it when SMTP is configured. Without SMTP the mail stays in the outbox, which
//! administrators can read — never silently dropped.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::accounts::users::{Role, User};
use crate::entities::{client, expiry_reminder, notification, outbox_email, user};
use crate::platform::clock::Timestamp;
use crate::platform::page::Page;
use crate::DomainResult;

/// What to tell someone.
#[derive(Clone, Debug)]
pub struct Message {
    /// A stable kind, e.g. `request.approved`.
    pub kind: &'static str,
    pub title: String,
    pub body: String,
    /// A path in the portal to look at, e.g. `/developer/clients/…`.
    pub link: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub created_at: Timestamp,
    pub read: bool,
}

impl From<notification::Model> for Notification {
    fn from(m: notification::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            title: m.title,
            body: m.body,
            link: m.link,
            created_at: m.created_at,
            read: m.read_at.is_some(),
        }
    }
}

/// Queues an e-mail in the outbox (delivered later by `mail::deliver_pending`).
pub async fn enqueue_email<C: ConnectionTrait>(
    conn: &C,
    to: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> DomainResult<()> {
    outbox_email::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        to_addr: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        sent_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Notifies one user in the app and by e-mail.
pub async fn notify_user<C: ConnectionTrait>(
    conn: &C,
    to: &User,
    msg: &Message,
    now: Timestamp,
) -> DomainResult<()> {
    if to.disabled {
        return Ok(());
    }
    notification::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        user_id: Set(to.id.clone()),
        kind: Set(msg.kind.to_owned()),
        title: Set(msg.title.clone()),
        body: Set(msg.body.clone()),
        link: Set(msg.link.clone()),
        created_at: Set(now),
        read_at: Set(None),
    }
    .insert(conn)
    .await?;
    let mut body = msg.body.clone();
    if let Some(link) = &msg.link {
        body.push_str(&format!("\n\nOpen in Portcullis: {link}\n"));
    }
    enqueue_email(conn, &to.email, &msg.title, &body, now).await
}

/// Notifies every active administrator.
pub async fn notify_admins<C: ConnectionTrait>(
    conn: &C,
    msg: &Message,
    now: Timestamp,
) -> DomainResult<()> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .all(conn)
        .await?;
    for a in admins {
        notify_user(conn, &User::try_from(a)?, msg, now).await?;
    }
    Ok(())
}

/// Notifies a client's owner, if it has one.
pub async fn notify_owner<C: ConnectionTrait>(
    conn: &C,
    owner_id: Option<&str>,
    msg: &Message,
    now: Timestamp,
) -> DomainResult<()> {
    let Some(id) = owner_id else { return Ok(()) };
    if let Some(u) = crate::accounts::users::find_by_id(conn, id).await? {
        notify_user(conn, &u, msg, now).await?;
    }
    Ok(())
}

pub async fn unread_count<C: ConnectionTrait>(conn: &C, user_id: &str) -> DomainResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(conn)
        .await?)
}

/// A user's notifications, newest first.
pub async fn list(
    db: &DatabaseConnection,
    user_id: &str,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<Notification>> {
    let (page, per_page) = crate::platform::page::page_bounds(page, per_page, 100);
    let p = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .paginate(db, per_page);
    let total = p.num_items().await?;
    let items = p
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(Notification::from)
        .collect();
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

/// Marks all of a user's notifications read.
pub async fn mark_all_read(
    db: &DatabaseConnection,
    user_id: &str,
    now: Timestamp,
) -> DomainResult<u64> {
    use sea_orm::sea_query::Expr;
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// The outbox, newest first (administrators).
pub async fn outbox(
    db: &DatabaseConnection,
    _admin: &crate::accounts::users::AdminCtx,
    page: u64,
    per_page: u64,
) -> DomainResult<Page<OutboxEmail>> {
    let (page, per_page) = crate::platform::page::page_bounds(page, per_page, 100);
    let p = outbox_email::Entity::find()
        .order_by_desc(outbox_email::Column::CreatedAt)
        .order_by_desc(outbox_email::Column::Id)
        .paginate(db, per_page);
    let total = p.num_items().await?;
    let items = p
        .fetch_page(page - 1)
        .await?
        .into_iter()
        .map(|m| OutboxEmail {
            id: m.id,
            to: m.to_addr,
            subject: m.subject,
            body: m.body,
            created_at: m.created_at,
            sent_at: m.sent_at,
            attempts: m.attempts,
            last_error: m.last_error,
        })
        .collect();
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

/// Days before expiry at which owners are reminded.
pub const REMINDER_DAYS: [i64; 3] = [30, 7, 1];

/// Sends the expiry reminders that are due: for each client expiring within 30, 7
/// or 1 days, one reminder per threshold and expiry date. Idempotent: a reminder is
/// recorded with its notification in one transaction, under a primary key of
/// (client, expiry, threshold), so running twice — or in two processes at once, or
/// after a restart — sends each reminder once. Extending the expiry starts afresh.
/// Returns how many reminders were sent.
pub async fn send_expiry_reminders(db: &DatabaseConnection, now: Timestamp) -> DomainResult<u64> {
    let horizon = now + REMINDER_DAYS[0] * 86_400;
    let clients = client::Entity::find()
        .filter(client::Column::ExpiresAt.gt(now))
        .filter(client::Column::ExpiresAt.lte(horizon))
        .filter(client::Column::Disabled.eq(false))
        .all(db)
        .await?;
    let mut sent = 0;
    for c in clients {
        let Some(exp) = c.expires_at else { continue };
        // Only the smallest threshold that applies: a client found 5 days before
        // expiry gets the 7-day reminder, not also the 30-day one.
        let Some(days) = REMINDER_DAYS
            .iter()
            .rev()
            .copied()
            .find(|d| exp - now <= d * 86_400)
        else {
            continue;
        };
        let txn = crate::platform::db::write_txn(db).await?;
        let inserted = expiry_reminder::Entity::insert(expiry_reminder::ActiveModel {
            client_id: Set(c.id.clone()),
            expires_at: Set(exp),
            days: Set(days),
            sent_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                expiry_reminder::Column::ClientId,
                expiry_reminder::Column::ExpiresAt,
                expiry_reminder::Column::Days,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        if inserted == 0 {
            continue;
        }
        let left = (exp - now + 86_399) / 86_400;
        let msg = Message {
            kind: "client.expiring",
            title: format!(
                "\"{}\" expires in {left} day{}",
                c.name,
                if left == 1 { "" } else { "s" }
            ),
            body: format!(
                "The registration of your client \"{}\" ({}) expires on {}. After that it gets no tokens. Request an extension in the developer portal if you still need it.",
                c.name,
                c.id,
                crate::platform::clock::format_date(exp)
            ),
            link: Some(format!("/developer/clients/{}", c.id)),
        };
        notify_owner(&txn, c.owner_id.as_deref(), &msg, now).await?;
        txn.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
