//! The OpenAPI 3.1 description of the REST API, served at `/api/v1/openapi.json`
//! without authentication.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{clients, error, requests};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis developer portal API",
        description = "Manage your OAuth clients and requests from scripts and CI. \
            Authenticate with a Portcullis access token that carries the `portal` scope \
            (for example from the client_credentials grant of a client you own): it acts \
            as you, with the same rules as the portal's pages. Errors are JSON \
            `{\"error\": code, \"message\": …, \"field\": …}` with a stable `error` code."
    ),
    paths(
        clients::list,
        clients::create,
        clients::show,
        clients::update,
        clients::delete,
        clients::rotate_secret,
        clients::disable,
        clients::enable,
        requests::list,
        requests::create,
        requests::show,
        requests::approve,
        requests::reject,
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "clients", description = "Your OAuth clients"),
        (name = "requests", description = "Scope, extension and change requests, and their approval")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A Portcullis access token (RFC 9068) carrying the `portal` scope",
            ))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

pub async fn document() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => super::ApiError::server_error(e).into_response(),
    }
}
