use sea_orm::entity::prelude::*;

/// When a client secret was last used (migration m0014); written in batches.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_secret_uses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub secret_id: String,
    pub last_used_at: i64,
    /// When the owner was warned that this secret, still in use, stops working soon.
    pub reminded_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
