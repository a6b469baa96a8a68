//! The developer portal (seed 001): my clients, create, view, edit, rotate the
//! secret, delete, request scopes and extensions, my requests. Every form is a
//! plain HTML form underneath, so the portal works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::portal::{
    get_client, list_clients, list_notifications, list_requests, CreateClient, DeleteClient,
    MarkAllRead, RequestExtension, RequestScopes, RotateSecret, SetClientEnabled, UpdateClient,
};
use crate::api::portal_admin::{RemoveScope, SetClientExpiry};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::error::AppError;
use crate::model::{ClientDetail, ClientPage, ClientView, Expiry, RequestPage, RequestView};
use crate::pages::home::{signed_in_or_prompt, ErrorPanel};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const DANGER: &str = "inline-flex items-center rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";

fn query_u64(key: &'static str) -> impl Fn() -> u64 + Copy {
    let q = use_query_map();
    move || q.read().get(key).and_then(|v| v.parse().ok()).unwrap_or(1)
}

fn query_str(key: &'static str) -> impl Fn() -> String + Copy {
    let q = use_query_map();
    move || q.read().get(key).unwrap_or_default()
}

/// The registration expiry, red when under 30 days away (seed 001).
#[component]
pub fn ExpiryBadge(client: ClientView) -> impl IntoView {
    match (client.expiry, client.expires.clone()) {
        (Expiry::Never, _) | (_, None) => view! { <span class="text-slate-500">"Never"</span> }.into_any(),
        (Expiry::Expired, Some(d)) => view! {
            <span class="font-semibold text-red-700" data-testid="expiry" data-expiry="expired">"Expired " {d}</span>
        }
        .into_any(),
        (Expiry::Soon, Some(d)) => {
            let days = client.days_left.unwrap_or(0);
            view! {
                <span class="font-semibold text-red-700" data-testid="expiry" data-expiry="soon">
                    {d} " (" {days} {if days == 1 { " day left" } else { " days left" }} ")"
                </span>
            }
            .into_any()
        }
        (Expiry::Ok, Some(d)) => view! { <span data-testid="expiry" data-expiry="ok">{d}</span> }.into_any(),
    }
}

#[component]
pub fn Pagination(page: u64, pages: u64, link: impl Fn(u64) -> String + 'static) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="mt-4 flex items-center gap-4 text-sm" aria-label="Pagination">
                {(page > 1).then(|| view! { <a class=LINK href=link(page - 1)>"← Previous"</a> })}
                <span>"Page " {page} " of " {pages}</span>
                {(page < pages).then(|| view! { <a class=LINK href=link(page + 1)>"Next →"</a> })}
            </nav>
        }
    })
}

/// My clients (developers), or all clients (administrators, `all`).
#[component]
pub fn ClientList(all: bool) -> impl IntoView {
    let search = query_str("search");
    let sort = query_str("sort");
    let page = query_u64("page");
    let clients = Resource::new(
        move || (search(), sort(), page()),
        move |(s, o, p)| list_clients(s, o, p, all),
    );
    let base = if all { "/admin/clients" } else { "/developer" };
    view! {
        <form method="get" action=base class="mt-6 flex flex-wrap items-end gap-2" role="search">
            <div>
                <label for="client-search" class=LABEL>"Search"</label>
                <input id="client-search" name="search" type="search" maxlength={limits::SEARCH} placeholder="Name or client id" class=INPUT value=search/>
            </div>
            <div>
                <label for="client-sort" class=LABEL>"Sort by"</label>
                <select id="client-sort" name="sort" class=INPUT>
                    <option value="name" selected=move || sort() == "name" || sort().is_empty()>"Name"</option>
                    <option value="created" selected=move || sort() == "created">"Newest first"</option>
                    <option value="expiry" selected=move || sort() == "expiry">"Expiring soonest"</option>
                </select>
            </div>
            <button type="submit" class=BUTTON_SECONDARY>"Apply"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match clients.await {
                    Ok(p) => view! { <ClientTable p all base/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ClientTable(p: ClientPage, all: bool, base: &'static str) -> impl IntoView {
    if p.clients.is_empty() {
        let text = if !p.search.is_empty() {
            format!("No clients match “{}”.", p.search)
        } else if all {
            "No clients are registered yet.".to_owned()
        } else {
            "You have no OAuth clients yet.".to_owned()
        };
        return view! {
            <div class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center" data-testid="empty-clients">
                <p class="font-medium">{text}</p>
                {(!all).then(|| view! {
                    <p class="mt-1 text-sm text-slate-600">"Register a client to let your application sign people in or call an API."</p>
                    <a href="/developer/clients/new" class=format!("{BUTTON} mt-4")>"Register a client"</a>
                })}
            </div>
        }
        .into_any();
    }
    let (search, sort) = (p.search.clone(), p.sort.clone());
    let link = move |n: u64| format!("{base}?search={search}&sort={sort}&page={n}");
    view! {
        <p class="mt-4 text-sm text-slate-600">
            {if p.total == 1 { "1 client".to_owned() } else { format!("{} clients", p.total) }}
        </p>
        <div class="mt-2 overflow-x-auto">
        <table class="w-full border-collapse rounded-lg bg-white text-left text-sm shadow-sm">
            <thead class="bg-slate-100 text-slate-700">
                <tr>
                    <th scope="col" class="px-3 py-2">"Name"</th>
                    <th scope="col" class="px-3 py-2">"Client id"</th>
                    <th scope="col" class="px-3 py-2">"Type"</th>
                    <th scope="col" class="px-3 py-2">"Status"</th>
                    <th scope="col" class="px-3 py-2">"Scopes"</th>
                    <th scope="col" class="px-3 py-2">"Expires"</th>
                    {all.then(|| view! { <th scope="col" class="px-3 py-2">"Owner"</th> })}
                </tr>
            </thead>
            <tbody>
                {p.clients.into_iter().map(|c| {
                    let href = format!("/developer/clients/{}", c.id);
                    let testid = format!("client-{}", c.name);
                    view! {
                        <tr class="border-t border-slate-200" data-testid=testid>
                            <td class="px-3 py-2 font-medium"><a class=LINK href=href>{c.name.clone()}</a>
                                <crate::pages::admin_portal::NameWarnings warnings=c.name_warnings.clone()/></td>
                            <td class="px-3 py-2 font-mono text-xs">{c.id.clone()}</td>
                            <td class="px-3 py-2">{c.type_label()}</td>
                            <td class="px-3 py-2">{c.status_label()}</td>
                            <td class="px-3 py-2">{if c.scopes.is_empty() { "none".to_owned() } else { c.scopes.join(" ") }}</td>
                            <td class="px-3 py-2"><ExpiryBadge client=c.clone()/></td>
                            {all.then(|| view! { <td class="px-3 py-2">{c.owner.clone().unwrap_or_else(|| "—".into())}</td> })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
        <Pagination page=p.page pages=p.pages link/>
    }
    .into_any()
}

#[component]
pub fn DeveloperPage() -> impl IntoView {
    view! {
        <Title text="My clients · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer", |user, _| {
            if !user.can_develop() {
                return view! { <ErrorPanel error=AppError::Forbidden/> }.into_any();
            }
            view! {
                <div class="flex flex-wrap items-center gap-4">
                    <h1 class="text-2xl font-semibold">"My clients"</h1>
                    <a href="/developer/clients/new" class=format!("{BUTTON} ml-auto")>"Register a client"</a>
                    <a href="/developer/requests" class=BUTTON_SECONDARY>"My requests"</a>
                </div>
                <ClientList all=false/>
            }.into_any()
        })}
    }
}

/// Text area for a list (one entry per line).
#[component]
fn ListField<F>(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    #[prop(optional)] value: String,
    /// The most characters the whole list may take (entries × their bound).
    maxlength: usize,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let message = move || error().and_then(|e| e.field_message(name));
    view! {
        <div class="mb-4">
            <label for=id.clone() class=LABEL>{label}</label>
            <textarea id=id name=name rows="3" maxlength=maxlength class=INPUT aria-describedby=err_id.clone()
                aria-invalid=move || message().is_some().then_some("true")>{value}</textarea>
            <p class="mt-1 text-xs text-slate-500">{hint}</p>
            <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}

/// A text input with a preset value and its own error.
#[component]
fn ValueField<F>(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] value: String,
    #[prop(optional)] hint: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    maxlength: usize,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let message = move || error().and_then(|e| e.field_message(name));
    view! {
        <div class="mb-4">
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=name type=kind value=value required=required maxlength=maxlength class=INPUT aria-describedby=err_id.clone()
                aria-invalid=move || message().is_some().then_some("true")/>
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
            <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}

const FIELDS: [&str; 14] = [
    "name",
    "description",
    "application_type",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "token_endpoint_auth_method",
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "jwks_uri",
    "contacts",
    "allowed_email_domains",
];

#[component]
pub fn NewClientPage() -> impl IntoView {
    view! {
        <Title text="Register a client · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer/clients/new", |user, _| {
            if !user.can_develop() {
                return view! { <ErrorPanel error=AppError::Forbidden/> }.into_any();
            }
            view! { <NewClientForm/> }.into_any()
        })}
    }
}

#[component]
fn NewClientForm() -> impl IntoView {
    let create = ServerAction::<CreateClient>::new();
    let error = move || create.value().get().and_then(|r| r.err());
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
                <ValueField name="name" maxlength={limits::CLIENT_NAME} label="Name" required=true hint="Shown to people on the consent screen." error/>
                <ValueField name="description" maxlength={limits::CLIENT_DESCRIPTION} label="Description" error/>
                <fieldset class="mb-4">
                    <legend class=LABEL>"Application type"</legend>
                    <div class="mt-1 space-y-1 text-sm">
                        <label class="flex items-start gap-2"><input type="radio" name="application_type" value="web" checked=true/>
                            <span><strong>"Web application"</strong>" — runs on a server and can keep a secret."</span></label>
                        <label class="flex items-start gap-2"><input type="radio" name="application_type" value="native"/>
                            <span><strong>"Native or single-page app"</strong>" — public: no secret, PKCE only."</span></label>
                        <label class="flex items-start gap-2"><input type="radio" name="application_type" value="service"/>
                            <span><strong>"Service"</strong>" — machine to machine (client credentials), acts for nobody."</span></label>
                    </div>
                </fieldset>
                <ListField name="redirect_uris" maxlength={ limits::REDIRECT_URIS * (limits::URI + 2) } label="Redirect URIs" hint="One per line. https required (http only for 127.0.0.1, [::1] or localhost); no fragments; matched exactly. Not used by service clients." error/>
                <ListField name="post_logout_redirect_uris" maxlength={ limits::POST_LOGOUT_REDIRECT_URIS * (limits::URI + 2) } label="Post-logout redirect URIs" hint="One per line, same rules." error/>
                <fieldset class="mb-4">
                    <legend class=LABEL>"Grant types"</legend>
                    <p class="text-xs text-slate-500">"Authorization code (with PKCE) is always on for web and native clients; service clients use client credentials only. The password grant needs an administrator's approval."</p>
                    <label class="mt-1 flex items-center gap-2 text-sm"><input type="checkbox" name="grant_refresh_token" value="on" checked=true/>"Refresh tokens"</label>
                    <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_client_credentials" value="on"/>"Client credentials (web clients)"</label>
                </fieldset>
                <div class="mb-4">
                    <label for="f-auth_method" class=LABEL>"Token endpoint authentication"</label>
                    <select id="f-auth_method" name="auth_method" class=INPUT>
                        <option value="">"Default for the type"</option>
                        <option value="client_secret_basic">"client_secret_basic (HTTP Basic)"</option>
                        <option value="client_secret_post">"client_secret_post (form body)"</option>
                        <option value="none">"none (public clients)"</option>
                    </select>
                    <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("token_endpoint_auth_method"))}</p>
                </div>
                <ValueField name="logo_uri" maxlength={limits::URI} label="Logo URI" kind="url" error/>
                <ValueField name="client_uri" maxlength={limits::URI} label="Home page URI" kind="url" error/>
                <ValueField name="policy_uri" maxlength={limits::URI} label="Privacy policy URI" kind="url" error/>
                <ValueField name="tos_uri" maxlength={limits::URI} label="Terms of service URI" kind="url" error/>
                <ValueField name="jwks_uri" maxlength={limits::URI} label="JWKS URI" kind="url" error/>
                <ValueField name="contacts" maxlength={ limits::CONTACTS * (limits::EMAIL + 2) } label="Contacts" hint="E-mail addresses, separated by spaces or commas." error/>
                <ValueField name="allowed_email_domains" maxlength={ limits::EMAIL_DOMAINS * (limits::DOMAIN_NAME + 2) } label="Allowed e-mail domains" hint="Optional: tokens are only issued for people with these e-mail domains (e.g. example.edu). Empty means anyone." error/>
                <button type="submit" class=BUTTON disabled=move || create.pending().get()>"Register"</button>
            </ActionForm>
        </div>
    }
}

fn client_id_param() -> impl Fn() -> String + Copy {
    let params = use_params_map();
    move || params.read().get("id").unwrap_or_default()
}

#[component]
pub fn ClientDetailPage() -> impl IntoView {
    view! {
        <Title text="Client · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer", |_, _| view! { <ClientDetailLoader/> })}
    }
}

#[component]
fn ClientDetailLoader() -> impl IntoView {
    let id = client_id_param();
    let notice = query_str("notice");
    let detail = Resource::new(move || (id(), notice()), |(id, _)| get_client(id));
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ClientDetailView d/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Dl(label: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! {
        <div class="py-2 sm:grid sm:grid-cols-3 sm:gap-4">
            <dt class="text-sm font-medium text-slate-600">{label}</dt>
            <dd class="mt-1 text-sm sm:col-span-2 sm:mt-0 break-words">{value}</dd>
        </div>
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.join(", ")
    }
}

#[component]
fn SecretOnce(secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let s = secret.clone();
    view! {
        <section role="status" class="mb-6 rounded-lg border-2 border-amber-400 bg-amber-50 p-5" data-testid="secret-once">
            <h2 class="font-semibold text-amber-900">"Your client secret — copy it now"</h2>
            <p class="mt-1 text-sm text-amber-900">"This is the only time it is shown. Portcullis keeps only a hash; if you lose it, rotate the secret."</p>
            <div class="mt-3 flex gap-2">
                <label for="new-secret" class="sr-only">"Client secret"</label>
                <input id="new-secret" readonly=true value=secret class=format!("{INPUT} font-mono") data-testid="secret-value"/>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| {
                    copy_to_clipboard(&s);
                    copied.set(true);
                }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(s: &str) {
    let _ = window().navigator().clipboard().write_text(s);
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_: &str) {}

#[component]
fn ClientDetailView(d: ClientDetail) -> impl IntoView {
    let c = d.client.clone();
    let rotate = ServerAction::<RotateSecret>::new();
    let delete = ServerAction::<DeleteClient>::new();
    let enable = ServerAction::<SetClientEnabled>::new();
    let scopes_req = ServerAction::<RequestScopes>::new();
    let extend = ServerAction::<RequestExtension>::new();
    let remove_scope = ServerAction::<RemoveScope>::new();
    let set_expiry = ServerAction::<SetClientExpiry>::new();
    let err = move || {
        rotate
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| enable.value().get().and_then(|r| r.err()))
            .or_else(|| remove_scope.value().get().and_then(|r| r.err()))
            .or_else(|| set_expiry.value().get().and_then(|r| r.err()))
    };
    let delete_err = move || delete.value().get().and_then(|r| r.err());
    let scopes_err = move || scopes_req.value().get().and_then(|r| r.err());
    let extend_err = move || extend.value().get().and_then(|r| r.err());
    let edit_href = format!("/developer/clients/{}/edit", c.id);
    let id = c.id.clone();
    let show_secret = d.new_secret.clone();
    let missing_secret = move || {
        let q = use_query_map();
        let n = q.read().get("notice").unwrap_or_default();
        (n == "client_created" || n == "secret_rotated") && show_secret.is_none()
    };
    let is_public = c.is_public();
    view! {
        <p class="text-sm"><a class=LINK href="/developer">"← My clients"</a></p>
        <div class="mt-2 flex flex-wrap items-center gap-3">
            {c.logo_uri.clone().map(|l| view! { <img src=l alt="" class="h-10 w-10 rounded object-contain"/> })}
            <h1 class="text-2xl font-semibold" data-testid="client-name">{c.name.clone()}</h1>
            <span class=if c.disabled { "rounded bg-red-100 px-2 py-0.5 text-sm text-red-800" } else { "rounded bg-emerald-100 px-2 py-0.5 text-sm text-emerald-800" }
                data-testid="client-status">{c.status_label()}</span>
            <a href=edit_href class=format!("{BUTTON_SECONDARY} ml-auto")>"Edit"</a>
        </div>
        <p class="mt-1 text-slate-600">{c.description.clone()}</p>
        <div class="mt-4"><FormError error=err/></div>
        {d.new_secret.clone().map(|s| view! { <SecretOnce secret=s/> })}
        {move || missing_secret().then(|| view! {
            <p role="alert" class="mb-6 rounded border border-amber-300 bg-amber-50 p-4 text-amber-900">
                "The secret could not be shown on this page (it is shown only once, to the browser that asked for it). If you did not copy it, rotate the secret below."
            </p>
        })}

        <section class=format!("{CARD} mt-4")>
            <h2 class="text-lg font-semibold">"Details"</h2>
            <dl class="mt-2 divide-y divide-slate-100">
                <div class="py-2 sm:grid sm:grid-cols-3 sm:gap-4">
                    <dt class="text-sm font-medium text-slate-600">"Client id"</dt>
                    <dd class="mt-1 text-sm sm:col-span-2 sm:mt-0"><code class="font-mono" data-testid="client-id">{c.id.clone()}</code></dd>
                </div>
                <Dl label="Type" value=c.type_label()/>
                <Dl label="Token endpoint authentication" value=c.auth_method.clone()/>
                <Dl label="Grant types" value=list_or_none(&c.grant_types)/>
                <Dl label="Redirect URIs" value=list_or_none(&c.redirect_uris)/>
                <Dl label="Post-logout redirect URIs" value=list_or_none(&c.post_logout_redirect_uris)/>
                <Dl label="Home page" value=c.client_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Privacy policy" value=c.policy_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Terms of service" value=c.tos_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="JWKS URI" value=c.jwks_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Contacts" value=list_or_none(&c.contacts)/>
                <Dl label="Allowed e-mail domains" value=if c.allowed_email_domains.is_empty() { "any".to_owned() } else { c.allowed_email_domains.join(", ") }/>
                <Dl label="ID token signing" value=c.id_token_alg.clone()/>
                <Dl label="Userinfo response" value=c.userinfo_alg.clone().map(|a| format!("signed JWT ({a})")).unwrap_or_else(|| "JSON".into())/>
                <Dl label="Refresh-token lifetime" value=c.refresh_token_ttl_secs.map(|s| format!("{} days", s / 86_400)).unwrap_or_else(|| "server default".into())/>
                <Dl label="Owner" value=c.owner.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Created" value=c.created.clone()/>
                <div class="py-2 sm:grid sm:grid-cols-3 sm:gap-4">
                    <dt class="text-sm font-medium text-slate-600">"Registration expires"</dt>
                    <dd class="mt-1 text-sm sm:col-span-2 sm:mt-0"><ExpiryBadge client=c.clone()/></dd>
                </div>
            </dl>
        </section>

        <section class=format!("{CARD} mt-6") id="scopes">
            <h2 class="text-lg font-semibold">"Scopes"</h2>
            {if d.scopes.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600" data-testid="no-scopes">"This client has no scopes yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-100" data-testid="client-scopes">
                        {d.scopes.iter().cloned().map(|s| {
                            let id = id.clone();
                            view! {
                                <li class="flex items-center gap-3 py-2">
                                    <code class="font-mono text-sm">{s.name.clone()}</code>
                                    <span class="text-sm text-slate-600">{s.description.clone()}</span>
                                    <ActionForm action=remove_scope attr:class="ml-auto">
                                        <CsrfField/>
                                        <input type="hidden" name="id" value=id/>
                                        <input type="hidden" name="scope" value=s.name.clone()/>
                                        <button type="submit" class=BUTTON_SECONDARY aria-label=format!("Remove {}", s.name)>"Remove"</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3 class="mt-6 font-semibold">"Request more scopes"</h3>
            {if d.requestable.is_empty() {
                view! { <p class="mt-1 text-sm text-slate-600">"There are no other scopes to request."</p> }.into_any()
            } else {
                let id = id.clone();
                view! {
                    <FormError error=scopes_err fields=vec!["justification"]/>
                    <ActionForm action=scopes_req attr:class="mt-2">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <fieldset>
                            <legend class="sr-only">"Scopes to request"</legend>
                            {d.requestable.iter().map(|s| {
                                let cid = format!("req-{}", s.name);
                                view! {
                                    <div class="flex items-start gap-2 py-1">
                                        <input type="checkbox" id=cid.clone() name="scopes[]" value=s.name.clone()/>
                                        <label for=cid class="text-sm">
                                            <code class="font-mono">{s.name.clone()}</code> " — " {s.description.clone()}
                                            {s.api.clone().map(|a| view! { <span class="text-slate-500">" (" {a} ")"</span> })}
                                            {(!s.requires_approval).then(|| view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs">"no approval needed"</span> })}
                                        </label>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                        <label for="scopes-justification" class=format!("{LABEL} mt-3")>"Why does the client need them?"</label>
                        <textarea id="scopes-justification" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT required=true></textarea>
                        <p class="mt-1 text-sm text-red-700">{move || scopes_err().and_then(|e| e.field_message("justification"))}</p>
                        <button type="submit" class=format!("{BUTTON} mt-3")>"Request scopes"</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>

        <section class=format!("{CARD} mt-6")>
            <h2 class="text-lg font-semibold">"Registration expiry"</h2>
            <p class="mt-1 text-sm">"Expires: " <ExpiryBadge client=c.clone()/></p>
            {c.expires.is_some().then(|| {
                let id = id.clone();
                view! {
                    <FormError error=extend_err fields=vec!["expires", "justification"]/>
                    <ActionForm action=extend attr:class="mt-3 grid gap-2 sm:max-w-md">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <label for="ext-date" class=LABEL>"Extend until"</label>
                        <input id="ext-date" type="date" name="expires" class=INPUT required=true/>
                        <p class="text-sm text-red-700">{move || extend_err().and_then(|e| e.field_message("expires"))}</p>
                        <label for="ext-why" class=LABEL>"Justification"</label>
                        <textarea id="ext-why" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT required=true></textarea>
                        <p class="text-sm text-red-700">{move || extend_err().and_then(|e| e.field_message("justification"))}</p>
                        <button type="submit" class=BUTTON>"Request an extension"</button>
                    </ActionForm>
                }
            })}
            {d.viewer_is_admin.then(|| {
                let id = id.clone();
                view! {
                    <ActionForm action=set_expiry attr:class="mt-4 flex flex-wrap items-end gap-2 border-t border-slate-100 pt-4">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <div>
                            <label for="admin-expiry" class=LABEL>"Administrator: set expiry (empty = never)"</label>
                            <input id="admin-expiry" type="date" name="expires" class=INPUT/>
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY>"Set expiry"</button>
                    </ActionForm>
                }
            })}
        </section>

        {(!is_public).then(|| {
            let id = id.clone();
            view! {
                <section class=format!("{CARD} mt-6")>
                    <h2 class="text-lg font-semibold">"Client secret"</h2>
                    <p class="mt-1 text-sm text-slate-600">"Rotating creates a new secret, shown once. The old one keeps working for the overlap you choose, so you can deploy the new one without downtime."</p>
                    <ActionForm action=rotate attr:class="mt-3 flex flex-wrap items-end gap-2">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <div>
                            <label for="overlap" class=LABEL>"The old secret keeps working for"</label>
                            <select id="overlap" name="overlap" class=INPUT>
                                <option value="none">"No overlap: it stops now"</option>
                                <option value="1h">"1 hour"</option>
                                <option value="24h" selected=true>"24 hours"</option>
                                <option value="7d">"7 days"</option>
                            </select>
                        </div>
                        <button type="submit" class=BUTTON>"Rotate secret"</button>
                    </ActionForm>
                </section>
            }
        })}

        <section class=format!("{CARD} mt-6")>
            <h2 class="text-lg font-semibold">{if c.disabled { "Enable" } else { "Disable" }}</h2>
            {
                let id = id.clone();
                let disabled = c.disabled;
                let admin = d.viewer_is_admin;
                view! {
                    <p class="mt-1 text-sm text-slate-600">{match (disabled, admin) {
                        (false, _) => "A disabled client gets no tokens. You can ask for it to be enabled again.",
                        (true, true) => "Enabling lets the client get tokens again.",
                        (true, false) => "Enabling a disabled client needs an administrator's approval: say why.",
                    }}</p>
                    <ActionForm action=enable attr:class="mt-3 grid gap-2 sm:max-w-md">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="enabled" value=disabled.to_string()/>
                        <label for="enable-why" class=LABEL>{if disabled { "Justification" } else { "Reason (optional)" }}</label>
                        <textarea id="enable-why" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT></textarea>
                        <button type="submit" class=BUTTON_SECONDARY>{if disabled { "Enable client" } else { "Disable client" }}</button>
                    </ActionForm>
                }
            }
        </section>

        <section class=format!("{CARD} mt-6") id="requests">
            <h2 class="text-lg font-semibold">"Requests for this client"</h2>
            {if d.requests.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No requests yet."</p> }.into_any()
            } else {
                view! { <ul class="mt-2 space-y-3">{d.requests.iter().cloned().map(|r| view! { <RequestItem r/> }).collect_view()}</ul> }.into_any()
            }}
        </section>

        <section class="mt-6 rounded-lg border border-red-300 bg-white p-6">
            <h2 class="text-lg font-semibold text-red-800">"Delete this client"</h2>
            <p class="mt-1 text-sm text-slate-700">"Deleting is permanent: its secrets, refresh tokens and consents are removed and its access tokens stop working at once."</p>
            <FormError error=delete_err fields=vec!["confirm_name"]/>
            <ActionForm action=delete attr:class="mt-3 grid gap-2 sm:max-w-md">
                <CsrfField/>
                <input type="hidden" name="id" value=id.clone()/>
                <label for="confirm-name" class=LABEL>"Type the client's name, " <strong>{c.name.clone()}</strong> ", to confirm"</label>
                <input id="confirm-name" name="confirm_name" class=INPUT required=true autocomplete="off"/>
                <p class="text-sm text-red-700">{move || delete_err().and_then(|e| e.field_message("confirm_name"))}</p>
                <button type="submit" class=DANGER>"Delete client permanently"</button>
            </ActionForm>
        </section>
    }
}

/// One request, as developers and administrators see it.
#[component]
pub fn RequestItem(r: RequestView) -> impl IntoView {
    let badge = match r.status.as_str() {
        "approved" => "rounded bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800",
        "rejected" => "rounded bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800",
        _ => "rounded bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800",
    };
    view! {
        <li class="rounded border border-slate-200 p-3" id=r.id.clone() data-testid="request" data-status=r.status.clone()>
            <div class="flex flex-wrap items-center gap-2 text-sm">
                <span class=badge>{r.status.clone()}</span>
                <strong>{r.summary.clone()}</strong>
                <span class="text-slate-500">"for " {r.client_name.clone()} " · " {r.created.clone()}</span>
            </div>
            {(!r.changes.is_empty()).then(|| view! {
                <table class="mt-2 text-sm">
                    <thead><tr><th scope="col" class="pr-4 text-left">"Field"</th><th scope="col" class="pr-4 text-left">"Before"</th><th scope="col" class="text-left">"After"</th></tr></thead>
                    <tbody>{r.changes.iter().map(|ch| view! {
                        <tr><td class="pr-4">{ch.field.clone()}</td><td class="pr-4 text-slate-500 line-through">{ch.before.clone()}</td><td class="font-medium">{ch.after.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            })}
            <p class="mt-1 text-sm text-slate-700">"Justification: " {r.justification.clone()}</p>
            {r.granted.clone().filter(|_| r.status == "approved").map(|g| view! { <p class="mt-1 text-sm">"Granted: " {g.join(", ")}</p> })}
            {r.decided_by.clone().map(|by| view! { <p class="mt-1 text-sm text-slate-600">"Decided by " {by} {r.decided.clone().map(|d| format!(" on {d}"))}</p> })}
            {r.reason.clone().map(|reason| view! {
                <p class="mt-1 text-sm" data-testid="request-reason">
                    {if r.status == "rejected" { "Reason: " } else { "Note: " }} {reason}
                </p>
            })}
        </li>
    }
}

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
    let update = ServerAction::<UpdateClient>::new();
    let error = move || update.value().get().and_then(|r| r.err());
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
        ])
        .collect();
    let is_web = c.application_type == "web";
    let is_service = c.application_type == "service";
    view! {
        <p class="text-sm"><a class=LINK href=back.clone()>"← " {c.name.clone()}</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Edit " {c.name.clone()}</h1>
        <div class="mt-6 max-w-2xl">
            <FormError error fields=edit_fields/>
            <ActionForm action=update attr:class=CARD>
                <CsrfField/>
                <input type="hidden" name="id" value=c.id.clone()/>
                <input type="hidden" name="version" value=c.version.to_string()/>
                <h2 class="mb-3 font-semibold">"Changes that apply at once"</h2>
                <ValueField name="name" maxlength={limits::CLIENT_NAME} label="Name" value=c.name.clone() required=true error/>
                <ValueField name="description" maxlength={limits::CLIENT_DESCRIPTION} label="Description" value=c.description.clone() error/>
                {(!is_service).then(|| view! {
                    <ListField name="redirect_uris" maxlength={ limits::REDIRECT_URIS * (limits::URI + 2) } label="Redirect URIs" value=c.redirect_uris.join("\n") hint="One per line; matched exactly." error/>
                    <ListField name="post_logout_redirect_uris" maxlength={ limits::POST_LOGOUT_REDIRECT_URIS * (limits::URI + 2) } label="Post-logout redirect URIs" value=c.post_logout_redirect_uris.join("\n") hint="One per line." error/>
                    <fieldset class="mb-4">
                        <legend class=LABEL>"Grant types"</legend>
                        <label class="mt-1 flex items-center gap-2 text-sm"><input type="checkbox" name="grant_refresh_token" value="on" checked=c.grant_types.iter().any(|g| g == "refresh_token")/>"Refresh tokens"</label>
                        {is_web.then(|| view! {
                            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="grant_client_credentials" value="on" checked=c.grant_types.iter().any(|g| g == "client_credentials")/>"Client credentials"</label>
                        })}
                    </fieldset>
                })}
                <ValueField name="logo_uri" maxlength={limits::URI} label="Logo URI" kind="url" value=c.logo_uri.clone().unwrap_or_default() error/>
                <ValueField name="client_uri" maxlength={limits::URI} label="Home page URI" kind="url" value=c.client_uri.clone().unwrap_or_default() error/>
                <ValueField name="policy_uri" maxlength={limits::URI} label="Privacy policy URI" kind="url" value=c.policy_uri.clone().unwrap_or_default() error/>
                <ValueField name="tos_uri" maxlength={limits::URI} label="Terms of service URI" kind="url" value=c.tos_uri.clone().unwrap_or_default() error/>
                <ValueField name="jwks_uri" maxlength={limits::URI} label="JWKS URI" kind="url" value=c.jwks_uri.clone().unwrap_or_default() error/>
                <ValueField name="contacts" maxlength={ limits::CONTACTS * (limits::EMAIL + 2) } label="Contacts" value=c.contacts.join(", ") hint="E-mail addresses, separated by spaces or commas." error/>
                <div class="mb-4 grid gap-4 sm:grid-cols-2">
                    <div>
                        <label for="f-id_token_alg" class=LABEL>"ID token signing"</label>
                        <select id="f-id_token_alg" name="id_token_alg" class=INPUT>
                            <option value="RS256" selected=c.id_token_alg == "RS256">"RS256"</option>
                            <option value="ES256" selected=c.id_token_alg == "ES256">"ES256"</option>
                        </select>
                    </div>
                    <div>
                        <label for="f-userinfo_alg" class=LABEL>"Userinfo response"</label>
                        <select id="f-userinfo_alg" name="userinfo_alg" class=INPUT>
                            <option value="" selected=c.userinfo_alg.is_none()>"JSON"</option>
                            <option value="RS256" selected=c.userinfo_alg.as_deref() == Some("RS256")>"Signed JWT (RS256)"</option>
                            <option value="ES256" selected=c.userinfo_alg.as_deref() == Some("ES256")>"Signed JWT (ES256)"</option>
                        </select>
                    </div>
                </div>
                <h2 class="mb-1 mt-6 font-semibold">"Changes that need approval"</h2>
                <p class="mb-3 text-sm text-slate-600">"Administrators review these; until then the client keeps its current settings. Turning the password grant off applies at once."</p>
                <div class="mb-4">
                    <label for="f-refresh_token_days" class=LABEL>"Refresh-token lifetime (days; empty = server default)"</label>
                    <input id="f-refresh_token_days" name="refresh_token_days" type="number" min="1" max="365" value=refresh_days class=INPUT/>
                    <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("refresh_token_ttl_secs").or_else(|| e.field_message("refresh_token_days")))}</p>
                </div>
                {is_web.then(|| view! {
                    <label class="mb-4 flex items-center gap-2 text-sm">
                        <input type="checkbox" name="password_grant" value="on" checked=c.password_grant/>
                        "Password grant (resource owner password credentials; tokens limited to 9 hours)"
                    </label>
                })}
                <label for="f-justification" class=LABEL>"Justification (required for changes that need approval)"</label>
                <textarea id="f-justification" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT></textarea>
                <p class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("justification"))}</p>
                <div class="mt-4 flex gap-3">
                    <button type="submit" class=BUTTON>"Save"</button>
                    <a href=back class=BUTTON_SECONDARY>"Cancel"</a>
                </div>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    view! {
        <Title text="My requests · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer/requests", |_, _| view! { <RequestsList mine=true/> })}
    }
}

#[component]
fn RequestsList(mine: bool) -> impl IntoView {
    let status = query_str("status");
    let page = query_u64("page");
    let reqs = Resource::new(
        move || (status(), page()),
        move |(s, p)| list_requests(mine, s, String::new(), String::new(), p),
    );
    let tab = move |value: &'static str, label: &'static str| {
        let href = if value.is_empty() {
            "/developer/requests".to_owned()
        } else {
            format!("/developer/requests?status={value}")
        };
        view! {
            <a href=href class=move || if status() == value { "rounded bg-slate-900 px-3 py-1 text-white" } else { "rounded px-3 py-1 text-slate-700 hover:bg-slate-200" }
                aria-current=move || (status() == value).then_some("page")>{label}</a>
        }
    };
    view! {
        <p class="text-sm"><a class=LINK href="/developer">"← My clients"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"My requests"</h1>
        <nav class="mt-4 flex gap-2 text-sm" aria-label="Filter by status">
            {tab("", "All")}{tab("pending", "Pending")}{tab("approved", "Approved")}{tab("rejected", "Rejected")}
        </nav>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match reqs.await {
                    Ok(p) => view! { <RequestPageView p status=status()/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RequestPageView(p: RequestPage, status: String) -> impl IntoView {
    if p.requests.is_empty() {
        return view! {
            <div class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
                <p class="font-medium">"No requests here."</p>
                <p class="mt-1 text-sm text-slate-600">"Scope requests, extension requests and changes that need approval appear here with their decisions."</p>
            </div>
        }
        .into_any();
    }
    let link = move |n: u64| format!("/developer/requests?status={status}&page={n}");
    view! {
        <ul class="mt-4 space-y-3">{p.requests.into_iter().map(|r| view! { <RequestItem r/> }).collect_view()}</ul>
        <Pagination page=p.page pages=p.pages link/>
    }
    .into_any()
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <Title text="Notifications · Portcullis"/>
        {signed_in_or_prompt("/notifications", |_, _| view! { <NotificationsList/> })}
    }
}

#[component]
fn NotificationsList() -> impl IntoView {
    let page = query_u64("page");
    let mark = ServerAction::<MarkAllRead>::new();
    let items = Resource::new(
        move || (page(), mark.version().get()),
        |(p, _)| list_notifications(p),
    );
    view! {
        <div class="flex items-center gap-4">
            <h1 class="text-2xl font-semibold">"Notifications"</h1>
            <ActionForm action=mark attr:class="ml-auto">
                <CsrfField/>
                <button type="submit" class=BUTTON_SECONDARY>"Mark all as read"</button>
            </ActionForm>
        </div>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match items.await {
                    Ok(p) if p.items.is_empty() => view! {
                        <p class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-600">"Nothing yet. Decisions on your requests and expiry reminders will appear here."</p>
                    }.into_any(),
                    Ok(p) => view! {
                        <ul class="mt-4 space-y-2">
                            {p.items.into_iter().map(|n| view! {
                                <li class=if n.read { "rounded border border-slate-200 bg-white p-3" } else { "rounded border border-sky-300 bg-sky-50 p-3" } data-testid="notification">
                                    <div class="flex items-center gap-2">
                                        {(!n.read).then(|| view! { <span class="rounded bg-sky-700 px-1.5 text-xs text-white">"new"</span> })}
                                        <strong>{n.title.clone()}</strong>
                                        <span class="ml-auto text-xs text-slate-500">{n.created.clone()}</span>
                                    </div>
                                    <p class="mt-1 text-sm text-slate-700">{n.body.clone()}</p>
                                    {n.link.clone().map(|l| view! { <a class=LINK href=l>"Open"</a> })}
                                </li>
                            }).collect_view()}
                        </ul>
                        <Pagination page=p.page pages=p.pages link=|n| format!("/notifications?page={n}")/>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}
