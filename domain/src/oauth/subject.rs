//! The `sub` a client is given for a person (OpenID Connect Core §8): the account
//! id for `public` clients; for `pairwise` clients a value of the client's sector
//! alone (§8.1), so that clients of different sectors cannot tell they serve the
//! same person, while one client always sees the same value.
//!
//! A pairwise `sub` is `base64url(HMAC-SHA256(salt, sector ‖ 0x00 ‖ account id))`:
//! stable, not reversible, and unrelated across sectors. The salt is made once per
//! database (the first process to start writes it; every other reads the same
//! row), never leaves the server, and never changes — changing it would give every
//! person a new `sub` at every pairwise client.
//!
//! Access tokens carry the pairwise `sub` too (the token, userinfo, introspection
//! and logout tokens all agree). To know whose account such a token acts for, the
//! server keeps `pairwise_subjects` (sector, sub → account), written with each
//! issuance to a pairwise client.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::clients::model::{Client, SubjectType};
use crate::clients::sector::sector_of;
use crate::entities::{pairwise_subject as ps, server_setting as ss};
use crate::platform::clock::Timestamp;
use crate::platform::secret::hmac_b64;
use crate::{DomainError, DomainResult};

/// The `server_settings` row holding the salt (never shown or changed by the
/// settings pages: they read and write named settings only).
const SALT_KEY: &str = "pairwise_subject_salt";

#[derive(Clone)]
pub struct Subjects {
    salt: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for Subjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Subjects")
    }
}

impl Subjects {
    /// The database's salt, written first if this is the first process to start
    /// (concurrent first starts all end up with the one row that won).
    pub async fn load<C: ConnectionTrait>(conn: &C, now: Timestamp) -> DomainResult<Self> {
        let fresh = crate::platform::secret::random_token();
        ss::Entity::insert(ss::ActiveModel {
            key: Set(SALT_KEY.to_owned()),
            value: Set(fresh),
            updated_at: Set(now),
        })
        .on_conflict(OnConflict::column(ss::Column::Key).do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
        let row = ss::Entity::find_by_id(SALT_KEY.to_owned())
            .one(conn)
            .await?
            .ok_or_else(|| DomainError::Internal("the pairwise salt was not stored".into()))?;
        Ok(Self::with_salt(row.value.as_bytes()))
    }

    pub fn with_salt(salt: &[u8]) -> Self {
        Self { salt: salt.into() }
    }

    fn pairwise(&self, sector: &str, user_id: &str) -> String {
        let mut msg = Vec::with_capacity(sector.len() + 1 + user_id.len());
        msg.extend_from_slice(sector.as_bytes());
        msg.push(0);
        msg.extend_from_slice(user_id.as_bytes());
        hmac_b64(&self.salt, &msg)
    }

    /// The sector a pairwise client's subjects are computed for; `None` for a
    /// public client (whose redirect URIs are then never parsed: this runs for
    /// every token). A pairwise client always has a sector (`sector::problem`);
    /// were it ever missing, its own id keeps its values apart from every other.
    fn sector(client: &Client) -> Option<String> {
        (client.metadata.subject_type == SubjectType::Pairwise)
            .then(|| sector_of(&client.metadata).unwrap_or_else(|| client.id.clone()))
    }

    /// The `sub` `client` is given for the person `user_id`.
    pub fn of(&self, client: &Client, user_id: &str) -> String {
        match Self::sector(client) {
            Some(sector) => self.pairwise(&sector, user_id),
            None => user_id.to_owned(),
        }
    }

    /// Records whose `sub` a pairwise client was given, in the issuance's
    /// transaction (nothing for public clients). Returns the `sub`.
    pub async fn remember<C: ConnectionTrait>(
        &self,
        conn: &C,
        client: &Client,
        user_id: &str,
        now: Timestamp,
    ) -> DomainResult<String> {
        let Some(sector) = Self::sector(client) else {
            return Ok(user_id.to_owned());
        };
        let sub = self.pairwise(&sector, user_id);
        ps::Entity::insert(ps::ActiveModel {
            sector: Set(sector),
            sub: Set(sub.clone()),
            user_id: Set(user_id.to_owned()),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([ps::Column::Sector, ps::Column::Sub])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        Ok(sub)
    }

    /// The account a `sub` given to `client` stands for.
    pub async fn person<C: ConnectionTrait>(
        &self,
        conn: &C,
        client: &Client,
        sub: &str,
    ) -> DomainResult<Option<String>> {
        let Some(sector) = Self::sector(client) else {
            return Ok(Some(sub.to_owned()));
        };
        Ok(ps::Entity::find()
            .select_only()
            .column(ps::Column::UserId)
            .filter(ps::Column::Sector.eq(sector))
            .filter(ps::Column::Sub.eq(sub))
            .into_tuple::<String>()
            .one(conn)
            .await?)
    }
}
