//! "My apps": the signed-in person's connected apps (their grants), which they can
//! narrow or revoke. Only their own grants: anyone else's is NotFound.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::ConnectedApps;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[server(input = GetUrl, endpoint = "apps/list")]
pub async fn my_apps() -> Result<ConnectedApps, AppError> {
    let user = crate::ssr::require_user()?;
    apps_of(&user.id).await
}

/// The apps `user_id` allowed, with the agents acting through each.
#[cfg(feature = "ssr")]
async fn apps_of(user_id: &str) -> Result<ConnectedApps, AppError> {
    use crate::model::{AgentView, ConnectedAppView, ScopeText};
    use crate::ssr::state;
    use domain::platform::clock::format_utc;
    let st = state()?;
    let server_ttl = st.runtime.get(&st.db).await?.access_token_secs;
    let agents = domain::oauth::agents::agents_of(&st.db, user_id, st.now()).await?;
    let mut seen = domain::oauth::agents::seen_through(&st.db, user_id).await?;
    let connected = domain::oauth::consents::connected_apps(&st.db, user_id).await?;
    // The names of agents offered but not acting now, for every app in one query.
    let others = connected.iter().flat_map(|a| {
        let seen = seen.get(&a.grant.client_id).cloned().unwrap_or_default();
        let named = match &a.grant.may_act {
            domain::oauth::agents::MayAct::Only(list) => list.iter().cloned().collect(),
            _ => Vec::new(),
        };
        seen.into_iter().chain(named)
    });
    let names = domain::clients::names(&st.db, others.collect::<Vec<_>>()).await?;
    let mut apps = Vec::new();
    for a in connected {
        let acting: Vec<_> = agents
            .iter()
            .filter(|g| g.origin_client_id == a.grant.client_id)
            .collect();
        let seen = seen.remove(&a.grant.client_id).unwrap_or_default();
        let (may_act, agent_choices) = agent_choices(&a.grant, &acting, seen, &names);
        apps.push(ConnectedAppView {
            delegable: a.scopes.iter().any(|s| !domain::apis::is_builtin(&s.name)),
            may_act,
            agent_choices,
            grant_id: a.grant.id,
            client_id: a.grant.client_id.clone(),
            name: a.client_name,
            logo_uri: a.logo_uri,
            owner: a.owner,
            scopes: a
                .scopes
                .into_iter()
                .map(|s| ScopeText {
                    name: s.name,
                    description: s.description,
                })
                .collect(),
            first_authorised: format_utc(a.grant.created_at),
            last_used: a.grant.last_used_at.map(format_utc),
            access_token_secs: a.access_token_ttl_secs.unwrap_or(server_ttl),
            agents: acting
                .iter()
                .map(|g| AgentView {
                    client_id: g.client_id.clone(),
                    name: g.client_name.clone(),
                    last_used: format_utc(g.last_used),
                    live_tokens: g.live_tokens,
                    depth: g.depth,
                })
                .collect(),
        });
    }
    Ok(ConnectedApps {
        apps,
        access_token_secs: server_ttl,
    })
}

/// `may_act` as My apps shows it: its mode, and the agents the person can tick
/// (acting now, or named before), each with whether it is allowed.
#[cfg(feature = "ssr")]
fn agent_choices(
    grant: &domain::oauth::consents::Grant,
    acting: &[&domain::oauth::agents::AgentUse],
    seen: Vec<String>,
    names: &std::collections::HashMap<String, String>,
) -> (String, Vec<crate::model::AgentChoice>) {
    use crate::model::AgentChoice;
    use domain::oauth::agents::MayAct;
    let may_act = &grant.may_act;
    let mut choices: Vec<AgentChoice> = acting
        .iter()
        .map(|g| AgentChoice {
            client_id: g.client_id.clone(),
            name: g.client_name.clone(),
            allowed: may_act.allows(&g.client_id),
        })
        .collect();
    choices.dedup_by(|a, b| a.client_id == b.client_id);
    // Agents stopped or dropped lately, and those named: each can be (re)allowed.
    let mut others = seen;
    if let MayAct::Only(list) = may_act {
        others.extend(list.iter().cloned());
    }
    for id in others {
        if choices.iter().any(|c| c.client_id == id) {
            continue;
        }
        choices.push(AgentChoice {
            allowed: may_act.allows(&id),
            name: names.get(&id).cloned().unwrap_or_else(|| id.clone()),
            client_id: id,
        });
    }
    (may_act.mode().to_owned(), choices)
}

/// The person says who may act for them through one app: any agent, only the
/// ones they tick, or none. Agents no longer allowed lose what they hold through
/// it at once.
#[server(endpoint = "apps/agents")]
pub async fn set_app_agents(
    csrf_token: String,
    grant_id: String,
    mode: String,
    #[server(default)] allowed: Vec<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    use domain::oauth::agents::MayAct;
    check_csrf(&csrf_token)?;
    let user = require_user()?;
    let may_act = match mode.as_str() {
        "any" => MayAct::Any,
        "none" => MayAct::none(),
        "only" if allowed.is_empty() => {
            return Err(AppError::invalid(
                "allowed",
                "Tick at least one agent, or choose “No agents”.",
            ))
        }
        "only" => MayAct::Only(allowed.into_iter().collect()),
        _ => return Err(AppError::invalid("mode", "Choose who may act for you.")),
    };
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::oauth::agents::set_may_act(
        &st.db,
        &st.revocations,
        &user.id,
        &grant_id,
        may_act,
        ip,
        st.now(),
    )
    .await?;
    leptos_axum::redirect("/apps?notice=agents_changed");
    Ok(())
}

#[server(endpoint = "apps/revoke")]
pub async fn revoke_app(
    csrf_token: String,
    grant_id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    check_csrf(&csrf_token)?;
    let user = require_user()?;
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick “I understand” to confirm that the app loses access.",
        ));
    }
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::oauth::consents::revoke(&st.db, &st.revocations, &user.id, &grant_id, ip, st.now())
        .await?;
    leptos_axum::redirect("/apps?notice=app_revoked");
    Ok(())
}

/// Stops one agent acting for the person (every token it holds for them, and
/// what was derived from those); the app it acted through keeps its access.
#[server(endpoint = "apps/revoke_agent")]
pub async fn revoke_agent(
    csrf_token: String,
    client_id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    check_csrf(&csrf_token)?;
    let user = require_user()?;
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick “I understand” to confirm that the agent loses access.",
        ));
    }
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::oauth::agents::revoke_agent(
        &st.db,
        &st.revocations,
        &user.id,
        &client_id,
        ip,
        st.now(),
    )
    .await?;
    leptos_axum::redirect("/apps?notice=agent_revoked");
    Ok(())
}

#[server(endpoint = "apps/change")]
pub async fn change_app_scopes(
    csrf_token: String,
    grant_id: String,
    #[server(default)] scopes: Vec<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_user, state};
    check_csrf(&csrf_token)?;
    let user = require_user()?;
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::oauth::consents::change_scopes(
        &st.db,
        &st.revocations,
        &user.id,
        &grant_id,
        &scopes,
        ip,
        st.now(),
    )
    .await?;
    leptos_axum::redirect("/apps?notice=app_changed");
    Ok(())
}

/// An administrator's view of one person's authorizations (the apps they allowed
/// and the agents acting through them).
#[server(input = GetUrl, endpoint = "admin/user_apps")]
pub async fn user_apps(user_id: String) -> Result<crate::model::UserApps, AppError> {
    use crate::ssr::{require_admin, state};
    require_admin()?;
    let st = state()?;
    if !domain::platform::text::could_exist(&user_id) {
        return Err(AppError::NotFound);
    }
    let user = domain::accounts::find_by_id(&st.db, &user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(crate::model::UserApps {
        user_id: user.id.clone(),
        username: user.username,
        display_name: user.display_name,
        list: apps_of(&user.id).await?,
        tokens: crate::api::personal_tokens::token_views(
            &st,
            &user.id,
            st.runtime.get(&st.db).await?.personal_token_max_days,
        )
        .await?,
        second_factor: domain::accounts::second_factor::factor::is_active(&st.db, &user.id).await?,
    })
}

/// An administrator resets a person's two-step sign-in (a lost phone and no
/// recovery code left): confirmed, audited, the person told by e-mail.
#[server(endpoint = "admin/reset_second_factor")]
pub async fn admin_reset_second_factor(
    csrf_token: String,
    user_id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick “I understand” to confirm that their authenticator app and recovery codes stop working.",
        ));
    }
    let st = state()?;
    domain::accounts::second_factor::account::reset(&st.db, &admin, &user_id, st.now()).await?;
    leptos_axum::redirect(&format!(
        "/admin/users/{}/apps?notice=second_factor_reset",
        crate::api::audit::encode(&user_id)
    ));
    Ok(())
}

/// An administrator revokes one of a person's authorizations, as the person
/// would (their tokens and everything derived from them stop at once).
#[server(endpoint = "admin/revoke_user_app")]
pub async fn admin_revoke_app(
    csrf_token: String,
    user_id: String,
    grant_id: String,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_ctx, require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    if confirm.is_none() {
        return Err(AppError::invalid(
            "confirm",
            "Tick “I understand” to confirm that the app loses access to this person's account.",
        ));
    }
    let st = state()?;
    let ip = request_ctx()?.ip;
    domain::oauth::consents::revoke_as_admin(
        &st.db,
        &st.revocations,
        &admin,
        &user_id,
        &grant_id,
        ip,
        st.now(),
    )
    .await?;
    leptos_axum::redirect(&format!(
        "/admin/users/{}/apps?notice=app_revoked_for_user",
        crate::api::audit::encode(&user_id)
    ));
    Ok(())
}
