//! `/admin/sign-in-providers`: the upstream OpenID providers people may
//! "Continue with" — the settings file's (read-only) and those added here —
//! with the addresses to register at a provider; `/admin/sign-in-providers/new`
//! adds one and `/admin/sign-in-providers/:id` changes or removes one. Plain
//! forms: everything works without JavaScript, and a refused form keeps what
//! was typed (but the secret).

use crate::components::forms::DANGER;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::admin_upstream::{
    admin_provider, admin_providers, AddProvider, ChangeProvider, ProviderView, RemoveProvider,
};
use crate::components::forms::{CsrfField, FormError, BUTTON, INPUT, LABEL};
use crate::components::panels::{admin_only, ErrorPanel};
use crate::error::AppError;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";

/// Every field the form can be refused on (shown beside it, and in the summary).
const FIELDS: [&str; 20] = [
    "id",
    "name",
    "issuer",
    "client_id",
    "client_auth",
    "client_secret",
    "scopes",
    "domains",
    "default_role",
    "username_claim",
    "display_name_claim",
    "given_name_claim",
    "family_name_claim",
    "email_claim",
    "role_claim",
    "admin_values",
    "developer_values",
    "timeout_secs",
    "provision",
    "trust_email",
];

/// The fields inside "Claims and roles".
const CLAIM_FIELDS: [&str; 9] = [
    "username_claim",
    "display_name_claim",
    "given_name_claim",
    "family_name_claim",
    "email_claim",
    "role_claim",
    "admin_values",
    "developer_values",
    "timeout_secs",
];

#[component]
pub fn AdminProvidersPage() -> impl IntoView {
    view! {
        <Title text="Sign-in providers · Admin · Portcullis"/>
        {admin_only("/admin/sign-in-providers", || view! { <ProviderList/> })}
    }
}

#[component]
fn ProviderList() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_providers());
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Sign-in providers"</h1>
        <p class="mt-1 max-w-2xl text-slate-600">
            "OpenID providers people may sign in with (\"Continue with …\" on the sign-in page). Changes reach every server process within moments."
        </p>
        <p class="mt-3"><a class=BUTTON href="/admin/sign-in-providers/new">"Add a provider"</a></p>
        <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                    Ok(v) => view! {
                        <section class=format!("{CARD} mt-6 max-w-3xl") aria-labelledby="register-h">
                            <h2 id="register-h" class="font-semibold">"What to register at a provider"</h2>
                            <dl class="mt-2 text-sm">
                                <dt class="font-medium text-slate-700">"Redirect URI"</dt>
                                <dd class="mb-2 break-all font-mono" data-testid="redirect-uri">{v.redirect_uri}</dd>
                                <dt class="font-medium text-slate-700">"JWKS URI (for private_key_jwt)"</dt>
                                <dd class="break-all font-mono" data-testid="jwks-uri">{v.jwks_uri}</dd>
                            </dl>
                        </section>
                        {if v.providers.is_empty() {
                            view! {
                                <p class="mt-6 text-slate-600" data-testid="no-providers">
                                    "No sign-in providers yet: people sign in with a username and password only."
                                </p>
                            }.into_any()
                        } else {
                            view! {
                                <ul class="mt-6 grid max-w-3xl gap-4" data-testid="providers">
                                    {v.providers.into_iter().map(|p| view! { <ProviderCard p/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProviderCard(p: ProviderView) -> impl IntoView {
    let domains = if p.domains.is_empty() {
        "none".to_owned()
    } else {
        p.domains.clone()
    };
    view! {
        <li class=CARD>
            <h2 class="text-lg font-semibold">{p.name.clone()}</h2>
            <dl class="mt-2 grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
                <dt class="text-slate-600">"Id"</dt><dd class="font-mono">{p.id.clone()}</dd>
                <dt class="text-slate-600">"Issuer"</dt><dd class="break-all font-mono">{p.issuer.clone()}</dd>
                <dt class="text-slate-600">"Client"</dt><dd class="break-all"><span class="font-mono">{p.client_id.clone()}</span>" ("{p.client_auth.clone()}")"</dd>
                <dt class="text-slate-600">"E-mail domains"</dt><dd>{domains}</dd>
                <dt class="text-slate-600">"People linked"</dt><dd>{p.linked}</dd>
            </dl>
            {if p.fixed {
                view! { <p class="mt-3 text-sm text-slate-600">"From the settings file: change it there."</p> }.into_any()
            } else {
                view! {
                    <p class="mt-3">
                        <a class=LINK href=format!("/admin/sign-in-providers/{}", p.id) aria-label=format!("Change {}", p.name)>"Change or remove"</a>
                    </p>
                }.into_any()
            }}
        </li>
    }
}

#[component]
pub fn NewProviderPage() -> impl IntoView {
    view! {
        <Title text="Add a sign-in provider · Admin · Portcullis"/>
        {admin_only("/admin/sign-in-providers/new", || view! { <NewProvider/> })}
    }
}

#[component]
fn NewProvider() -> impl IntoView {
    let add = ServerAction::<AddProvider>::new();
    let error = move || add.value().get().and_then(|r| r.err());
    let blank = ProviderView {
        client_auth: "client_secret_basic".into(),
        scopes: "profile email".into(),
        provision: true,
        default_role: "user".into(),
        timeout_secs: 10,
        ..Default::default()
    };
    view! {
        <p class="text-sm"><a class=LINK href="/admin/sign-in-providers">"← Sign-in providers"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Add a sign-in provider"</h1>
        <div class="mt-6 max-w-2xl">
            <FormError error fields=FIELDS.to_vec()/>
            <ActionForm action=add attr:class=CARD>
                <CsrfField/>
                <ProviderFields p=blank editing=false error/>
                <button type="submit" class=BUTTON disabled=move || add.pending().get()>"Add the provider"</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn EditProviderPage() -> impl IntoView {
    view! {
        <Title text="Sign-in provider · Admin · Portcullis"/>
        {admin_only("/admin/sign-in-providers", || view! { <EditProvider/> })}
    }
}

#[component]
fn EditProvider() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let provider = Resource::new(id, admin_provider);
    view! {
        <p class="text-sm"><a class=LINK href="/admin/sign-in-providers">"← Sign-in providers"</a></p>
        <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match provider.await {
                    Ok(p) => view! { <EditForms p/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditForms(p: ProviderView) -> impl IntoView {
    let change = ServerAction::<ChangeProvider>::new();
    let remove = ServerAction::<RemoveProvider>::new();
    let error = move || change.value().get().and_then(|r| r.err());
    let remove_error = move || remove.value().get().and_then(|r| r.err());
    let name = p.name.clone();
    let linked = p.linked;
    let (change_id, remove_id) = (p.id.clone(), p.id.clone());
    let heading = name.clone();
    let explained = format!(
        "People can no longer continue with {name}. The links of {linked} {} to it are removed too; anyone with no password and no other provider must reset their password by e-mail to sign in again.",
        if linked == 1 { "person" } else { "people" }
    );
    let (summary, confirm, button) = (
        format!("Remove {name}…"),
        format!("Yes, remove {name} and its links"),
        format!("Remove {name}"),
    );
    view! {
        <h1 class="mt-2 text-2xl font-semibold">{heading}</h1>
        <div class="mt-6 grid max-w-2xl gap-6">
            <div>
                <FormError error fields=FIELDS.to_vec()/>
                <ActionForm action=change attr:class=CARD>
                    <CsrfField/>
                    <input type="hidden" name="id" value=change_id/>
                    <ProviderFields p editing=true error/>
                    <button type="submit" class=BUTTON disabled=move || change.pending().get()>"Save changes"</button>
                </ActionForm>
            </div>
            <section class=CARD aria-labelledby="remove-h">
                <h2 id="remove-h" class="text-lg font-semibold">"Remove"</h2>
                <p class="mt-1 text-sm text-slate-700">{explained}</p>
                <FormError error=remove_error fields=vec!["confirm"]/>
                <details class="mt-3">
                    <summary class="cursor-pointer font-medium text-red-800">{summary}</summary>
                    <ActionForm action=remove attr:class="mt-3">
                        <CsrfField/>
                        <input type="hidden" name="id" value=remove_id/>
                        <div class="mb-3 flex items-center gap-2">
                            <input id="f-confirm" type="checkbox" name="confirm" value="on" required=true class="h-6 w-6"/>
                            <label for="f-confirm">{confirm}</label>
                        </div>
                        <p id="f-confirm-error" class="mb-2 text-sm text-red-700">{move || remove_error().and_then(|e| e.field_message("confirm"))}</p>
                        <button type="submit" class=DANGER>{button}</button>
                    </ActionForm>
                </details>
            </section>
        </div>
    }
}

/// The provider's fields; `editing`: its id and issuer are fixed and the secret
/// may stay empty (kept).
#[component]
fn ProviderFields<F>(p: ProviderView, editing: bool, error: F) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + Copy + 'static,
{
    // Without JavaScript a refused form comes back as a new page: what was typed.
    let sent =
        move |input: &str, stored: String| error().and_then(|e| e.sent(input)).unwrap_or(stored);
    let ticked = move |input: &str, stored: bool| {
        error()
            .and_then(|e| e.sent(input))
            .map_or(stored, |v| v == "on")
    };
    let message = move |field: &'static str| move || error().and_then(|e| e.field_message(field));
    let invalid = move |field: &'static str| {
        move || error().and_then(|e| e.field_message(field)).map(|_| "true")
    };
    let text = move |name: &'static str,
                     label: &'static str,
                     value: String,
                     hint: &'static str,
                     max: usize| {
        let id = format!("f-{name}");
        let err = format!("{id}-error");
        view! {
            <div class="mb-4">
                <label for=id.clone() class=LABEL>{label}</label>
                <input id=id name=name type="text" value=value maxlength=max class=INPUT
                    aria-invalid=invalid(name) aria-describedby=err.clone()/>
                {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
                <p id=err class="mt-1 text-sm text-red-700">{message(name)}</p>
            </div>
        }
    };
    let auth = sent("client_auth", p.client_auth.clone());
    let role = sent("default_role", p.default_role.clone());
    view! {
        {if editing {
            view! {
                <dl class="mb-4 text-sm">
                    <dt class="font-medium text-slate-700">"Id"</dt><dd class="mb-2 font-mono">{p.id.clone()}</dd>
                    <dt class="font-medium text-slate-700">"Issuer"</dt><dd class="break-all font-mono">{p.issuer.clone()}</dd>
                </dl>
                <p class="mb-4 text-xs text-slate-500">"The id and issuer never change: the people linked to this provider are its accounts at that issuer. To move to another issuer, add a new provider."</p>
            }.into_any()
        } else {
            view! {
                {text("id", "Id", sent("id", p.id.clone()), "In addresses and links: 1–32 of a–z, 0–9 and '-'. It never changes.", 32)}
                {text("issuer", "Issuer", sent("issuer", p.issuer.clone()), "Its discovery document must name exactly this issuer (https; http only for localhost).", 512)}
            }.into_any()
        }}
        {text("name", "Name", sent("name", p.name.clone()), "People read \"Continue with …\".", 60)}
        {text("client_id", "Client id", sent("client_id", p.client_id.clone()), "What the provider calls this server.", 255)}
        <fieldset class="mb-4" id="f-client_auth" aria-describedby="f-client_auth-error">
            <legend class=LABEL>"How this server authenticates to the provider"</legend>
            {[
                ("client_secret_basic", "Client secret (HTTP Basic)"),
                ("client_secret_post", "Client secret (in the request body)"),
                ("private_key_jwt", "Signed JWT (private_key_jwt): the provider reads this server's JWKS URI; no secret"),
            ].into_iter().map(|(value, label)| {
                let id = format!("f-client_auth-{value}");
                view! {
                    <div class="mt-1 flex items-center gap-2">
                        <input type="radio" id=id.clone() name="client_auth" value=value checked=auth == value class="h-6 w-6"/>
                        <label for=id>{label}</label>
                    </div>
                }
            }).collect_view()}
            <p id="f-client_auth-error" class="mt-1 text-sm text-red-700">{message("client_auth")}</p>
        </fieldset>
        <div class="mb-4">
            <label for="f-client_secret" class=LABEL>"Client secret"</label>
            <input id="f-client_secret" name="client_secret" type="password" autocomplete="off" maxlength=1024 class=INPUT
                aria-invalid=invalid("client_secret") aria-describedby="f-client_secret-error"/>
            <p class="mt-1 text-xs text-slate-500">
                {if editing { "Leave empty to keep the current secret. Never shown again; stored encrypted." } else { "Not needed for private_key_jwt. Never shown again; stored encrypted." }}
            </p>
            <p id="f-client_secret-error" class="mt-1 text-sm text-red-700">{message("client_secret")}</p>
        </div>
        {text("scopes", "Scopes besides openid", sent("scopes", p.scopes.clone()), "Separated by spaces.", 2000)}
        {text("domains", "E-mail domains", sent("domains", p.domains.clone()), "People whose address ends in one of these go straight to this provider (\"Work or school e-mail\"). Separated by spaces; each domain goes to one provider.", 2000)}
        <div class="mb-4 flex items-start gap-2">
            <input id="f-provision" type="checkbox" name="provision" value="on" checked=ticked("provision", p.provision) class="mt-1 h-6 w-6"/>
            <label for="f-provision">"Make an account at a person's first sign-in (off: only people already linked)"</label>
        </div>
        <div class="mb-4">
            <label for="f-default_role" class=LABEL>"Role of a new account"</label>
            <select id="f-default_role" name="default_role" class=INPUT aria-describedby="f-default_role-error">
                {[("user", "User"), ("developer", "Developer"), ("admin", "Administrator")].into_iter().map(|(v, l)| view! {
                    <option value=v selected=role == v>{l}</option>
                }).collect_view()}
            </select>
            <p id="f-default_role-error" class="mt-1 text-sm text-red-700">{message("default_role")}</p>
        </div>
        <div class="mb-4 flex items-start gap-2">
            <input id="f-trust_email" type="checkbox" name="trust_email" value="on" checked=ticked("trust_email", p.trust_email) class="mt-1 h-6 w-6"/>
            <label for="f-trust_email">"Count every address this provider gives as verified (only for a provider that checks them all)"</label>
        </div>
        // Open when one of its fields was refused, so the message is in view.
        <details class="mb-4" open=move || error().is_some_and(|e| CLAIM_FIELDS.iter().any(|f| e.field_message(f).is_some()))>
            <summary class="cursor-pointer font-medium">"Claims and roles"</summary>
            <div class="mt-3">
                {text("username_claim", "Username claim", sent("username_claim", p.username_claim.clone()), "Empty: preferred_username.", 100)}
                {text("display_name_claim", "Display name claim", sent("display_name_claim", p.display_name_claim.clone()), "Empty: name.", 100)}
                {text("given_name_claim", "Given name claim", sent("given_name_claim", p.given_name_claim.clone()), "Empty: given_name.", 100)}
                {text("family_name_claim", "Family name claim", sent("family_name_claim", p.family_name_claim.clone()), "Empty: family_name.", 100)}
                {text("email_claim", "E-mail claim", sent("email_claim", p.email_claim.clone()), "Empty: email (its verification: email_verified, or this claim's name with _verified).", 100)}
                {text("role_claim", "Role claim", sent("role_claim", p.role_claim.clone()), "A claim whose values give roles at every sign-in (e.g. groups). Empty: administrators set roles here.", 100)}
                {text("admin_values", "Values that make an administrator", sent("admin_values", p.admin_values.clone()), "Separated by spaces.", 4000)}
                {text("developer_values", "Values that make a developer", sent("developer_values", p.developer_values.clone()), "Separated by spaces.", 4000)}
                {text("timeout_secs", "Timeout (seconds)", sent("timeout_secs", p.timeout_secs.to_string()), "Each request to the provider gives up after this long: 1–60.", 2)}
            </div>
        </details>
        <p class="mb-4 text-sm text-slate-600">"Saving reads the provider's discovery document: it must answer."</p>
    }
}
