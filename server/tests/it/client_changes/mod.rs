//! Issue 11's findings about changing a client, over real HTTP: lost updates
//! under concurrency (M4), widening a client after an approval (M7), and where the
//! authorization endpoint may send errors on its own (L1).

mod lost_updates;
mod reviews;
mod untrusted_redirects;

use domain::accounts::{AdminCtx, Role, User};
use domain::clients::{ApplicationType, NewClient};
use serde_json::{json, Value};

use crate::helpers::*;

pub const API: &str = "https://api.example.edu/registrations";
/// Needs no approval.
pub const READ: &str = "registrations:read";
/// Needs an administrator's approval.
pub const WRITE: &str = "registrations:write";

pub async fn catalogue(app: &TestApp) {
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(&app.db, &ctx, "Registrations", API, START)
        .await
        .unwrap();
    for (s, approval) in [(READ, false), (WRITE, true)] {
        domain::apis::add_scope(&app.db, &ctx, &r.id, s, "Registrations", approval, START)
            .await
            .unwrap();
    }
}

pub async fn signed_in(app: &TestApp, name: &str) -> Browser {
    let b = app.browser();
    assert!(b.sign_in(name, ADMIN_PASSWORD).await.status < 400);
    b
}

pub async fn developer(app: &TestApp, name: &str) -> Browser {
    create_user(&app.db, name, Role::Developer).await;
    signed_in(app, name).await
}

/// Registers a web client on the portal's form; returns its id and secret.
pub async fn create_in_portal(b: &Browser, name: &str, redirect: &str) -> (String, String) {
    let r = b
        .post(
            "/api/portal/create_client",
            &[
                ("name", name),
                ("application_type", "web"),
                ("redirect_uris", redirect),
                ("grant_refresh_token", "on"),
            ],
        )
        .await;
    let loc = r
        .location()
        .unwrap_or_else(|| panic!("{} {}", r.status, r.body));
    let id = loc
        .strip_prefix("/developer/clients/")
        .and_then(|s| s.split('?').next())
        .expect("redirect to the client page")
        .to_owned();
    let secret = b.get(&format!("/api/portal/client?id={id}")).await.json()["new_secret"]
        .as_str()
        .expect("the secret is shown once")
        .to_owned();
    (id, secret)
}

/// The portal's requests list, as the caller sees it.
pub async fn requests(b: &Browser, query: &str) -> Vec<Value> {
    b.get(&format!("/api/portal/requests?{query}")).await.json()["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
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

/// A client-credentials token request; returns the status and the JSON body.
pub async fn cc_token(app: &TestApp, id: &str, secret: &str, scope: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A caller of the REST API with the token of a CI client its owner holds.
#[derive(Clone)]
pub struct Rest {
    base: String,
    token: String,
}

impl Rest {
    pub async fn for_user(app: &TestApp, owner: &User) -> Rest {
        let ci = register(
            app,
            NewClient {
                name: format!("{} CI", owner.username),
                application_type: Some(ApplicationType::Service),
                scopes: vec!["portal".into()],
                owner_id: Some(owner.id.clone()),
                ..Default::default()
            },
        )
        .await;
        let r = reqwest::Client::new()
            .post(format!("{}/oauth/token", app.base))
            .basic_auth(&ci.id, Some(&ci.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        let t: Value = r.json().await.unwrap();
        Rest {
            base: app.base.clone(),
            token: t["access_token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut rb = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, &[], None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, &[], Some(body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, &[], Some(body)).await
    }

    /// Registers a web client; returns its id and secret.
    pub async fn create_web_client(&self, name: &str, redirect: &str) -> (String, String) {
        let r = self
            .post(
                "/api/v1/clients",
                json!({ "name": name, "redirect_uris": [redirect] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        (
            v["id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        )
    }
}
