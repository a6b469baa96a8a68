use sea_orm::entity::prelude::*;

/// A sign-in sent to an upstream OpenID provider and not yet back (m0041).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "upstream_logins")]
pub struct Model {
    /// SHA-256 of the `state` sent upstream.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    /// SHA-256 of the browser's binding cookie.
    pub binding_hash: String,
    pub provider: String,
    /// The account a signed-in person is linking the provider to; None: a sign-in.
    pub user_id: Option<String>,
    pub return_to: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
