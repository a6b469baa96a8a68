//! A client's team as the pages show it (issue 13, teams).

use serde::{Deserialize, Serialize};

/// A client's team: its owner, its co-owners, an ownership offer waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    /// The owner first, then co-owners by when they joined.
    pub members: Vec<MemberView>,
    pub offer: Option<OfferView>,
    /// The viewer may add and remove co-owners, offer and delete the client
    /// (its owner, or an administrator).
    pub viewer_manages_team: bool,
    /// The viewer is a co-owner.
    pub viewer_is_co_owner: bool,
    /// The viewer is a co-owner whose owner left: they may take the client over.
    pub viewer_may_take_over: bool,
}

/// One person of a client's team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    pub owner: bool,
    /// When a co-owner joined.
    pub since: Option<String>,
    /// False for an account that is disabled or may no longer develop.
    pub active: bool,
}

/// An ownership offer waiting for its recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub client_id: String,
    pub client_name: String,
    pub to_name: String,
    pub from_name: Option<String>,
    pub offered: String,
    pub expires: String,
}
