//! `/api/v1/clients/{id}/logout-deliveries`: whether the client's back-channel
//! logout URI answers (OpenID Connect Back-Channel Logout; issue 18).

use axum::extract::State;
use axum::Json;

use super::auth::Caller;
use super::error::{ApiResult, ErrorBody};
use super::schemas::clients::{LogoutDeliveryList, LogoutDeliveryView};
use super::{ApiPath, ApiState};

/// The client's latest back-channel logouts: delivered, retrying (with the last
/// error and the next attempt) or given up.
#[utoipa::path(get, path = "/api/v1/clients/{id}/logout-deliveries", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = LogoutDeliveryList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<LogoutDeliveryList>> {
    let deliveries = domain::portal::logout_deliveries(&st.oauth.services.db, &who, &id)
        .await?
        .into_iter()
        .map(|d| LogoutDeliveryView {
            created_at: d.created_at,
            attempts: d.attempts,
            state: d.state.to_owned(),
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
        })
        .collect();
    Ok(Json(LogoutDeliveryList {
        client_id: id,
        deliveries,
    }))
}
