use sea_orm::entity::prelude::*;

/// A client assertion's `jti`, kept until the assertion expires (m0019).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "client_assertion_jtis")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// SHA-256 (hex) of the `jti`: bounded length whatever the client sent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti_hash: String,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
