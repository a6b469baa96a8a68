//! Every field's bound in the OpenAPI document, from the `limits` crate the domain
//! enforces (utoipa's attributes take only literals): `maxLength`, `maxItems`,
//! `minLength` and a `pattern` of the characters the domain refuses.

use serde_json::{json, Value};

/// A bound on one property of a component schema. Every string also refuses the
/// characters `domain::platform::text` refuses, as a `pattern`.
enum Bound {
    /// One line of at most this many characters.
    Line(usize),
    /// Lines (tabs and line breaks allowed), at most this many characters.
    Lines(usize),
    /// One line that must hold something other than spaces (the server trims).
    Required(usize),
    /// Lines that must hold something other than spaces.
    RequiredLines(usize),
    /// A URI, an e-mail address, a domain, a scope or an id: no spaces inside
    /// (the server trims the ends).
    Token(usize),
    /// A list of at most `.0` tokens of at most `.1` characters.
    List(usize, usize),
    /// A list of at most this many grant types.
    Grants(usize),
    /// A list of claims that can be requested individually (OIDC Core §5.5).
    Claims,
    /// A list of at most this many objects (each bounded by its own schema).
    Objects(usize),
}

/// Every string and list the API takes, with its bound. The unit test
/// `every_request_field_is_bounded` (in `super`) fails
/// when a request schema gains a property that is not listed here.
const BOUNDS: &[(&str, &str, Bound)] = {
    use limits::*;
    use Bound::*;
    &[
        ("NewClient", "name", Required(CLIENT_NAME)),
        ("NewInitialToken", "label", Required(INITIAL_TOKEN_LABEL)),
        ("Claim", "client_id", Required(URI)),
        (
            "Claim",
            "registration_access_token",
            Required(REGISTRATION_ACCESS_TOKEN),
        ),
        (
            "MetadataDocumentsSetting",
            "trusted_hosts",
            List(TRUSTED_HOSTS, DOMAIN_NAME),
        ),
        (
            "MetadataDocumentsSetting",
            "protected_names",
            Objects(PROTECTED_NAMES),
        ),
        ("ProtectedName", "name", Required(CLIENT_NAME)),
        ("ProtectedName", "host", Token(DOMAIN_NAME)),
        ("NewClient", "description", Lines(CLIENT_DESCRIPTION)),
        ("NewClient", "redirect_uris", List(REDIRECT_URIS, URI)),
        (
            "NewClient",
            "post_logout_redirect_uris",
            List(POST_LOGOUT_REDIRECT_URIS, URI),
        ),
        (
            "NewClient",
            "allowed_origins",
            List(ALLOWED_ORIGINS, ORIGIN),
        ),
        ("NewClient", "grant_types", Grants(GRANT_TYPES)),
        ("NewClient", "logo_uri", Token(URI)),
        ("NewClient", "client_uri", Token(URI)),
        ("NewClient", "policy_uri", Token(URI)),
        ("NewClient", "tos_uri", Token(URI)),
        ("NewClient", "jwks_uri", Token(URI)),
        ("NewClient", "backchannel_logout_uri", Token(URI)),
        ("NewClient", "frontchannel_logout_uri", Token(URI)),
        ("NewClient", "contacts", List(CONTACTS, EMAIL)),
        (
            "NewClient",
            "allowed_email_domains",
            List(EMAIL_DOMAINS, DOMAIN_NAME),
        ),
        ("NewClient", "sector_identifier_uri", Token(URI)),
        (
            "NewClient",
            "token_endpoint_auth_signing_alg",
            Token(JWS_ALG),
        ),
        ("NewClient", "request_object_signing_alg", Token(JWS_ALG)),
        (
            "NewClient",
            "id_token_encrypted_response_alg",
            Token(JWS_ALG),
        ),
        (
            "NewClient",
            "id_token_encrypted_response_enc",
            Token(JWS_ALG),
        ),
        (
            "NewClient",
            "userinfo_encrypted_response_alg",
            Token(JWS_ALG),
        ),
        (
            "NewClient",
            "userinfo_encrypted_response_enc",
            Token(JWS_ALG),
        ),
        ("NewClient", "request_object_encryption_alg", Token(JWS_ALG)),
        ("NewClient", "request_object_encryption_enc", Token(JWS_ALG)),
        ("NewClient", "response_types", List(1, JWS_ALG)),
        ("NewClient", "request_uris", List(REQUEST_URIS, REQUEST_URI)),
        ("ClientEdit", "name", Required(CLIENT_NAME)),
        ("ClientEdit", "description", Lines(CLIENT_DESCRIPTION)),
        ("ClientEdit", "redirect_uris", List(REDIRECT_URIS, URI)),
        (
            "ClientEdit",
            "post_logout_redirect_uris",
            List(POST_LOGOUT_REDIRECT_URIS, URI),
        ),
        (
            "ClientEdit",
            "allowed_origins",
            List(ALLOWED_ORIGINS, ORIGIN),
        ),
        ("ClientEdit", "grant_types", Grants(GRANT_TYPES)),
        ("ClientEdit", "requestable_claims", Claims),
        ("ClientEdit", "logo_uri", Token(URI)),
        ("ClientEdit", "client_uri", Token(URI)),
        ("ClientEdit", "policy_uri", Token(URI)),
        ("ClientEdit", "tos_uri", Token(URI)),
        ("ClientEdit", "jwks_uri", Token(URI)),
        ("ClientEdit", "backchannel_logout_uri", Token(URI)),
        ("ClientEdit", "frontchannel_logout_uri", Token(URI)),
        ("ClientEdit", "contacts", List(CONTACTS, EMAIL)),
        ("ClientEdit", "justification", Lines(JUSTIFICATION)),
        ("ClientEdit", "scopes", List(SCOPES, SCOPE_NAME)),
        (
            "ClientEdit",
            "allowed_email_domains",
            List(EMAIL_DOMAINS, DOMAIN_NAME),
        ),
        ("ClientEdit", "sector_identifier_uri", Token(URI)),
        (
            "ClientEdit",
            "token_endpoint_auth_signing_alg",
            Token(JWS_ALG),
        ),
        ("ClientEdit", "request_object_signing_alg", Token(JWS_ALG)),
        (
            "ClientEdit",
            "id_token_encrypted_response_alg",
            Token(JWS_ALG),
        ),
        (
            "ClientEdit",
            "id_token_encrypted_response_enc",
            Token(JWS_ALG),
        ),
        (
            "ClientEdit",
            "userinfo_encrypted_response_alg",
            Token(JWS_ALG),
        ),
        (
            "ClientEdit",
            "userinfo_encrypted_response_enc",
            Token(JWS_ALG),
        ),
        (
            "ClientEdit",
            "request_object_encryption_alg",
            Token(JWS_ALG),
        ),
        (
            "ClientEdit",
            "request_object_encryption_enc",
            Token(JWS_ALG),
        ),
        ("ClientEdit", "response_types", List(1, JWS_ALG)),
        (
            "ClientEdit",
            "request_uris",
            List(REQUEST_URIS, REQUEST_URI),
        ),
        ("ClientEdit", "id", Token(ID)),
        ("ClientEdit", "client_id", Token(ID)),
        ("ClientEdit", "owner_id", Token(ID)),
        // Always refused (a secret is only issued by rotation); bounded all the same.
        ("ClientEdit", "client_secret", Token(ID)),
        ("NewRequest", "client_id", Token(ID)),
        ("NewRequest", "scopes", List(SCOPES, SCOPE_NAME)),
        ("NewRequest", "justification", Lines(JUSTIFICATION)),
        ("Approval", "scopes", List(SCOPES, SCOPE_NAME)),
        ("Approval", "note", Lines(REASON)),
        ("Rejection", "reason", RequiredLines(REASON)),
        ("Toggle", "justification", Lines(JUSTIFICATION)),
        ("ScopeChange", "description", Line(SCOPE_DESCRIPTION)),
        ("RuleBody", "scope", Token(SCOPE_NAME)),
        ("RuleBody", "scopes", List(SCOPES, SCOPE_NAME)),
        ("RuleBody", "approve_if", Lines(RULE_EXPRESSION)),
        ("RuleBody", "reject_if", Lines(RULE_EXPRESSION)),
        ("RuleBody", "reject_reason", Line(RULE_REASON)),
        // A username or an e-mail address (the domain trims, then bounds it so).
        ("NewCoOwner", "member", Required(EMAIL)),
        ("NewOwner", "new_owner", Required(EMAIL)),
        ("Promotion", "justification", RequiredLines(JUSTIFICATION)),
        ("StageChange", "reason", Lines(JUSTIFICATION)),
    ]
};

/// `pattern`s from the characters the domain refuses (Basic Multilingual Plane).
fn pattern(bound: &Bound) -> String {
    let line = domain::platform::text::forbidden_class(false);
    let lines = domain::platform::text::forbidden_class(true);
    match bound {
        Bound::Line(_) => format!("^[^{line}]*$"),
        Bound::Lines(_) => format!("^[^{lines}]*$"),
        Bound::Required(_) => format!("^[^{line}]*[^{line}\\s][^{line}]*$"),
        Bound::RequiredLines(_) => format!("^[^{lines}]*[^{lines}\\s][^{lines}]*$"),
        Bound::Token(_) | Bound::List(..) => format!("^\\s*[^{line}\\s]*\\s*$"),
        Bound::Grants(_) | Bound::Claims | Bound::Objects(_) => String::new(),
    }
}

/// Query parameters with bounds: (name, maxLength) for strings.
const QUERY_TEXT: &[(&str, usize)] = &[
    ("q", limits::SEARCH),
    ("client_id", limits::SEARCH),
    ("If-Match", limits::IF_MATCH),
];

/// Sets `key` on the schema that describes a value: either the object itself, or
/// (for `Option<T>`, which utoipa writes as `oneOf [null, T]` or a type list) the
/// non-null alternative too.
fn set(schema: &mut Value, key: &str, v: Value) {
    if let Some(alts) = schema.get_mut("oneOf").and_then(Value::as_array_mut) {
        for alt in alts {
            if alt.get("type") != Some(&json!("null")) && alt.get("$ref").is_none() {
                alt[key] = v.clone();
            }
        }
        return;
    }
    schema[key] = v;
}

/// Writes every bound of [`BOUNDS`] and [`QUERY_TEXT`] into `doc`.
pub(super) fn apply_bounds(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for (schema, prop, bound) in BOUNDS {
        let p = &mut schemas[*schema]["properties"][*prop];
        if p.is_null() {
            // A typo here must not pass silently: `super`'s tests catch it.
            continue;
        }
        match bound {
            Bound::Line(n)
            | Bound::Lines(n)
            | Bound::Required(n)
            | Bound::RequiredLines(n)
            | Bound::Token(n) => {
                set(p, "maxLength", json!(n));
                set(p, "pattern", json!(pattern(bound)));
                if matches!(bound, Bound::Required(_) | Bound::RequiredLines(_)) {
                    set(p, "minLength", json!(1));
                }
            }
            Bound::List(n, each) => {
                set(p, "maxItems", json!(n));
                let items =
                    json!({ "type": "string", "maxLength": each, "pattern": pattern(bound) });
                set(p, "items", items);
            }
            Bound::Grants(n) => {
                set(p, "maxItems", json!(n));
                let grants = domain::clients::GrantType::ALL.map(|g| g.as_str());
                set(p, "items", json!({ "type": "string", "enum": grants }));
            }
            Bound::Objects(n) => set(p, "maxItems", json!(n)),
            Bound::Claims => {
                let claims = domain::oauth::claims::REQUESTABLE;
                set(p, "maxItems", json!(claims.len()));
                set(p, "items", json!({ "type": "string", "enum": claims }));
            }
        }
    }
    // `Rejection.reason` has a serde default but is required: an empty one is refused.
    if let Some(req) = schemas["Rejection"].as_object_mut() {
        req.insert("required".into(), json!(["reason"]));
    }
    for op in super::operations(doc) {
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for p in params {
                let name = p["name"].as_str().unwrap_or_default().to_owned();
                let in_path = p["in"] == json!("path");
                let schema = &mut p["schema"];
                match name.as_str() {
                    "page" => set(schema, "minimum", json!(1)),
                    "per_page" => {
                        set(schema, "minimum", json!(1));
                        set(schema, "maximum", json!(limits::PER_PAGE));
                    }
                    "id" | "secret_id" | "grant_id" | "name" | "user_id" => {
                        set(schema, "maxLength", json!(limits::ID));
                        set(schema, "pattern", json!(pattern(&Bound::Line(0))));
                    }
                    // An id in a path; `client_id` in a query is a search text.
                    "client_id" if in_path => {
                        set(schema, "maxLength", json!(limits::ID));
                        set(schema, "pattern", json!(pattern(&Bound::Line(0))));
                    }
                    _ => {}
                }
                if let Some((_, n)) = QUERY_TEXT.iter().find(|(q, _)| *q == name && !in_path) {
                    set(schema, "maxLength", json!(n));
                    set(schema, "pattern", json!(pattern(&Bound::Line(0))));
                }
            }
        }
    }
}
