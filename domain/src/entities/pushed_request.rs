use sea_orm::entity::prelude::*;

/// A pushed authorization request (RFC 9126), m0018.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pushed_requests")]
pub struct Model {
    /// SHA-256 (hex) of the `request_uri`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub client_id: String,
    /// The request's parameters, a JSON object of strings.
    #[sea_orm(column_type = "Text")]
    pub params: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
