//! Delivering the e-mail outbox over SMTP (lettre).
//!
//! Mail is written to `outbox_emails` in the transaction of the change it announces
//! (see `notify`), so it survives a crash. This sender claims due rows with a lease
//! (a conditional update of `next_attempt_at`, so two processes never send the
//! same row at once), sends them, and marks them sent. A failure is recorded and
//! retried with exponential backoff (1 min … 6 h). Delivery is at least once: a
//! crash between the SMTP reply and the commit can resend one message.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::outbox_email;
use crate::platform::clock::Timestamp;
use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

/// How to reach the SMTP server.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
    /// `starttls`, `tls` or `none` (plain: loopback relays and tests only).
    pub tls: String,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(cfg: &SmtpConfig) -> DomainResult<Self> {
        let bad = |m: String| DomainError::invalid("smtp", m);
        let from: Mailbox = cfg
            .from
            .parse()
            .map_err(|e| bad(format!("from address '{}': {e}", cfg.from)))?;
        let mut b = match cfg.tls.as_str() {
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host)
                .map_err(|e| bad(e.to_string()))?,
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host)
                .map_err(|e| bad(e.to_string()))?,
            "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
            other => {
                return Err(bad(format!(
                    "tls must be starttls, tls or none (got '{other}')"
                )))
            }
        }
        .port(cfg.port)
        .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose().to_owned()));
        }
        Ok(Self {
            transport: b.build(),
            from,
        })
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_owned())
            .map_err(|e| format!("building the message: {e}"))?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// What an outbox row's body becomes once a mail carrying a one-time link was
/// delivered, and all administrators see of one before.
pub const SCRUBBED_BODY: &str = "(This message held a one-time link; its text is not kept.)";

/// How long a claimed row is reserved for its sender.
const LEASE_SECS: i64 = 300;

fn backoff(attempts: i64) -> i64 {
    (60i64 << attempts.clamp(0, 9)).min(6 * 3600)
}

/// Sends up to `batch` due e-mails. Returns (sent, failed).
pub async fn deliver_pending(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: Timestamp,
    batch: u64,
) -> DomainResult<(u64, u64)> {
    let due = outbox_email::Entity::find()
        .filter(outbox_email::Column::SentAt.is_null())
        .filter(outbox_email::Column::NextAttemptAt.lte(now))
        .order_by_asc(outbox_email::Column::NextAttemptAt)
        .order_by_asc(outbox_email::Column::Id)
        .limit(batch)
        .all(db)
        .await?;
    let (mut sent, mut failed) = (0, 0);
    for row in due {
        // Claim the row: only one sender wins the conditional update.
        let claimed = outbox_email::Entity::update_many()
            .col_expr(
                outbox_email::Column::NextAttemptAt,
                Expr::value(now + LEASE_SECS),
            )
            .filter(outbox_email::Column::Id.eq(row.id.clone()))
            .filter(outbox_email::Column::SentAt.is_null())
            .filter(outbox_email::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        match mailer.send(&row.to_addr, &row.subject, &row.body).await {
            Ok(()) => {
                let mut done = outbox_email::Entity::update_many()
                    .col_expr(outbox_email::Column::SentAt, Expr::value(now));
                if row.scrub_after_send {
                    // The one-time link must not stay readable once it was sent.
                    done = done.col_expr(outbox_email::Column::Body, Expr::value(SCRUBBED_BODY));
                }
                done.col_expr(
                    outbox_email::Column::Attempts,
                    Expr::value(row.attempts + 1),
                )
                .col_expr(outbox_email::Column::LastError, Expr::value(None::<String>))
                .filter(outbox_email::Column::Id.eq(row.id.clone()))
                .exec(db)
                .await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(email = %row.id, error = %e, "e-mail delivery failed; will retry");
                outbox_email::Entity::update_many()
                    .col_expr(
                        outbox_email::Column::Attempts,
                        Expr::value(row.attempts + 1),
                    )
                    .col_expr(
                        outbox_email::Column::NextAttemptAt,
                        Expr::value(now + backoff(row.attempts)),
                    )
                    .col_expr(outbox_email::Column::LastError, Expr::value(Some(e)))
                    .filter(outbox_email::Column::Id.eq(row.id.clone()))
                    .exec(db)
                    .await?;
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}
