use sea_orm::entity::prelude::*;

/// A person's personal access token for the REST API (`accounts::personal_tokens`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "personal_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    /// SHA-256 of the token; the token itself is shown once.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub name: String,
    /// `portal` (everything the person may do over REST) or `portal:read`.
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
