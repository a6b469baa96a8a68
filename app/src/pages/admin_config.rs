//! Administrators' configuration pages: run-time settings and the API/scope
//! catalogue. Plain forms underneath, so they work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin_config::{
    get_catalogue, get_settings, AddApiScope, CreateApi, SaveSettings, SetIntrospectors,
    UpdateApiScope,
};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::panels::{admin_only, ErrorPanel};
use crate::error::AppError;
use crate::model::{human_duration, ApiView, CatalogueView, ScopeView, SettingsView};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";

/// The message under a field, when the error is about it.
fn field_error<F>(error: F, field: &'static str) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + Copy + 'static,
{
    view! {
        <p class="mt-1 text-sm text-red-700" data-testid=format!("error-{field}")>
            {move || error().and_then(|e| e.field_message(field))}
        </p>
    }
}

#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings · Admin · Portcullis"/>
        {admin_only("/admin/settings", || view! { <SettingsLoader/> })}
    }
}

#[component]
fn SettingsLoader() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_settings());
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Settings"</h1>
        <p class="mt-1 text-slate-600">"These apply to every server process at once (within the cache time) and override the settings file."</p>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <SettingsForm s save/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsForm(s: SettingsView, save: ServerAction<SaveSettings>) -> impl IntoView {
    let error = move || save.value().get().and_then(|r| r.err());
    let fields = vec![
        "access_token_secs",
        "refresh_token_hours",
        "default_client_lifetime_days",
        "default_client_scopes",
        "sandbox_scopes",
        "personal_token_max_days",
        "second_factor_roles",
        "terms_url",
        "terms_version",
    ];
    view! {
        <div class="mt-6 max-w-2xl">
            <FormError error fields/>
            <ActionForm action=save attr:class=CARD>
                <CsrfField/>
                <h2 class="font-semibold">"Applications"</h2>
                <label class="mt-3 flex items-start gap-2">
                    <input type="checkbox" name="third_party_oauth" value="on" checked=s.third_party_oauth class="mt-1" data-testid="third-party-switch"/>
                    <span>
                        <span class="font-medium">"Third-party applications may use OAuth"</span>
                        <span class="block text-sm text-slate-600">"When off, only applications marked first-party can sign people in or get tokens; others end on an error page."</span>
                    </span>
                </label>
                <label class="mt-3 flex items-start gap-2">
                    <input type="checkbox" name="allow_self_signup" value="on" checked=s.allow_self_signup class="mt-1"/>
                    <span>
                        <span class="font-medium">"Visitors may create their own accounts"</span>
                        <span class="block text-sm text-slate-600">
                            "Self sign-up creates end-user accounts. Settings file: " {if s.file_allow_self_signup { "on" } else { "off" }} "."
                        </span>
                    </span>
                </label>

                <label class="mt-3 flex items-start gap-2">
                    <input type="checkbox" name="require_dpop" value="on" checked=s.require_dpop class="mt-1" data-testid="require-dpop"/>
                    <span>
                        <span class="font-medium">"Every application must bind its tokens with DPoP"</span>
                        <span class="block text-sm text-slate-600">
                            "Token requests without a DPoP proof (RFC 9449) are refused, so a stolen token is useless without the application's key. Applications that do not support DPoP stop getting tokens. Settings file: " {if s.file_require_dpop { "on" } else { "off" }} "."
                        </span>
                    </span>
                </label>

                <h2 class="mt-6 font-semibold">"Token lifetimes"</h2>
                <p class="text-sm text-slate-600">"For new tokens; a client may have its own. Tokens already issued keep theirs."</p>
                <div class="mt-3">
                    <label for="f-access_token_secs" class=LABEL>"Access tokens (seconds, 60–3600)"</label>
                    <input id="f-access_token_secs" name="access_token_secs" type="number" min="60" max="3600" required=true
                        value=s.access_token_secs.to_string() class=INPUT/>
                    <p class="mt-1 text-xs text-slate-500">
                        "Now " {human_duration(s.access_token_secs)} "; settings file: " {human_duration(s.file_access_token_secs)} ". "
                        "An API that checks tokens offline cannot see revocation until a token expires, so keep this short."
                    </p>
                    {field_error(error, "access_token_secs")}
                </div>
                <div class="mt-3">
                    <label for="f-refresh_token_hours" class=LABEL>"Refresh tokens (hours, 1–8760)"</label>
                    <input id="f-refresh_token_hours" name="refresh_token_hours" type="number" min="1" max="8760" required=true
                        value=s.refresh_token_hours.to_string() class=INPUT/>
                    <p class="mt-1 text-xs text-slate-500">
                        "Now " {human_duration(s.refresh_token_hours * 3600)} "; settings file: " {human_duration(s.file_refresh_token_hours * 3600)} "."
                    </p>
                    {field_error(error, "refresh_token_hours")}
                </div>

                <fieldset class="mt-6" aria-describedby="h-second_factor_roles">
                    <legend class="font-semibold">"Two-step sign-in"</legend>
                    <input type="hidden" name="second_factor_roles_shown" value="on"/>
                    <p id="h-second_factor_roles" class="text-sm text-slate-600">
                        "Required of the people in the roles ticked: whoever has not set up an authenticator app does so at their next sign-in, and until then is signed out. They cannot turn it off; you can reset it on the Users page if they lose their phone."
                    </p>
                    {[("admin", "Administrators"), ("developer", "Developers"), ("user", "Everyone else (end users)")].into_iter().map(|(role, label)| {
                        let id = format!("f-second-factor-{role}");
                        let checked = s.second_factor_roles.iter().any(|r| r == role);
                        view! {
                            <div class="flex items-center gap-2 py-1">
                                <input type="checkbox" id=id.clone() name="second_factor_roles[]" value=role checked=checked class="h-6 w-6"/>
                                <label for=id class="text-sm">{label}</label>
                            </div>
                        }
                    }).collect_view()}
                    {field_error(error, "second_factor_roles")}
                </fieldset>

                <h2 class="mt-6 font-semibold">"Terms of use"</h2>
                <input type="hidden" name="terms_shown" value="on"/>
                <p id="h-terms" class="text-sm text-slate-600">
                    "When set, people accept these terms to create an account. Publishing a new version asks everyone to accept it at their next sign-in; their current sessions go on. Clear both fields to have no terms."
                </p>
                <div class="mt-3">
                    <label for="f-terms_url" class=LABEL>"Address of the terms (https://…)"</label>
                    <input id="f-terms_url" name="terms_url" type="url" maxlength="2048" value=s.terms_url.clone()
                        class=INPUT aria-describedby="h-terms" placeholder="https://example.com/terms"/>
                    {field_error(error, "terms_url")}
                </div>
                <div class="mt-3">
                    <label for="f-terms_version" class=LABEL>"Version"</label>
                    <input id="f-terms_version" name="terms_version" type="text" maxlength="64" value=s.terms_version.clone()
                        class=INPUT aria-describedby="h-terms" placeholder="2026-12"/>
                    {field_error(error, "terms_version")}
                </div>

                <h2 class="mt-6 font-semibold">"Personal access tokens"</h2>
                <div class="mt-3">
                    <label for="f-personal_token_max_days" class=LABEL>"A personal access token lives at most (days, 1–365)"</label>
                    <input id="f-personal_token_max_days" name="personal_token_max_days" type="number" min="1" max="365" required=true
                        value=s.personal_token_max_days.to_string() class=INPUT aria-describedby="h-personal_token_max_days"/>
                    <p id="h-personal_token_max_days" class="text-xs text-slate-500">"Lowering it also shortens the tokens people already made."</p>
                    {field_error(error, "personal_token_max_days")}
                </div>

                <h2 class="mt-6 font-semibold">"New clients"</h2>
                <div class="mt-3">
                    <label for="f-default_client_lifetime_days" class=LABEL>"Registrations expire after (days; 0 = never, up to 3650)"</label>
                    <input id="f-default_client_lifetime_days" name="default_client_lifetime_days" type="number" min="0" max="3650" required=true
                        value=s.default_client_lifetime_days.to_string() class=INPUT/>
                    {field_error(error, "default_client_lifetime_days")}
                </div>
                <fieldset class="mt-3">
                    <legend class=LABEL>"Scopes every new (non-service) client starts with"</legend>
                    <p class="text-xs text-slate-500">"Only scopes that need no approval can be given to everyone."</p>
                    {s.grantable.iter().map(|sc| {
                        let id = format!("default-{}", sc.name);
                        let checked = s.default_client_scopes.contains(&sc.name);
                        view! {
                            <div class="flex items-start gap-2 py-1">
                                <input type="checkbox" id=id.clone() name="default_client_scopes[]" value=sc.name.clone() checked=checked/>
                                <label for=id class="text-sm"><code class="font-mono">{sc.name.clone()}</code> " — " {sc.description.clone()}</label>
                            </div>
                        }
                    }).collect_view()}
                    {field_error(error, "default_client_scopes")}
                </fieldset>

                <h2 class="mt-6 font-semibold" id="stages">"Development and production"</h2>
                <input type="hidden" name="stages_shown" value="on"/>
                <label class="mt-3 flex items-start gap-2">
                    <input type="checkbox" name="new_clients_in_development" value="on" checked=s.new_clients_in_development class="mt-1 h-6 w-6 shrink-0" data-testid="new-clients-in-development"/>
                    <span>
                        <span class="font-medium">"New clients start in development"</span>
                        <span class="block text-sm text-slate-600">"A developer's new client admits only its team (owner and co-owners) until an administrator promotes it to production, through a request in the approval queue. Its refresh tokens last at most 7 days meanwhile. Clients registered by administrators start in production; existing clients keep their stage."</span>
                    </span>
                </label>
                <fieldset class="mt-3">
                    <legend class=LABEL>"Sandbox scopes: a client in development adds them without approval"</legend>
                    <p class="text-xs text-slate-500">"For test data and sandboxes. Only its team signs in to such a client, and its promotion is reviewed with every scope it holds. Service clients get these scopes' tokens without anyone signing in: choose only scopes that are safe for that."</p>
                    {if s.gated.is_empty() {
                        view! { <p class="text-sm text-slate-600">"No scope needs approval, so there is nothing to put in the sandbox."</p> }.into_any()
                    } else {
                        s.gated.iter().map(|sc| {
                            let id = format!("sandbox-{}", sc.name);
                            let checked = s.sandbox_scopes.contains(&sc.name);
                            view! {
                                <div class="flex items-start gap-2 py-1">
                                    <input type="checkbox" id=id.clone() name="sandbox_scopes[]" value=sc.name.clone() checked=checked class="h-6 w-6 shrink-0"/>
                                    <label for=id class="text-sm"><code class="font-mono">{sc.name.clone()}</code> " — " {sc.description.clone()}</label>
                                </div>
                            }
                        }).collect_view().into_any()
                    }}
                    {field_error(error, "sandbox_scopes")}
                </fieldset>
                <button type="submit" class=format!("{BUTTON} mt-6")>"Save settings"</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn AdminApisPage() -> impl IntoView {
    view! {
        <Title text="APIs and scopes · Admin · Portcullis"/>
        {admin_only("/admin/apis", || view! { <CatalogueLoader/> })}
    }
}

#[derive(Clone, Copy)]
struct CatalogueActions {
    create: ServerAction<CreateApi>,
    add: ServerAction<AddApiScope>,
    update: ServerAction<UpdateApiScope>,
    introspectors: ServerAction<SetIntrospectors>,
}

#[component]
fn CatalogueLoader() -> impl IntoView {
    let actions = CatalogueActions {
        create: ServerAction::<CreateApi>::new(),
        add: ServerAction::<AddApiScope>::new(),
        update: ServerAction::<UpdateApiScope>::new(),
        introspectors: ServerAction::<SetIntrospectors>::new(),
    };
    let catalogue = Resource::new(
        move || {
            actions.create.version().get()
                + actions.add.version().get()
                + actions.update.version().get()
                + actions.introspectors.version().get()
        },
        |_| get_catalogue(),
    );
    let error = move || {
        actions
            .create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| actions.add.value().get().and_then(|r| r.err()))
            .or_else(|| actions.update.value().get().and_then(|r| r.err()))
            .or_else(|| actions.introspectors.value().get().and_then(|r| r.err()))
    };
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"APIs and scopes"</h1>
        <p class="mt-1 text-slate-600">"Each scope's description is what people read on the consent screen and under My apps."</p>
        <div class="mt-4"><FormError error/></div>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match catalogue.await {
                    Ok(c) => view! { <Catalogue c actions/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Catalogue(c: CatalogueView, actions: CatalogueActions) -> impl IntoView {
    view! {
        {c.apis.into_iter().map(|api| view! { <ApiCard api actions/> }).collect_view()}
        <section class=format!("{CARD} mt-6")>
            <h2 class="text-lg font-semibold">"Register an API"</h2>
            <ActionForm action=actions.create attr:class="mt-3 grid gap-3 sm:max-w-md">
                <CsrfField/>
                <div>
                    <label for="api-name" class=LABEL>"Name"</label>
                    <input id="api-name" name="name" required=true maxlength={limits::API_NAME} class=INPUT/>
                </div>
                <div>
                    <label for="api-audience" class=LABEL>"Identifier (audience)"</label>
                    <input id="api-audience" name="audience" required=true maxlength={limits::URI} placeholder="https://api.example.edu/registrations" class=INPUT/>
                    <p class="mt-1 text-xs text-slate-500">"An absolute URI; tokens for this API carry it in aud."</p>
                </div>
                <button type="submit" class=BUTTON>"Create API"</button>
            </ActionForm>
        </section>
        <section class=format!("{CARD} mt-6") data-testid="openid-scopes">
            <h2 class="text-lg font-semibold">"OpenID Connect scopes"</h2>
            <p class="mt-1 text-sm text-slate-600">"Built in; their wording is fixed. Any but openid may need approval: a developer's request for it then waits for an administrator or its rule, and clients that hold it keep it."</p>
            <ul class="mt-2 divide-y divide-slate-100">
                {c.builtin.into_iter().map(|s| view! { <OpenIdScopeRow s actions/> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ApiCard(api: ApiView, actions: CatalogueActions) -> impl IntoView {
    let testid = format!("api-{}", api.name);
    let prefix = format!("new-scope-{}", api.id);
    let (resource_id, servers) = (api.id.clone(), api.introspectors.join(" "));
    let ids = format!("introspectors-{}", api.id);
    let help = format!("{ids}-help");
    view! {
        <section class=format!("{CARD} mt-6") data-testid=testid>
            <h2 class="text-lg font-semibold">{api.name.clone()}</h2>
            <p class="text-sm text-slate-600"><code class="font-mono">{api.audience.clone()}</code></p>
            {if api.scopes.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-600">"No scopes yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 divide-y divide-slate-100">
                        {api.scopes.into_iter().map(|s| view! { <ScopeRow s actions/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <ActionForm action=actions.add attr:class="mt-4 grid gap-2 border-t border-slate-100 pt-4 sm:grid-cols-2">
                <CsrfField/>
                <input type="hidden" name="resource_id" value=api.id.clone()/>
                <h3 class="font-semibold sm:col-span-2">"Add a scope"</h3>
                <div>
                    <label for=format!("{prefix}-name") class=LABEL>"Name"</label>
                    <input id=format!("{prefix}-name") name="name" required=true maxlength={limits::SCOPE_NAME} placeholder="registrations:read" class=INPUT/>
                </div>
                <div>
                    <label for=format!("{prefix}-description") class=LABEL>"Description (shown on consent screens)"</label>
                    <input id=format!("{prefix}-description") name="description" required=true maxlength={limits::SCOPE_DESCRIPTION} class=INPUT/>
                </div>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="requires_approval" value="on" checked=true/>
                    "Clients need an administrator's approval to get it"
                </label>
                <div><button type="submit" class=BUTTON_SECONDARY>"Add scope"</button></div>
            </ActionForm>
            <ActionForm action=actions.introspectors attr:class="mt-4 grid gap-2 border-t border-slate-100 pt-4">
                <CsrfField/>
                <input type="hidden" name="resource_id" value=resource_id/>
                <label for=ids.clone() class=LABEL>"Resource servers (client ids)"</label>
                <input id=ids name="introspectors" value=servers class=INPUT aria-describedby=help.clone()/>
                <p id=help class="text-xs text-slate-500">
                    "The confidential clients this API uses to introspect tokens. Besides a token's own client, only these learn what its tokens say."
                </p>
                <div><button type="submit" class=BUTTON_SECONDARY>"Save resource servers"</button></div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ScopeRow(s: ScopeView, actions: CatalogueActions) -> impl IntoView {
    let id = format!("scope-{}", s.name);
    let testid = id.clone();
    view! {
        <li class="py-3" data-testid=testid>
            <ActionForm action=actions.update attr:class="grid items-end gap-2 sm:grid-cols-[12rem_1fr_auto_auto]">
                <CsrfField/>
                <input type="hidden" name="name" value=s.name.clone()/>
                <code class="font-mono text-sm">{s.name.clone()}</code>
                <div>
                    <label for=format!("{id}-description") class="sr-only">"Description of " {s.name.clone()}</label>
                    <input id=format!("{id}-description") name="description" value=s.description.clone() required=true maxlength={limits::SCOPE_DESCRIPTION} class=INPUT/>
                </div>
                <label class="flex items-center gap-2 text-sm">
                    <input type="checkbox" name="requires_approval" value="on" checked=s.requires_approval/>
                    "Needs approval"
                </label>
                <button type="submit" class=BUTTON_SECONDARY>"Save"</button>
            </ActionForm>
        </li>
    }
}

/// A built-in OpenID scope: its fixed wording and, for all but `openid`, whether
/// clients need approval to get it.
#[component]
fn OpenIdScopeRow(s: ScopeView, actions: CatalogueActions) -> impl IntoView {
    let id = format!("scope-{}", s.name);
    let testid = id.clone();
    if s.name == "openid" {
        return view! {
            <li class="py-2 text-sm" data-testid=testid>
                <code class="font-mono">{s.name.clone()}</code> " — " {s.description.clone()}
                <span class="ml-1 rounded bg-slate-100 px-1 text-xs">"never needs approval"</span>
            </li>
        }
        .into_any();
    }
    let check = format!("{id}-approval");
    view! {
        <li class="py-2" data-testid=testid>
            <ActionForm action=actions.update attr:class="flex flex-wrap items-center gap-3 text-sm">
                <CsrfField/>
                <input type="hidden" name="name" value=s.name.clone()/>
                <span><code class="font-mono">{s.name.clone()}</code> " — " {s.description.clone()}</span>
                <span class="flex items-center gap-2">
                    <input type="checkbox" id=check.clone() name="requires_approval" value="on" checked=s.requires_approval/>
                    <label for=check>"Needs approval"</label>
                </span>
                <button type="submit" class=BUTTON_SECONDARY aria-label=format!("Save {}", s.name)>"Save"</button>
            </ActionForm>
        </li>
    }
    .into_any()
}
