use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "totp_factors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// The RFC 6238 secret, sealed with the key-encryption key (`oauth::keys::Kek`).
    pub secret_sealed: String,
    /// Null until a first code confirmed the enrolment.
    pub confirmed_at: Option<i64>,
    /// The newest time step accepted (-1: none); only ever raised.
    pub last_step: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
