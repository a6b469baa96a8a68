//! Schema migrations, one file per migration. Every migration runs unchanged on
//! SQLite and PostgreSQL: only portable column types (text, big integer, boolean)
//! are used, and timestamps are Unix seconds in BIGINT columns so that comparisons
//! are exact on both backends.

pub use sea_orm_migration::prelude::*;

pub mod audit_hash;

mod m0001_accounts;
mod m0002_oauth;
mod m0003_authorization;
mod m0004_server_settings;
mod m0005_portal;
mod m0006_audit_chain;
mod m0007_audit_duplicate_indexes;
mod m0008_token_bounds;
mod m0009_client_versions_and_reviews;
mod m0010_change_feed;
mod m0012_shown_once;
mod m0013_change_times;
mod m0014_secret_use;
mod m0015_client_auth_age;
mod m0016_device_codes;
mod m0017_logout;
mod m0018_pushed_requests;
mod m0019_client_assertions;
mod m0020_recovery;
mod m0021_dpop;
mod m0022_person_names;
mod m0023_allowed_origins;
mod m0024_client_trust;
mod m0025_claims_requests;
mod m0026_pairwise;
mod m0027_client_keys_and_algs;
mod m0028_rule_groups;
mod m0029_request_uris;
mod m0030_client_encryption;
mod m0031_second_factors;
mod m0032_dynamic_registration;
mod m0033_token_lineage;
mod m0034_metadata_documents;
mod m0035_admission_rule;
mod m0036_may_act;
mod m0037_personal_tokens;
mod m0038_terms_of_use;
mod m0039_directory_accounts;
mod m0040_audit_actor_time;
mod m0041_upstream_identities;
mod m0042_passkeys;
mod m0043_upstream_providers;
mod m0044_developer_requests;
mod m0045_token_refusals;
mod m0046_client_teams;
mod m0047_client_stage;
mod m0048_development_by_default;
mod m0049_portal_list_indexes;
mod m0050_audit_data_client;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_accounts::Migration),
            Box::new(m0002_oauth::Migration),
            Box::new(m0003_authorization::Migration),
            Box::new(m0004_server_settings::Migration),
            Box::new(m0005_portal::Migration),
            Box::new(m0006_audit_chain::Migration),
            Box::new(m0007_audit_duplicate_indexes::Migration),
            Box::new(m0008_token_bounds::Migration),
            Box::new(m0009_client_versions_and_reviews::Migration),
            Box::new(m0010_change_feed::Migration),
            Box::new(m0012_shown_once::Migration),
            Box::new(m0013_change_times::Migration),
            Box::new(m0014_secret_use::Migration),
            Box::new(m0015_client_auth_age::Migration),
            Box::new(m0016_device_codes::Migration),
            Box::new(m0017_logout::Migration),
            Box::new(m0018_pushed_requests::Migration),
            Box::new(m0019_client_assertions::Migration),
            Box::new(m0020_recovery::Migration),
            Box::new(m0021_dpop::Migration),
            Box::new(m0022_person_names::Migration),
            Box::new(m0023_allowed_origins::Migration),
            Box::new(m0024_client_trust::Migration),
            Box::new(m0025_claims_requests::Migration),
            Box::new(m0026_pairwise::Migration),
            Box::new(m0027_client_keys_and_algs::Migration),
            Box::new(m0028_rule_groups::Migration),
            Box::new(m0029_request_uris::Migration),
            Box::new(m0030_client_encryption::Migration),
            Box::new(m0031_second_factors::Migration),
            Box::new(m0032_dynamic_registration::Migration),
            Box::new(m0033_token_lineage::Migration),
            Box::new(m0034_metadata_documents::Migration),
            Box::new(m0035_admission_rule::Migration),
            Box::new(m0036_may_act::Migration),
            Box::new(m0037_personal_tokens::Migration),
            Box::new(m0038_terms_of_use::Migration),
            Box::new(m0039_directory_accounts::Migration),
            Box::new(m0040_audit_actor_time::Migration),
            Box::new(m0041_upstream_identities::Migration),
            Box::new(m0042_passkeys::Migration),
            Box::new(m0043_upstream_providers::Migration),
            Box::new(m0044_developer_requests::Migration),
            Box::new(m0045_token_refusals::Migration),
            Box::new(m0046_client_teams::Migration),
            Box::new(m0047_client_stage::Migration),
            Box::new(m0048_development_by_default::Migration),
            Box::new(m0049_portal_list_indexes::Migration),
            Box::new(m0050_audit_data_client::Migration),
        ]
    }
}
