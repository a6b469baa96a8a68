use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use crate::api::consent::consent_details;
use crate::components::consent::ConsentCard;
use crate::components::panels::{ErrorPanel, SignInPrompt};

/// The consent screen of the authorization endpoint ([`ConsentCard`]), posting to
/// /oauth/consent; the server validates the request again.
#[component]
pub fn ConsentPage() -> impl IntoView {
    let location = use_location();
    let details = Resource::new(move || location.search.get(), consent_details);
    view! {
        <Title text="Allow access? · Portcullis"/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(Some(c)) => {
                        let params = c.params.clone();
                        view! { <ConsentCard c action="/oauth/consent" hidden=params/> }.into_any()
                    }
                    Ok(None) => view! { <SignInPrompt path="/"/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Errors about the client or its redirect URI: shown here, never redirected
/// (RFC 6749 §4.1.2.1). Only known reason codes are displayed. The page answers
/// with the error's status (4xx; 5xx only for our own failure), not 200.
#[component]
pub fn OAuthErrorPage() -> impl IntoView {
    let query = use_query_map();
    let reason = move || query.read().get("reason");
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        let status = oauth_error_status(reason().as_deref());
        resp.set_status(
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST),
        );
    }
    let message = move || {
        match reason().as_deref() {
        Some("unknown_client") => "The application that sent you here is not registered with this server.",
        Some("missing_client_id") => "The sign-in request did not say which application it came from.",
        Some("client_unavailable") => "The application that sent you here is disabled or its registration has expired.",
        Some("bad_redirect_uri") => "The application asked to send you to an address it has not registered. For your safety you were not sent there.",
        Some("missing_redirect_uri") => "The application did not say where to send you back to.",
        Some("repeated_parameter") => "The sign-in request was malformed (a parameter was repeated).",
        Some("third_party_disabled") => "Third-party applications may not use this service right now. An administrator has turned this off.",
        _ => "The sign-in request could not be processed.",
    }
    };
    view! {
        <Title text="Cannot continue · Portcullis"/>
        <section role="alert" class="mx-auto max-w-lg rounded-lg border border-red-300 bg-red-50 p-8 text-red-900">
            <h1 class="text-xl font-semibold">"This sign-in request cannot continue"</h1>
            <p class="mt-3" data-testid="oauth-error">{message}</p>
            <p class="mt-4 text-sm">"Go back to the application and try again, or contact its developer."</p>
        </section>
    }
}

/// The status of the error page for each reason: the request was bad (400), or
/// refused by policy (403), or we failed (500).
#[cfg(feature = "ssr")]
fn oauth_error_status(reason: Option<&str>) -> u16 {
    match reason {
        Some("client_unavailable" | "third_party_disabled") => 403,
        Some("server_error") => 500,
        _ => 400,
    }
}
