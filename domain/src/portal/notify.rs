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
use crate::platform::mail::SCRUBBED_BODY;
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
    enqueue(conn, to, subject, body, false, now).await
}

/// Queues an e-mail whose body carries a one-time link (a password reset, an
/// address verification): administrators reading the outbox never see its body, and
/// the sender replaces the body once the mail is delivered (docs/SECURITY.md,
/// "Recovery links in the outbox").
pub async fn enqueue_link_email<C: ConnectionTrait>(
    conn: &C,
    to: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> DomainResult<()> {
    enqueue(conn, to, subject, body, true, now).await
}

async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    to: &str,
    subject: &str,
    body: &str,
    scrub_after_send: bool,
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
        scrub_after_send: Set(scrub_after_send),
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

/// Notifies a client's team: its owner (`owner_id`, if any) and its co-owners
/// (issue 13, teams), each once.
pub async fn notify_team<C: ConnectionTrait>(
    conn: &C,
    client_id: &str,
    owner_id: Option<&str>,
    msg: &Message,
    now: Timestamp,
) -> DomainResult<()> {
    use crate::entities::client_member;
    let mut ids: Vec<String> = client_member::Entity::find()
        .filter(client_member::Column::ClientId.eq(client_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    if let Some(o) = owner_id {
        ids.retain(|i| i != o);
        ids.insert(0, o.to_owned());
    }
    for id in ids {
        notify_owner(conn, Some(&id), msg, now).await?;
    }
    Ok(())
}

/// Notifies one person by id (a client's owner, a request's requester), if the
/// account exists.
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
            body: if m.scrub_after_send {
                SCRUBBED_BODY.to_owned()
            } else {
                m.body
            },
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
        notify_team(&txn, &c.id, c.owner_id.as_deref(), &msg, now).await?;
        txn.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// How long before an old secret stops working its owner is warned, if it is
/// still in use.
pub const SECRET_REMINDER_SECS: i64 = 24 * 3600;

/// Warns owners whose old client secret stops working within a day while
/// something still uses it: it was used after the newest secret was issued, so a
/// deployment has not switched yet (issue 13, defect 9). Unused old secrets end
/// quietly. Once per secret, idempotent across processes (`reminded_at` is set in
/// the notification's transaction, only where it was unset). Returns how many
/// warnings were sent.
pub async fn send_secret_reminders(db: &DatabaseConnection, now: Timestamp) -> DomainResult<u64> {
    use crate::entities::{client_secret, client_secret_use};
    let ending = client_secret::Entity::find()
        .filter(client_secret::Column::ExpiresAt.gt(now))
        .filter(client_secret::Column::ExpiresAt.lte(now + SECRET_REMINDER_SECS))
        .all(db)
        .await?;
    let mut sent = 0;
    for s in ending {
        let Some(used) = client_secret_use::Entity::find_by_id(s.id.clone())
            .one(db)
            .await?
            .filter(|u| u.reminded_at.is_none())
        else {
            continue;
        };
        let newest = client_secret::Entity::find()
            .filter(client_secret::Column::ClientId.eq(s.client_id.clone()))
            .order_by_desc(client_secret::Column::CreatedAt)
            // Ids are UUIDv7: within one second, the later one sorts last.
            .order_by_desc(client_secret::Column::Id)
            .one(db)
            .await?;
        let Some(newest) = newest.filter(|n| n.id != s.id) else {
            continue;
        };
        if used.last_used_at < newest.created_at {
            continue;
        }
        let Some(c) = client::Entity::find_by_id(s.client_id.clone())
            .one(db)
            .await?
        else {
            continue;
        };
        let txn = crate::platform::db::write_txn(db).await?;
        let claimed = client_secret_use::Entity::update_many()
            .col_expr(
                client_secret_use::Column::RemindedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(client_secret_use::Column::SecretId.eq(s.id.clone()))
            .filter(client_secret_use::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            continue;
        }
        let Some(exp) = s.expires_at else { continue };
        let hours = ((exp - now) + 3599) / 3600;
        let msg = Message {
            kind: "client.secret_expiring",
            title: format!(
                "An old secret of \"{}\" stops working in {hours} hour{} and is still in use",
                c.name,
                if hours == 1 { "" } else { "s" }
            ),
            body: format!(
                "A previous secret of your client \"{}\" ({}) was used on {}, after its new secret was issued, so some deployment still uses it. It stops working on {}; switch that deployment to the new secret before then, or it gets no tokens.",
                c.name,
                c.id,
                crate::platform::clock::format_utc(used.last_used_at),
                crate::platform::clock::format_utc(exp),
            ),
            link: Some(format!("/developer/clients/{}#secrets", c.id)),
        };
        notify_team(&txn, &c.id, c.owner_id.as_deref(), &msg, now).await?;
        txn.commit().await?;
        sent += 1;
    }
    Ok(sent)
}
