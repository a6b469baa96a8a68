//! The upper bound of every field Portcullis accepts, in one place.
//!
//! `domain` enforces them (its validation names the field and the bound, so the
//! portal's pages, the REST API and the CLI refuse alike); the portal's forms mirror
//! them as `maxlength`, and the OpenAPI document as `maxLength`/`maxItems`. This
//! crate has no dependencies so that the browser bundle can use it too.
//!
//! The numbers are far above anything a real deployment needs: they exist so that
//! nobody can store a megabyte where a line is expected (every stored value is also
//! copied into audit events, e-mails and pages). Lengths count characters (Unicode
//! scalar values), not bytes. docs/SECURITY.md lists them.

// ------------------------------------------------------------------ clients

/// A client's name (shown on consent screens).
pub const CLIENT_NAME: usize = 100;
/// A client's description.
pub const CLIENT_DESCRIPTION: usize = 2000;
/// An initial access token's label (RFC 7591 §3).
pub const INITIAL_TOKEN_LABEL: usize = 100;
/// A personal access token's name.
pub const PERSONAL_TOKEN_NAME: usize = 80;
/// Personal access tokens one person may hold (live or expired, until removed).
pub const PERSONAL_TOKENS: usize = 50;
/// A registration access token (RFC 7592) as a developer pastes it to claim a
/// client: ours are 43 characters; longer is never one of ours.
pub const REGISTRATION_ACCESS_TOKEN: usize = 128;
/// A dynamic registration's body (RFC 7591 §3.1), in bytes: every field's own
/// bound applies as well.
pub const REGISTRATION_BODY: usize = 64 * 1024;
/// RFC 7591 `software_id` and `software_version`.
pub const SOFTWARE_ID: usize = 200;
/// Every URI: redirect and post-logout redirect URIs, logo, home page, policy,
/// terms and JWKS URIs, an API's identifier (audience).
pub const URI: usize = 2000;
/// Redirect URIs per client.
pub const REDIRECT_URIS: usize = 20;
/// Post-logout redirect URIs per client.
pub const POST_LOGOUT_REDIRECT_URIS: usize = 20;
/// Authorized JavaScript origins (CORS) per client.
pub const ALLOWED_ORIGINS: usize = 20;
/// Request URIs per client (OIDC Registration §2 `request_uris`).
pub const REQUEST_URIS: usize = 10;
/// One request URI: RFC 9101 §5.2 and OIDC Core §6.2 say at most 512 ASCII
/// characters.
pub const REQUEST_URI: usize = 512;
/// One origin (`scheme://host[:port]`): a scheme, a domain name and a port.
pub const ORIGIN: usize = 300;
/// Grant types per client (at most every grant Portcullis implements).
pub const GRANT_TYPES: usize = 6;
/// Contact e-mail addresses per client.
pub const CONTACTS: usize = 10;
/// E-mail domains a client may be restricted to.
pub const EMAIL_DOMAINS: usize = 50;
/// One domain name (RFC 1035 §2.3.4).
pub const DOMAIN_NAME: usize = 253;
/// A client ID metadata document (draft-ietf-oauth-client-id-metadata-document),
/// in bytes, counted as it streams in (never trusting `Content-Length`): a
/// document is a handful of URIs and names.
pub const METADATA_DOCUMENT: usize = 5 * 1024;
/// Hosts whose client metadata documents are admitted at once.
pub const TRUSTED_HOSTS: usize = 50;
/// Protected client names (each with its vendor's host).
pub const PROTECTED_NAMES: usize = 50;

// ------------------------------------------------------------------ requests

/// Why a developer asks for something.
pub const JUSTIFICATION: usize = 2000;
/// An administrator's reason or note: rejecting, approving, disabling.
pub const REASON: usize = 2000;
/// Scopes in one list: a request, an approval, a consent, the default scopes.
pub const SCOPES: usize = 50;

// ------------------------------------------------------------------ catalogue

/// A scope's name (an RFC 6749 §3.3 scope-token).
pub const SCOPE_NAME: usize = 100;
/// A scope's description (shown on consent screens).
pub const SCOPE_DESCRIPTION: usize = 200;
/// An API's name.
pub const API_NAME: usize = 100;

// ------------------------------------------------------------------ rules

/// A CEL expression, in characters.
pub const RULE_EXPRESSION: usize = 2000;
/// How deeply a CEL expression may nest: an operator counts one level, a bracket
/// (parenthesis, list, map, call) four — the parser and the evaluator recurse
/// once per level, and a bracket costs them four times the stack.
pub const RULE_NESTING: usize = 40;
/// The reason a rule gives developers for a rejection.
pub const RULE_REASON: usize = 500;

// ------------------------------------------------------------------ accounts

/// A username's length, at least and at most.
pub const USERNAME_MIN: usize = 3;
pub const USERNAME: usize = 64;
/// An e-mail address (RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its
/// brackets).
pub const EMAIL: usize = 254;
/// A person's display name.
pub const DISPLAY_NAME: usize = 100;
/// A person's `given_name` or `family_name` (OIDC Core §5.1).
pub const PERSON_NAME: usize = 100;
/// A password, at least and at most (NIST SP 800-63B: long passphrases welcome).
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD: usize = 256;

// ------------------------------------------------------------------ listings

/// A search or filter text.
pub const SEARCH: usize = 200;
/// An identifier sent to look something up (client, request, grant, user ids).
pub const ID: usize = 100;
/// Items per page.
pub const PER_PAGE: u64 = 200;
/// An `If-Match` header: a few entity tags (ours are short quoted numbers).
pub const IF_MATCH: usize = 200;
/// An inline JSON Web Key Set (RFC 7591 `jwks`): bytes as JSON, and keys.
pub const JWKS_BYTES: usize = 16 * 1024;
pub const JWKS_KEYS: usize = 10;
/// A JWS or JWE algorithm's name (`RS256`, `ECDH-ES+A128KW`, `A128CBC-HS256`, …) or a
/// response type (`code`).
pub const JWS_ALG: usize = 16;
/// Bytes of a sector identifier document (OIDC Registration §5) fetched.
pub const SECTOR_DOCUMENT: usize = 64 * 1024;
/// Bytes of a request object fetched from a registered `request_uri` (RFC 9101
/// §5.2), as much as an inline `request` may be.
pub const REQUEST_URI_DOCUMENT: usize = 16 * 1024;

/// A client's `default_max_age` (OIDC Registration §2), seconds: at least a minute
/// (a shorter default would send a person who has just signed in to sign in again;
/// `prompt=login` asks for a sign-in every time) and at most a year.
pub const MIN_DEFAULT_MAX_AGE: i64 = 60;
pub const MAX_DEFAULT_MAX_AGE: i64 = 365 * 24 * 3600;
