use sea_orm::entity::prelude::*;

/// A person's WebAuthn credential (m0042).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passkeys")]
pub struct Model {
    /// The credential id the authenticator chose, base64url.
    #[sea_orm(primary_key, auto_increment = false)]
    pub credential_id: String,
    pub user_id: String,
    pub name: String,
    /// JSON: `{"alg": -7, "x", "y"}` or `{"alg": -257, "n", "e"}` (base64url).
    pub public_key: String,
    pub sign_count: i64,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
