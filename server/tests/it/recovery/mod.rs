//! Issue 15, recovery and verification: password reset and e-mail verification
//! links, delivered over SMTP to a real listener on loopback and followed as a
//! browser would (docs/IDENTITY.md).

mod admin_address;
mod reset;
mod verification;

use sea_orm::EntityTrait;

use crate::helpers::*;

/// A server that mails through a fresh SMTP sink, with self sign-up open.
pub(crate) async fn mail_app() -> (TestApp, SmtpSink) {
    let (sink, port) = SmtpSink::start().await;
    let app = spawn_app_with(|s| {
        s.smtp = Some(smtp_settings(port));
        s.allow_self_signup = true;
    })
    .await;
    (app, sink)
}

/// The `n`th (from 1) message delivered to `to`, its body decoded.
pub(crate) async fn nth_mail(sink: &SmtpSink, to: &str, n: usize) -> String {
    for _ in 0..400 {
        let mine: Vec<String> = sink
            .mails()
            .into_iter()
            .filter(|(rcpt, _)| rcpt.iter().any(|r| r == to))
            .map(|(_, data)| data)
            .collect();
        if mine.len() >= n {
            return decode(&mine[n - 1]);
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no mail #{n} for {to}: {:?}", sink.mails());
}

/// How many messages `to` received.
pub(crate) fn mail_count(sink: &SmtpSink, to: &str) -> usize {
    sink.mails()
        .iter()
        .filter(|(rcpt, _)| rcpt.iter().any(|r| r == to))
        .count()
}

/// A message as a mail client shows it: quoted-printable undone.
fn decode(data: &str) -> String {
    if !data
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        return data.to_owned();
    }
    let joined = data.replace("=\n", "");
    let mut out = String::new();
    let mut chars = joined.chars();
    while let Some(c) = chars.next() {
        if c == '=' {
            let hex: String = chars.by_ref().take(2).collect();
            match u8::from_str_radix(&hex, 16) {
                Ok(b) => out.push(b as char),
                Err(_) => {
                    out.push('=');
                    out.push_str(&hex);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The token of the link to `path` in a mail, and the link's path and query.
pub(crate) fn link_in(mail: &str, path: &str) -> (String, String) {
    let at = mail
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {mail}"));
    let rest = &mail[at..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let link = rest[..end].to_owned();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    (token, link)
}

/// Waits until every outbox row has been delivered.
async fn outbox_delivered(app: &TestApp) -> Vec<domain::entities::outbox_email::Model> {
    for _ in 0..400 {
        let rows = domain::entities::outbox_email::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        if rows.iter().all(|m| m.sent_at.is_some()) {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the outbox was not delivered");
}

/// Every text value in the tables a link could hide in, as one string.
async fn stored_text(app: &TestApp) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let mut all = String::new();
    for (table, cols) in [
        ("account_tokens", "token_hash, user_id, purpose, email"),
        ("outbox_emails", "subject, body"),
        ("audit_events", "data"),
    ] {
        let rows = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT {cols} FROM {table}"),
            ))
            .await
            .unwrap();
        for r in rows {
            for c in cols.split(", ") {
                if let Ok(v) = r.try_get::<String>("", c) {
                    all.push_str(&v);
                    all.push('\n');
                }
            }
        }
    }
    all
}
