use sea_orm::entity::prelude::*;

/// An upstream OpenID provider an administrator added (m0043): its settings as
/// JSON (`accounts::upstream::ProviderConfig`, without the secret) and the client
/// secret sealed with the key-encryption key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "upstream_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub config: String,
    pub secret_sealed: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
