//! A client's lifecycle stage in the REST API (issue 13, lifecycle states): the
//! value every client shows, a developer's request for production and an
//! administrator's direct change.

use domain::clients::Stage as DomainStage;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a client is in its life. `development`: only its team (owner and
/// co-owners) signs in to it, its refresh tokens live at most 7 days, and it adds
/// the administrators' sandbox scopes without approval. `production`: anyone may
/// sign in (within its other restrictions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Development,
    Production,
}

impl From<DomainStage> for Stage {
    fn from(s: DomainStage) -> Self {
        match s {
            DomainStage::Development => Self::Development,
            DomainStage::Production => Self::Production,
        }
    }
}

impl From<Stage> for DomainStage {
    fn from(s: Stage) -> Self {
        match s {
            Stage::Development => Self::Development,
            Stage::Production => Self::Production,
        }
    }
}

/// A team member's request to promote a client in development to production.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// Required: what the application does and who will use it, for the
    /// administrator who reviews it.
    #[schema(example = "The course planner for all engineering students, tested by our team")]
    pub justification: String,
}

/// An administrator's change of a client's stage, applied at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageChange {
    pub stage: Stage,
    /// Optional: told to the client's team and recorded in the audit log.
    pub reason: Option<String>,
}
