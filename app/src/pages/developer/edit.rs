//! `/developer/clients/:id/edit`: edit a client; approval-gated changes become a
//! request.

use leptos::prelude::*;
use leptos_meta::Title;

use super::admin_settings::{AdminSettings, ADMIN_FIELDS};
use super::encryption::{EncryptionFields, ENCRYPTION_FIELDS};
use super::fields::{ListField, ValueField, FIELDS};
use super::{client_id_param, CARD, LINK};
use crate::api::portal::clients::{get_client, UpdateClient};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::model::{ApplicationType, ClientDetail, GrantType, SigningAlg};

#[component]
pub fn EditClientPage() -> impl IntoView {
    view! {
        <Title text="Edit client · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer", |_, _| view! { <EditClientLoader/> })}
    }
}

#[component]
fn EditClientLoader() -> impl IntoView {
    let id = client_id_param();
    let detail = Resource::new(id, get_client);
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <EditClientForm d/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditClientForm(d: ClientDetail) -> impl IntoView {
    let c = d.client;
    let is_admin = d.viewer_is_admin;
    let update = ServerAction::<UpdateClient>::new();
    let error = move || update.value().get().and_then(|r| r.err());
    // Without JavaScript a failed send comes back as a new page: it shows what the
    // person typed (the error carries it), not the stored values (issue 13, defect 4).
    let sent =
        move |input: &str, stored: String| error().and_then(|e| e.sent(input)).unwrap_or(stored);
    let ticked = move |input: &str, stored: bool| {
        error()
            .and_then(|e| e.sent(input))
            .map_or(stored, |v| v == "on")
    };
    let back = format!("/developer/clients/{}", c.id);
    let refresh_days = c
        .refresh_token_ttl_secs
        .map(|s| (s / 86_400).to_string())
        .unwrap_or_default();
    let edit_fields: Vec<&'static str> = FIELDS
        .iter()
        .copied()
        .chain([
            "refresh_token_days",
            "refresh_token_ttl_secs",
            "justification",
            "id_token_alg",
            "userinfo_alg",
            "password_grant",
            "backchannel_logout_uri",
            "frontchannel_logout_uri",
            "default_max_age",
            "require_auth_time",
            "auth_method",
            "dpop_bound_access_tokens",
            "require_pushed_authorization_requests",
            "jwks",
            "token_endpoint_auth_signing_alg",
            "request_object_signing_alg",
            "response_types",
            "consent_every_time",
            "persist_consent",
            "include_claims_in_id_token",
            "requestable_claims",
        ])
        .chain(ADMIN_FIELDS)
        .chain(ENCRYPTION_FIELDS)
        .collect();
    let max_age = c
        .metadata
        .default_max_age
        .map(|s| s.to_string())
        .unwrap_or_default();
    let auth = sent(
        "auth_method",
        c.metadata.token_endpoint_auth_method.as_str().to_owned(),
    );
    let claims_in_id_token = sent(
        "include_claims_in_id_token",
        if c.metadata.include_claims_in_id_token {
            "yes"
        } else {
            "no"
        }
        .to_owned(),
    ) != "no";
    let is_native = c.metadata.application_type == ApplicationType::Native;
    let is_web = c.metadata.application_type == ApplicationType::Web;
    let is_service = c.metadata.application_type == ApplicationType::Service;
    view! {
        <p class="text-sm"><a class=LINK href=back.clone()>"← " {c.metadata.name.clone()}</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Edit " {c.metadata.name.clone()}</h1>
        <div class="mt-6 max-w-2xl">
            <FormError error fields=edit_fields/>
            <ActionForm action=update attr:class=CARD>
                <CsrfField/>
                <input type="hidden" name="id" value=c.id.clone()/>
                <input type="hidden" name="version" value=c.version.to_string()/>
                <h2 class="mb-3 font-semibold">"Changes that apply at once"</h2>
                <ValueField name="name" maxlength={limits::CLIENT_NAME} label="Name" value=sent("name", c.metadata.name.clone()) required=true error/>
                <ValueField name="description" maxlength={limits::CLIENT_DESCRIPTION} label="Description" value=sent("description", c.metadata.description.clone()) error/>
                {(!is_service).then(|| view! {
                    <ListField name="redirect_uris" maxlength={ limits::REDIRECT_URIS * (limits::URI + 2) } label="Redirect URIs" value=sent("redirect_uris", c.metadata.redirect_uris.join("\n")) hint="One per line; matched exactly." error/>
                    <ListField name="post_logout_redirect_uris" maxlength={ limits::POST_LOGOUT_REDIRECT_URIS * (limits::URI + 2) } label="Post-logout redirect URIs" value=sent("post_logout_redirect_uris", c.metadata.post_logout_redirect_uris.join("\n")) hint="One per line." error/>
                    <ListField name="allowed_origins" maxlength={ limits::ALLOWED_ORIGINS * (limits::ORIGIN + 2) } label="JavaScript origins" value=sent("allowed_origins", c.metadata.allowed_origins.join("\n")) hint="Web pages at these origins may call the token endpoint from the browser. One per line, exactly scheme://host[:port] (no path)." error/>
                    <ListField name="request_uris" maxlength={ limits::REQUEST_URIS * (limits::REQUEST_URI + 2) } label="Request URIs" value=sent("request_uris", c.metadata.request_uris.join("\n")) hint="Where your app's signed request objects may be fetched (request_uri, RFC 9101). One per line: https (http only for 127.0.0.1, [::1] or localhost), at most 512 characters, no fragment. Any other request_uri is refused without a fetch." error/>
                    <ValueField name="backchannel_logout_uri" maxlength={limits::URI} label="Back-channel logout URI" kind="url" value=sent("backchannel_logout_uri", c.metadata.backchannel_logout_uri.clone().unwrap_or_default()) hint="Portcullis posts a signed logout token here when a person's session ends (OpenID Connect Back-Channel Logout)." error/>
                    <ValueField name="frontchannel_logout_uri" maxlength={limits::URI} label="Front-channel logout URI" kind="url" value=sent("frontchannel_logout_uri", c.metadata.frontchannel_logout_uri.clone().unwrap_or_default()) hint="Loaded in a hidden frame of the sign-out page (OpenID Connect Front-Channel Logout)." error/>
                    <label class="mb-4 flex items-center gap-2 text-sm"><input type="checkbox" name="frontchannel_logout_session_required" value="on" checked=ticked("frontchannel_logout_session_required", c.metadata.frontchannel_logout_session_required)/>"Add iss and sid to the front-channel logout URI"</label>
                    <fieldset class="mb-4" id="f-grant_types">
                        <legend class=LABEL>"Grant types"</legend>
                        <label class="mt-1 flex items-center gap-2 text-sm"><input type="checkbox" name="grant_refresh_token" value="on" checked=ticked("grant_refresh_token", c.metadata.allows(GrantType::RefreshToken))/>"Refresh tokens"</label>
                        {is_web.then(|| view! {
                            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_client_credentials" value="on" checked=ticked("grant_client_credentials", c.metadata.allows(GrantType::ClientCredentials))/>"Client credentials"</label>
                        })}
                        <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_device_code" value="on" checked=ticked("grant_device_code", c.metadata.allows(GrantType::DeviceCode))/>"Device code (TVs, command-line tools, agents)"</label>
                    </fieldset>
                })}
                {(is_web || is_service).then(|| view! {
                    <label class="mb-4 flex items-center gap-2 text-sm"><input type="checkbox" name="grant_token_exchange" value="on" checked=ticked("grant_token_exchange", c.metadata.allows(GrantType::TokenExchange))/>"Token exchange: act for a person toward another API (RFC 8693)"</label>
                })}
                <ValueField name="logo_uri" maxlength={limits::URI} label="Logo URI" kind="url" value=sent("logo_uri", c.metadata.logo_uri.clone().unwrap_or_default()) error/>
                <ValueField name="client_uri" maxlength={limits::URI} label="Home page URI" kind="url" value=sent("client_uri", c.metadata.client_uri.clone().unwrap_or_default()) error/>
                <ValueField name="policy_uri" maxlength={limits::URI} label="Privacy policy URI" kind="url" value=sent("policy_uri", c.metadata.policy_uri.clone().unwrap_or_default()) error/>
                <ValueField name="tos_uri" maxlength={limits::URI} label="Terms of service URI" kind="url" value=sent("tos_uri", c.metadata.tos_uri.clone().unwrap_or_default()) error/>
                <ValueField name="jwks_uri" maxlength={limits::URI} label="JWKS URI" kind="url" value=sent("jwks_uri", c.metadata.jwks_uri.clone().unwrap_or_default()) error/>
                <ListField name="jwks" maxlength={limits::JWKS_BYTES} label="JWKS (inline)" value=sent("jwks", c.metadata.jwks.as_ref().map(|v| v.to_string()).unwrap_or_default()) hint="Instead of a JWKS URI: your public keys as a JSON Web Key Set, {\"keys\": [ … ]} (RSA or EC, at most 10, no private parts). Used for private_key_jwt and signed request objects." error/>
                <ValueField name="sector_identifier_uri" maxlength={limits::URI} label="Sector identifier URI" kind="url" value=sent("sector_identifier_uri", c.metadata.sector_identifier_uri.clone().unwrap_or_default()) hint="Optional: an https address of a JSON list of all your redirect URIs. Its host is your app's sector for pairwise subjects, so apps on several hosts can share one. Portcullis fetches it when you save." error/>
                <ValueField name="contacts" maxlength={ limits::CONTACTS * (limits::EMAIL + 2) } label="Contacts" value=sent("contacts", c.metadata.contacts.join(", ")) hint="E-mail addresses, separated by spaces or commas." error/>
                <div class="mb-4 grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="f-id_token_alg" class=LABEL>"ID token signing"</label>
                        <select id="f-id_token_alg" name="id_token_alg" class=INPUT>
                            <option value="RS256" selected=c.metadata.id_token_signed_response_alg == SigningAlg::RS256>"RS256"</option>
                            <option value="ES256" selected=c.metadata.id_token_signed_response_alg == SigningAlg::ES256>"ES256"</option>
                        </select>
                    </div>
                    <div>
                        <label for="f-userinfo_alg" class=LABEL>"Userinfo response"</label>
                        <select id="f-userinfo_alg" name="userinfo_alg" class=INPUT>
                            <option value="" selected=c.metadata.userinfo_signed_response_alg.is_none()>"JSON"</option>
                            <option value="RS256" selected=c.metadata.userinfo_signed_response_alg == Some(SigningAlg::RS256)>"Signed JWT (RS256)"</option>
                            <option value="ES256" selected=c.metadata.userinfo_signed_response_alg == Some(SigningAlg::ES256)>"Signed JWT (ES256)"</option>
                        </select>
                    </div>
                </div>
                <h3 class="mb-3 mt-6 font-semibold">"Sign-in and tokens"</h3>
                <div class="mb-4">
                    {if is_native {
                        view! {
                            <p class=LABEL>"Token endpoint authentication"</p>
                            <p class="text-sm">"none (a native app cannot keep a secret or a key: it proves itself with PKCE)"</p>
                        }.into_any()
                    } else {
                        let auth = auth.clone();
                        view! {
                            <label for="f-auth_method" class=LABEL>"Token endpoint authentication"</label>
                            <select id="f-auth_method" name="auth_method" class=INPUT aria-describedby="f-auth_method-error"
                                aria-invalid=move || error().and_then(|e| e.field_message("token_endpoint_auth_method")).is_some().then_some("true")>
                                <option value="client_secret_basic" selected=auth == "client_secret_basic">"client_secret_basic (the secret in an HTTP Basic header)"</option>
                                <option value="client_secret_post" selected=auth == "client_secret_post">"client_secret_post (the secret in the form body)"</option>
                                <option value="private_key_jwt" selected=auth == "private_key_jwt">"private_key_jwt (a JWT signed with a key at your JWKS URI; no secret)"</option>
                            </select>
                            <p class="mt-1 text-xs text-slate-500">"private_key_jwt needs a JWKS URI, and ends the client's secrets. Switching back to a secret leaves the client without one until you rotate it on the client's page."</p>
                        }.into_any()
                    }}
                    <p id="f-auth_method-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("token_endpoint_auth_method"))}</p>
                </div>
                {
                    let assertion = sent("token_endpoint_auth_signing_alg", c.metadata.token_endpoint_auth_signing_alg.clone().unwrap_or_default());
                    let object = sent("request_object_signing_alg", c.metadata.request_object_signing_alg.clone().unwrap_or_default());
                    view! {
                        <div class="mb-4 grid gap-4 sm:grid-cols-2">
                            <div>
                                <label for="f-token_endpoint_auth_signing_alg" class=LABEL>"Client assertion algorithm"</label>
                                <select id="f-token_endpoint_auth_signing_alg" name="token_endpoint_auth_signing_alg" class=INPUT aria-describedby="f-token_endpoint_auth_signing_alg-error">
                                    <option value="" selected=assertion.is_empty()>"Any accepted (RS256, PS256, ES256)"</option>
                                    <option value="RS256" selected=assertion == "RS256">"RS256"</option>
                                    <option value="PS256" selected=assertion == "PS256">"PS256"</option>
                                    <option value="ES256" selected=assertion == "ES256">"ES256"</option>
                                </select>
                                <p id="f-token_endpoint_auth_signing_alg-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("token_endpoint_auth_signing_alg"))}</p>
                            </div>
                            <div>
                                <label for="f-request_object_signing_alg" class=LABEL>"Request object algorithm"</label>
                                <select id="f-request_object_signing_alg" name="request_object_signing_alg" class=INPUT aria-describedby="f-request_object_signing_alg-error">
                                    <option value="" selected=object.is_empty()>"Any accepted (RS256, PS256, ES256)"</option>
                                    <option value="RS256" selected=object == "RS256">"RS256"</option>
                                    <option value="PS256" selected=object == "PS256">"PS256"</option>
                                    <option value="ES256" selected=object == "ES256">"ES256"</option>
                                </select>
                                <p id="f-request_object_signing_alg-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("request_object_signing_alg"))}</p>
                            </div>
                        </div>
                        <p class="-mt-2 mb-4 text-xs text-slate-500">"Pin the one algorithm your app signs with: a JWT signed with any other is refused."</p>
                    }
                }
                {(!is_service).then(|| view! { <EncryptionFields m=c.metadata.clone() sent error/> })}
                {(!is_service).then(|| view! {
                    <div class="mb-4">
                        <label for="f-default_max_age" class=LABEL>"Maximum sign-in age (seconds; empty = no limit)"</label>
                        <input id="f-default_max_age" name="default_max_age" type="number" min={limits::MIN_DEFAULT_MAX_AGE.to_string()} max={limits::MAX_DEFAULT_MAX_AGE.to_string()} step="1"
                            value=sent("default_max_age", max_age.clone()) class=INPUT aria-describedby="f-default_max_age-error"
                            aria-invalid=move || error().and_then(|e| e.field_message("default_max_age")).is_some().then_some("true")/>
                        <p class="mt-1 text-xs text-slate-500">"A person who signed in longer ago than this signs in again before your app gets a code (60 seconds to one year). A request's own max_age wins."</p>
                        <p id="f-default_max_age-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("default_max_age"))}</p>
                    </div>
                    <label class="mb-1 flex items-center gap-2 text-sm"><input type="checkbox" name="require_auth_time" value="on" checked=ticked("require_auth_time", c.metadata.require_auth_time)/>"Require auth_time in ID tokens"</label>
                    <p class="mb-4 text-xs text-slate-500">"The ID token says when the person signed in. Portcullis always includes it; this records that your app relies on it."</p>
                    <label class="mb-1 flex items-center gap-2 text-sm"><input type="checkbox" name="require_pushed_authorization_requests" value="on" checked=ticked("require_pushed_authorization_requests", c.metadata.require_pushed_authorization_requests)/>"Require pushed authorization requests (PAR)"</label>
                    <p class="mb-4 text-xs text-slate-500">"Sign-in requests are accepted only after your server pushed them to /oauth/par, so nobody can alter them in the browser."</p>
                    <label class="mb-1 flex items-center gap-2 text-sm"><input id="f-persist_consent" type="checkbox" name="consent_every_time" value="on" checked=ticked("consent_every_time", !c.metadata.persist_consent)/>"Ask for consent every time"</label>
                    <p class="mb-4 text-xs text-slate-500">"People see the consent screen on every sign-in to your app, not only the first time."</p>
                    <div class="mb-4">
                        <label for="f-include_claims_in_id_token" class=LABEL>"Claims of the granted scopes"</label>
                        <select id="f-include_claims_in_id_token" name="include_claims_in_id_token" class=INPUT aria-describedby="f-include_claims_in_id_token-error"
                            aria-invalid=move || error().and_then(|e| e.field_message("include_claims_in_id_token")).is_some().then_some("true")>
                            <option value="yes" selected=claims_in_id_token>"In the ID token and at userinfo"</option>
                            <option value="no" selected=!claims_in_id_token>"Only at userinfo"</option>
                        </select>
                        <p class="mt-1 text-xs text-slate-500">"Only at userinfo keeps ID tokens small: they carry who signed in and when, plus the claims your app asks for in the claims parameter under id_token (OpenID Connect Core 5.4)."</p>
                        <p id="f-include_claims_in_id_token-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("include_claims_in_id_token"))}</p>
                    </div>
                })}
                <label class="mb-1 flex items-center gap-2 text-sm"><input type="checkbox" name="dpop_bound_access_tokens" value="on" checked=ticked("dpop_bound_access_tokens", c.metadata.dpop_bound_access_tokens)/>"Require DPoP-bound access tokens"</label>
                <p class="mb-4 text-xs text-slate-500">"Every token request must carry a DPoP proof, so a stolen access token is useless without your app's key."</p>
                {is_admin.then(|| view! { <AdminSettings c=c.clone() error/> })}
                <h2 class="mb-1 mt-6 font-semibold">"Changes that need approval"</h2>
                <p class="mb-3 text-sm text-slate-600">"Administrators review these; until then the client keeps its current settings. Turning the password grant off applies at once."</p>
                <div class="mb-4">
                    <label for="f-refresh_token_days" class=LABEL>"Refresh-token lifetime (days; empty = server default)"</label>
                    <input id="f-refresh_token_days" name="refresh_token_days" type="number" min="1" max="365" value=sent("refresh_token_days", refresh_days) class=INPUT/>
                    <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("refresh_token_ttl_secs").or_else(|| e.field_message("refresh_token_days")))}</p>
                </div>
                {(!is_service).then(|| {
                    let chosen = sent("subject_type", c.metadata.subject_type.as_str().to_owned());
                    view! {
                        <div class="mb-4">
                            <label for="f-subject_type" class=LABEL>"Subject identifiers"</label>
                            <select id="f-subject_type" name="subject_type" class=INPUT aria-describedby="f-subject_type-help f-subject_type-error"
                                aria-invalid=move || error().and_then(|e| e.field_message("subject_type")).is_some().then_some("true")>
                                <option value="public" selected=chosen == "public">"Public: the same user id every app sees"</option>
                                <option value="pairwise" selected=chosen == "pairwise">"Pairwise: an id for your app's sector alone"</option>
                            </select>
                            <p id="f-subject_type-help" class="mt-1 text-xs text-slate-500">"Pairwise ids stop apps of different sites from matching up the people they serve. Changing this gives every person a new id in your app, so it needs approval."</p>
                            <p id="f-subject_type-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("subject_type"))}</p>
                        </div>
                    }
                })}
                {(!is_service).then(|| view! {
                    <ValueField name="requestable_claims" maxlength=200 label="Individually requested claims" value=sent("requestable_claims", c.metadata.requestable_claims.join(" ")) hint="Claims your app may ask for one by one with the claims parameter beyond what its scopes release, separated by spaces: name, given_name, family_name, preferred_username, updated_at, email, email_verified. People see them on the consent page. Adding one needs approval; removing applies at once." error/>
                })}
                {is_web.then(|| view! {
                    <label class="mb-4 flex items-center gap-2 text-sm">
                        <input type="checkbox" name="password_grant" value="on" checked=ticked("password_grant", c.password_grant())/>
                        "Password grant (resource owner password credentials; tokens limited to 9 hours)"
                    </label>
                })}
                <label for="f-justification" class=LABEL>"Justification (required for changes that need approval)"</label>
                <textarea id="f-justification" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT>{sent("justification", String::new())}</textarea>
                <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("justification"))}</p>
                <div class="mt-4 flex gap-3">
                    <button type="submit" class=BUTTON>"Save"</button>
                    <a href=back class=BUTTON_SECONDARY>"Cancel"</a>
                </div>
            </ActionForm>
        </div>
    }
}
