use sea_orm::entity::prelude::*;

/// One change to a row some process caches, appended by a database trigger in the
/// writer's transaction (migration m0010). Read by [`crate::platform::changes`].
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cache_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub topic: String,
    pub key: String,
    /// When the row was written, Unix milliseconds on the database's clock (m0013).
    pub at_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
