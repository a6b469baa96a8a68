//! Issue 15, the account page: a signed-in person changes their own password and
//! e-mail address and ends their own sessions, through the server functions the
//! `/account` page posts to (docs/IDENTITY.md, "The account page").

mod email;
mod password;
mod profile;
mod sessions;
mod tokens;

use serde_json::Value;

use crate::helpers::*;

pub(crate) const NEW_PASSWORD: &str = "juniper lantern oboe 7";

async fn change_password(b: &Browser, current: &str, new: &str, confirm: &str) -> Reply {
    b.post(
        "/api/change_password",
        &[
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirm", confirm),
        ],
    )
    .await
}

async fn account(b: &Browser) -> Value {
    let r = b.get("/api/my_account").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// The `(field, message)` pairs of a form error with several fields.
fn field_errors(r: &Reply) -> Vec<(String, String)> {
    let v = r.json();
    v["Fields"]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or_default().to_owned(),
                        p[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_else(|| match v.get("Invalid") {
            Some(i) => vec![(
                i["field"].as_str().unwrap_or_default().to_owned(),
                i["message"].as_str().unwrap_or_default().to_owned(),
            )],
            None => Vec::new(),
        })
}
