use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    pub client_id: String,
    pub user_id: String,
    pub grant_id: String,
    #[sea_orm(column_type = "Text")]
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub nonce: Option<String>,
    pub code_challenge: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub resource: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub issued_jti: Option<String>,
    pub issued_jti_exp: Option<i64>,
    /// The session the code was issued in (`sid`), m0017.
    pub sid: Option<String>,
    /// The request's `claims` parameter, normalised JSON (OIDC Core §5.5, m0025).
    #[sea_orm(column_type = "Text", nullable)]
    pub claims_request: Option<String>,
    /// How the person authenticated: space-separated RFC 8176 `amr` values (m0031);
    /// None is a password sign-in.
    pub amr: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
