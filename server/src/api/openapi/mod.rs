//! The OpenAPI 3.1 description of the REST API, served at `/api/v1/openapi.json`
//! without authentication.
//!
//! utoipa derives the document from the handlers and types; two things are added
//! here, from one place each, so the document says exactly what the server does:
//! every field's bound (from the `limits` crate, which the domain enforces — utoipa's
//! attributes take only literals), and the error answers every operation can give
//! (400 for a malformed request, 401/403 for the token; 413 and 415 for bodies).
//! `server/tests/it/openapi_fuzz.rs` holds the server to it with a fuzzer.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

mod bounds;

use self::bounds::apply_bounds;
use super::schemas;
use super::{
    authorizations, clients, error, logout_deliveries, registration, requests, scopes, secrets,
    stage, team, usage,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis developer portal API",
        description = "Manage your OAuth clients and requests from scripts and CI. \
            Authenticate with a Portcullis access token that carries the `portal` scope \
            (for example from the client_credentials grant of a client you own): it acts \
            as you, with the same rules as the portal's pages. Errors are JSON \
            `{\"error\": code, \"message\": …, \"field\": …}` with a stable `error` code. \
            Text fields refuse control characters (NUL included), direction-changing and \
            invisible characters, in bodies, query parameters and paths alike (400)."
    ),
    paths(
        clients::list,
        clients::create,
        clients::show,
        clients::update,
        clients::delete,
        clients::rotate_secret,
        secrets::list,
        secrets::revoke,
        logout_deliveries::list,
        usage::show,
        team::show,
        team::add_co_owner,
        team::remove_co_owner,
        team::offer,
        team::cancel,
        team::take_over,
        team::offers,
        team::accept,
        team::decline,
        clients::disable,
        clients::enable,
        stage::promote,
        stage::set,
        requests::list,
        requests::create,
        requests::show,
        requests::approve,
        requests::reject,
        scopes::list,
        scopes::update,
        scopes::rules,
        scopes::create_rule,
        scopes::update_rule,
        scopes::delete_rule,
        registration::show,
        registration::update,
        registration::tokens,
        registration::mint,
        registration::revoke,
        registration::documents,
        registration::update_documents,
        registration::claim,
        authorizations::list,
        authorizations::revoke,
    ),
    components(schemas(
        error::ErrorBody,
        schemas::clients::ClientSort,
        schemas::requests::RequestStatus,
        schemas::requests::RequestKind
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "clients", description = "Your OAuth clients"),
        (name = "users", description = "People's authorizations of apps and agents (administrators)"),
        (name = "requests", description = "Scope, extension and change requests, and their approval"),
        (name = "scopes", description = "The scope catalogue; for administrators, which scopes need approval and the auto-approval rules"),
        (name = "registration", description = "Administrators: dynamic client registration (RFC 7591): the mode and initial access tokens; client ID metadata documents")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A Portcullis access token (RFC 9068, a JWT) carrying the `portal` scope, \
                 or a personal access token (`pcp_…`, made on /account/tokens): `portal`, \
                 or `portal:read` for GET and HEAD only",
            ))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Every operation can answer 400 (a malformed path, query or body), 401 and 403
/// (the bearer token); one with a body 413 (too large) and, when the body must be
/// JSON, 415 (another content type).
fn add_error_responses(doc: &mut Value) {
    let error = json!({
        "description": "An error",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    });
    for op in operations(doc).filter_map(Value::as_object_mut) {
        let body = op.get("requestBody").cloned();
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        let mut codes = vec!["400", "401", "403"];
        if let Some(b) = body {
            codes.push("413");
            if b.get("required") == Some(&json!(true)) {
                codes.push("415");
            }
        }
        for code in codes {
            responses
                .entry(code.to_owned())
                .or_insert_with(|| error.clone());
        }
    }
}

/// Every operation of the document (each method of each path).
fn operations(doc: &mut Value) -> impl Iterator<Item = &mut Value> {
    doc["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
}

/// The document as served.
pub fn document_value() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    apply_bounds(&mut doc);
    add_error_responses(&mut doc);
    doc
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| document_value().to_string());

pub async fn document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    /// The fuzzer found `#/components/schemas/ClientSort` dangling: generated SDKs
    /// break on it.
    #[test]
    fn every_reference_resolves() {
        let doc = document_value();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected reference {r}"));
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} does not resolve"
            );
        }
    }

    fn bounded(schema: &Value) -> bool {
        let alts: Vec<&Value> = match schema.get("oneOf").and_then(Value::as_array) {
            Some(a) => a.iter().collect(),
            None => vec![schema],
        };
        alts.iter().all(|s| {
            let ty = s.get("type");
            let is = |t: &str| {
                ty == Some(&json!(t))
                    || ty
                        .and_then(Value::as_array)
                        .is_some_and(|a| a.contains(&json!(t)))
            };
            if is("array") {
                s.get("maxItems").is_some()
                    && (s["items"].get("$ref").is_some()
                        || s["items"].get("enum").is_some()
                        || s["items"].get("maxLength").is_some())
            } else if is("string") && s.get("enum").is_none() {
                s.get("maxLength").is_some()
            } else {
                true
            }
        })
    }

    /// N1: every string and list a request can carry has a bound in the document,
    /// the same number the domain enforces.
    #[test]
    fn every_request_field_is_bounded() {
        let doc = document_value();
        for name in [
            "NewClient",
            "ClientEdit",
            "NewRequest",
            "Approval",
            "Rejection",
            "Toggle",
            "Rotate",
            "ScopeChange",
            "RuleBody",
            "MetadataDocumentsSetting",
            "ProtectedName",
            "Claim",
            "NewCoOwner",
            "NewOwner",
            "Promotion",
            "StageChange",
        ] {
            let props = doc["components"]["schemas"][name]["properties"]
                .as_object()
                .unwrap_or_else(|| panic!("{name} has properties"));
            for (prop, schema) in props {
                if schema.get("readOnly") == Some(&json!(true)) && !bounded(schema) {
                    // Read-only values are compared, not stored; still bounded
                    // where they are strings or lists.
                    panic!("{name}.{prop} (read-only) has no bound: {schema}");
                }
                assert!(bounded(schema), "{name}.{prop} has no bound: {schema}");
            }
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    assert!(
                        bounded(&p["schema"]) || p["schema"].get("$ref").is_some(),
                        "{method} {path} parameter {} has no bound",
                        p["name"]
                    );
                }
            }
        }
        let name = &doc["components"]["schemas"]["NewClient"]["properties"]["name"];
        assert_eq!(name["maxLength"], json!(limits::CLIENT_NAME));
        let uris = &doc["components"]["schemas"]["NewClient"]["properties"]["redirect_uris"];
        assert_eq!(uris["maxItems"], json!(limits::REDIRECT_URIS));
        assert_eq!(uris["items"]["maxLength"], json!(limits::URI));
        let member = &doc["components"]["schemas"]["NewCoOwner"]["properties"]["member"];
        assert_eq!(member["maxLength"], json!(limits::EMAIL));
        // A client id in a path is an id, not the requests list's search text.
        let accept = &doc["paths"]["/api/v1/transfers/{client_id}/accept"]["post"];
        assert_eq!(
            accept["parameters"][0]["schema"]["maxLength"],
            json!(limits::ID)
        );
    }

    #[test]
    fn every_operation_documents_its_error_answers() {
        let doc = document_value();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for code in ["400", "401", "403"] {
                    assert!(
                        op["responses"].get(code).is_some(),
                        "{method} {path} lacks {code}"
                    );
                }
            }
        }
        let create = &doc["paths"]["/api/v1/clients"]["post"]["responses"];
        assert!(create.get("415").is_some() && create.get("413").is_some());
    }
}
