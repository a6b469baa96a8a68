//! The sign-out confirmation page's data (OpenID Connect RP-Initiated Logout §2:
//! the person is asked when the app's request does not prove it is their session).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// What the confirmation page shows and sends back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutView {
    /// The app that asked, when the request named one.
    pub app_name: Option<String>,
    /// Who is signed in; None: nobody (nothing to confirm).
    pub signed_in_as: Option<String>,
    /// The request's parameters, carried through the form to the end-session
    /// endpoint, which checks them all again.
    pub params: Vec<(String, String)>,
}

/// The parameters the end-session endpoint takes from its confirmation form.
#[cfg(feature = "ssr")]
const CARRIED: [&str; 4] = [
    "id_token_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
];

#[server(input = GetUrl, endpoint = "logout_details")]
pub async fn logout_details(query: String) -> Result<LogoutView, AppError> {
    use crate::ssr::{request_ctx, state};
    let st = state()?;
    let ctx = request_ctx()?;
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
            .filter(|(k, v)| CARRIED.contains(&k.as_ref()) && v.len() <= 8192)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let app_name = match params.iter().find(|(k, _)| k == "client_id") {
        Some((_, id)) if id.len() <= limits::ID => domain::clients::find(&st.db, id)
            .await?
            .map(|c| c.metadata.name),
        _ => None,
    };
    Ok(LogoutView {
        app_name,
        signed_in_as: ctx.user.map(|u| u.user().display_name.clone()),
        params,
    })
}
