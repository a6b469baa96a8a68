//! One typed settings struct, read from a TOML file and `PORTCULLIS_*` environment
//! variables (nested keys with `__`, e.g. `PORTCULLIS_SESSION__IDLE_TIMEOUT_SECS`).
//! Unknown keys are errors naming the key; secrets are held in `SecretString`, whose
//! Debug output is redacted. Tests build the struct directly instead of touching
//! the environment.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use domain::platform::secret::SecretString;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

mod sections;
pub use sections::{
    DeviceSettings, DpopSettings, LogoutSettings, OutboundSettings, RecoverySettings,
    RegistrationSettings, TokenExchangeSettings,
};

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The public base URL of this server; the OpenID issuer identifier.
    pub issuer: String,
    /// Address to listen on.
    pub bind: SocketAddr,
    /// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    pub database_url: SecretString,
    /// Key for CSRF tokens and other server-side MACs (at least 32 characters).
    pub session_secret: SecretString,
    /// Encrypts signing keys at rest (at least 32 characters).
    pub key_encryption_key: SecretString,
    /// The first administrator, created at start-up when there is no administrator.
    pub admin_username: String,
    pub admin_email: String,
    /// Password for that first administrator; generated and printed once when unset.
    pub admin_password: Option<SecretString>,
    /// Lets visitors create their own (end-user) accounts.
    pub allow_self_signup: bool,
    /// New clients that developers register start in development: only their
    /// team signs in until an administrator promotes them (issue 13). On unless
    /// turned off here; an administrator's choice in the portal wins over this.
    pub new_clients_in_development: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy_headers: bool,
    /// Name of the token claim that carries the user's portal role.
    /// The claim that carries a person's portal role (`user`, `developer`,
    /// `admin`) in ID tokens and at userinfo, when `role_scope` was granted.
    pub role_claim: String,
    /// The OpenID scope that releases `role_claim` (created at start-up,
    /// approval-gated, if missing).
    pub role_scope: String,
    /// Where the built site (wasm, css, assets) is served from.
    pub site_root: String,
    /// How long hot rows (clients and secret hashes, the scope catalogue, run-time
    /// switches) may be served from memory on the token path. Changes made by
    /// another process are seen within this time; 0 turns caching off.
    pub cache_ttl_ms: u64,
    /// How often this process reads the change feed (what other processes changed
    /// in rows it caches: see `domain::platform::changes`); 0 turns the feed off,
    /// leaving only `cache_ttl_ms`.
    pub change_poll_ms: u64,
    /// Where Prometheus scrapes `/metrics` (a separate listener, meant for the
    /// private network); unset serves no metrics.
    pub metrics_bind: Option<SocketAddr>,
    /// RFC 9126 §5: accept only pushed authorization requests, from every client
    /// (a client can also be required to on its own: its
    /// `require_pushed_authorization_requests`).
    pub require_pushed_authorization_requests: bool,
    pub log: LogSettings,
    pub session: SessionSettings,
    pub throttle: ThrottleSettings,
    pub tokens: TokenSettings,
    pub smtp: Option<SmtpSettings>,
    /// An LDAP directory that checks its people's passwords (docs/IDENTITY.md).
    pub ldap: Option<domain::accounts::directory::DirectoryConfig>,
    /// OpenID providers people may sign in with, `[[upstream]]` (docs/IDENTITY.md).
    pub upstream: Vec<domain::accounts::upstream::ProviderConfig>,
    pub logout: LogoutSettings,
    pub outbound: OutboundSettings,
    pub dpop: DpopSettings,
    pub recovery: RecoverySettings,
    pub device: DeviceSettings,
    pub token_exchange: TokenExchangeSettings,
    pub registration: RegistrationSettings,
}

impl Settings {
    /// What the portal's recovery pages and sign-up need.
    pub fn recovery_policy(&self) -> domain::accounts::recovery::RecoveryPolicy {
        domain::accounts::recovery::RecoveryPolicy {
            base_url: self.issuer.trim_end_matches('/').to_owned(),
            reset_ttl_secs: self.recovery.reset_ttl_secs,
            verification_ttl_secs: self.recovery.verification_ttl_secs,
            window_secs: self.throttle.window_secs,
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `info,server=debug`.
    pub level: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionSettings {
    pub idle_timeout_secs: i64,
    pub absolute_timeout_secs: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleSettings {
    pub account_max_failures: i32,
    pub ip_max_failures: i32,
    pub window_secs: i64,
    pub lockout_secs: i64,
    /// Failed client authentication at the protocol endpoints (`[throttle.clients]`).
    pub clients: domain::accounts::throttle::ClientThrottlePolicy,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenSettings {
    pub access_token_ttl_secs: i64,
    pub id_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub authorization_code_ttl_secs: i64,
    /// Lifetime of tokens from the password grant (seed 004's policy: 9 hours).
    pub password_grant_ttl_secs: i64,
    /// Signing keys are replaced after this many days (old ones stay published
    /// until what they signed has expired).
    pub signing_key_rotation_days: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
    /// `starttls`, `tls` or `none`.
    #[serde(default = "default_smtp_tls")]
    pub tls: String,
    /// How often the outbox is checked for mail to send.
    #[serde(default = "default_smtp_poll")]
    pub poll_interval_ms: u64,
}

fn default_smtp_poll() -> u64 {
    2000
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_tls() -> String {
    "starttls".into()
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:3000".into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: SecretString::new("sqlite://data/portcullis.db"),
            session_secret: SecretString::default(),
            key_encryption_key: SecretString::default(),
            admin_username: "admin".into(),
            admin_email: "admin@portcullis.localhost".into(),
            admin_password: None,
            allow_self_signup: false,
            new_clients_in_development: true,
            trust_proxy_headers: false,
            role_claim: "portcullis_role".into(),
            role_scope: "portcullis_role".into(),
            site_root: "target/site".into(),
            cache_ttl_ms: 2000,
            change_poll_ms: 50,
            metrics_bind: None,
            require_pushed_authorization_requests: false,
            log: LogSettings::default(),
            session: SessionSettings::default(),
            throttle: ThrottleSettings::default(),
            tokens: TokenSettings::default(),
            smtp: None,
            ldap: None,
            upstream: Vec::new(),
            logout: LogoutSettings::default(),
            outbound: OutboundSettings::default(),
            dpop: DpopSettings::default(),
            recovery: RecoverySettings::default(),
            device: DeviceSettings::default(),
            token_exchange: TokenExchangeSettings::default(),
            registration: RegistrationSettings::default(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info".into(),
        }
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        let p = domain::accounts::sessions::SessionPolicy::default();
        Self {
            idle_timeout_secs: p.idle_timeout_secs,
            absolute_timeout_secs: p.absolute_timeout_secs,
        }
    }
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        let p = domain::accounts::throttle::ThrottlePolicy::default();
        Self {
            account_max_failures: p.account_max_failures,
            ip_max_failures: p.ip_max_failures,
            window_secs: p.window_secs,
            lockout_secs: p.lockout_secs,
            clients: p.clients,
        }
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 300,
            id_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            authorization_code_ttl_secs: 60,
            password_grant_ttl_secs: 9 * 3600,
            signing_key_rotation_days: 30,
        }
    }
}

impl TokenSettings {
    /// The longest lifetime of anything a signing key signs.
    pub fn access_token_secs_max(&self) -> i64 {
        self.access_token_ttl_secs
            .max(self.id_token_ttl_secs)
            .max(self.password_grant_ttl_secs)
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("issuer", &self.issuer)
            .field("bind", &self.bind)
            .field("database_url", &redact_url(self.database_url.expose()))
            .field("session_secret", &self.session_secret)
            .field("key_encryption_key", &self.key_encryption_key)
            .field("admin_username", &self.admin_username)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &self.admin_password)
            .field("allow_self_signup", &self.allow_self_signup)
            .field(
                "new_clients_in_development",
                &self.new_clients_in_development,
            )
            .field("trust_proxy_headers", &self.trust_proxy_headers)
            .field("role_claim", &self.role_claim)
            .field("role_scope", &self.role_scope)
            .field("site_root", &self.site_root)
            .field("cache_ttl_ms", &self.cache_ttl_ms)
            .field("change_poll_ms", &self.change_poll_ms)
            .field("metrics_bind", &self.metrics_bind)
            .field("log", &self.log)
            .field("session", &self.session)
            .field("throttle", &self.throttle)
            .field("tokens", &self.tokens)
            .field("smtp", &self.smtp)
            .field("ldap", &self.ldap)
            .field("upstream", &self.upstream)
            .field("logout", &self.logout)
            .field("outbound", &self.outbound)
            .field("dpop", &self.dpop)
            .finish()
    }
}

/// A database URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings file {0} does not exist")]
    MissingFile(String),
    #[error("invalid settings: {0}")]
    Invalid(String),
}

impl Settings {
    /// Reads the optional TOML file, then `PORTCULLIS_*` variables, then validates.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingsError> {
        let mut fig = Figment::new();
        if let Some(path) = file {
            if !path.exists() {
                return Err(SettingsError::MissingFile(path.display().to_string()));
            }
            fig = fig.merge(Toml::file(path));
        }
        // PORTCULLIS_CONFIG names the file itself and is read by the CLI.
        fig = fig.merge(Env::prefixed("PORTCULLIS_").split("__").ignore(&["CONFIG"]));
        let settings: Settings = fig
            .extract()
            .map_err(|e| SettingsError::Invalid(describe_figment_error(e)))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values that types alone cannot.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let bad = |m: String| Err(SettingsError::Invalid(m));
        if let Err(m) = domain::oauth::check_issuer(&self.issuer) {
            return bad(m);
        }
        let db = self.database_url.expose();
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return bad(format!(
                "database_url must start with sqlite:// or postgres:// (got '{}')",
                redact_url(db)
            ));
        }
        for (name, s) in [
            ("session_secret", &self.session_secret),
            ("key_encryption_key", &self.key_encryption_key),
        ] {
            if s.expose().len() < 32 {
                return bad(format!(
                    "{name} must be set to at least 32 random characters (setting `{name}` or PORTCULLIS_{}); \
                     generate one with `openssl rand -base64 48`",
                    name.to_uppercase()
                ));
            }
        }
        if self.session.idle_timeout_secs <= 0
            || self.session.absolute_timeout_secs < self.session.idle_timeout_secs
        {
            return bad("session.idle_timeout_secs must be positive and at most session.absolute_timeout_secs".into());
        }
        let l = &self.logout;
        if !(1..=3600).contains(&l.retry_base_secs)
            || !(50..=60_000).contains(&l.poll_ms)
            || !(100..=60_000).contains(&self.outbound.timeout_ms)
        {
            return bad("logout.retry_base_secs must be 1–3600, logout.poll_ms 50–60000 and outbound.timeout_ms 100–60000".into());
        }
        if let Some(path) = &self.outbound.root_certificates {
            crate::outbound::read_roots(path).map_err(SettingsError::Invalid)?;
        }
        let t = &self.tokens;
        for (name, v) in [
            ("tokens.access_token_ttl_secs", t.access_token_ttl_secs),
            ("tokens.id_token_ttl_secs", t.id_token_ttl_secs),
            ("tokens.refresh_token_ttl_secs", t.refresh_token_ttl_secs),
            (
                "tokens.authorization_code_ttl_secs",
                t.authorization_code_ttl_secs,
            ),
            ("tokens.password_grant_ttl_secs", t.password_grant_ttl_secs),
            (
                "tokens.signing_key_rotation_days",
                t.signing_key_rotation_days,
            ),
        ] {
            if v <= 0 {
                return bad(format!("{name} must be a positive number of seconds"));
            }
        }
        let d = &self.device;
        if !(60..=1800).contains(&d.code_lifetime_secs)
            || !(1..=60).contains(&d.poll_interval_secs)
            || !(1..=10_000).contains(&d.max_pending_per_client)
        {
            return bad("device.code_lifetime_secs must be 60–1800, device.poll_interval_secs 1–60 and device.max_pending_per_client 1–10000".into());
        }
        if !(1..=10).contains(&self.token_exchange.max_chain_depth) {
            return bad("token_exchange.max_chain_depth must be 1–10".into());
        }
        if !(1..=100_000).contains(&self.registration.open_per_address)
            || !(1..=100_000).contains(&self.registration.document_fetches_per_address)
            || !(60..=domain::accounts::throttle::OPEN_REGISTRATION_MAX_WINDOW)
                .contains(&self.registration.open_window_secs)
        {
            return bad("registration.open_per_address and registration.document_fetches_per_address must be 1–100000, registration.open_window_secs 60–86400".into());
        }
        if !(0..=3650).contains(&self.registration.expire_unused_days) {
            return bad("registration.expire_unused_days must be 0–3650 (0: never)".into());
        }
        let r = &self.recovery;
        if !(60..=24 * 3600).contains(&r.reset_ttl_secs)
            || !(3600..=30 * 24 * 3600).contains(&r.verification_ttl_secs)
        {
            return bad("recovery.reset_ttl_secs must be 60–86400 and recovery.verification_ttl_secs 3600–2592000".into());
        }
        if self.role_claim.trim().is_empty() {
            return bad("role_claim must not be empty".into());
        }
        if domain::oauth::claims::RESERVED_CLAIMS.contains(&self.role_claim.as_str()) {
            return bad(format!(
                "role_claim '{}' would overwrite a standard claim: choose another name",
                self.role_claim
            ));
        }
        if self.role_claim.len() > 100
            || self
                .role_claim
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return bad("role_claim must be a short name without spaces".into());
        }
        if let Some(c) = &self.ldap {
            domain::accounts::directory::Directory::new(c.clone())
                .map_err(SettingsError::Invalid)?;
        }
        domain::accounts::upstream::check(&self.upstream).map_err(SettingsError::Invalid)?;
        Ok(())
    }

    /// Cookies are `Secure` (with the `__Host-` prefix) when the issuer is https.
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}

fn describe_figment_error(e: figment::Error) -> String {
    // One line: the first error, with the key and where it came from.
    let first = e.into_iter().next();
    match first {
        Some(err) => {
            let key = err.path.join(".");
            let source = err
                .metadata
                .as_ref()
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            let mut msg = err.kind.to_string();
            if let figment::error::Kind::UnknownField(field, _) = &err.kind {
                // figment's path already ends with the unknown field.
                let full = if key.is_empty() {
                    field.clone()
                } else {
                    key.clone()
                };
                msg = format!("unknown setting `{full}`");
            } else if !key.is_empty() {
                msg = format!("`{key}`: {msg}");
            }
            if !source.is_empty() {
                msg.push_str(&format!(" (from {source})"));
            }
            msg.replace('\n', " ")
        }
        None => "unreadable settings".into(),
    }
}

#[cfg(test)]
mod tests;
