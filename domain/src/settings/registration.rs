//! Who may register a client at `/oauth/register` (RFC 7591).

use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};

use super::store;
use crate::accounts::users::AdminCtx;
use crate::entities::server_setting as ss;
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// Dynamic client registration (RFC 7591): `off` (the default), `open` or `token`
/// (an initial access token minted by an administrator is required).
pub const DYNAMIC_REGISTRATION: &str = "dynamic_registration";

/// Who may register a client at `/oauth/register`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Refused (403): the default.
    #[default]
    Off,
    /// Anyone may register; every registration still awaits admission.
    Open,
    /// Only with an initial access token (RFC 7591 §3) an administrator minted.
    Token,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Open => "open",
            Self::Token => "token",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "off" => Some(Self::Off),
            "open" => Some(Self::Open),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

/// The registration mode now in force (read from the database on every
/// registration: registrations are rare, and a change must apply at once on
/// every process).
pub async fn registration_mode<C: ConnectionTrait>(conn: &C) -> DomainResult<RegistrationMode> {
    Ok(ss::Entity::find_by_id(DYNAMIC_REGISTRATION.to_owned())
        .one(conn)
        .await?
        .and_then(|r| RegistrationMode::parse(&r.value))
        .unwrap_or_default())
}

/// An administrator changes the registration mode (audited, before and after).
pub async fn set_registration_mode(
    db: &DatabaseConnection,
    ctx: &AdminCtx,
    mode: RegistrationMode,
    now: Timestamp,
) -> DomainResult<()> {
    let txn = crate::platform::db::write_txn(db).await?;
    let before = registration_mode(&txn).await?;
    store(
        &txn,
        ctx,
        DYNAMIC_REGISTRATION,
        before.as_str(),
        mode.as_str(),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
