use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "metadata_document_clients")]
pub struct Model {
    /// The document's URL, which is the client's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub host: String,
    pub fetched_at: i64,
    /// How long the fetched copy is fresh (clamped `Cache-Control: max-age`).
    pub max_age_secs: i64,
    /// The protected name the document's `client_name` imitates, if any.
    pub imitates: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
