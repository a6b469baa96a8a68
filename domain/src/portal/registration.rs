//! Registering a client on the portal or through the REST API: a developer's
//! (or administrator's) self-service registration.

use sea_orm::DatabaseConnection;
use serde_json::json;

use super::access::Who;
use super::changes::{ChangeField, FieldChange};
use super::request::Ask;
use super::submit::submit;
use crate::clients::metadata::{ClientPatch, NewClient};
use crate::clients::model::{ApplicationType, GrantType, Stage, SubjectType};
use crate::clients::sector;
use crate::clients::store::CreatedClient;
use crate::platform::clock::Timestamp;
use crate::platform::fetch::Documents;
use crate::platform::password::PasswordHasher;
use crate::{DomainError, DomainResult};

/// A developer's registration form.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    pub application_type: Option<ApplicationType>,
    /// What the form sent; fields left out get the defaults of the type.
    pub metadata: ClientPatch,
    /// Seed 003: e-mail domains tokens may be issued for (empty = any). Only a
    /// restriction, so a developer may set it.
    pub allowed_email_domains: Vec<String>,
    /// Approval-gated (seed 001): an administrator's applies at once; a
    /// developer's `pairwise` becomes a change request made with the client.
    pub subject_type: SubjectType,
}

/// Registers a client owned by the caller. It gets only the default scopes (a
/// service client none at all: least privilege, seed 003) and the default
/// registration lifetime; everything more is requested. A developer asking for
/// pairwise subjects gets a public client and a change request for them, written
/// in the same transaction (the sector rules are checked now, so the developer
/// hears of a missing sector before an administrator is asked).
pub async fn register(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    docs: &Documents,
    who: &Who,
    settings: &crate::settings::RuntimeSettings,
    reg: Registration,
    now: Timestamp,
) -> DomainResult<CreatedClient> {
    who.require_developer()?;
    let app = reg.application_type.unwrap_or(ApplicationType::Web);
    let asks_password = reg.metadata.grant_types.iter().flatten();
    if asks_password
        .clone()
        .any(|g| g == GrantType::Password.as_str())
    {
        return Err(DomainError::invalid(
            "grant_types",
            "the password grant needs an administrator's approval: create the client, then request it from the client's page",
        ));
    }
    let scopes = match app {
        ApplicationType::Service => Vec::new(),
        _ => settings.default_client_scopes.clone(),
    };
    let days = settings.default_client_lifetime_days;
    // A sector identifier document must list the redirect URIs (OIDC Registration
    // §5); the metadata's other problems are reported by `create`.
    if let Ok(mut m) = reg.metadata.clone().register(app) {
        sector::fetch_if_needed(docs, None, &m).await?;
        if reg.subject_type != SubjectType::Public && app != ApplicationType::Service {
            m.subject_type = reg.subject_type;
            if let Some(e) = sector::problem(None, &m) {
                return Err(e);
            }
        }
    }
    let asks_pairwise = reg.subject_type != SubjectType::Public && !who.is_admin();
    if asks_pairwise && app == ApplicationType::Service {
        return Err(DomainError::invalid(
            "subject_type",
            "service clients sign no one in: they have no subjects",
        ));
    }
    let ready = crate::clients::store::prepare(
        db,
        hasher,
        NewClient {
            application_type: Some(app),
            metadata: reg.metadata,
            scopes,
            first_party: false,
            pre_authorized: false,
            allowed_email_domains: reg.allowed_email_domains,
            owner_id: Some(who.user.id.clone()),
            expires_at: (days > 0).then_some(now + days * 86_400),
            // An administrator's registration is its own review (M7).
            unreviewed: !who.is_admin(),
            // Asked for after registration, through an edit (approval-gated).
            requestable_claims: Vec::new(),
            subject_type: if asks_pairwise {
                SubjectType::Public
            } else {
                reg.subject_type
            },
            // An administrator's registration is its own review: in production.
            stage: if settings.new_clients_in_development && !who.is_admin() {
                Stage::Development
            } else {
                Stage::Production
            },
        },
        now,
    )
    .await?;
    let txn = crate::platform::db::write_txn(db).await?;
    let mut created = crate::clients::store::insert(&txn, who.actor(), ready, now).await?;
    if asks_pairwise {
        let request = submit(
            &txn,
            who,
            &created.client,
            Ask::Change {
                changes: vec![FieldChange {
                    field: ChangeField::SubjectType,
                    before: json!(SubjectType::Public),
                    after: json!(reg.subject_type),
                }],
            },
            "Pairwise subject identifiers, asked for at registration.",
            now,
        )
        .await?;
        created.request_id = Some(request.id);
    }
    txn.commit().await?;
    Ok(created)
}
