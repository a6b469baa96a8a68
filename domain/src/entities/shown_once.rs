use sea_orm::entity::prelude::*;

/// A new client secret waiting for the one page view that shows it (see
/// [`crate::portal::shown_once`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shown_once")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_hash: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub sealed: String,
    pub expires_at: i64,
    pub taken_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
