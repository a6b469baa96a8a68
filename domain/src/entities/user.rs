use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub username: String,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    /// OpenID Connect Core §5.1 `given_name` / `family_name`; optional.
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: String,
    pub disabled: bool,
    pub email_verified: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Tokens issued for this person before this time are dead (set when the
    /// password changes or the account is disabled).
    pub tokens_valid_after: Option<i64>,
    /// The version of the terms of use the person last accepted, and when (m0038).
    pub terms_version: Option<String>,
    pub terms_accepted_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// The password hash is read only here, for verification; `User` never carries it.
    pub async fn find_password_hash<C: ConnectionTrait>(
        conn: &C,
        id: &str,
    ) -> Result<Option<String>, DbErr> {
        Ok(Self::find_by_id(id.to_owned())
            .one(conn)
            .await?
            .and_then(|m| m.password_hash))
    }
}
