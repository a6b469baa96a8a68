use sea_orm::entity::prelude::*;

/// A user's consent for a client: which scopes it may use on their behalf.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: String,
    pub client_id: String,
    /// Space-separated.
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_used_at: Option<i64>,
    /// Which agents may act for the person through this app (RFC 8693 `may_act`):
    /// NULL for any, else a JSON array of client ids. See `oauth::agents`.
    #[sea_orm(column_type = "Text", nullable)]
    pub may_act: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
