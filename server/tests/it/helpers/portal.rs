//! Callers of the developer portal: signed-in browsers for its pages and server
//! functions, the REST API with a bearer token, and the client-credentials token
//! a registered client gets.

use domain::accounts::{AdminCtx, Role, User};
use domain::clients::{ApplicationType, NewClient};
use serde_json::{json, Value};

use super::{create_user, register, Browser, Creds, Reply, TestApp, ADMIN_PASSWORD, START};

/// The catalogue's registrations API ([`registrations_api`]).
pub const REGISTRATIONS: &str = "https://api.example.edu/registrations";
/// A scope of [`REGISTRATIONS`] that needs no approval.
pub const READ: &str = "registrations:read";
/// A scope of [`REGISTRATIONS`] that needs an administrator's approval.
pub const WRITE: &str = "registrations:write";

/// An API with a scope that needs approval ([`WRITE`]) and one that does not ([`READ`]).
pub async fn registrations_api(app: &TestApp) {
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(&app.db, &ctx, "Registrations", REGISTRATIONS, START)
        .await
        .unwrap();
    for (s, approval) in [(READ, false), (WRITE, true)] {
        domain::apis::add_scope(&app.db, &ctx, &r.id, s, "Registrations", approval, START)
            .await
            .unwrap();
    }
}

/// A browser signed in as an existing account (all test accounts share one password).
pub async fn signed_in(app: &TestApp, name: &str) -> Browser {
    let b = app.browser();
    assert!(b.sign_in(name, ADMIN_PASSWORD).await.status < 400);
    b
}

/// A browser signed in as a new developer.
pub async fn developer(app: &TestApp, name: &str) -> Browser {
    create_user(&app.db, name, Role::Developer).await;
    signed_in(app, name).await
}

/// Registers a client on the portal's form (`kind`: web, native or service);
/// returns its id.
pub async fn register_in_portal(b: &Browser, name: &str, kind: &str, redirect: &str) -> String {
    let r = b
        .post(
            "/api/portal/create_client",
            &[
                ("name", name),
                ("application_type", kind),
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
    assert!(loc.ends_with("?notice=client_created"));
    id
}

/// The secret the client page shows once after registering or rotating.
pub async fn shown_secret(b: &Browser, id: &str) -> String {
    b.get(&format!("/api/portal/client?id={id}")).await.json()["new_secret"]
        .as_str()
        .expect("the secret is shown once")
        .to_owned()
}

/// The portal's requests list, as the caller sees it.
pub async fn requests(b: &Browser, query: &str) -> Vec<Value> {
    b.get(&format!("/api/portal/requests?{query}")).await.json()["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A client-credentials token request; returns the status and the JSON body.
pub async fn cc_token(app: &TestApp, id: &str, secret: &str, scope: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let r = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A CI client (a service client) owned by `owner` and granted `scopes`.
pub async fn ci_client(app: &TestApp, owner: &User, scopes: &[&str]) -> Creds {
    register(
        app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some(format!("{} CI", owner.username)),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Service),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            owner_id: Some(owner.id.clone()),
            ..Default::default()
        },
    )
    .await
}

/// A caller of the REST API with one bearer token (or none).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

impl Api {
    /// A caller sending `token` (or no `Authorization` header at all).
    pub fn with_token(app: &TestApp, token: Option<String>) -> Api {
        Api {
            base: app.base.clone(),
            token,
            http: reqwest::Client::new(),
        }
    }

    /// With a client-credentials token of `creds` (no scope asked: all it holds).
    pub async fn for_client(app: &TestApp, creds: &Creds) -> Api {
        let (status, t) = cc_token(app, &creds.id, &creds.secret, None).await;
        assert_eq!(status, 200, "{t}");
        Api::with_token(app, Some(t["access_token"].as_str().unwrap().to_owned()))
    }

    /// With the token of a CI client `owner` holds, granted the `portal` scope.
    pub async fn for_user(app: &TestApp, owner: &User) -> Api {
        let ci = ci_client(app, owner, &["portal"]).await;
        Api::for_client(app, &ci).await
    }

    /// A developer (a new account) with a CI client that may use the API.
    pub async fn developer(app: &TestApp, username: &str) -> (User, Api) {
        let dev = create_user(&app.db, username, Role::Developer).await;
        let api = Api::for_user(app, &dev).await;
        (dev, api)
    }

    /// The administrator, through a CI client of theirs.
    pub async fn admin(app: &TestApp) -> Api {
        Api::for_user(app, &app.admin).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
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

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, &[], None).await
    }

    /// Registers a web client redirecting to `redirect`; returns its JSON (with
    /// the secret).
    pub async fn register_web_client(&self, name: &str, redirect: &str) -> Value {
        let r = self
            .post(
                "/api/v1/clients",
                json!({ "name": name, "redirect_uris": [redirect] }),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        // RFC 9110 §15.3.2: a 201 names what it made.
        assert_eq!(
            r.location(),
            Some(format!("/api/v1/clients/{}", v["id"].as_str().unwrap())),
            "{}",
            r.body
        );
        v
    }

    /// Registers a web client; returns its id and secret.
    pub async fn create_web_client(&self, name: &str, redirect: &str) -> (String, String) {
        let v = self.register_web_client(name, redirect).await;
        (
            v["id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        )
    }
}
