//! Issue 15: an administrator sets a person's e-mail address. It is theirs at
//! once and unverified; a link goes to the new address (mailed over SMTP to a real
//! listener), a notice to the old one; links sent before stop working.

use domain::accounts::Role;
use serde_json::Value;

use super::*;

async fn row_of(admin: &Browser, username: &str) -> Value {
    let v = admin
        .get(&format!("/api/admin/users?search={username}&page=1"))
        .await
        .json();
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .cloned()
        .unwrap_or_else(|| panic!("{v}"))
}

#[tokio::test]
async fn an_administrator_sets_an_address_which_is_unverified_until_its_link_is_opened() {
    let (app, sink) = mail_app().await;
    create_user(&app.db, "gwen", Role::User).await;
    let admin = app.browser();
    assert!(admin.sign_in("admin", ADMIN_PASSWORD).await.status < 400);
    let before = row_of(&admin, "gwen").await;
    let old = before["email"].as_str().unwrap().to_owned();
    let id = before["id"].as_str().unwrap().to_owned();

    // Bad input and someone else's address change nothing.
    create_user(&app.db, "hal", Role::User).await;
    let hals = row_of(&admin, "hal").await["email"]
        .as_str()
        .unwrap()
        .to_owned();
    for (email, status) in [("not an address", 422), (hals.as_str(), 409)] {
        let r = admin
            .post(
                "/api/admin/set_email",
                &[("user_id", &id), ("email", email)],
            )
            .await;
        assert_eq!(r.status, status, "{email}: {}", r.body);
    }
    // Not an administrator: refused.
    let gwen = app.browser();
    assert!(gwen.sign_in("gwen", ADMIN_PASSWORD).await.status < 400);
    let r = gwen
        .post(
            "/api/admin/set_email",
            &[("user_id", &id), ("email", "me@example.org")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(row_of(&admin, "gwen").await["email"], old.as_str());

    let r = admin
        .post(
            "/api/admin/set_email",
            &[("user_id", &id), ("email", "gwen.new@example.org")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let after = row_of(&admin, "gwen").await;
    assert_eq!(after["email"], "gwen.new@example.org");
    assert_eq!(after["email_verified"], false);
    let ev = app.audit_events_of("user.email_changed").await;
    assert_eq!(ev.last().unwrap()["from"], old.as_str());
    assert_eq!(ev.last().unwrap()["to"], "gwen.new@example.org");

    // The old address is told; the new one gets the link, which verifies it.
    let notice = nth_mail(&sink, &old, 1).await;
    assert!(
        notice.contains("an administrator changed the e-mail address"),
        "{notice}"
    );
    assert!(!notice.contains("token="), "{notice}");
    let mail = nth_mail(&sink, "gwen.new@example.org", 1).await;
    let (token, _) = link_in(&mail, "/verify-email");
    let done = gwen.post("/api/verify_email", &[("token", &token)]).await;
    assert!(done.status < 400, "{}", done.body);
    assert_eq!(row_of(&admin, "gwen").await["email_verified"], true);
}
