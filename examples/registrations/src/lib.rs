//! An example resource server (seed 004, small): an API that reads and updates a
//! student's registration status, protected by Portcullis access tokens.
//!
//! - Each registered application (OAuth client) may only touch students of its own
//!   department: authorisation is on the *application*, from a small table.
//! - The person in the token, when there is one, goes into the audit line together
//!   with the application.
//! - Machine-to-machine tokens (`client_credentials`, no person) may only read.
//! - `GET /me` answers who is calling (application, person, scopes, and the
//!   delegation chain of an exchanged token) for any application with the read scope.
//! - `/.well-known/oauth-protected-resource` (RFC 9728) names Portcullis as the
//!   authorization server, and every 401 points at it with `resource_metadata`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use portcullis_verifier::{Caller, Verifier};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const SCOPE_READ: &str = "registrations:read";
pub const SCOPE_WRITE: &str = "registrations:write";
/// RFC 9728 §3: the well-known path of the protected-resource metadata.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// What the API needs to know besides the verifier.
#[derive(Clone, Debug)]
pub struct Config {
    /// This API's identifier: the audience registered in Portcullis, and the
    /// `resource` of its RFC 9728 metadata.
    pub resource: String,
    /// The Portcullis issuer URL.
    pub authorization_server: String,
    /// Which department each application (client_id) works for.
    pub departments: HashMap<String, String>,
}

/// The RFC 9728 metadata URL for an API whose identifier is `resource`: the
/// well-known segment goes between the host and the path (§3.1).
pub fn metadata_url(resource: &str) -> String {
    match url::Url::parse(resource) {
        Ok(u) => {
            let path = u.path().trim_end_matches('/');
            let mut origin = u.clone();
            origin.set_path("");
            origin.set_query(None);
            origin.set_fragment(None);
            format!(
                "{}{METADATA_PATH}{path}",
                origin.as_str().trim_end_matches('/')
            )
        }
        Err(_) => format!("{}{METADATA_PATH}", resource.trim_end_matches('/')),
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Student {
    pub id: String,
    pub name: String,
    pub department: String,
    pub status: String,
}

/// Statuses a registration can take.
pub const STATUSES: &[&str] = &["registered", "on_leave", "withdrawn", "graduated"];

/// The example's data: three students in two departments, in memory.
pub fn seed_students() -> BTreeMap<String, Student> {
    [
        ("s-1001", "Ada Lovelace", "Engineering"),
        ("s-1002", "Charles Babbage", "Engineering"),
        ("s-2001", "Mary Beard", "History"),
    ]
    .into_iter()
    .map(|(id, name, dept)| {
        (
            id.to_owned(),
            Student {
                id: id.to_owned(),
                name: name.to_owned(),
                department: dept.to_owned(),
                status: "registered".to_owned(),
            },
        )
    })
    .collect()
}

#[derive(Clone)]
struct AppState {
    config: Arc<Config>,
    students: Arc<RwLock<BTreeMap<String, Student>>>,
}

/// The API's router. `verifier` must be built for `config.resource` as audience
/// (and with `resource_metadata(metadata_url(..))` for RFC 9728 challenges).
pub fn router(config: Config, verifier: &Verifier) -> Router {
    // RFC 9728 §3.1: for a resource identifier with a path, the metadata lives at
    // the well-known path followed by that path; serve both forms.
    let suffixed = url::Url::parse(&config.resource)
        .ok()
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .map(|p| format!("{METADATA_PATH}{p}"));
    let state = AppState {
        config: Arc::new(config),
        students: Arc::new(RwLock::new(seed_students())),
    };
    let mut router = Router::new().route(METADATA_PATH, get(metadata));
    if let Some(path) = suffixed {
        router = router.route(&path, get(metadata));
    }
    router
        .route("/me", get(me).layer(verifier.require(SCOPE_READ)))
        .route(
            "/students/{id}",
            get(show).layer(verifier.require(SCOPE_READ)),
        )
        .route(
            "/students/{id}/status",
            put(update_status).layer(verifier.require(SCOPE_WRITE)),
        )
        .with_state(state)
}

/// RFC 9728 §2: protected-resource metadata.
async fn metadata(State(st): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "resource": st.config.resource,
        "authorization_servers": [st.config.authorization_server],
        "scopes_supported": [SCOPE_READ, SCOPE_WRITE],
        "bearer_methods_supported": ["header"],
        "resource_name": "Student registrations (Portcullis example)",
    }))
}

/// Why the API refused a request whose token was fine.
#[derive(Debug, PartialEq, Eq)]
pub enum ApiError {
    NotFound,
    /// The application is not in the department table.
    UnknownApplication,
    /// The student belongs to another department than the application.
    OtherDepartment,
    /// A write with no person behind it.
    MachineToken,
    BadStatus,
    Internal,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, description) = match self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", "no such student"),
            ApiError::UnknownApplication => (
                StatusCode::FORBIDDEN,
                "access_denied",
                "this application is not assigned to a department",
            ),
            ApiError::OtherDepartment => (
                StatusCode::FORBIDDEN,
                "access_denied",
                "this application may only access students of its own department",
            ),
            ApiError::MachineToken => (
                StatusCode::FORBIDDEN,
                "access_denied",
                "machine-to-machine tokens may only read: updates need a signed-in person",
            ),
            ApiError::BadStatus => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_status",
                "status must be one of registered, on_leave, withdrawn, graduated",
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "internal error",
            ),
        };
        (
            status,
            Json(json!({ "error": error, "error_description": description })),
        )
            .into_response()
    }
}

/// The person in the token, or "-" for machine-to-machine tokens.
fn user_of(caller: &Caller) -> &str {
    caller.user.as_ref().map_or("-", |u| u.as_str())
}

/// The delegation chain (RFC 8693 `act`), current actor first, as
/// "agent-b<agent-a<app"; "-" for a token the person's app got directly.
fn chain_of(caller: &Caller) -> String {
    if caller.actors.is_empty() {
        return "-".into();
    }
    caller
        .actors
        .iter()
        .map(|a| a.client_id.as_deref().unwrap_or(&a.sub))
        .collect::<Vec<_>>()
        .join("<")
}

/// The department-of-the-application rule, with an audit line for refusals.
fn check_department(st: &AppState, caller: &Caller, student: &Student) -> Result<(), ApiError> {
    let Some(dept) = st.config.departments.get(&caller.client_id) else {
        tracing::info!(target: "audit", event = "registration.refused", client_id = %caller.client_id,
            user = user_of(caller), student = %student.id, reason = "unknown application");
        return Err(ApiError::UnknownApplication);
    };
    if *dept != student.department {
        tracing::info!(target: "audit", event = "registration.refused", client_id = %caller.client_id,
            user = user_of(caller), student = %student.id, reason = "other department");
        return Err(ApiError::OtherDepartment);
    }
    Ok(())
}

fn find(st: &AppState, id: &str) -> Result<Student, ApiError> {
    st.students
        .read()
        .map_err(|_| ApiError::Internal)?
        .get(id)
        .cloned()
        .ok_or(ApiError::NotFound)
}

/// Who is calling, as the verifier proved it: the application, the person, the
/// scopes and the delegation chain. Any application may ask (no department rule).
async fn me(caller: Caller) -> Json<serde_json::Value> {
    tracing::info!(target: "audit", event = "caller.read", client_id = %caller.client_id,
        user = user_of(&caller), acting = %chain_of(&caller), token_id = %caller.token_id);
    Json(json!({
        "client_id": caller.client_id,
        "user": caller.user.as_ref().map(|u| u.as_str()),
        "scopes": caller.scopes,
        "acting": caller.actors.iter().map(|a| json!({ "sub": a.sub, "client_id": a.client_id })).collect::<Vec<_>>(),
    }))
}

async fn show(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Student>, ApiError> {
    let student = find(&st, &id)?;
    check_department(&st, &caller, &student)?;
    tracing::info!(target: "audit", event = "registration.read", client_id = %caller.client_id,
        user = user_of(&caller), acting = %chain_of(&caller), token_id = %caller.token_id, student = %student.id);
    Ok(Json(student))
}

#[derive(Deserialize)]
struct StatusChange {
    status: String,
}

async fn update_status(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(change): Json<StatusChange>,
) -> Result<Json<Student>, ApiError> {
    // Seed 004: a write is always done by a person, through an application.
    let Some(user) = caller.user.clone() else {
        tracing::info!(target: "audit", event = "registration.refused", client_id = %caller.client_id,
            user = "-", student = %id, reason = "machine token cannot write");
        return Err(ApiError::MachineToken);
    };
    let student = find(&st, &id)?;
    check_department(&st, &caller, &student)?;
    if !STATUSES.contains(&change.status.as_str()) {
        return Err(ApiError::BadStatus);
    }
    let updated = {
        let mut all = st.students.write().map_err(|_| ApiError::Internal)?;
        let s = all.get_mut(&id).ok_or(ApiError::NotFound)?;
        let from = std::mem::replace(&mut s.status, change.status.clone());
        tracing::info!(target: "audit", event = "registration.updated", client_id = %caller.client_id,
            user = %user, acting = %chain_of(&caller), token_id = %caller.token_id, student = %id, from = %from, to = %s.status);
        s.clone()
    };
    Ok(Json(updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_url_puts_the_well_known_segment_before_the_path() {
        assert_eq!(
            metadata_url("http://127.0.0.1:4000"),
            "http://127.0.0.1:4000/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            metadata_url("https://api.example.edu/registrations"),
            "https://api.example.edu/.well-known/oauth-protected-resource/registrations"
        );
    }
}
