use sea_orm::entity::prelude::*;

/// An access token issued by a token exchange (RFC 8693), by `jti`, and the token
/// it was derived from: revoking the parent revokes it (cascade).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "token_lineage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: String,
    pub parent_jti: String,
    /// Exchanges since the first token (a direct exchange is 1).
    pub depth: i32,
    /// The client that asked for it (the actor).
    pub client_id: String,
    /// The app the person allowed, at the root of the chain.
    pub origin_client_id: String,
    /// The person it acts for, if any.
    pub user_id: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
