use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

use crate::api::consent::consent_details;
use crate::components::consent::ConsentCard;
use crate::components::forms::{CsrfField, BUTTON, BUTTON_SECONDARY};
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
        Some("awaiting_admission") => "The application that sent you here registered itself and is awaiting an administrator's approval. It cannot sign you in until it is approved; try again later.",
        Some("admission_refused") => "The application that sent you here registered itself, and this server's administrators did not admit it. It cannot sign you in.",
        Some("bad_redirect_uri") => "The application asked to send you to an address it has not registered. For your safety you were not sent there.",
        Some("missing_redirect_uri") => "The application did not say where to send you back to.",
        Some("repeated_parameter") => "The sign-in request was malformed (a parameter was repeated).",
        Some("third_party_disabled") => "Third-party applications may not use this service right now. An administrator has turned this off.",
        Some("logout_bad_hint") => "The application's sign-out request carried a token this server did not issue. You are still signed in.",
        Some("logout_client_mismatch") => "The application's sign-out request named two different applications. You are still signed in.",
        Some("logout_redirect_without_client") => "The application's sign-out request asked to send you somewhere without saying which application it is. You are still signed in.",
        Some("invalid_request_object") => "The application's signed request could not be verified with its keys, or has expired.",
        Some("par_required") => "This application must send its sign-in requests to this server directly first (pushed authorization requests); the request in the address was refused.",
        Some("invalid_request_uri") => "The sign-in request has expired or was already used, or the application's request could not be fetched from an address it registered. Go back to the application and start again.",
        Some("document_bad_url") => "The application identifies itself by the address of its metadata document, but that address is not acceptable (it must be https, with a path, and no fragment or password).",
        Some("document_private_address") => "The application's metadata document is on a private network address, which this server does not fetch from.",
        Some("document_unreachable") => "The application's metadata document could not be fetched from the address it gave, so this server cannot tell which application it is.",
        Some("document_too_large") => "The application's metadata document is larger than this server accepts.",
        Some("document_not_json") => "The application's metadata document is not a JSON document.",
        Some("document_client_id_mismatch") => "The application's metadata document names a different application than the address it was fetched from.",
        Some("document_has_secret") => "The application's metadata document contains a secret. Metadata documents are public, so this server refuses it.",
        Some("document_too_many_fetches") => "Too many sign-in requests from your network named applications this server had to look up. Wait a while and try again.",
        Some("document_invalid") => "The application's metadata document is not valid: it breaks the rules every registered application follows.",
        Some("logout_malformed") => "The sign-out request was malformed. You are still signed in.",
        _ => "The sign-in request could not be processed.",
    }
    };
    view! {
        <Title text="Cannot continue · Portcullis"/>
        <section role="alert" class="mx-auto max-w-lg rounded-lg border border-red-300 bg-red-50 p-8 text-red-900">
            <h1 class="text-xl font-semibold">{move || if reason().is_some_and(|r| r.starts_with("logout_")) { "This sign-out request cannot continue" } else { "This sign-in request cannot continue" }}</h1>
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
        Some(
            "client_unavailable"
            | "awaiting_admission"
            | "admission_refused"
            | "third_party_disabled",
        ) => 403,
        Some("document_too_many_fetches") => 429,
        Some("server_error") => 500,
        _ => 400,
    }
}

/// The sign-out confirmation (OpenID Connect RP-Initiated Logout §2): shown when an
/// app asks to sign the person out without proving it is their session. A plain
/// form posting to the end-session endpoint, so it works without JavaScript.
#[component]
pub fn LogoutPage() -> impl IntoView {
    let location = use_location();
    let details = Resource::new(
        move || location.search.get(),
        crate::api::logout::logout_details,
    );
    view! {
        <Title text="Sign out? · Portcullis"/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(d) => match d.signed_in_as.clone() {
                        Some(who) => view! {
                            <section class="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-8 shadow-sm" aria-labelledby="logout-title">
                                <h1 id="logout-title" class="text-2xl font-semibold">"Sign out?"</h1>
                                <p class="mt-3" data-testid="logout-question">
                                    {match d.app_name.clone() {
                                        Some(app) => format!("{app} asks to sign you out. "),
                                        None => "An app asks to sign you out. ".to_owned(),
                                    }}
                                    "You are signed in as " <strong>{who}</strong> ". Signing out also signs you out of the other apps you used through this account."
                                </p>
                                <form method="post" action="/oauth/end_session" class="mt-6 flex gap-3">
                                    <CsrfField/>
                                    <input type="hidden" name="confirm" value="yes"/>
                                    {d.params.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                                    <button type="submit" class=BUTTON>"Sign out"</button>
                                    <a href="/" class=BUTTON_SECONDARY>"Stay signed in"</a>
                                </form>
                            </section>
                        }.into_any(),
                        None => view! {
                            <section class="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-8" data-testid="logout-done">
                                <h1 class="text-2xl font-semibold">"You are signed out"</h1>
                                <p class="mt-3"><a class="text-sky-700 underline" href="/login">"Sign in again"</a></p>
                            </section>
                        }.into_any(),
                    },
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
