use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    /// SHA-256 of the mailed token; the token itself is never stored.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub user_id: String,
    /// `password_reset`, `email_verification`, `email_change`, or
    /// `sign_in_second_factor` (a sign-in waiting for its second step; `email` empty),
    /// `sign_in_set_up_second_factor` (one waiting for a required factor to be set up),
    /// `sign_in_terms` (one waiting for the current terms of use to be accepted).
    pub purpose: String,
    /// The address the link was sent to.
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// What a pending sign-in carries to its next step: `terms:<version>` once the
    /// person accepted those terms on the way (recorded with the session).
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
