use sea_orm::entity::prelude::*;

/// A DPoP proof's `jti` under its key, kept while the proof could be accepted
/// (m0021).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dpop_proof_jtis")]
pub struct Model {
    /// The proof key's JWK thumbprint (43 characters).
    #[sea_orm(primary_key, auto_increment = false)]
    pub jkt: String,
    /// SHA-256 (hex) of the `jti`: bounded length whatever the client sent.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti_hash: String,
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
