//! A running Portcullis, the example API in front of it, and ways to get tokens.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::accounts::{AdminCtx, NewUser, Role};
use domain::clients::{ApplicationType, NewClient};
use domain::platform::clock::SystemClock;
use domain::platform::password::PasswordHasher;
use domain::platform::secret::SecretString;
use domain::Clock;
use portcullis_verifier::Verifier;
use registrations::{metadata_url, Config, SCOPE_READ, SCOPE_WRITE};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub const LIBRARY: &str = "https://api.example.edu/library";

/// A registered client's credentials.
#[derive(Clone, Debug)]
pub struct Creds {
    pub id: String,
    pub secret: String,
}

pub struct Env {
    /// The Portcullis issuer (and base URL).
    pub issuer: String,
    /// The API checking tokens offline (JWT signature and claims only).
    pub api: String,
    /// The same API with introspection on (revocation seen at once).
    pub api_introspecting: String,
    /// A web app of the Engineering department (people sign in through it).
    pub engineering_app: Creds,
    /// A service of the Engineering department, granted read and write scopes.
    pub engineering_service: Creds,
    /// A service of the History department.
    pub history_service: Creds,
    /// The API's own client (introspection, token exchange).
    pub api_client: Creds,
    /// A service whose tokens are for another API.
    pub library_service: Creds,
    pub alice_id: String,
    _dir: tempfile::TempDir,
}

/// Everything the audit target logged, across tests (filtered by ids in asserts).
pub fn audit_log() -> String {
    String::from_utf8_lossy(&capture().lock().unwrap()).into_owned()
}

fn capture() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("audit=info"))
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .try_init();
        buf
    })
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn now() -> i64 {
    SystemClock.now()
}

async fn register(db: &domain::platform::db::Db, new: NewClient) -> Creds {
    let c = domain::clients::create(
        db,
        &PasswordHasher::new(),
        domain::audit::Actor::Operator,
        new,
        now(),
    )
    .await
    .unwrap();
    Creds {
        id: c.client.id,
        secret: c.secret.expect("confidential").expose().to_owned(),
    }
}

fn service(name: &str, scopes: &[&str]) -> NewClient {
    NewClient {
        metadata: domain::clients::ClientPatch {
            name: Some(name.into()),
            ..Default::default()
        },
        application_type: Some(ApplicationType::Service),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

async fn api_resource(db: &domain::platform::db::Db, name: &str, audience: &str, scopes: &[&str]) {
    let ctx = AdminCtx::operator();
    let r = domain::apis::create_resource(db, &ctx, name, audience, now())
        .await
        .unwrap();
    for s in scopes {
        domain::apis::add_scope(db, &ctx, &r.id, s, "Use the API", false, now())
            .await
            .unwrap();
    }
}

/// Starts Portcullis (real clock: the verifier checks expiry against it), registers
/// the API, its clients and alice, and starts the example API twice.
pub async fn setup() -> Env {
    capture();
    let dir = tempfile::tempdir().unwrap();
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let settings_at = |port: u16| server::settings::Settings {
        bind: format!("127.0.0.1:{port}").parse().unwrap(),
        issuer: format!("http://127.0.0.1:{port}"),
        database_url: SecretString::new(format!("sqlite://{}/portcullis.db", dir.path().display())),
        session_secret: SecretString::new("test-session-secret-0123456789abcdefghij"),
        key_encryption_key: SecretString::new("test-key-encryption-key-0123456789abcdef"),
        cache_ttl_ms: 0,
        ..Default::default()
    };
    // The issuer must be the address clients use, so the port is picked first; it
    // is free when picked, but another test may bind it before Portcullis does:
    // pick another then.
    let mut attempts = 0;
    let (app, issuer) = loop {
        let settings = settings_at(free_port());
        let issuer = settings.issuer.clone();
        match server::startup::Application::build(settings, Arc::new(SystemClock)).await {
            Err(server::startup::StartupError::Bind { .. }) if attempts < 5 => attempts += 1,
            built => break (built.expect("Portcullis starts"), issuer),
        }
    };
    let db = app.state.db.clone();
    tokio::spawn(app.run_until_stopped());

    // The API's identifier is its URL, so bind first.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    api_resource(&db, "Registrations", &api, &[SCOPE_READ, SCOPE_WRITE]).await;
    api_resource(&db, "Library", LIBRARY, &["library:read"]).await;

    let engineering_app = register(
        &db,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Engineering portal".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: vec![SCOPE_READ.into(), SCOPE_WRITE.into()],
            ..Default::default()
        },
    )
    .await;
    let engineering_service =
        register(&db, service("Engineering sync", &[SCOPE_READ, SCOPE_WRITE])).await;
    let history_service = register(&db, service("History sync", &[SCOPE_READ])).await;
    let library_service = register(&db, service("Library sync", &["library:read"])).await;
    // The API's own client: named the API's resource server, the one client
    // besides a token's own that may introspect its tokens, and so the one that may
    // trade a person's token for the API in (RFC 8693) when it acts further.
    let mut api_new = service("Registrations API", &[SCOPE_READ]);
    api_new.metadata.grant_types = Some(vec![
        "client_credentials".into(),
        "urn:ietf:params:oauth:grant-type:token-exchange".into(),
    ]);
    let api_client = register(&db, api_new).await;
    let registrations = domain::apis::find_resource_by_audience(&db, &api)
        .await
        .unwrap()
        .unwrap();
    domain::apis::set_introspectors(
        &db,
        &AdminCtx::operator(),
        &registrations.id,
        std::slice::from_ref(&api_client.id),
        now(),
    )
    .await
    .unwrap();

    let alice = domain::accounts::create_user(
        &db,
        &PasswordHasher::new(),
        &AdminCtx::operator(),
        NewUser {
            username: "alice".into(),
            email: "alice@example.edu".into(),
            display_name: "Alice".into(),
            password: SecretString::new(PASSWORD),
            role: Role::User,
        },
        now(),
    )
    .await
    .unwrap();

    let departments: HashMap<String, String> = [
        (&engineering_app.id, "Engineering"),
        (&engineering_service.id, "Engineering"),
        (&history_service.id, "History"),
        (&library_service.id, "Library"),
    ]
    .into_iter()
    .map(|(c, d)| (c.clone(), d.to_owned()))
    .collect();
    let config = Config {
        resource: api.clone(),
        authorization_server: issuer.clone(),
        departments,
    };

    let offline = Verifier::builder(&issuer, &api)
        .resource_metadata(metadata_url(&api))
        .build()
        .await
        .unwrap();
    let router = registrations::router(config.clone(), &offline);
    tokio::spawn(async move { axum::serve(listener, router).await });

    let introspecting = Verifier::builder(&issuer, &api)
        .resource_metadata(metadata_url(&api))
        .introspection(&api_client.id, &api_client.secret)
        // Every request asks: the test shows revocation at once. The default (10 s)
        // trades that window for fewer calls.
        .introspection_cache_ttl(Duration::ZERO)
        .build()
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_introspecting = format!("http://{}", listener.local_addr().unwrap());
    let router = registrations::router(config, &introspecting);
    tokio::spawn(async move { axum::serve(listener, router).await });

    Env {
        issuer,
        api,
        api_introspecting,
        engineering_app,
        engineering_service,
        history_service,
        library_service,
        api_client,
        alice_id: alice.id,
        _dir: dir,
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl Env {
    /// A client_credentials token (RFC 6749 §4.4).
    pub async fn service_token(&self, c: &Creds) -> String {
        let r = http()
            .post(format!("{}/oauth/token", self.issuer))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Alice signs in through a browser and authorises the Engineering app, which
    /// redeems the code with PKCE (RFC 7636) for an access token.
    pub async fn alice_token(&self) -> String {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let csrf = || async {
            browser
                .get(format!("{}/api/shell", self.issuer))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()["csrf_token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let token = csrf().await;
        let r = browser
            .post(format!("{}/api/sign_in", self.issuer))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", "alice"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() < 400, "sign-in: {}", r.status());

        let verifier = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut authorize = url::Url::parse(&format!("{}/oauth/authorize", self.issuer)).unwrap();
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.engineering_app.id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("scope", &format!("{SCOPE_READ} {SCOPE_WRITE}"))
            .append_pair("state", "st")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let r = browser.get(authorize.as_str()).send().await.unwrap();
        let mut back = location(&r);
        if back.starts_with("/oauth/consent?") {
            let consent = url::Url::parse(&format!("{}{back}", self.issuer)).unwrap();
            let token = csrf().await;
            let mut fields: Vec<(String, String)> = consent
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            fields.push(("decision".into(), "allow".into()));
            fields.push(("csrf_token".into(), token));
            let r = browser
                .post(format!("{}/oauth/consent", self.issuer))
                .form(&fields)
                .send()
                .await
                .unwrap();
            back = location(&r);
        }
        assert!(back.starts_with(REDIRECT), "{back}");
        let code = url::Url::parse(&back)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code");
        let r = http()
            .post(format!("{}/oauth/token", self.issuer))
            .basic_auth(&self.engineering_app.id, Some(&self.engineering_app.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }

    /// RFC 8693: `c` trades `subject` in for a token of its own (`scope`).
    pub async fn exchange(&self, c: &Creds, subject: &str, scope: &str) -> String {
        let r = http()
            .post(format!("{}/oauth/token", self.issuer))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&[
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("subject_token", subject),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
                ("scope", scope),
            ])
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap();
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {body}"))
            .to_owned()
    }

    /// RFC 7009 revocation by the client that holds the token.
    pub async fn revoke(&self, c: &Creds, token: &str) {
        let r = http()
            .post(format!("{}/oauth/revoke", self.issuer))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no redirect: {}", r.status()))
        .to_owned()
}

/// One answer from the example API.
pub struct Reply {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub body: Value,
}

pub async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = http().request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    Reply {
        status: r.status().as_u16(),
        www_authenticate: r
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: r.json().await.unwrap_or(Value::Null),
    }
}
