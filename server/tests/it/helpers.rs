use std::sync::Arc;

use domain::accounts::{self, AdminCtx, NewUser, Role, User};
use domain::platform::clock::ManualClock;
use domain::platform::password::PasswordHasher;
use domain::platform::secret::SecretString;
use domain::settings::{FileDefaults, RuntimeSettings, SettingsCache};
use reqwest::header::HeaderMap;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;
use server::settings::Settings;
use server::startup::Application;

pub mod authenticator;
pub mod ldap;
mod node;
mod portal;
mod prepared;
mod process;
mod smtp;
pub mod upstream;
pub use ldap::Slapd;
pub use node::*;
pub use portal::*;
pub use prepared::prepared_database_url;
pub use process::*;
pub use smtp::*;

pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const START: i64 = 1_790_000_000;

pub struct TestApp {
    pub base: String,
    pub db: DatabaseConnection,
    pub clock: ManualClock,
    pub settings: Settings,
    /// The server's own hasher: its counters show how much argon2 work requests caused.
    pub hasher: PasswordHasher,
    /// The server's copy of the revocation list: revoking through it is revoking
    /// as this server does.
    pub revocations: Arc<domain::oauth::access_tokens::RevocationMirror>,
    /// The server's client cache (and the secret uses it notes).
    pub clients: domain::clients::SecretCache,
    pub admin: User,
    /// Set by tests that break the audit chain on purpose.
    pub audit_broken_on_purpose: std::sync::atomic::AtomicBool,
    _dir: tempfile::TempDir,
}

/// Every test's database must end with an intact audit chain: when a test is over,
/// the whole chain it produced is re-computed on a connection of its own, so the
/// suite as a whole proves that every write path appends correctly, on both backends.
impl Drop for TestApp {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering;
        if std::thread::panicking() || self.audit_broken_on_purpose.load(Ordering::SeqCst) {
            return;
        }
        let url = self.settings.database_url.expose().to_owned();
        let outcome = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let db = domain::platform::db::connect(&url).await.unwrap();
                let v = domain::audit::verify(&db).await.unwrap();
                db.close().await.ok();
                drop_postgres_database(&url).await;
                v
            })
        })
        .join()
        .expect("audit verification ran");
        assert!(
            matches!(outcome, domain::audit::Verification::Intact { .. }),
            "at the end of the test: {outcome}"
        );
    }
}

/// A PostgreSQL test database is dropped once its test is over (SQLite files go
/// with their temporary directory), so test runs do not fill the server's disk.
async fn drop_postgres_database(url: &str) {
    if backend() != "postgres" {
        return;
    }
    let (Ok(admin_url), Some((_, name))) =
        (std::env::var("TEST_DATABASE_URL"), url.rsplit_once('/'))
    else {
        return;
    };
    if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
        // FORCE: the test's server may still hold connections (PostgreSQL 13+).
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin.close().await.ok();
    }
}

pub fn backend() -> &'static str {
    match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// A database URL for a brand-new, empty database.
pub async fn fresh_database_url(dir: &std::path::Path) -> String {
    if backend() == "postgres" {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .expect("TEST_BACKEND=postgres needs TEST_DATABASE_URL");
        let name = format!("pc_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .expect("connect to the test PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap_or(admin_url);
        format!("{base}/{name}")
    } else {
        format!("sqlite://{}/portcullis.db", dir.display())
    }
}

pub fn test_settings(database_url: String) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: SecretString::new(database_url),
        session_secret: SecretString::new("test-session-secret-0123456789abcdefghij"),
        key_encryption_key: SecretString::new("test-key-encryption-key-0123456789abcdef"),
        // Tests change rows behind the server's back: read the database every time,
        // except in the test that is about the cache.
        cache_ttl_ms: 0,
        // Most tests have developers' clients admit anyone at once; the lifecycle
        // tests (`portal::stages`) turn it on, or start with the default.
        new_clients_in_development: false,
        ..Settings::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    // The database is made once the tweak is known: its keys are sealed with the
    // key encryption key, which a test may change.
    let mut settings = test_settings(String::new());
    // The issuer must be the address clients use, so pick the port first.
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let at = |s: &mut Settings, port: u16| {
        s.bind = format!("127.0.0.1:{port}").parse().unwrap();
        s.issuer = format!("http://127.0.0.1:{port}");
    };
    let mut port = free_port();
    at(&mut settings, port);
    tweak(&mut settings);
    let prepared = settings.database_url.expose().is_empty();
    if prepared {
        let url = prepared_database_url(dir.path(), &settings.key_encryption_key).await;
        settings.database_url = SecretString::new(url);
    }
    let clock = ManualClock::new(START);
    // The port is free when picked, but another test may bind it before this
    // server does: pick another then (unless the tweak chose the address).
    let mut attempts = 0;
    let app = loop {
        match Application::build(settings.clone(), Arc::new(clock.clone())).await {
            Err(server::startup::StartupError::Bind { .. })
                if attempts < 5 && settings.bind.port() == port =>
            {
                attempts += 1;
                port = free_port();
                at(&mut settings, port);
                // The failed start made the portal API for the old issuer, and its
                // scope stays with it: a new issuer needs a new database (tokens
                // were "for another API" when the retry reused it).
                if prepared {
                    let again = dir.path().join(format!("retry-{attempts}"));
                    std::fs::create_dir_all(&again).unwrap();
                    let url = prepared_database_url(&again, &settings.key_encryption_key).await;
                    settings.database_url = SecretString::new(url);
                }
            }
            built => break built.expect("application starts"),
        }
    };
    let addr = app.local_addr();
    let db = app.state.db.clone();
    let hasher = app.state.hasher.clone();
    let revocations = app.state.revocations.clone();
    let clients = app.state.clients.clone();
    tokio::spawn(app.run_until_stopped());
    let admin = create_user(&db, "admin", Role::Admin).await;
    TestApp {
        base: format!("http://{addr}"),
        db,
        clock,
        settings,
        hasher,
        revocations,
        clients,
        admin,
        audit_broken_on_purpose: Default::default(),
        _dir: dir,
    }
}

/// Changes the run-time settings as the operator would (`settings::update`,
/// audited), from what is in force.
pub async fn change_settings(app: &TestApp, change: impl FnOnce(&mut RuntimeSettings)) {
    let cache = SettingsCache::new(
        FileDefaults {
            access_token_secs: 300,
            refresh_token_secs: 30 * 86_400,
            allow_self_signup: false,
            require_dpop: false,
            new_clients_in_development: app.settings.new_clients_in_development,
        },
        std::time::Duration::ZERO,
        Arc::new(domain::platform::clock::SystemClock),
    );
    let mut s = cache.get(&app.db).await.unwrap();
    change(&mut s);
    domain::settings::update(&app.db, &AdminCtx::operator(), &cache, s, app.clock_now())
        .await
        .unwrap();
}

pub async fn create_user(db: &DatabaseConnection, username: &str, role: Role) -> User {
    let new = NewUser {
        username: username.into(),
        email: format!("{username}@example.edu"),
        display_name: format!("{username} display"),
        password: SecretString::new(ADMIN_PASSWORD),
        role,
    };
    accounts::create_user(
        db,
        &PasswordHasher::new(),
        &AdminCtx::operator(),
        new,
        START,
    )
    .await
    .unwrap()
}

/// A registered client's credentials (the secret is shown once, at creation).
#[derive(Clone)]
pub struct Creds {
    pub id: String,
    /// Empty for a client that authenticates with its keys only.
    pub secret: String,
}

/// Registers a confidential client as the operator would, at the app's current time.
pub async fn register(app: &TestApp, new: domain::clients::NewClient) -> Creds {
    let c = domain::clients::create(
        &app.db,
        &PasswordHasher::new(),
        domain::audit::Actor::Operator,
        new,
        app.clock_now(),
    )
    .await
    .unwrap();
    Creds {
        id: c.client.id,
        secret: c.secret.map(|s| s.expose().to_owned()).unwrap_or_default(),
    }
}

/// A browser: keeps cookies, does not follow redirects (tests look at them).
/// A clone shares the cookies (another tab).
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl TestApp {
    pub fn clock_now(&self) -> i64 {
        use domain::Clock;
        self.clock.now()
    }

    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// The data of every event of `event_type`, oldest first.
    pub async fn audit_events_of(&self, event_type: &str) -> Vec<serde_json::Value> {
        use domain::entities::audit_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        audit_event::Entity::find()
            .filter(audit_event::Column::EventType.eq(event_type))
            .order_by_asc(audit_event::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| serde_json::from_str(&e.data).unwrap())
            .collect()
    }

    pub async fn audit_types(&self) -> Vec<String> {
        use domain::entities::audit_event;
        use sea_orm::{EntityTrait, QueryOrder};
        audit_event::Entity::find()
            .order_by_asc(audit_event::Column::Id)
            .all(&self.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
    pub fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    /// The user-facing message of a server-function error.
    pub fn error_message(&self) -> String {
        let v = self.json();
        if let Some(obj) = v.as_object() {
            if let Some((_, inner)) = obj.iter().next() {
                if let Some(s) = inner.as_str() {
                    return s.to_owned();
                }
                if let Some(m) = inner.get("message").and_then(Value::as_str) {
                    return m.to_owned();
                }
                // Several fields at once: the first one's message.
                if let Some(m) = inner.pointer("/errors/0/1").and_then(Value::as_str) {
                    return m.to_owned();
                }
            }
        }
        v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| self.body.clone())
    }
}

impl Browser {
    async fn reply(r: reqwest::Response) -> Reply {
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        Self::reply(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// GET as a browser navigation (Accept: text/html).
    pub async fn get_html(&self, path: &str) -> Reply {
        Self::reply(
            self.client
                .get(format!("{}{path}", self.base))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn shell(&self) -> Value {
        self.get("/api/shell").await.json()
    }

    pub async fn csrf_token(&self) -> String {
        self.shell().await["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// POST a form to a server function, with this browser's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// POST a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        Self::reply(
            self.client
                .post(format!("{}{path}", self.base))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Reply {
        self.post(
            "/api/sign_in",
            &[("username", username), ("password", password)],
        )
        .await
    }

    pub async fn signed_in_as(&self) -> Option<String> {
        self.shell().await["user"]["username"]
            .as_str()
            .map(str::to_owned)
    }
}

/// Names `client_id` a resource server of the API `audience`: it may introspect
/// the API's tokens (RFC 7662 §4).
pub async fn allow_introspection(app: &TestApp, audience: &str, client_id: &str) {
    let api = domain::apis::find_resource_by_audience(&app.db, audience)
        .await
        .unwrap()
        .expect("the API exists");
    let mut now: Vec<String> = domain::apis::find_api_info(&app.db, audience)
        .await
        .unwrap()
        .map(|a| a.introspectors)
        .unwrap_or_default();
    now.push(client_id.to_owned());
    domain::apis::set_introspectors(
        &app.db,
        &AdminCtx::operator(),
        &api.id,
        &now,
        app.clock_now(),
    )
    .await
    .unwrap();
}

/// The `name`/`value` pairs of the hidden inputs of a server-rendered page, as a
/// browser without JavaScript would submit them (HTML entities decoded).
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    fn attr(tag: &str, name: &str) -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(
            tag[start..start + len]
                .replace("&quot;", "\"")
                .replace("&#x27;", "'")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    }
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            (attr(tag, "type").as_deref() == Some("hidden"))
                .then(|| Some((attr(tag, "name")?, attr(tag, "value").unwrap_or_default())))?
        })
        .collect()
}

/// Percent-encodes one query-parameter value.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The decoded value of query parameter `name` of a URL or a path.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let full = if url.starts_with('/') {
        format!("http://x{url}")
    } else {
        url.to_owned()
    };
    url::Url::parse(&full)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs `n` requests at once (each on its own task, so the server sees real
/// concurrency) and returns their results in order.
pub async fn burst<T, Fut>(n: usize, make: impl Fn(usize) -> Fut) -> Vec<T>
where
    T: Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(make(i))).collect();
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await.expect("request task"));
    }
    out
}

/// A second server on the same database, as another process behind a load
/// balancer would be; returns its base URL and its hasher.
pub async fn spawn_second_server(app: &TestApp) -> (String, PasswordHasher) {
    let mut other = app.settings.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    other.bind = format!("127.0.0.1:{port}").parse().unwrap();
    let second = Application::build(other, Arc::new(app.clock.clone()))
        .await
        .expect("a second server starts on the same database");
    let base = format!("http://{}", second.local_addr());
    let hasher = second.state.hasher.clone();
    tokio::spawn(second.run_until_stopped());
    (base, hasher)
}

/// The payload of a JWT, unverified (signatures are checked elsewhere).
pub fn peek(jwt: &str) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}
