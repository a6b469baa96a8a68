//! Notifications e-mailed over a real SMTP listener on loopback, or kept in the
//! outbox without one.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::clients::ask_scopes;
use crate::helpers::*;

/// A minimal SMTP server on loopback that records every message it accepts.
#[derive(Clone, Default)]
pub(crate) struct SmtpSink(Arc<Mutex<Vec<Delivered>>>);

/// One accepted message: its recipients and its data.
pub(crate) type Delivered = (Vec<String>, String);

impl SmtpSink {
    async fn start() -> (Self, u16) {
        let sink = SmtpSink::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let s = s.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut lines = BufReader::new(r).lines();
                    let _ = w.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO")
                        {
                            b"250-sink\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = w.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            s.0.lock().unwrap().push((std::mem::take(&mut rcpt), data));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = w.write_all(reply).await;
                    }
                });
            }
        });
        (sink, port)
    }

    fn mails(&self) -> Vec<(Vec<String>, String)> {
        self.0.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn notifications_are_e_mailed_over_smtp_and_kept_in_the_outbox_without_it() {
    let (sink, port) = SmtpSink::start().await;
    let app = spawn_app_with(|s| {
        s.smtp = Some(server::settings::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            username: None,
            password: None,
            from: "Portcullis <portcullis@example.edu>".into(),
            tls: "none".into(),
            poll_interval_ms: 50,
        });
    })
    .await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    // The administrator's e-mail arrives at the SMTP listener.
    let mut got = Vec::new();
    for _ in 0..200 {
        got = sink.mails();
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(got.len(), 1, "one e-mail to the one administrator");
    assert_eq!(got[0].0, vec!["admin@example.edu".to_owned()]);
    assert!(got[0].1.contains("New request for"), "{}", got[0].1);
    // ... and is marked sent in the outbox.
    for _ in 0..200 {
        let sent = domain::entities::outbox_email::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        if sent.iter().all(|m| m.sent_at.is_some()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    use sea_orm::EntityTrait;
    let rows = domain::entities::outbox_email::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(rows.iter().all(|m| m.sent_at.is_some()), "{rows:?}");

    // Without SMTP nothing is dropped: the mail waits in the outbox, visible to admins.
    let plain = spawn_app().await;
    registrations_api(&plain).await;
    let dev = developer(&plain, "ada").await;
    let id = register_in_portal(&dev, "Sync", "service", "").await;
    ask_scopes(&dev, &id, &["registrations:write"], "Nightly sync").await;
    let adm = signed_in(&plain, "admin").await;
    let outbox = adm.get("/api/admin/outbox").await.json();
    assert_eq!(outbox["smtp_configured"], false);
    assert_eq!(outbox["total"], 1);
    assert!(outbox["items"][0]["sent"].is_null());
    assert_eq!(outbox["items"][0]["to"], "admin@example.edu");
    // Developers cannot read the outbox.
    assert!(dev
        .get("/api/admin/outbox")
        .await
        .body
        .contains("Forbidden"));
}
