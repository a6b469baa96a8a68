use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub owner_id: Option<String>,
    pub application_type: String,
    pub token_endpoint_auth_method: String,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub redirect_uris: String,
    #[sea_orm(column_type = "Text")]
    pub grant_types: String,
    #[sea_orm(column_type = "Text")]
    pub scopes: String,
    pub first_party: bool,
    #[sea_orm(column_type = "Text")]
    pub allowed_email_domains: String,
    pub access_token_ttl_secs: Option<i64>,
    pub disabled: bool,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub id_token_signed_response_alg: String,
    pub userinfo_signed_response_alg: Option<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub jwks_uri: Option<String>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub post_logout_redirect_uris: String,
    /// OIDC Registration `default_max_age`, seconds (m0015).
    pub default_max_age: Option<i64>,
    /// OIDC Registration `require_auth_time` (m0015).
    pub require_auth_time: bool,
    /// Back-Channel Logout §2.2 (m0017).
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Front-Channel Logout §2 (m0017).
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    /// RFC 9126 §6 (m0018).
    pub require_pushed_authorization_requests: bool,
    /// RFC 9449 §5.2 (m0021).
    pub dpop_bound_access_tokens: bool,
    /// JSON array of origins allowed to call the token endpoint from a browser (m0023).
    #[sea_orm(column_type = "Text")]
    pub allowed_origins: String,
    /// `public` or `pairwise` (OIDC Core §8; m0026).
    pub subject_type: String,
    /// OIDC Registration §5 (m0026).
    #[sea_orm(column_type = "Text", nullable)]
    pub sector_identifier_uri: Option<String>,
    /// RFC 7591 §2 `jwks`, as JSON text (m0027).
    #[sea_orm(column_type = "Text", nullable)]
    pub jwks: Option<String>,
    /// OIDC Registration §2 (m0027).
    pub token_endpoint_auth_signing_alg: Option<String>,
    pub request_object_signing_alg: Option<String>,
    /// JSON array of pre-registered request URIs (OIDC Registration §2; m0029).
    #[sea_orm(column_type = "Text")]
    pub request_uris: String,
    /// OIDC Registration §2 JWE algorithms (m0030).
    pub id_token_encrypted_response_alg: Option<String>,
    pub id_token_encrypted_response_enc: Option<String>,
    pub userinfo_encrypted_response_alg: Option<String>,
    pub userinfo_encrypted_response_enc: Option<String>,
    pub request_object_encryption_alg: Option<String>,
    pub request_object_encryption_enc: Option<String>,
    /// An administrator trusts the client: no consent screen (m0024).
    pub pre_authorized: bool,
    /// False: consent is asked on every authorization (m0024).
    pub persist_consent: bool,
    /// JSON array of claim names the client may request individually (m0025).
    #[sea_orm(column_type = "Text")]
    pub requestable_claims: String,
    /// OIDC Core §5.4: scope-released claims in the ID token too (m0025).
    pub include_claims_in_id_token: bool,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub contacts: String,
    pub refresh_token_ttl_secs: Option<i64>,
    /// Bumped by every write; writes are conditional on the version they read.
    pub version: i64,
    /// JSON array: the grant types an administrator (or an approving rule) reviewed.
    #[sea_orm(column_type = "Text")]
    pub reviewed_grant_types: String,
    /// JSON array: the redirect URIs whose origins were reviewed.
    #[sea_orm(column_type = "Text")]
    pub reviewed_redirect_uris: String,
    /// `development` or `production` (m0047; issue 13's lifecycle states).
    pub stage: String,
    /// The name's UTS #39 skeleton (`platform::lookalike::skeleton_of`), indexed,
    /// so look-alike names are found without reading every client (m0049). Written
    /// with every write of the row; `None` only between m0049 and the fill that
    /// follows it at start-up.
    #[sea_orm(column_type = "Text", nullable)]
    pub name_skeleton: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
