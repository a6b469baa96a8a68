//! The developer portal's server functions: clients, secrets, scope and change
//! requests, notifications. Every rule lives in `domain::portal`; these adapt forms
//! to it and redirect with a notice, so each form also works without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{ClientDetail, ClientPage, NotificationPage, RequestPage};
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

pub const CLIENTS_PER_PAGE: u64 = 20;
pub const REQUESTS_PER_PAGE: u64 = 20;

#[cfg(feature = "ssr")]
pub(crate) mod conv {
    use domain::apis::ScopeInfo;
    use domain::clients::Client;
    use domain::platform::clock::{format_date, format_utc, Timestamp};
    use domain::portal::rules::Verdict;
    use domain::portal::{Ask, Request, Who};

    use crate::error::AppError;
    use crate::model::{ChangeView, ClientView, Expiry, RequestView, ScopeView};
    use crate::ssr::{request_ctx, require_user};

    /// The signed-in caller as the domain sees them.
    pub fn who() -> Result<Who, AppError> {
        let user = require_user()?;
        let ctx = request_ctx()?;
        Ok(Who::new(user, ctx.ip))
    }

    pub fn scope_view(s: ScopeInfo) -> ScopeView {
        ScopeView {
            name: s.name,
            description: s.description,
            api: s.audience,
            requires_approval: s.requires_approval,
        }
    }

    pub fn client_view(c: &Client, owner: Option<String>, now: Timestamp) -> ClientView {
        let days_left = c.expires_at.map(|e| (e - now).div_euclid(86_400));
        let expiry = match c.expires_at {
            None => Expiry::Never,
            Some(e) if e <= now => Expiry::Expired,
            Some(e) if e - now < 30 * 86_400 => Expiry::Soon,
            Some(_) => Expiry::Ok,
        };
        ClientView {
            id: c.id.clone(),
            name: c.name.clone(),
            description: c.description.clone(),
            application_type: c.application_type.as_str().into(),
            auth_method: c.auth_method.as_str().into(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.clone(),
            scopes: c.scopes.clone(),
            logo_uri: c.logo_uri.clone(),
            client_uri: c.client_uri.clone(),
            policy_uri: c.policy_uri.clone(),
            tos_uri: c.tos_uri.clone(),
            jwks_uri: c.jwks_uri.clone(),
            contacts: c.contacts.clone(),
            allowed_email_domains: c.allowed_email_domains.clone(),
            id_token_alg: c.id_token_alg.as_str().into(),
            userinfo_alg: c.userinfo_alg.map(|a| a.as_str().into()),
            refresh_token_ttl_secs: c.refresh_token_ttl_secs,
            password_grant: c.allows_grant(domain::clients::GRANT_PASSWORD),
            first_party: c.first_party,
            disabled: c.disabled,
            expires: c.expires_at.map(format_date),
            expiry,
            days_left,
            created: format_utc(c.created_at),
            owner,
            version: c.version,
            name_warnings: Vec::new(),
        }
    }

    fn show(v: &serde_json::Value, field: &str) -> String {
        match (field, v) {
            (_, serde_json::Value::Null) => "server default".into(),
            ("refresh_token_ttl_secs", serde_json::Value::Number(n)) => n
                .as_i64()
                .map(|s| format!("{} days", s / 86_400))
                .unwrap_or_default(),
            ("expires_at", serde_json::Value::Number(n)) => {
                n.as_i64().map(format_date).unwrap_or_default()
            }
            (_, serde_json::Value::Bool(true)) => "on".into(),
            (_, serde_json::Value::Bool(false)) => "off".into(),
            (_, serde_json::Value::String(s)) => s.clone(),
            // Grant types and redirect URIs (issue 11, M7).
            (_, serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join(", "),
            (_, other) => other.to_string(),
        }
    }

    pub async fn request_view(
        conn: &domain::platform::db::Db,
        r: Request,
    ) -> Result<RequestView, AppError> {
        let mut scopes = Vec::new();
        let mut changes = Vec::new();
        match &r.ask {
            Ask::Scopes { scopes: names } => {
                for n in names {
                    let info = domain::apis::find_scope(conn, n).await?;
                    scopes.push(match info {
                        Some(i) => scope_view(i),
                        None => ScopeView {
                            name: n.clone(),
                            description: "(no longer in the catalogue)".into(),
                            api: None,
                            requires_approval: true,
                        },
                    });
                }
            }
            Ask::Extension {
                expires_at,
                previous,
            } => changes.push(ChangeView {
                field: "registration expiry".into(),
                before: previous.map(format_date).unwrap_or_else(|| "never".into()),
                after: format_date(*expires_at),
            }),
            Ask::Change { changes: cs } => {
                for c in cs {
                    changes.push(ChangeView {
                        field: c.field.as_str().replace('_', " ").replace(" secs", ""),
                        before: show(&c.before, c.field.as_str()),
                        after: show(&c.after, c.field.as_str()),
                    })
                }
            }
        }
        let evaluations = r
            .evaluations
            .iter()
            .map(|e| {
                let what = match &e.verdict {
                    Verdict::Approve if e.by.as_deref() == Some("policy") => {
                        "approved: needs no approval".to_owned()
                    }
                    Verdict::Approve => "approved by its rule".to_owned(),
                    Verdict::Reject { reason } => format!("rejected by its rule: {reason}"),
                    Verdict::Human { why } => format!("left for a person ({why})"),
                };
                format!("{}: {what}", e.scope)
            })
            .collect();
        Ok(RequestView {
            summary: r.ask.summary(),
            kind: r.ask.kind().into(),
            id: r.id,
            client_id: r.client_id,
            client_name: r.client_name,
            requester: r.requester_username,
            requester_email: r.requester_email,
            scopes,
            changes,
            justification: r.justification,
            status: r.status.as_str().into(),
            created: format_utc(r.created_at),
            decided: r.decided_at.map(format_utc),
            decided_by: r.decider.map(|d| d.name),
            reason: r.reason,
            granted: r.granted,
            evaluations,
            name_warnings: Vec::new(),
        })
    }

    /// Splits a textarea into trimmed, non-empty lines (also accepts commas and spaces
    /// for e-mail domains and contacts).
    pub fn lines(s: &str) -> Vec<String> {
        s.split(['\n', '\r'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn words(s: &str) -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn opt(s: String) -> Option<String> {
        Some(s.trim().to_owned()).filter(|s| !s.is_empty())
    }
}

#[server(input = GetUrl, endpoint = "portal/clients")]
pub async fn list_clients(
    #[server(default)] search: String,
    #[server(default)] sort: String,
    #[server(default)] page: u64,
    #[server(default)] all: bool,
) -> Result<ClientPage, AppError> {
    use crate::ssr::state;
    use conv::*;
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
    // Administrators see names that may deceive people on consent screens.
    if who.is_admin() {
        let all = domain::platform::lookalike::client_skeletons(&st.db).await?;
        for c in &mut clients {
            c.name_warnings = domain::platform::lookalike::warnings_for(&c.id, &c.name, &all);
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
    use crate::ssr::{request_ctx, state};
    use conv::*;
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
        (Some(s), Some(rid)) => st.flash.take(s, &c.id, &rid, now),
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
        } else if !(c.application_type == domain::clients::ApplicationType::Service
            && s.audience.is_none())
        {
            requestable.push(scope_view(s));
        }
    }
    Ok(ClientDetail {
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
    #[server(default)] grant_refresh_token: Option<String>,
    #[server(default)] grant_client_credentials: Option<String>,
    #[server(default)] auth_method: String,
    #[server(default)] logo_uri: String,
    #[server(default)] client_uri: String,
    #[server(default)] policy_uri: String,
    #[server(default)] tos_uri: String,
    #[server(default)] jwks_uri: String,
    #[server(default)] contacts: String,
    #[server(default)] allowed_email_domains: String,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, state};
    use conv::*;
    use domain::clients::{ApplicationType, AuthMethod, ClientUpdate};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = who()?;
    let app = ApplicationType::parse(&application_type)?;
    let grant_types = grants_for(
        app,
        grant_refresh_token.is_some(),
        grant_client_credentials.is_some(),
    );
    let auth = match auth_method.as_str() {
        "" => None,
        m => Some(AuthMethod::parse(m)?),
    };
    let settings = st.runtime.get(&st.db).await?;
    let created = domain::portal::register(
        &st.db,
        &st.hasher,
        &who,
        &settings,
        domain::portal::Registration {
            application_type: Some(app),
            fields: ClientUpdate {
                name,
                description,
                redirect_uris: lines(&redirect_uris),
                post_logout_redirect_uris: lines(&post_logout_redirect_uris),
                grant_types,
                auth_method: auth,
                logo_uri: opt(logo_uri),
                client_uri: opt(client_uri),
                policy_uri: opt(policy_uri),
                tos_uri: opt(tos_uri),
                jwks_uri: opt(jwks_uri),
                contacts: words(&contacts),
                id_token_alg: None,
                userinfo_alg: None,
            },
            allowed_email_domains: words(&allowed_email_domains),
        },
        st.now(),
    )
    .await?;
    let ctx = request_ctx()?;
    if let (Some(secret), Some(session)) = (created.secret, ctx.session_token.as_deref()) {
        st.flash.put(session, &created.client.id, secret, st.now());
    }
    leptos_axum::redirect(&format!(
        "/developer/clients/{}?notice=client_created",
        created.client.id
    ));
    Ok(())
}

/// The grant types a form's checkboxes mean for a client type.
#[cfg(feature = "ssr")]
fn grants_for(app: domain::clients::ApplicationType, refresh: bool, cc: bool) -> Vec<String> {
    use domain::clients::*;
    match app {
        ApplicationType::Service => vec![GRANT_CLIENT_CREDENTIALS.into()],
        _ => {
            let mut g = vec![GRANT_AUTHORIZATION_CODE.to_owned()];
            if refresh {
                g.push(GRANT_REFRESH_TOKEN.into());
            }
            if cc && app == ApplicationType::Web {
                g.push(GRANT_CLIENT_CREDENTIALS.into());
            }
            g
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "portal/update_client")]
pub async fn update_client(
    csrf_token: String,
    id: String,
    name: String,
    #[server(default)] description: String,
    #[server(default)] redirect_uris: String,
    #[server(default)] post_logout_redirect_uris: String,
    #[server(default)] grant_refresh_token: Option<String>,
    #[server(default)] grant_client_credentials: Option<String>,
    #[server(default)] logo_uri: String,
    #[server(default)] client_uri: String,
    #[server(default)] policy_uri: String,
    #[server(default)] tos_uri: String,
    #[server(default)] jwks_uri: String,
    #[server(default)] contacts: String,
    #[server(default)] id_token_alg: String,
    #[server(default)] userinfo_alg: String,
    #[server(default)] refresh_token_days: String,
    #[server(default)] password_grant: Option<String>,
    #[server(default)] justification: String,
    #[server(default)] version: Option<i64>,
) -> Result<(), AppError> {
    use crate::ssr::state;
    use conv::*;
    use domain::clients::ClientUpdate;
    use domain::oauth::keys::Alg;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = who()?;
    let current = domain::portal::client_for(&st.db, &who, &id).await?;
    let alg = |field: &'static str, s: &str| -> Result<Option<Alg>, AppError> {
        match s {
            "" => Ok(None),
            a => Alg::parse(a)
                .map(Some)
                .ok_or_else(|| AppError::invalid(field, "Choose RS256 or ES256.")),
        }
    };
    let refresh_token_ttl_secs = match refresh_token_days.trim() {
        "" | "default" => None,
        d => Some(
            d.parse::<i64>()
                .map_err(|_| AppError::invalid("refresh_token_days", "Enter a number of days."))?
                * 86_400,
        ),
    };
    let fields = ClientUpdate {
        name,
        description,
        redirect_uris: lines(&redirect_uris),
        post_logout_redirect_uris: lines(&post_logout_redirect_uris),
        grant_types: grants_for(
            current.application_type,
            grant_refresh_token.is_some(),
            grant_client_credentials.is_some(),
        ),
        auth_method: Some(current.auth_method),
        logo_uri: opt(logo_uri),
        client_uri: opt(client_uri),
        policy_uri: opt(policy_uri),
        tos_uri: opt(tos_uri),
        jwks_uri: opt(jwks_uri),
        contacts: words(&contacts),
        id_token_alg: alg("id_token_alg", &id_token_alg)?,
        userinfo_alg: alg("userinfo_alg", &userinfo_alg)?,
    };
    let gated = domain::portal::Gated {
        refresh_token_ttl_secs,
        password_grant: password_grant.is_some(),
    };
    let out = domain::portal::update(
        &st.db,
        &st.clients,
        &who,
        &id,
        fields,
        Some(gated),
        &justification,
        version,
        st.now(),
    )
    .await?;
    let notice = if out.request.is_some() {
        "client_updated_request"
    } else {
        "client_updated"
    };
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}"));
    Ok(())
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
    let who = conv::who()?;
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
        st.flash.put(session, &id, secret, st.now());
    }
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice=secret_rotated"));
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
    let who = conv::who()?;
    let c = domain::portal::client_for(&st.db, &who, &id).await?;
    if confirm_name.trim() != c.name {
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
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = conv::who()?;
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

#[server(endpoint = "portal/request_scopes")]
pub async fn request_scopes(
    csrf_token: String,
    id: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] justification: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    use domain::portal::Status;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = conv::who()?;
    let r = domain::portal::request_scopes(
        &st.db,
        &st.clients,
        &who,
        &id,
        &scopes,
        &justification,
        st.now(),
    )
    .await?;
    let notice = match r.status {
        Status::Pending => "request_submitted",
        Status::Approved => "request_auto_approved",
        Status::Rejected => "request_auto_rejected",
    };
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}#requests"));
    Ok(())
}

#[server(endpoint = "portal/request_extension")]
pub async fn request_extension(
    csrf_token: String,
    id: String,
    #[server(default)] expires: String,
    #[server(default)] justification: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = conv::who()?;
    let at = domain::platform::clock::parse_date_end(&expires)
        .ok_or_else(|| AppError::invalid("expires", "Choose a date (YYYY-MM-DD)."))?;
    domain::portal::request_extension(&st.db, &who, &id, at, &justification, st.now()).await?;
    leptos_axum::redirect(&format!(
        "/developer/clients/{id}?notice=request_submitted#requests"
    ));
    Ok(())
}

#[server(input = GetUrl, endpoint = "portal/requests")]
pub async fn list_requests(
    #[server(default)] mine: bool,
    #[server(default)] status: String,
    #[server(default)] kind: String,
    #[server(default)] client_id: String,
    #[server(default)] page: u64,
) -> Result<RequestPage, AppError> {
    use crate::ssr::state;
    use domain::portal::{RequestFilter, Status};
    let st = state()?;
    let who = conv::who()?;
    if !mine && !who.is_admin() {
        return Err(AppError::Forbidden);
    }
    let filter = RequestFilter {
        status: Status::parse(&status),
        kind: Some(kind).filter(|k| !k.is_empty()),
        client_id: Some(client_id).filter(|c| !c.is_empty()),
    };
    let p =
        domain::portal::list_requests(&st.db, &who, mine, &filter, page.max(1), REQUESTS_PER_PAGE)
            .await?;
    let pages = p.pages();
    let mut requests = Vec::new();
    for r in p.items {
        requests.push(conv::request_view(&st.db, r).await?);
    }
    if who.is_admin() && !requests.is_empty() {
        let all = domain::platform::lookalike::client_skeletons(&st.db).await?;
        for r in &mut requests {
            r.name_warnings =
                domain::platform::lookalike::warnings_for(&r.client_id, &r.client_name, &all);
        }
    }
    Ok(RequestPage {
        requests,
        page: p.page,
        pages,
        total: p.total,
    })
}

#[server(input = GetUrl, endpoint = "portal/notifications")]
pub async fn list_notifications(
    #[server(default)] page: u64,
) -> Result<NotificationPage, AppError> {
    use crate::model::NotificationView;
    use crate::ssr::{require_user, state};
    let st = state()?;
    let user = require_user()?;
    let p = domain::portal::notify::list(&st.db, &user.id, page.max(1), 20).await?;
    Ok(NotificationPage {
        pages: p.pages(),
        page: p.page,
        total: p.total,
        items: p
            .items
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                title: n.title,
                body: n.body,
                link: n.link,
                created: domain::platform::clock::format_utc(n.created_at),
                read: n.read,
            })
            .collect(),
    })
}

#[server(endpoint = "portal/mark_read")]
pub async fn mark_all_read(csrf_token: String) -> Result<(), AppError> {
    use crate::ssr::{require_user, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let user = require_user()?;
    domain::portal::notify::mark_all_read(&st.db, &user.id, st.now()).await?;
    leptos_axum::redirect("/notifications?notice=notifications_read");
    Ok(())
}
