use sea_orm::entity::prelude::*;

/// An account whose password is the LDAP directory's (m0039).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// The entry's distinguished name, as the directory last returned it.
    #[sea_orm(unique)]
    pub dn: String,
    pub provisioned_at: i64,
    pub synced_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
