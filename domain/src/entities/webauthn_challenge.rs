use sea_orm::entity::prelude::*;

/// A WebAuthn challenge handed out and not yet used (m0042).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webauthn_challenges")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub challenge_hash: String,
    /// `register` (for `user_id`) or `sign_in`.
    pub purpose: String,
    pub user_id: Option<String>,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
