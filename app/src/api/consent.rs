use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeLine {
    pub name: String,
    pub description: String,
    /// The API the permission is for (its name), None for the sign-in scopes.
    pub api: Option<String>,
}

/// What the consent screen shows. The authorization request itself is validated
/// again by the server when the form is posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    pub client_id: String,
    pub client_name: String,
    /// The host of the app's home page (or of its redirect URI).
    pub host: Option<String>,
    /// The host serving the app's client ID metadata document, when its
    /// `client_id` is one: everything else about the app is what that host says.
    #[serde(default)]
    pub document_host: Option<String>,
    pub owner: Option<String>,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    pub first_party: bool,
    /// The app is in development: only its team signs in to it, so whoever sees
    /// this page is one of its developers (trying it out).
    #[serde(default)]
    pub in_development: bool,
    /// What the person is asked for now: the scopes they have not allowed yet.
    pub scopes: Vec<ScopeLine>,
    /// Scopes of the request they allowed before (incremental consent: shown apart,
    /// not asked again).
    pub already: Vec<ScopeLine>,
    /// The claims asked for one by one beyond the scopes (OpenID Connect Core
    /// §5.5) that would be released, in plain words.
    #[serde(default)]
    pub claims: Vec<String>,
    /// The authorization request's parameters, carried through the form.
    pub params: Vec<(String, String)>,
    /// Who may act for the person through the app (RFC 8693 `may_act`): asked on
    /// the authorization endpoint's consent page when the app gets access to an
    /// API, which it or the API could hand on to an agent.
    #[serde(default)]
    pub agents: Option<AgentsOffer>,
    pub user_display_name: String,
}

/// The person's current answer to who may act for them through the app, as the
/// consent page offers it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentsOffer {
    /// `any`, `none` or `only`.
    pub current: String,
    /// With `only`: the names of the agents the person chose on My apps.
    pub named: Vec<String>,
}

#[server(input = GetUrl, endpoint = "consent_details")]
pub async fn consent_details(query: String) -> Result<Option<ConsentView>, AppError> {
    use crate::ssr::{request_ctx, state};
    let st = state()?;
    let Some(user) = request_ctx()?.user else {
        return Ok(None);
    };
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .filter(|(k, _)| !matches!(k.as_str(), "csrf_token" | "decision" | "agents"))
            .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let client_id = get("client_id")
        .ok_or_else(|| AppError::Message("The request names no application.".into()))?;
    let client = domain::clients::find(&st.db, &client_id)
        .await?
        .ok_or_else(|| {
            AppError::Message("The application asking for access is not registered here.".into())
        })?;
    // A pushed request (RFC 9126) carries only its request_uri: the scopes and
    // the claims asked for are in what was pushed.
    let (scope, claims) = match get("request_uri") {
        Some(uri) => {
            let pushed = domain::oauth::pushed::find(&st.db, &uri, &client_id, st.now()).await?;
            let of = |k: &str| pushed.as_ref().and_then(|p| p.get(k).cloned());
            (of("scope").unwrap_or_default(), of("claims"))
        }
        None => (get("scope").unwrap_or_default(), get("claims")),
    };
    // The authorization endpoint refuses a malformed one before this page shows.
    let asked = claims.and_then(|c| domain::oauth::claims_request::ClaimsRequest::parse(&c).ok());
    let beyond = asked.map(|a| {
        domain::oauth::claims::beyond_scopes(&client, &domain::oauth::ScopeSet::parse(&scope), &a)
    });
    let mut view = consent_view(&st, user.user(), client, &scope, params).await?;
    view.claims = beyond
        .unwrap_or_default()
        .iter()
        .map(|c| domain::oauth::claims::label(c).to_owned())
        .collect();
    Ok(Some(view))
}

/// What the person said before about agents acting through `client_id`.
#[cfg(feature = "ssr")]
async fn agents_offer(
    st: &crate::ssr::AppState,
    user_id: &str,
    client_id: &str,
) -> Result<AgentsOffer, AppError> {
    use domain::oauth::agents::MayAct;
    let may_act = domain::oauth::consents::find(&st.db, user_id, client_id)
        .await?
        .map(|g| g.may_act)
        .unwrap_or_default();
    let mut named = Vec::new();
    if let MayAct::Only(list) = &may_act {
        let names = domain::clients::names(&st.db, list.iter().cloned()).await?;
        named = list
            .iter()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect();
    }
    Ok(AgentsOffer {
        current: may_act.mode().into(),
        named,
    })
}

/// What the consent screen shows for `client` asking for `scope` (the
/// authorization endpoint's and the device flow's screen).
#[cfg(feature = "ssr")]
pub async fn consent_view(
    st: &crate::ssr::AppState,
    user: &domain::accounts::User,
    client: domain::clients::Client,
    scope: &str,
    params: Vec<(String, String)>,
) -> Result<ConsentView, AppError> {
    let owner = match &client.owner_id {
        Some(id) => domain::accounts::find_by_id(&st.db, id)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    let held = domain::oauth::consents::find(&st.db, &user.id, &client.id)
        .await?
        .map(|g| g.scopes)
        .unwrap_or_default();
    let mut scopes = Vec::new();
    let mut already = Vec::new();
    for name in domain::oauth::ScopeSet::parse_vec(scope) {
        if let Some(info) = domain::apis::find_scope(&st.db, &name).await? {
            // People see which API each permission opens (the token's audience).
            let api = match &info.audience {
                Some(aud) => domain::apis::find_resource_by_audience(&st.db, aud)
                    .await?
                    .map(|r| r.name),
                None => None,
            };
            let line = ScopeLine {
                name: info.name,
                description: info.description,
                api,
            };
            if held.contains(&line.name) {
                already.push(line);
            } else {
                scopes.push(line);
            }
        }
    }
    // The app's host, so a person can tell "Acme" from a look-alike: its home page,
    // else where it receives codes.
    let host = client
        .metadata
        .client_uri
        .iter()
        .chain(client.metadata.redirect_uris.iter())
        .find_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned));
    let document_host = domain::clients::metadata_document::document_host(&client.id);
    // Who may act for the person through the app: asked when it gets access to
    // an API, whose services could hand it on (both flows).
    let agents = if scopes.iter().chain(&already).any(|s| s.api.is_some()) {
        Some(agents_offer(st, &user.id, &client.id).await?)
    } else {
        None
    };
    Ok(ConsentView {
        logo_uri: client.metadata.logo_uri,
        client_uri: client.metadata.client_uri,
        policy_uri: client.metadata.policy_uri,
        tos_uri: client.metadata.tos_uri,
        // A document's client comes from its document's host, whatever home
        // page the document names: that host alone is shown.
        host: if document_host.is_some() { None } else { host },
        document_host,
        client_id: client.id,
        client_name: client.metadata.name,
        owner,
        first_party: client.first_party,
        in_development: client.stage == domain::clients::model::Stage::Development,
        scopes,
        already,
        claims: Vec::new(),
        params,
        user_display_name: user.display_name.clone(),
        agents,
    })
}
