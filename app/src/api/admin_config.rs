//! Administrators' run-time configuration: the settings page (third-party switch,
//! DPoP requirement, token lifetimes, client defaults, self sign-up) and the API/scope catalogue.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{CatalogueView, SettingsView};
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[cfg(feature = "ssr")]
fn whole_number(field: &'static str, s: &str) -> Result<i64, AppError> {
    s.trim()
        .parse()
        .map_err(|_| AppError::invalid(field, "Enter a whole number."))
}

/// The terms of use from the settings form: both fields empty for none, both
/// given for terms (`domain::settings` checks them).
#[cfg(feature = "ssr")]
fn terms_of(
    url: String,
    version: String,
) -> Result<Option<domain::accounts::terms::Terms>, AppError> {
    let (url, version) = (url.trim().to_owned(), version.trim().to_owned());
    match (url.is_empty(), version.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Ok(Some(domain::accounts::terms::Terms { url, version })),
        (true, false) => Err(AppError::invalid(
            "terms_url",
            "Give the address of the terms too, or clear the version to have no terms.",
        )),
        (false, true) => Err(AppError::invalid(
            "terms_version",
            "Give the terms a version (such as 2026-12), or clear the address to have no terms.",
        )),
    }
}

#[server(input = GetUrl, endpoint = "admin/settings")]
pub async fn get_settings() -> Result<SettingsView, AppError> {
    use crate::ssr::{require_admin, state};
    require_admin()?;
    let st = state()?;
    let s = st.runtime.get(&st.db).await?;
    let file = st.runtime.defaults();
    let (gated, grantable): (Vec<_>, Vec<_>) = domain::apis::catalogue(&st.db)
        .await?
        .into_iter()
        .map(crate::api::portal::conv::scope_view)
        .partition(|s| s.requires_approval);
    let gated = gated
        .into_iter()
        .filter(|s| s.name != domain::apis::PORTAL_SCOPE)
        .collect();
    Ok(SettingsView {
        third_party_oauth: s.third_party_oauth,
        access_token_secs: s.access_token_secs,
        refresh_token_hours: s.refresh_token_secs / 3600,
        allow_self_signup: s.allow_self_signup,
        default_client_scopes: s.default_client_scopes,
        default_client_lifetime_days: s.default_client_lifetime_days,
        personal_token_max_days: s.personal_token_max_days,
        second_factor_roles: s
            .second_factor_roles
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        terms_url: s.terms.as_ref().map(|t| t.url.clone()).unwrap_or_default(),
        terms_version: s.terms.map(|t| t.version).unwrap_or_default(),
        require_dpop: s.require_dpop,
        file_access_token_secs: file.access_token_secs,
        file_refresh_token_hours: file.refresh_token_secs / 3600,
        file_allow_self_signup: file.allow_self_signup,
        file_require_dpop: file.require_dpop,
        grantable,
        new_clients_in_development: s.new_clients_in_development,
        sandbox_scopes: s.sandbox_scopes,
        gated,
    })
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "admin/save_settings")]
pub async fn save_settings(
    csrf_token: String,
    #[server(default)] third_party_oauth: Option<String>,
    #[server(default)] allow_self_signup: Option<String>,
    #[server(default)] require_dpop: Option<String>,
    #[server(default)] access_token_secs: String,
    #[server(default)] refresh_token_hours: String,
    #[server(default)] default_client_lifetime_days: String,
    #[server(default)] default_client_scopes: Vec<String>,
    #[server(default)] personal_token_max_days: String,
    #[server(default)] second_factor_roles: Vec<String>,
    #[server(default)] second_factor_roles_shown: Option<String>,
    #[server(default)] terms_url: String,
    #[server(default)] terms_version: String,
    #[server(default)] terms_shown: Option<String>,
    #[server(default)] new_clients_in_development: Option<String>,
    #[server(default)] sandbox_scopes: Vec<String>,
    #[server(default)] stages_shown: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    use domain::settings::RuntimeSettings;
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let refresh_hours = whole_number("refresh_token_hours", &refresh_token_hours)?;
    // Left out (an older form): what is in force stays.
    let personal_token_max_days = match personal_token_max_days.trim() {
        "" => st.runtime.get(&st.db).await?.personal_token_max_days,
        days => whole_number("personal_token_max_days", days)?,
    };
    // Roles are asked only on a form that showed them: a form without the
    // question (an older page, a script) keeps what is in force.
    let second_factor_roles = match second_factor_roles_shown {
        Some(_) => second_factor_roles
            .iter()
            .take(domain::accounts::Role::ALL.len())
            .map(|r| domain::accounts::Role::parse(r).map_err(AppError::from))
            .collect::<Result<Vec<_>, _>>()?,
        None => st.runtime.get(&st.db).await?.second_factor_roles,
    };
    // Asked only on a form that showed them (as the roles above).
    let terms = match terms_shown {
        Some(_) => terms_of(terms_url, terms_version)?,
        None => st.runtime.get(&st.db).await?.terms,
    };
    // Asked only on a form that showed them (as the roles above).
    let (new_clients_in_development, sandbox_scopes) = match stages_shown {
        Some(_) => (
            new_clients_in_development.is_some(),
            sandbox_scopes
                .into_iter()
                .take(limits::SCOPES + 1)
                .collect(),
        ),
        None => {
            let now = st.runtime.get(&st.db).await?;
            (now.new_clients_in_development, now.sandbox_scopes)
        }
    };
    let new = RuntimeSettings {
        third_party_oauth: third_party_oauth.is_some(),
        allow_self_signup: allow_self_signup.is_some(),
        require_dpop: require_dpop.is_some(),
        access_token_secs: whole_number("access_token_secs", &access_token_secs)?,
        refresh_token_secs: refresh_hours.saturating_mul(3600),
        default_client_lifetime_days: whole_number(
            "default_client_lifetime_days",
            &default_client_lifetime_days,
        )?,
        default_client_scopes,
        // Changed on its own (CLI, REST): `update` keeps what is in force.
        metadata_documents: Default::default(),
        personal_token_max_days,
        second_factor_roles,
        terms,
        new_clients_in_development,
        sandbox_scopes,
    };
    domain::settings::update(&st.db, &admin, &st.runtime, new, st.now()).await?;
    leptos_axum::redirect("/admin/settings?notice=settings_saved");
    Ok(())
}

#[server(input = GetUrl, endpoint = "admin/apis")]
pub async fn get_catalogue() -> Result<CatalogueView, AppError> {
    use crate::api::portal::conv::scope_view;
    use crate::model::ApiView;
    use crate::ssr::{require_admin, state};
    require_admin()?;
    let st = state()?;
    let apis = domain::apis::list_apis(&st.db)
        .await?
        .into_iter()
        .map(|a| ApiView {
            id: a.id,
            name: a.name,
            audience: a.audience,
            scopes: a.scopes.into_iter().map(scope_view).collect(),
            introspectors: a.introspectors,
        })
        .collect();
    let builtin = domain::apis::catalogue(&st.db)
        .await?
        .into_iter()
        .filter(|s| domain::apis::is_builtin(&s.name))
        .map(scope_view)
        .collect();
    Ok(CatalogueView { apis, builtin })
}

#[server(endpoint = "admin/create_api")]
pub async fn create_api(
    csrf_token: String,
    #[server(default)] name: String,
    #[server(default)] audience: String,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    domain::apis::create_resource(&st.db, &admin, &name, &audience, st.now()).await?;
    st.catalogue.invalidate();
    leptos_axum::redirect("/admin/apis?notice=api_created");
    Ok(())
}

#[server(endpoint = "admin/add_scope")]
pub async fn add_api_scope(
    csrf_token: String,
    resource_id: String,
    #[server(default)] name: String,
    #[server(default)] description: String,
    #[server(default)] requires_approval: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    domain::apis::add_scope(
        &st.db,
        &admin,
        &resource_id,
        &name,
        &description,
        requires_approval.is_some(),
        st.now(),
    )
    .await?;
    st.catalogue.invalidate();
    leptos_axum::redirect("/admin/apis?notice=scope_added");
    Ok(())
}

#[server(endpoint = "admin/update_scope")]
pub async fn update_api_scope(
    csrf_token: String,
    name: String,
    #[server(default)] description: String,
    #[server(default)] requires_approval: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    domain::apis::update_scope(
        &st.db,
        &admin,
        &name,
        &description,
        requires_approval.is_some(),
        st.now(),
    )
    .await?;
    st.catalogue.invalidate();
    leptos_axum::redirect("/admin/apis?notice=scope_updated");
    Ok(())
}

/// Names the API's resource servers: the clients besides a token's own that may
/// introspect its tokens (RFC 7662 §4). Client ids separated by spaces, commas or
/// lines.
#[server(endpoint = "admin/set_introspectors")]
pub async fn set_introspectors(
    csrf_token: String,
    resource_id: String,
    #[server(default)] introspectors: String,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let ids: Vec<String> = introspectors
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    domain::apis::set_introspectors(&st.db, &admin, &resource_id, &ids, st.now()).await?;
    st.catalogue.invalidate();
    leptos_axum::redirect("/admin/apis?notice=introspectors_saved");
    Ok(())
}
