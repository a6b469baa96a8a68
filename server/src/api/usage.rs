//! `/api/v1/clients/{id}/usage`: what the client page's usage card shows, for
//! scripts and dashboards (issue 13, "usage for developers").

use super::auth::Caller;
use super::error::{ApiResult, ErrorBody};
use super::schemas::usage::{Failure, Usage, UsageDay};
use super::{ApiPath, ApiState};
use axum::extract::State;
use axum::Json;

/// People who allowed the client, tokens per UTC day over the last 30 days, the
/// last token, the replays refused and the other refused token requests by error
/// code. Owners and administrators only (404 for
/// anyone else).
#[utoipa::path(get, path = "/api/v1/clients/{id}/usage", tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    security(("bearer" = ["portal"])),
    responses((status = 200, body = Usage), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(st): State<ApiState>,
    Caller(who): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Usage>> {
    let app = &st.oauth.services;
    let u =
        domain::portal::usage::usage(&app.db, &who, &id, &app.clients.refusals, app.now()).await?;
    Ok(Json(Usage {
        client_id: id,
        people: u.people,
        last_token_at: u.last_token_at,
        days: u
            .days
            .iter()
            .map(|d| UsageDay {
                date: domain::platform::clock::format_date(d.start),
                start: d.start,
                issued: d.issued,
                refreshed: d.refreshed,
                refused: d.refused,
                failed: d.failed,
            })
            .collect(),
        failures: u
            .failures
            .iter()
            .map(|(code, n)| Failure {
                code: code.clone(),
                count: *n,
                meaning: domain::clients::refusals::meaning(code)
                    .unwrap_or_default()
                    .to_owned(),
            })
            .collect(),
    }))
}
