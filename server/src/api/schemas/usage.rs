//! A client's use in the REST API (issue 13, "usage for developers").

use serde::Serialize;
use utoipa::ToSchema;

/// One UTC day of the client's use.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The day's first second (Unix seconds).
    pub start: i64,
    /// Token responses other than refreshes.
    pub issued: u64,
    /// Refresh-token grants.
    pub refreshed: u64,
    /// Authorization codes and refresh tokens presented a second time, refused.
    pub refused: u64,
    /// The client's token requests refused, replays included (see `failures`).
    pub failed: u64,
}

/// The client's refused token requests with one OAuth error code, over the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct Failure {
    /// The OAuth error code the token endpoint answered (e.g. `invalid_grant`).
    pub code: String,
    pub count: u64,
    /// What it usually means.
    pub meaning: String,
}

/// The client's use over the last 30 days, today included.
#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub client_id: String,
    /// People whose consent for the client stands.
    pub people: u64,
    /// The last token response in the window (Unix seconds), or null.
    pub last_token_at: Option<i64>,
    /// Oldest first, every day present.
    pub days: Vec<UsageDay>,
    /// Refused token requests (replays included) by error code, most first:
    /// a wrong or old secret, used or expired codes, … Requests naming no existing
    /// client, the device flow's `authorization_pending`/`slow_down` and DPoP nonce
    /// requests are not counted.
    pub failures: Vec<Failure>,
}
