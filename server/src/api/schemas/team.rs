//! A client's team in the REST API (issue 13, teams): its owner and co-owners, the
//! ownership offer waiting for its recipient, and the bodies that add a co-owner
//! and make an offer. Times are Unix seconds.

use domain::portal::team;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A person's place in a client's team.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Owns the client: adds and removes co-owners, offers the client, deletes it.
    Owner,
    /// Manages the client like its owner (edit, scopes, secrets, usage) and may
    /// leave; takes it over when the owner can no longer manage it.
    CoOwner,
}

impl From<team::TeamRole> for TeamRole {
    fn from(r: team::TeamRole) -> Self {
        match r {
            team::TeamRole::Owner => Self::Owner,
            team::TeamRole::CoOwner => Self::CoOwner,
        }
    }
}

/// One person of a client's team.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// Names the person for `DELETE /clients/{id}/co-owners/{user_id}`.
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: TeamRole,
    /// When they joined the team; null for the owner.
    pub added_at: Option<i64>,
    /// False when the account is disabled or may no longer develop: it acts for
    /// nobody (a co-owner may then take over the client of such an owner).
    pub active: bool,
}

impl From<team::Member> for Member {
    fn from(m: team::Member) -> Self {
        Self {
            user_id: m.user_id,
            username: m.username,
            display_name: m.display_name,
            email: m.email,
            role: m.role.into(),
            added_at: m.added_at,
            active: m.active,
        }
    }
}

/// An offer of a client's ownership, waiting for its recipient to accept or
/// decline it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Offer {
    pub client_id: String,
    pub client_name: String,
    /// The developer the client is offered to.
    pub to_user_id: String,
    pub to_name: String,
    /// Who made the offer (a display name); null when that account is gone.
    pub from_name: Option<String>,
    pub offered_at: i64,
    /// After this the offer lapses.
    pub expires_at: i64,
}

impl From<team::Offer> for Offer {
    fn from(o: team::Offer) -> Self {
        Self {
            client_id: o.client_id,
            client_name: o.client_name,
            to_user_id: o.to_user_id,
            to_name: o.to_name,
            from_name: o.from_name,
            offered_at: o.offered_at,
            expires_at: o.expires_at,
        }
    }
}

/// A client's team: the owner first, then the co-owners by when they joined; and
/// the ownership offer waiting, if any.
#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    pub members: Vec<Member>,
    pub offer: Option<Offer>,
    /// The caller's part: `owner` (changes the team, offers and deletes the
    /// client), `co_owner` (manages the client, may leave) or `administrator`
    /// (not on the team; may do what the owner may).
    pub you: Viewer,
    /// The caller is a co-owner whose owner can no longer act (disabled, or no
    /// longer a developer): they may take the client over
    /// (`POST /api/v1/clients/{id}/take-over`).
    pub you_may_take_over: bool,
}

/// The caller's part in a client's team.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Viewer {
    Owner,
    CoOwner,
    Administrator,
}

impl From<team::Team> for Team {
    fn from(t: team::Team) -> Self {
        Self {
            members: t.members.into_iter().map(Member::from).collect(),
            offer: t.offer.map(Offer::from),
            // Only those who may manage the client read its team: neither owner
            // nor co-owner is an administrator.
            you: if t.viewer_is_owner {
                Viewer::Owner
            } else if t.viewer_is_co_owner {
                Viewer::CoOwner
            } else {
                Viewer::Administrator
            },
            you_may_take_over: t.viewer_may_take_over,
        }
    }
}

/// A developer to add as a co-owner.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCoOwner {
    /// Their username or e-mail address. Unknown names and accounts that may not
    /// develop are refused alike (400, field `member`).
    pub member: String,
}

/// A developer to offer the client to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOwner {
    /// Their username or e-mail address. Unknown names and accounts that may not
    /// develop are refused alike (400, field `new_owner`).
    pub new_owner: String,
}
