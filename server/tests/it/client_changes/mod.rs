//! Issue 11's findings about changing a client, over real HTTP: lost updates
//! under concurrency (M4), widening a client after an approval (M7), and where the
//! authorization endpoint may send errors on its own (L1).

mod lost_updates;
mod reviews;
mod untrusted_redirects;

use crate::helpers::*;

/// Registers a web client on the portal's form; returns its id and secret.
pub async fn create_in_portal(b: &Browser, name: &str, redirect: &str) -> (String, String) {
    let id = register_in_portal(b, name, "web", redirect).await;
    let secret = shown_secret(b, &id).await;
    (id, secret)
}

/// Asks for `scope` on the portal and has the administrator approve it there.
pub async fn approved_in_portal(dev: &Browser, admin: &Browser, id: &str, scope: &str) {
    let r = dev
        .post(
            "/api/portal/request_scopes",
            &[
                ("id", id),
                ("justification", "nightly sync"),
                ("scopes[]", scope),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let pending = requests(admin, "status=pending").await;
    let rid = pending[0]["id"].as_str().unwrap().to_owned();
    let r = admin
        .post(
            "/api/admin/approve_request",
            &[("id", &rid), ("scopes[]", scope)],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
}
