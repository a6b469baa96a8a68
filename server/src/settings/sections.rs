//! The settings sections of features that talk to the outside or to people:
//! outbound requests, back-channel logout, DPoP, account recovery, the device flow.

use serde::Deserialize;

/// Sender-constrained tokens, DPoP (RFC 9449, `[dpop]`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DpopSettings {
    /// The default of the administrators' run-time setting "every token request
    /// must carry a DPoP proof" (`domain::settings::REQUIRE_DPOP`); a client can also
    /// be required to on its own (its `dpop_bound_access_tokens`).
    pub required: bool,
    /// Proofs at the token endpoint must carry a nonce this server issued (RFC 9449
    /// §8): a proof made in advance on a stolen device is then useless. Clients
    /// learn the nonce from a `use_dpop_nonce` error and retry.
    pub require_nonce: bool,
}

/// The device authorization grant (RFC 8628, `[device]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceSettings {
    /// How long a person has to enter a user code (`expires_in`).
    pub code_lifetime_secs: i64,
    /// How often a device may poll the token endpoint (`interval`).
    pub poll_interval_secs: i64,
    /// How many requests one client may have waiting for a person at a time.
    pub max_pending_per_client: u64,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        let p = domain::oauth::device_policy::DevicePolicy::default();
        Self {
            code_lifetime_secs: p.code_secs,
            poll_interval_secs: p.interval_secs,
            max_pending_per_client: p.max_pending_per_client,
        }
    }
}

impl DeviceSettings {
    pub fn policy(&self) -> domain::oauth::device_policy::DevicePolicy {
        domain::oauth::device_policy::DevicePolicy {
            code_secs: self.code_lifetime_secs,
            interval_secs: self.poll_interval_secs,
            max_pending_per_client: self.max_pending_per_client,
        }
    }
}

/// Token exchange (RFC 8693, `[token_exchange]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenExchangeSettings {
    /// How many exchanges may follow one another from the token a person's app
    /// received (1–10; a direct exchange is 1).
    pub max_chain_depth: u32,
}

impl Default for TokenExchangeSettings {
    fn default() -> Self {
        Self {
            max_chain_depth: domain::oauth::exchange::ExchangePolicy::default().max_depth,
        }
    }
}

impl TokenExchangeSettings {
    pub fn policy(&self) -> domain::oauth::exchange::ExchangePolicy {
        domain::oauth::exchange::ExchangePolicy {
            max_depth: self.max_chain_depth,
        }
    }
}

/// Password-reset and e-mail-verification links (docs/IDENTITY.md).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecoverySettings {
    /// How long a password-reset link works (at most a day).
    pub reset_ttl_secs: i64,
    /// How long an e-mail verification link works (at most 30 days).
    pub verification_ttl_secs: i64,
}

impl Default for RecoverySettings {
    fn default() -> Self {
        let p = domain::accounts::recovery::RecoveryPolicy::default();
        Self {
            reset_ttl_secs: p.reset_ttl_secs,
            verification_ttl_secs: p.verification_ttl_secs,
        }
    }
}

/// Requests this server makes to addresses developers chose: back-channel logout
/// URIs, clients' JWKS URIs (`[outbound]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundSettings {
    /// How long the other side may take to answer one request.
    pub timeout_ms: u64,
    /// Reach loopback, private and link-local addresses too. Off by default: a
    /// developer's URI must not make this server call into its own network (SSRF).
    /// For development and tests on one machine.
    pub allow_private_addresses: bool,
    /// A PEM file of certificate authorities trusted for these requests besides
    /// the built-in web roots (a company CA; a test's own certificate).
    pub root_certificates: Option<String>,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        Self {
            timeout_ms: 5000,
            allow_private_addresses: false,
            root_certificates: None,
        }
    }
}

/// Back-channel logout delivery (`[logout]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogoutSettings {
    /// How often this process looks for logout tokens to send.
    pub poll_ms: u64,
    /// The first retry waits this long; each next one twice as long (at most an
    /// hour), and a delivery is given up after eight attempts.
    pub retry_base_secs: i64,
}

impl Default for LogoutSettings {
    fn default() -> Self {
        Self {
            poll_ms: 1000,
            retry_base_secs: 30,
        }
    }
}

/// Dynamic client registration (RFC 7591, `[registration]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationSettings {
    /// Open registrations one address may make per window (1–100000).
    pub open_per_address: i32,
    /// Metadata documents not held fresh that one address may make this server
    /// fetch per window (1–100000).
    pub document_fetches_per_address: i32,
    /// The window, in seconds (60–86400).
    pub open_window_secs: i64,
    /// Days after which an unclaimed self-registered client nobody used is
    /// deleted (0: never; at most 3650).
    pub expire_unused_days: i64,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        let l = domain::clients::dynamic::OpenRegistrationLimit::default();
        Self {
            open_per_address: l.per_address,
            document_fetches_per_address: l.documents_per_address,
            open_window_secs: l.window_secs,
            expire_unused_days: 30,
        }
    }
}

impl RegistrationSettings {
    pub fn limit(&self) -> domain::clients::dynamic::OpenRegistrationLimit {
        domain::clients::dynamic::OpenRegistrationLimit {
            per_address: self.open_per_address,
            documents_per_address: self.document_fetches_per_address,
            window_secs: self.open_window_secs,
        }
    }
}
