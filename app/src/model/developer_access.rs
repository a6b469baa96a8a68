//! Requests for developer access (issue 13), as `/developer` and the approval
//! queue show them.

use serde::{Deserialize, Serialize};

use super::RequestStatus;

/// The signed-in person's latest request for developer access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperAccessView {
    pub status: RequestStatus,
    pub plan: String,
    pub asked: String,
    pub decided: Option<String>,
    /// Why it was declined.
    pub reason: Option<String>,
}

/// A waiting request, with who asks, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingDeveloperView {
    pub id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub member_since: String,
    pub asked: String,
    pub plan: String,
}

/// One page of waiting requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperRequestsPage {
    pub items: Vec<WaitingDeveloperView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}
