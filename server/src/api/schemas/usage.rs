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
}
