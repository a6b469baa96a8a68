//! Administrators' sign-in providers (`/admin/sign-in-providers`): the upstream
//! OpenID providers people may "Continue with" (`domain::accounts::upstream::store`).
//! The settings file's are listed read-only; the ones added here can be changed
//! and removed. The client secret is write-only: never sent back to the page.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// One provider as the page shows (and edits) it; lists are space-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderView {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_auth: String,
    pub scopes: String,
    pub domains: String,
    pub provision: bool,
    pub default_role: String,
    pub trust_email: bool,
    pub username_claim: String,
    pub display_name_claim: String,
    pub given_name_claim: String,
    pub family_name_claim: String,
    pub email_claim: String,
    pub role_claim: String,
    pub admin_values: String,
    pub developer_values: String,
    pub timeout_secs: u64,
    /// From the settings file: read-only here.
    pub fixed: bool,
    /// People linked to it (removing it unlinks them).
    pub linked: u64,
    pub updated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvidersView {
    pub providers: Vec<ProviderView>,
    /// This server's redirect URI, to register at each provider.
    pub redirect_uri: String,
    /// This server's public keys, for providers that take `private_key_jwt`.
    pub jwks_uri: String,
}

#[cfg(feature = "ssr")]
fn view_of(l: domain::accounts::upstream::store::Listed) -> ProviderView {
    use domain::platform::clock::format_utc;
    let p = l.config;
    let roles = p.roles.clone();
    ProviderView {
        id: p.id,
        name: p.name,
        issuer: p.issuer,
        client_id: p.client_id,
        client_auth: p.client_auth.as_str().to_owned(),
        scopes: p.scopes.join(" "),
        domains: p.domains.join(" "),
        provision: p.provision,
        default_role: p.default_role.as_str().to_owned(),
        trust_email: p.trust_email,
        username_claim: p.claims.username,
        display_name_claim: p.claims.display_name,
        given_name_claim: p.claims.given_name,
        family_name_claim: p.claims.family_name,
        email_claim: p.claims.email,
        role_claim: roles.as_ref().map(|r| r.claim.clone()).unwrap_or_default(),
        admin_values: roles
            .as_ref()
            .map(|r| r.admin.join(" "))
            .unwrap_or_default(),
        developer_values: roles.map(|r| r.developer.join(" ")).unwrap_or_default(),
        timeout_secs: p.timeout_secs,
        fixed: l.fixed,
        linked: l.linked,
        updated: l.updated_at.map(format_utc),
    }
}

#[server(input = GetUrl, endpoint = "admin/sign-in-providers")]
pub async fn admin_providers() -> Result<ProvidersView, AppError> {
    crate::ssr::require_admin()?;
    let st = crate::ssr::state()?;
    let issuer = st.config.issuer.trim_end_matches('/');
    Ok(ProvidersView {
        providers: domain::accounts::upstream::store::list(&st.db, &st.upstreams)
            .await?
            .into_iter()
            .map(view_of)
            .collect(),
        redirect_uri: format!("{issuer}/api/upstream_callback"),
        jwks_uri: format!("{issuer}/oauth/jwks"),
    })
}

/// One provider added here, for its edit form.
#[server(input = GetUrl, endpoint = "admin/sign-in-provider")]
pub async fn admin_provider(id: String) -> Result<ProviderView, AppError> {
    crate::ssr::require_admin()?;
    let st = crate::ssr::state()?;
    if id.len() > 64 {
        return Err(AppError::NotFound);
    }
    Ok(view_of(
        domain::accounts::upstream::store::stored(&st.db, &st.upstreams, &id).await?,
    ))
}

/// The form's fields, as every add and change sends them.
#[cfg(feature = "ssr")]
#[allow(clippy::too_many_arguments)]
fn input_of(
    id: String,
    name: String,
    issuer: String,
    client_id: String,
    client_auth: String,
    client_secret: String,
    scopes: String,
    domains: String,
    provision: Option<String>,
    default_role: String,
    trust_email: Option<String>,
    claims: [String; 5],
    role_claim: String,
    admin_values: String,
    developer_values: String,
    timeout_secs: String,
) -> domain::accounts::upstream::store::ProviderInput {
    let [username_claim, display_name_claim, given_name_claim, family_name_claim, email_claim] =
        claims;
    domain::accounts::upstream::store::ProviderInput {
        id,
        name,
        issuer,
        client_id,
        client_auth,
        client_secret: domain::platform::secret::SecretString::new(client_secret),
        scopes,
        domains,
        provision: provision.is_some(),
        default_role,
        trust_email: trust_email.is_some(),
        username_claim,
        display_name_claim,
        given_name_claim,
        family_name_claim,
        email_claim,
        role_claim,
        admin_values,
        developer_values,
        timeout_secs,
    }
}

/// What the form sent, but the secret, so a form shown again without
/// JavaScript keeps it (the secret is typed again).
#[cfg(feature = "ssr")]
fn kept(i: &domain::accounts::upstream::store::ProviderInput) -> Vec<(&'static str, String)> {
    vec![
        ("id", i.id.clone()),
        ("name", i.name.clone()),
        ("issuer", i.issuer.clone()),
        ("client_id", i.client_id.clone()),
        ("client_auth", i.client_auth.clone()),
        ("scopes", i.scopes.clone()),
        ("domains", i.domains.clone()),
        ("provision", if i.provision { "on" } else { "" }.to_owned()),
        ("default_role", i.default_role.clone()),
        (
            "trust_email",
            if i.trust_email { "on" } else { "" }.to_owned(),
        ),
        ("username_claim", i.username_claim.clone()),
        ("display_name_claim", i.display_name_claim.clone()),
        ("given_name_claim", i.given_name_claim.clone()),
        ("family_name_claim", i.family_name_claim.clone()),
        ("email_claim", i.email_claim.clone()),
        ("role_claim", i.role_claim.clone()),
        ("admin_values", i.admin_values.clone()),
        ("developer_values", i.developer_values.clone()),
        ("timeout_secs", i.timeout_secs.clone()),
    ]
}

/// Every field of a text input is bounded before the domain reads it.
#[cfg(feature = "ssr")]
fn bounded(i: &domain::accounts::upstream::store::ProviderInput) -> Result<(), AppError> {
    let long = [
        &i.id,
        &i.name,
        &i.issuer,
        &i.client_id,
        &i.client_auth,
        &i.scopes,
        &i.domains,
        &i.default_role,
        &i.username_claim,
        &i.display_name_claim,
        &i.given_name_claim,
        &i.family_name_claim,
        &i.email_claim,
        &i.role_claim,
        &i.admin_values,
        &i.developer_values,
        &i.timeout_secs,
    ]
    .iter()
    .any(|s| s.len() > 8192)
        || i.client_secret.expose().len() > 8192;
    if long {
        return Err(AppError::TooLarge);
    }
    Ok(())
}

#[server(endpoint = "admin/sign-in-providers/add")]
#[allow(clippy::too_many_arguments)]
pub async fn add_provider(
    csrf_token: String,
    #[server(default)] id: String,
    #[server(default)] name: String,
    #[server(default)] issuer: String,
    #[server(default)] client_id: String,
    #[server(default)] client_auth: String,
    #[server(default)] client_secret: String,
    #[server(default)] scopes: String,
    #[server(default)] domains: String,
    #[server(default)] provision: Option<String>,
    #[server(default)] default_role: String,
    #[server(default)] trust_email: Option<String>,
    #[server(default)] username_claim: String,
    #[server(default)] display_name_claim: String,
    #[server(default)] given_name_claim: String,
    #[server(default)] family_name_claim: String,
    #[server(default)] email_claim: String,
    #[server(default)] role_claim: String,
    #[server(default)] admin_values: String,
    #[server(default)] developer_values: String,
    #[server(default)] timeout_secs: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let (_, ctx) = crate::ssr::require_admin()?;
    let st = crate::ssr::state()?;
    let input = input_of(
        id,
        name,
        issuer,
        client_id,
        client_auth,
        client_secret,
        scopes,
        domains,
        provision,
        default_role,
        trust_email,
        [
            username_claim,
            display_name_claim,
            given_name_claim,
            family_name_claim,
            email_claim,
        ],
        role_claim,
        admin_values,
        developer_values,
        timeout_secs,
    );
    bounded(&input)?;
    match domain::accounts::upstream::store::add(
        &st.db,
        &st.upstreams,
        &st.config.kek,
        &ctx,
        &input,
        st.now(),
    )
    .await
    {
        Ok(_) => {
            leptos_axum::redirect("/admin/sign-in-providers?notice=provider_added");
            Ok(())
        }
        Err(problems) => AppError::fields(problems, kept(&input)),
    }
}

#[server(endpoint = "admin/sign-in-providers/change")]
#[allow(clippy::too_many_arguments)]
pub async fn change_provider(
    csrf_token: String,
    id: String,
    #[server(default)] name: String,
    #[server(default)] client_id: String,
    #[server(default)] client_auth: String,
    #[server(default)] client_secret: String,
    #[server(default)] scopes: String,
    #[server(default)] domains: String,
    #[server(default)] provision: Option<String>,
    #[server(default)] default_role: String,
    #[server(default)] trust_email: Option<String>,
    #[server(default)] username_claim: String,
    #[server(default)] display_name_claim: String,
    #[server(default)] given_name_claim: String,
    #[server(default)] family_name_claim: String,
    #[server(default)] email_claim: String,
    #[server(default)] role_claim: String,
    #[server(default)] admin_values: String,
    #[server(default)] developer_values: String,
    #[server(default)] timeout_secs: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let (_, ctx) = crate::ssr::require_admin()?;
    let st = crate::ssr::state()?;
    if id.len() > 64 {
        return Err(AppError::NotFound);
    }
    let input = input_of(
        id.clone(),
        name,
        String::new(),
        client_id,
        client_auth,
        client_secret,
        scopes,
        domains,
        provision,
        default_role,
        trust_email,
        [
            username_claim,
            display_name_claim,
            given_name_claim,
            family_name_claim,
            email_claim,
        ],
        role_claim,
        admin_values,
        developer_values,
        timeout_secs,
    );
    bounded(&input)?;
    match domain::accounts::upstream::store::change(
        &st.db,
        &st.upstreams,
        &st.config.kek,
        &ctx,
        &id,
        &input,
        st.now(),
    )
    .await
    {
        Ok(_) => {
            leptos_axum::redirect("/admin/sign-in-providers?notice=provider_changed");
            Ok(())
        }
        Err(problems) => AppError::fields(problems, kept(&input)),
    }
}

/// Removes a provider added here (ticked confirmation), and the links to it.
#[server(endpoint = "admin/sign-in-providers/remove")]
pub async fn remove_provider(
    csrf_token: String,
    id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let (_, ctx) = crate::ssr::require_admin()?;
    let st = crate::ssr::state()?;
    if id.len() > 64 {
        return Err(AppError::NotFound);
    }
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm the removal.",
        ));
    }
    domain::accounts::upstream::store::remove(&st.db, &st.upstreams, &ctx, &id, st.now()).await?;
    leptos_axum::redirect("/admin/sign-in-providers?notice=provider_removed");
    Ok(())
}
