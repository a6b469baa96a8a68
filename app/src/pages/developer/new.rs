//! `/developer/clients/new`: register a client.

use leptos::prelude::*;
use leptos_meta::Title;

use super::fields::{ListField, ValueField, FIELDS};
use super::{CARD, LINK};
use crate::api::portal::claim::ClaimClient as Claim;
use crate::api::portal::clients::CreateClient;
use crate::components::forms::{CsrfField, FormError, BUTTON, INPUT, LABEL};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::error::AppError;

#[component]
pub fn NewClientPage() -> impl IntoView {
    view! {
        <Title text="Register a client · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer/clients/new", |user, _| {
            if !user.can_develop() {
                return view! { <ErrorPanel error=AppError::Forbidden/> }.into_any();
            }
            view! { <NewClientForm/> <ClaimClient/> }.into_any()
        })}
    }
}

#[component]
fn NewClientForm() -> impl IntoView {
    let create = ServerAction::<CreateClient>::new();
    let error = move || create.value().get().and_then(|r| r.err());
    // Without JavaScript a failed send comes back as a new page: it shows what the
    // person typed (the error carries it), not an empty form (issue 13, defect 4).
    let sent = move |input: &str| error().and_then(|e| e.sent(input));
    let text = move |input: &str| sent(input).unwrap_or_default();
    let app_type = sent("application_type").unwrap_or_else(|| "web".to_owned());
    let ticked = move |input: &str, default: bool| sent(input).map_or(default, |v| v == "on");
    let auth = text("auth_method");
    view! {
        <p class="text-sm"><a class=LINK href="/developer">"← My clients"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Register a client"</h1>
        <p class="mt-1 max-w-2xl text-slate-600">
            "A new client gets only the default scopes (service clients get none). Request more from the client's page once it exists; the secret is shown once, right after you register."
        </p>
        <div class="mt-6 max-w-2xl">
            <FormError error fields=FIELDS.to_vec()/>
            <ActionForm action=create attr:class=CARD>
                <CsrfField/>
                <ValueField name="name" value=text("name") maxlength={limits::CLIENT_NAME} label="Name" required=true hint="Shown to people on the consent screen." error/>
                <ValueField name="description" value=text("description") maxlength={limits::CLIENT_DESCRIPTION} label="Description" error/>
                <fieldset class="mb-4" id="f-application_type">
                    <legend class=LABEL>"Application type"</legend>
                    <div class="mt-1 space-y-1 text-sm">
                        <label class="flex items-start gap-2"><input type="radio" name="application_type" value="web" checked=app_type == "web"/>
                            <span><strong>"Web application"</strong>" — runs on a server and can keep a secret."</span></label>
                        <label class="flex items-start gap-2"><input type="radio" name="application_type" value="native" checked=app_type == "native"/>
                            <span><strong>"Native or single-page app"</strong>" — public: no secret, PKCE only."</span></label>
                        <label class="flex items-start gap-2"><input type="radio" name="application_type" value="service" checked=app_type == "service"/>
                            <span><strong>"Service"</strong>" — machine to machine (client credentials), acts for nobody."</span></label>
                    </div>
                </fieldset>
                <ListField name="redirect_uris" value=text("redirect_uris") maxlength={ limits::REDIRECT_URIS * (limits::URI + 2) } label="Redirect URIs" hint="One per line. https required (http only for 127.0.0.1, [::1] or localhost); no fragments; matched exactly. Not used by service clients." error/>
                <ListField name="post_logout_redirect_uris" value=text("post_logout_redirect_uris") maxlength={ limits::POST_LOGOUT_REDIRECT_URIS * (limits::URI + 2) } label="Post-logout redirect URIs" hint="One per line, same rules." error/>
                <ListField name="allowed_origins" value=text("allowed_origins") maxlength={ limits::ALLOWED_ORIGINS * (limits::ORIGIN + 2) } label="JavaScript origins" hint="Web pages at these origins may call the token endpoint from the browser. One per line, exactly scheme://host[:port] (no path); https, or http for 127.0.0.1, [::1] or localhost. Not used by service clients." error/>
                <ListField name="request_uris" value=text("request_uris") maxlength={ limits::REQUEST_URIS * (limits::REQUEST_URI + 2) } label="Request URIs" hint="Where your app's signed request objects may be fetched (request_uri, RFC 9101). One per line: https (http only for 127.0.0.1, [::1] or localhost), at most 512 characters, no fragment. Any other request_uri is refused without a fetch. Not used by service clients." error/>
                <ValueField name="sector_identifier_uri" value=text("sector_identifier_uri") maxlength={limits::URI} label="Sector identifier URI" kind="url" hint="Optional: an https address of a JSON list of all your redirect URIs. Its host is your app's sector for pairwise subjects. Portcullis fetches it when you register." error/>
                {
                    let chosen = text("subject_type");
                    view! {
                        <div class="mb-4">
                            <label for="f-subject_type" class=LABEL>"Subject identifiers"</label>
                            <select id="f-subject_type" name="subject_type" class=INPUT aria-describedby="f-subject_type-help f-subject_type-error"
                                aria-invalid=move || error().and_then(|e| e.field_message("subject_type")).is_some().then_some("true")>
                                <option value="public" selected=chosen != "pairwise">"Public: the same user id every app sees"</option>
                                <option value="pairwise" selected=chosen == "pairwise">"Pairwise: an id for your app's sector alone"</option>
                            </select>
                            <p id="f-subject_type-help" class="mt-1 text-xs text-slate-500">"Pairwise ids stop apps of different sites from matching up the people they serve; they need a sector (a sector identifier URI, or redirect URIs on one host). Pairwise needs an administrator's approval: the client starts public and the change waits for them. Not used by service clients."</p>
                            <p id="f-subject_type-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("subject_type"))}</p>
                        </div>
                    }
                }
                <fieldset class="mb-4" id="f-grant_types">
                    <legend class=LABEL>"Grant types"</legend>
                    <p class="text-xs text-slate-500">"Authorization code (with PKCE) is always on for web and native clients; service clients use client credentials only. The password grant needs an administrator's approval."</p>
                    <label class="mt-1 flex items-center gap-2 text-sm"><input type="checkbox" name="grant_refresh_token" value="on" checked=ticked("grant_refresh_token", true)/>"Refresh tokens"</label>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_client_credentials" value="on" checked=ticked("grant_client_credentials", false)/>"Client credentials (web clients)"</label>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_device_code" value="on" checked=ticked("grant_device_code", false)/>"Device code (TVs, command-line tools, agents)"</label>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_token_exchange" value="on" checked=ticked("grant_token_exchange", false)/>"Token exchange (web and service clients: act for a person toward another API, RFC 8693)"</label>
                    <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("grant_types"))}</p>
                </fieldset>
                <div class="mb-4">
                    <label for="f-auth_method" class=LABEL>"Token endpoint authentication"</label>
                    <select id="f-auth_method" name="auth_method" class=INPUT>
                        <option value="" selected=auth.is_empty()>"Default for the type"</option>
                        <option value="client_secret_basic" selected=auth == "client_secret_basic">"client_secret_basic (HTTP Basic)"</option>
                        <option value="client_secret_post" selected=auth == "client_secret_post">"client_secret_post (form body)"</option>
                        <option value="none" selected=auth == "none">"none (public clients)"</option>
                        <option value="private_key_jwt" selected=auth == "private_key_jwt">"private_key_jwt (a JWT signed with a key at your JWKS URI; no secret)"</option>
                    </select>
                    <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("token_endpoint_auth_method"))}</p>
                </div>
                <ValueField name="logo_uri" value=text("logo_uri") maxlength={limits::URI} label="Logo URI" kind="url" error/>
                <ValueField name="client_uri" value=text("client_uri") maxlength={limits::URI} label="Home page URI" kind="url" error/>
                <ValueField name="policy_uri" value=text("policy_uri") maxlength={limits::URI} label="Privacy policy URI" kind="url" error/>
                <ValueField name="tos_uri" value=text("tos_uri") maxlength={limits::URI} label="Terms of service URI" kind="url" error/>
                <ValueField name="jwks_uri" value=text("jwks_uri") maxlength={limits::URI} label="JWKS URI" kind="url" error/>
                <ValueField name="contacts" value=text("contacts") maxlength={ limits::CONTACTS * (limits::EMAIL + 2) } label="Contacts" hint="E-mail addresses, separated by spaces or commas." error/>
                <ValueField name="allowed_email_domains" value=text("allowed_email_domains") maxlength={ limits::EMAIL_DOMAINS * (limits::DOMAIN_NAME + 2) } label="Allowed e-mail domains" hint="Optional: tokens are only issued for people with these e-mail domains (e.g. example.edu). Empty means anyone." error/>
                <button type="submit" class=BUTTON disabled=move || create.pending().get()>"Register"</button>
            </ActionForm>
        </div>
    }
}

/// Claim a client that registered itself (RFC 7591): the proof is the
/// registration access token its registration returned.
#[component]
fn ClaimClient() -> impl IntoView {
    let claim = ServerAction::<Claim>::new();
    let error = move || claim.value().get().and_then(|r| r.err());
    let sent = move || {
        error()
            .and_then(|e| e.sent("client_id"))
            .unwrap_or_default()
    };
    view! {
        <section class="mt-10 max-w-2xl" aria-labelledby="claim-title">
            <h2 id="claim-title" class="text-xl font-semibold">"Claim a client that registered itself"</h2>
            <p class="mt-1 text-slate-600">
                "Software that registered itself here (dynamic registration) got a client id and a registration access token. "
                "Enter both to make the client yours: it then appears under My clients, and you manage it like one you registered here. "
                "Claiming does not admit it: one awaiting an administrator still waits."
            </p>
            <div class="mt-4"><FormError error fields=vec!["client_id", "registration_access_token"]/></div>
            <ActionForm action=claim attr:class=CARD attr:data-testid="claim-form">
                <CsrfField/>
                <ValueField name="client_id" value=sent() maxlength={limits::URI} label="Client id" required=true error/>
                <ValueField name="registration_access_token" value=String::new() maxlength={limits::REGISTRATION_ACCESS_TOKEN} label="Registration access token" kind="password" required=true hint="Shown to the software once, when it registered. It is checked, never stored here." error/>
                <button type="submit" class=BUTTON disabled=move || claim.pending().get()>"Claim client"</button>
            </ActionForm>
        </section>
    }
}
