use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dynamic_registrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    /// SHA-256 of the registration access token (RFC 7592).
    pub token_hash: String,
    /// `open` or `token`.
    pub via: String,
    pub initial_token_id: Option<String>,
    pub ip: Option<String>,
    pub software_id: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
