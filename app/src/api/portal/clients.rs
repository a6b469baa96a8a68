//! The developer's clients: list, show, register, edit (in `client_edit`),
//! rotate the secret, delete, disable and enable.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::CLIENTS_PER_PAGE;
use crate::error::AppError;
use crate::model::{ClientDetail, ClientPage};
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

pub use super::client_edit::{update_client, UpdateClient};

#[server(input = GetUrl, endpoint = "portal/clients")]
pub async fn list_clients(
    #[server(default)] search: String,
    #[server(default)] sort: String,
    #[server(default)] page: u64,
    #[server(default)] all: bool,
) -> Result<ClientPage, AppError> {
    use super::conv::*;
    use crate::ssr::state;
    let st = state()?;
    let who = who()?;
    let sort = domain::clients::Sort::parse(&sort);
    let p = domain::portal::list_clients(
        &st.db,
        &who,
        all,
        &search,
        sort,
        page.max(1),
        CLIENTS_PER_PAGE,
    )
    .await?;
    let now = st.now();
    let mut owners = std::collections::HashMap::new();
    let mut clients = Vec::new();
    for c in &p.items {
        let owner = match &c.owner_id {
            Some(id) => {
                if !owners.contains_key(id) {
                    let u = domain::accounts::find_by_id(&st.db, id).await?;
                    owners.insert(id.clone(), u.map(|u| u.username));
                }
                owners.get(id).cloned().flatten()
            }
            None => None,
        };
        clients.push(client_view(c, owner, now));
    }
    // Administrators see names that may deceive people on consent screens, and
    // how self-registered clients came.
    if who.is_admin() {
        let ids: Vec<String> = clients.iter().map(|c| c.id.clone()).collect();
        let origins = domain::clients::dynamic::origins(&st.db, &ids).await?;
        for c in &mut clients {
            c.origin = origins.get(&c.id).map(origin_text);
        }
        let documents = domain::clients::metadata_document::origins(&st.db, &ids).await?;
        for c in &mut clients {
            if let Some(d) = documents.get(&c.id) {
                c.origin = Some(document_origin_text(d));
            }
        }
        let all = domain::platform::lookalike::twins_of(
            &st.db,
            clients.iter().map(|c| c.metadata.name.as_str()),
        )
        .await?;
        for c in &mut clients {
            c.name_warnings =
                domain::platform::lookalike::warnings_for(&c.id, &c.metadata.name, &all);
            // A metadata document naming itself after a protected name from
            // another host than its vendor's (never admitted at once).
            if let Some(name) = documents.get(&c.id).and_then(|d| d.imitates.as_ref()) {
                c.name_warnings.insert(
                    0,
                    format!("Look-alike: the name imitates \u{201c}{name}\u{201d}, which is protected, from a host other than its vendor's."),
                );
            }
        }
    }
    Ok(ClientPage {
        pages: p.pages(),
        page: p.page,
        total: p.total,
        clients,
        search,
        sort: sort.as_str().into(),
    })
}

#[server(input = GetUrl, endpoint = "portal/client")]
pub async fn get_client(id: String) -> Result<ClientDetail, AppError> {
    use super::conv::*;
    use crate::ssr::{request_ctx, state};
    let st = state()?;
    let who = who()?;
    let ctx = request_ctx()?;
    let c = domain::portal::client_for(&st.db, &who, &id).await?;
    let now = st.now();
    let owner = match &c.owner_id {
        Some(o) => domain::accounts::find_by_id(&st.db, o)
            .await?
            .map(|u| u.username),
        None => None,
    };
    let new_secret = match (ctx.session_token.as_deref(), crate::ssr::request_id()) {
        (Some(s), Some(rid)) => {
            domain::portal::shown_once::take(&st.db, s, &c.id, &rid, now).await?
        }
        _ => None,
    };
    let reqs = domain::portal::list_requests(
        &st.db,
        &who,
        false,
        &domain::portal::RequestFilter {
            client_id: Some(c.id.clone()),
            ..Default::default()
        },
        1,
        50,
    )
    .await?;
    let mut requests = Vec::new();
    for r in reqs.items {
        requests.push(request_view(&st.db, r).await?);
    }
    let mut requestable = Vec::new();
    let mut scopes = Vec::new();
    for s in domain::apis::catalogue(&st.db).await? {
        if c.scopes.contains(&s.name) {
            scopes.push(scope_view(s));
        } else if !(c.metadata.application_type == domain::clients::ApplicationType::Service
            && s.audience.is_none())
        {
            requestable.push(scope_view(s));
        }
    }
    let secrets = if !c.metadata.has_secret() {
        Vec::new()
    } else {
        use domain::platform::clock::format_utc;
        domain::portal::list_secrets(&st.db, &st.clients, &who, &c.id, now)
            .await?
            .into_iter()
            .map(|s| crate::model::SecretView {
                id: s.id,
                created: format_utc(s.created_at),
                expires: s.expires_at.map(format_utc),
                last_used: s.last_used_at.map(format_utc),
            })
            .collect()
    };
    let logout_deliveries = domain::portal::logout_deliveries(&st.db, &who, &c.id)
        .await?
        .into_iter()
        .map(|d| {
            use domain::platform::clock::format_utc;
            crate::model::LogoutDeliveryView {
                created: format_utc(d.created_at),
                attempts: d.attempts,
                state: d.state.to_owned(),
                last_error: d.last_error,
                next_attempt: d.next_attempt_at.map(format_utc),
            }
        })
        .collect();
    let usage =
        domain::portal::usage::usage(&st.db, &who, &c.id, &st.clients.refusals, now).await?;
    let team = domain::portal::team::team(&st.db, &who, &c.id, now).await?;
    let (promotion_pending, sandbox) = match c.stage {
        domain::clients::Stage::Development => (
            domain::portal::stage::promotion_pending(&st.db, &c.id)
                .await?
                .is_some(),
            domain::settings::sandbox_scopes(&st.db).await?,
        ),
        domain::clients::Stage::Production => (false, Vec::new()),
    };
    Ok(ClientDetail {
        promotion_pending,
        sandbox,
        team: team_view(team, who.is_admin()),
        usage: usage_view(&usage),
        logout_deliveries,
        secrets,
        viewer_is_owner: c.owner_id.as_deref() == Some(who.user.id.as_str()),
        viewer_is_admin: who.is_admin(),
        client: client_view(&c, owner, now),
        new_secret,
        requests,
        requestable,
        scopes,
    })
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "portal/create_client")]
pub async fn create_client(
    csrf_token: String,
    name: String,
    #[server(default)] description: String,
    application_type: String,
    #[server(default)] redirect_uris: String,
    #[server(default)] post_logout_redirect_uris: String,
    #[server(default)] allowed_origins: String,
    #[server(default)] request_uris: String,
    #[server(default)] grant_refresh_token: Option<String>,
    #[server(default)] grant_client_credentials: Option<String>,
    #[server(default)] grant_device_code: Option<String>,
    #[server(default)] grant_token_exchange: Option<String>,
    #[server(default)] auth_method: String,
    #[server(default)] logo_uri: String,
    #[server(default)] client_uri: String,
    #[server(default)] policy_uri: String,
    #[server(default)] tos_uri: String,
    #[server(default)] jwks_uri: String,
    #[server(default)] contacts: String,
    #[server(default)] allowed_email_domains: String,
    #[server(default)] sector_identifier_uri: String,
    #[server(default)] subject_type: String,
) -> Result<(), AppError> {
    use super::conv::*;
    use crate::ssr::{request_ctx, state};
    use domain::clients::{ApplicationType, AuthMethod, ClientPatch, SubjectType};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = who()?;
    let app = ApplicationType::parse(&application_type)
        .ok_or_else(|| AppError::invalid("application_type", "Choose web, native or service."))?;
    let grant_types = grants_for(
        app,
        grant_refresh_token.is_some(),
        grant_client_credentials.is_some(),
        grant_device_code.is_some(),
        grant_token_exchange.is_some(),
    );
    let auth = match auth_method.as_str() {
        "" => None,
        m => Some(AuthMethod::parse(m).ok_or_else(|| {
            AppError::invalid(
                "auth_method",
                "Choose client_secret_basic, client_secret_post, none or private_key_jwt.",
            )
        })?),
    };
    // What the form sent, for showing it again with every problem at once.
    let sent = vec![
        ("name", name.clone()),
        ("description", description.clone()),
        ("application_type", application_type.clone()),
        ("redirect_uris", redirect_uris.clone()),
        (
            "post_logout_redirect_uris",
            post_logout_redirect_uris.clone(),
        ),
        ("allowed_origins", allowed_origins.clone()),
        ("request_uris", request_uris.clone()),
        ("grant_refresh_token", on(&grant_refresh_token)),
        ("grant_client_credentials", on(&grant_client_credentials)),
        ("grant_device_code", on(&grant_device_code)),
        ("grant_token_exchange", on(&grant_token_exchange)),
        ("auth_method", auth_method.clone()),
        ("logo_uri", logo_uri.clone()),
        ("client_uri", client_uri.clone()),
        ("policy_uri", policy_uri.clone()),
        ("tos_uri", tos_uri.clone()),
        ("jwks_uri", jwks_uri.clone()),
        ("contacts", contacts.clone()),
        ("allowed_email_domains", allowed_email_domains.clone()),
        ("sector_identifier_uri", sector_identifier_uri.clone()),
        ("subject_type", subject_type.clone()),
    ];
    let subject_type = match subject_type.as_str() {
        "" => SubjectType::Public,
        s => SubjectType::parse(s)
            .ok_or_else(|| AppError::invalid("subject_type", "Choose public or pairwise."))?,
    };
    let metadata = ClientPatch {
        include_claims_in_id_token: None,
        name: Some(name),
        description: Some(description),
        redirect_uris: Some(lines(&redirect_uris)),
        post_logout_redirect_uris: Some(lines(&post_logout_redirect_uris)),
        allowed_origins: Some(lines(&allowed_origins)),
        request_uris: Some(lines(&request_uris)),
        grant_types: Some(grant_types),
        token_endpoint_auth_method: auth,
        logo_uri: Some(opt(logo_uri)),
        client_uri: Some(opt(client_uri)),
        policy_uri: Some(opt(policy_uri)),
        tos_uri: Some(opt(tos_uri)),
        jwks_uri: Some(opt(jwks_uri)),
        contacts: Some(words(&contacts)),
        id_token_signed_response_alg: None,
        userinfo_signed_response_alg: None,
        default_max_age: None,
        require_auth_time: None,
        // Set on the edit form once the client exists (or through the REST API).
        backchannel_logout_uri: None,
        backchannel_logout_session_required: None,
        frontchannel_logout_uri: None,
        frontchannel_logout_session_required: None,
        require_pushed_authorization_requests: None,
        dpop_bound_access_tokens: None,
        sector_identifier_uri: Some(opt(sector_identifier_uri)),
        jwks: None,
        token_endpoint_auth_signing_alg: None,
        request_object_signing_alg: None,
        response_types: None,
        persist_consent: None,
        // Set on the edit form once the client exists (or through the REST API).
        encryption: Default::default(),
    };
    let domains = words(&allowed_email_domains);
    let mut problems = metadata.clone().registration_problems(app);
    if let Err(e) = domain::clients::validate_email_domains(&domains) {
        problems.push(e);
    }
    // A pairwise client needs a sector (OIDC Core §8.1), said beside the fields.
    if subject_type == SubjectType::Pairwise && problems.is_empty() {
        if let Ok(mut m) = metadata.clone().register(app) {
            m.subject_type = subject_type;
            problems.extend(domain::clients::sector::problem(None, &m));
        }
    }
    AppError::fields(problems, sent)?;
    let settings = st.runtime.get(&st.db).await?;
    let created = domain::portal::register(
        &st.db,
        &st.hasher,
        &st.documents,
        &who,
        &settings,
        domain::portal::Registration {
            application_type: Some(app),
            metadata,
            allowed_email_domains: domains,
            subject_type,
        },
        st.now(),
    )
    .await?;
    let ctx = request_ctx()?;
    if let (Some(secret), Some(session)) = (created.secret, ctx.session_token.as_deref()) {
        // The client exists whatever happens here: a secret that cannot be kept is
        // reported on the page (rotate it), not as a failed registration.
        let kept =
            domain::portal::shown_once::put(&st.db, session, &created.client.id, &secret, st.now())
                .await;
        if let Err(e) = kept {
            tracing::error!(error = %e, "keeping a new secret for its page failed");
        }
    }
    let notice = if created.request_id.is_some() {
        "client_created_request"
    } else {
        "client_created"
    };
    leptos_axum::redirect(&format!(
        "/developer/clients/{}?notice={notice}",
        created.client.id
    ));
    Ok(())
}

/// A checkbox as sent: `on` when ticked.
#[cfg(feature = "ssr")]
pub(super) fn on(v: &Option<String>) -> String {
    if v.is_some() { "on" } else { "" }.to_owned()
}

/// The grant types a form's checkboxes mean for a client type.
#[cfg(feature = "ssr")]
pub(super) fn grants_for(
    app: domain::clients::ApplicationType,
    refresh: bool,
    cc: bool,
    device: bool,
    exchange: bool,
) -> Vec<String> {
    use domain::clients::{ApplicationType, GrantType};
    let mut grants = match app {
        ApplicationType::Service => vec![GrantType::ClientCredentials],
        _ => {
            let mut g = vec![GrantType::AuthorizationCode];
            if refresh {
                g.push(GrantType::RefreshToken);
            }
            if cc && app == ApplicationType::Web {
                g.push(GrantType::ClientCredentials);
            }
            if device {
                g.push(GrantType::DeviceCode);
            }
            g
        }
    };
    // RFC 8693 is for confidential clients: web and service.
    if exchange && app != ApplicationType::Native {
        grants.push(GrantType::TokenExchange);
    }
    grants.iter().map(|g| g.as_str().to_owned()).collect()
}

#[server(endpoint = "portal/rotate_secret")]
pub async fn rotate_secret(
    csrf_token: String,
    id: String,
    overlap: String,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    let overlap = domain::clients::Overlap::parse(&overlap)?;
    let secret = domain::portal::rotate_secret(
        &st.db,
        &st.hasher,
        &st.clients,
        &who,
        &id,
        overlap,
        st.now(),
    )
    .await?;
    if let Some(session) = request_ctx()?.session_token.as_deref() {
        if let Err(e) =
            domain::portal::shown_once::put(&st.db, session, &id, &secret, st.now()).await
        {
            tracing::error!(error = %e, "keeping a rotated secret for its page failed");
        }
    }
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice=secret_rotated"));
    Ok(())
}

/// Ends one secret now; the page then lists the ones still working.
#[server(endpoint = "portal/revoke_secret")]
pub async fn revoke_secret(
    csrf_token: String,
    id: String,
    secret_id: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    if confirm != "yes" {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm that this secret stops working at once.",
        ));
    }
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::revoke_secret(&st.db, &st.clients, &who, &id, &secret_id, st.now()).await?;
    leptos_axum::redirect(&format!(
        "/developer/clients/{id}?notice=secret_revoked#secrets"
    ));
    Ok(())
}

#[server(endpoint = "portal/delete_client")]
pub async fn delete_client(
    csrf_token: String,
    id: String,
    #[server(default)] confirm_name: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    let c = domain::portal::client_for(&st.db, &who, &id).await?;
    if confirm_name.trim() != c.metadata.name {
        return Err(AppError::invalid(
            "confirm_name",
            "Type the client's name exactly to confirm.",
        ));
    }
    domain::portal::delete(&st.db, &st.clients, &who, &id, st.now()).await?;
    let back = if c.owner_id.as_deref() == Some(who.user.id.as_str()) {
        "/developer"
    } else {
        "/admin/clients"
    };
    leptos_axum::redirect(&format!("{back}?notice=client_deleted"));
    Ok(())
}

#[server(endpoint = "portal/set_enabled")]
pub async fn set_client_enabled(
    csrf_token: String,
    id: String,
    enabled: bool,
    #[server(default)] justification: String,
    /// Disabling stops the client at once: the form asks for a ticked box, and the
    /// server checks it too (issue 13, defect 5).
    #[server(default)]
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    if !enabled && confirm != "yes" {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm that the client stops working at once.",
        ));
    }
    let st = state()?;
    let who = super::conv::who()?;
    let req = domain::portal::set_enabled(
        &st.db,
        &st.clients,
        &who,
        &id,
        enabled,
        &justification,
        st.now(),
    )
    .await?;
    let notice = match (req.is_some(), enabled) {
        (true, _) => "request_submitted",
        (false, true) => "client_enabled",
        (false, false) => "client_disabled",
    };
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}"));
    Ok(())
}
