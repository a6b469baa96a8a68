use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::users::{list_users, CreateUser, SetDisabled, SetEmail, SetRole};
use crate::components::forms::{
    CsrfField, Field, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL,
};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::error::AppError;
use crate::model::{Role, UserView};

#[component]
pub fn AdminHomePage() -> impl IntoView {
    view! {
        <Title text="Admin · Portcullis"/>
        {signed_in_or_prompt("/admin", |user, _| {
            if !user.is_admin() {
                return view! { <ErrorPanel error=AppError::Forbidden/> }.into_any();
            }
            view! {
                <h1 class="text-2xl font-semibold">"Administration"</h1>
                <ul class="mt-6 grid gap-4 sm:grid-cols-2">
                    <li>
                        <a href="/admin/requests" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Approval queue"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Scope, extension and change requests from developers."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/clients" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"All clients"</h2>
                            <p class="mt-1 text-sm text-slate-600">"View, edit, disable or expire any OAuth client."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/rules" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Auto-approval rules"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Per-scope CEL rules that approve or reject requests."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/users" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Users"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Create accounts, change roles, disable access."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/settings" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Settings"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Third-party apps, token lifetimes, client defaults, self sign-up."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/registration" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Self-registration"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Dynamic registration, initial access tokens, client metadata documents."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/apis" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"APIs and scopes"</h2>
                            <p class="mt-1 text-sm text-slate-600">"The catalogue of APIs and the scopes shown on consent screens."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/sign-in-providers" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Sign-in providers"</h2>
                            <p class="mt-1 text-sm text-slate-600">"OpenID providers people may continue with, and work e-mail domains."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/outbox" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"E-mail outbox"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Notifications sent, waiting or failed."</p>
                        </a>
                    </li>
                    <li>
                        <a href="/admin/audit" class="block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400">
                            <h2 class="font-semibold">"Audit log"</h2>
                            <p class="mt-1 text-sm text-slate-600">"Who did what, when and from where; export as JSON Lines or CSV."</p>
                        </a>
                    </li>
                </ul>
            }.into_any()
        })}
    }
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetRole>::new();
    let set_disabled = ServerAction::<SetDisabled>::new();
    let set_email = ServerAction::<SetEmail>::new();
    let users = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("search").unwrap_or_default(),
                q.get("page")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1),
                set_role.version().get()
                    + set_disabled.version().get()
                    + set_email.version().get()
                    + create.version().get(),
            )
        },
        |(search, page, _)| list_users(search, page),
    );
    let row_error = move || {
        set_role
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| set_disabled.value().get().and_then(|r| r.err()))
            .or_else(|| set_email.value().get().and_then(|r| r.err()))
    };
    let create_error = move || create.value().get().and_then(|r| r.err());
    view! {
        <Title text="Users · Admin · Portcullis"/>
        <h1 class="text-2xl font-semibold">"Users"</h1>
        <FormError error=row_error/>
        <form method="get" action="/admin/users" class="mt-4 flex gap-2" role="search">
            <label for="user-search" class="sr-only">"Search users"</label>
            <input id="user-search" name="search" type="search" maxlength={limits::SEARCH} placeholder="Username, e-mail or name"
                class=INPUT value=move || query.read().get("search").unwrap_or_default()/>
            <button type="submit" class=BUTTON_SECONDARY>"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) => view! { <UserTable page set_role set_disabled set_email/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
        <section class="mt-10 max-w-md">
            <h2 class="text-lg font-semibold mb-3">"Create a user"</h2>
            <FormError error=create_error fields=vec!["username", "email", "display_name", "password", "role"]/>
            <ActionForm action=create attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <CsrfField/>
                <Field name="username" label="Username" required=true maxlength={limits::USERNAME} error=create_error/>
                <Field name="email" label="E-mail" kind="email" required=true maxlength={limits::EMAIL} error=create_error/>
                <Field name="display_name" label="Display name" maxlength={limits::DISPLAY_NAME} error=create_error/>
                <Field name="password" label="Initial password" kind="password" autocomplete="new-password" required=true maxlength={limits::PASSWORD} hint="At least 10 characters; the user should change it." error=create_error/>
                <div class="mb-4">
                    <label for="new-role" class=LABEL>"Role"</label>
                    <select id="new-role" name="role" class=INPUT>
                        <option value="user">"End user"</option>
                        <option value="developer">"Developer"</option>
                        <option value="admin">"Administrator"</option>
                    </select>
                </div>
                <button type="submit" class=BUTTON>"Create user"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn UserTable(
    page: crate::model::UserPage,
    set_role: ServerAction<SetRole>,
    set_disabled: ServerAction<SetDisabled>,
    set_email: ServerAction<SetEmail>,
) -> impl IntoView {
    if page.users.is_empty() {
        return view! {
            <p class="mt-6 rounded border border-dashed border-slate-300 bg-white p-6 text-center text-slate-600">
                "No users match “" {page.search.clone()} "”."
            </p>
        }
        .into_any();
    }
    let search = page.search.clone();
    let link = move |p: u64| {
        format!(
            "/admin/users?search={}&page={p}",
            crate::api::audit::encode(&search)
        )
    };
    view! {
        <p class="mt-4 text-sm text-slate-600">
            {if page.total == 1 { "1 user".to_owned() } else { format!("{} users", page.total) }}
        </p>
        // `stack`: one card per user on a phone (style/tailwind.css).
        <table class="stack mt-2 w-full border-collapse overflow-hidden rounded-lg bg-white text-left text-sm shadow-sm">
            <thead class="bg-slate-100 text-slate-700">
                <tr>
                    <th scope="col" class="px-3 py-2">"User"</th>
                    <th scope="col" class="px-3 py-2">"E-mail"</th>
                    <th scope="col" class="px-3 py-2">"Role"</th>
                    <th scope="col" class="px-3 py-2">"Status"</th>
                    <th scope="col" class="px-3 py-2">"Created"</th>
                </tr>
            </thead>
            <tbody>
                {page.users.into_iter().map(|u| {
                    let directory = page.directory.contains(&u.id);
                    view! { <UserRow u directory set_role set_disabled set_email/> }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="mt-4 flex items-center gap-4 text-sm" aria-label="Pagination">
            {(page.page > 1).then(|| view! { <a class="text-sky-700 underline" href=link(page.page - 1)>"← Previous"</a> })}
            <span>"Page " {page.page} " of " {page.pages}</span>
            {(page.page < page.pages).then(|| view! { <a class="text-sky-700 underline" href=link(page.page + 1)>"Next →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn UserRow(
    u: UserView,
    /// The password is an LDAP directory's (`accounts::directory`).
    directory: bool,
    set_role: ServerAction<SetRole>,
    set_disabled: ServerAction<SetDisabled>,
    set_email: ServerAction<SetEmail>,
) -> impl IntoView {
    let email_id = format!("email-{}", u.id);
    let (id3, name4) = (u.id.clone(), u.username.clone());
    let select_id = format!("role-{}", u.id);
    let testid = format!("user-{}", u.username);
    let (id1, id2) = (u.id.clone(), u.id.clone());
    let (name1, name2) = (u.username.clone(), u.username.clone());
    let (apps_href, name3) = (format!("/admin/users/{}/apps", u.id), u.username.clone());
    view! {
        <tr class="border-t border-slate-200" data-testid=testid>
            <td data-label="User" class="px-3 py-2">
                <div class="font-medium">{u.display_name.clone()}</div>
                <div class="text-slate-500">{name1}</div>
                {directory.then(|| view! {
                    <div class="mt-1 inline-block rounded bg-sky-100 px-1.5 text-xs text-sky-900" data-testid="directory-account"
                        title="Signs in with the directory's password; names, address and (with group mapping) role come from the directory at each sign-in">
                        "directory account"
                    </div>
                })}
            </td>
            <td data-label="E-mail" class="px-3 py-2">
                <div>{u.email.clone()}</div>
                // Domain-restricted clients accept only verified addresses.
                <div class=if u.email_verified { "text-emerald-700" } else { "text-amber-700" } data-testid="email-verified">
                    {if u.email_verified { "verified" } else { "not verified" }}
                </div>
                <details class="mt-1" data-testid="change-email">
                    <summary class="cursor-pointer text-sky-700 underline">"Change…"</summary>
                    <ActionForm action=set_email attr:class="mt-2 grid max-w-xs gap-2">
                        <CsrfField/>
                        <input type="hidden" name="user_id" value=id3/>
                        <label for=email_id.clone() class="text-sm">"New e-mail address of " {name4}</label>
                        <input id=email_id type="email" name="email" required=true maxlength={limits::EMAIL} class="rounded border border-slate-300 px-2 py-1"/>
                        <p class="text-xs text-slate-600">"It is theirs at once, not verified until they open the link mailed to it; the old address is told."</p>
                        <button type="submit" class=BUTTON_SECONDARY>"Change address"</button>
                    </ActionForm>
                </details>
            </td>
            <td data-label="Role" class="px-3 py-2">
                <ActionForm action=set_role attr:class="flex items-center gap-2">
                    <CsrfField/>
                    <input type="hidden" name="user_id" value=id1/>
                    <label for=select_id.clone() class="sr-only">"Role of " {name2}</label>
                    <select id=select_id name="role" class="rounded border border-slate-300 px-2 py-1">
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=u.role == r>{r.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class=BUTTON_SECONDARY>"Save"</button>
                </ActionForm>
            </td>
            <td data-label="Status" class="px-3 py-2">
                <span class=if u.disabled { "text-red-700" } else { "text-emerald-700" }>
                    {if u.disabled { "Disabled" } else { "Active" }}
                </span>
                {if u.disabled {
                    view! {
                        <ActionForm action=set_disabled attr:class="mt-1">
                            <CsrfField/>
                            <input type="hidden" name="user_id" value=id2/>
                            <input type="hidden" name="disabled" value="false"/>
                            <button type="submit" class=BUTTON_SECONDARY aria-label=format!("Enable {}", u.username)>"Enable"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    // A confirmation step that needs no JavaScript: the form opens
                    // under the button, says what happens and wants a ticked box
                    // (the server checks it too; issue 13, defect 5).
                    let confirm_id = format!("disable-confirm-{}", u.id);
                    view! {
                        <details class="mt-1" data-testid="disable-user">
                            <summary class=format!("{BUTTON_SECONDARY} cursor-pointer list-none")>"Disable…"</summary>
                            <ActionForm action=set_disabled attr:class="mt-2 grid max-w-xs gap-2 rounded border border-red-300 bg-red-50 p-3">
                                <CsrfField/>
                                <input type="hidden" name="user_id" value=id2/>
                                <input type="hidden" name="disabled" value="true"/>
                                <p class="text-sm text-slate-700">
                                    "Signs " {u.username.clone()} " out everywhere at once; their apps' tokens stop working and stay invalid if the account is enabled again (they sign in afresh). You can enable the account again here."
                                </p>
                                <div class="flex items-start gap-2 text-sm">
                                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="mt-1 shrink-0"/>
                                    <label for=confirm_id>"I understand that " {u.username.clone()} " loses access at once."</label>
                                </div>
                                <button type="submit" class="inline-flex items-center rounded bg-red-700 px-3 py-1 font-medium text-white hover:bg-red-800">"Disable account"</button>
                            </ActionForm>
                        </details>
                    }.into_any()
                }}
            </td>
            <td data-label="Created" class="px-3 py-2 text-slate-600">
                {u.created.clone()}
                <div><a class="text-sky-700 underline hover:text-sky-900" href=apps_href>"Authorizations"<span class="sr-only">" of " {name3}</span></a></div>
            </td>
        </tr>
    }
}
