//! The closed sets of client metadata, spelled on the wire as the RFCs spell them.

use serde::{Deserialize, Serialize};

/// `web`: a server-side application (confidential); `native`: a native or
/// single-page application (public, PKCE); `service`: machine to machine.
/// OpenID Connect Registration §2 knows `web` and `native`; `service` is ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ApplicationType {
    /// A server-side web application (confidential).
    Web,
    /// A native or single-page application (public: no secret, PKCE).
    Native,
    /// Machine to machine: client_credentials only.
    Service,
}

impl ApplicationType {
    pub const ALL: [ApplicationType; 3] = [Self::Web, Self::Native, Self::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Native => "native",
            Self::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// In plain words, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Web => "Web application",
            Self::Native => "Native / single-page app",
            Self::Service => "Service (machine to machine)",
        }
    }
}

/// How a client authenticates at the token endpoint (RFC 7591 §2
/// `token_endpoint_auth_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client: no secret (PKCE protects its codes).
    None,
    /// RFC 7523 §2.2 / OIDC Core §9: a JWT signed with a key from the client's
    /// `jwks_uri`. The client has no secret at all.
    PrivateKeyJwt,
}

impl AuthMethod {
    /// Whether clients using it are issued a secret.
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }

    pub const ALL: [AuthMethod; 4] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::None,
        Self::PrivateKeyJwt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::None => "none",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The grant types Portcullis implements (RFC 6749 §4, §6), as one closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// RFC 6749 §4.3: off unless an administrator allows it (seed 004).
    Password,
    /// RFC 8628 §3.4: the device authorization grant, spelled as its URN.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
    /// RFC 8693: a token for a person, derived from another token, with the
    /// exchanging client named in `act`.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:token-exchange")]
    TokenExchange,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Password,
        Self::DeviceCode,
        Self::TokenExchange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Self::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// Each set displays as it is spelled on the wire.
macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

display_as_str!(
    ApplicationType,
    AuthMethod,
    GrantType,
    SigningAlg,
    SubjectType
);

/// What the `sub` a client sees is (OpenID Connect Core §8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    /// The same `sub` for every client: the person's account id.
    #[default]
    Public,
    /// A `sub` of the client's sector alone (§8.1): clients of different sectors
    /// cannot tell that they serve the same person.
    Pairwise,
}

impl SubjectType {
    pub const ALL: [SubjectType; 2] = [Self::Public, Self::Pairwise];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// A JWS algorithm (RFC 7518 §3.1) for ID tokens and signed userinfo responses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SigningAlg {
    /// The default: OpenID Connect Core §15.1 requires every provider to support it.
    RS256,
    ES256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [Self::RS256, Self::ES256];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        fn check<T: Copy + PartialEq + std::fmt::Debug + Serialize>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for &v in all {
                assert_eq!(parse(as_str(v)), Some(v));
                let wire = serde_json::to_string(&v).unwrap();
                assert_eq!(
                    wire,
                    format!("\"{}\"", as_str(v)),
                    "serde spells {v:?} as as_str"
                );
            }
        }
        check(
            &ApplicationType::ALL,
            ApplicationType::as_str,
            ApplicationType::parse,
        );
        check(&AuthMethod::ALL, AuthMethod::as_str, AuthMethod::parse);
        check(&GrantType::ALL, GrantType::as_str, GrantType::parse);
        check(&SigningAlg::ALL, SigningAlg::as_str, SigningAlg::parse);
        check(&SubjectType::ALL, SubjectType::as_str, SubjectType::parse);
        assert_eq!(GrantType::parse("implicit"), None);
        assert_eq!(GrantType::parse("Password"), None);
        assert_eq!(
            SigningAlg::parse("none"),
            None,
            "unsigned tokens are never an option"
        );
        assert_eq!(SigningAlg::parse("HS256"), None);
    }
}

/// The JWE algorithm names a client may register (OIDC Registration §2); the
/// domain's `oauth::jwe` implements exactly these.
pub mod jwe {
    /// Key management for what the server encrypts to the client (ID tokens,
    /// userinfo): RFC 7518 §4.3 and §4.6.
    pub const SEAL_ALGS: &[&str] = &[
        "RSA-OAEP-256",
        "RSA-OAEP",
        "ECDH-ES",
        "ECDH-ES+A128KW",
        "ECDH-ES+A256KW",
    ];
    /// Key management for request objects the client encrypts to the server.
    pub const REQUEST_OBJECT_ALGS: &[&str] = &["RSA-OAEP-256"];
    /// Content encryption, both ways (RFC 7518 §5.2, §5.3).
    pub const ENCS: &[&str] = &["A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM"];
    /// The `enc` when a client names only an `alg` (OIDC Registration §2).
    pub const DEFAULT_ENC: &str = "A128CBC-HS256";
}
