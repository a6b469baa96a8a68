//! Clients as lists show them: the searchable, paged table (a developer's own
//! clients, or every client for administrators), the expiry badge and the
//! look-alike name warnings.

use leptos::prelude::*;

use crate::api::portal::clients::list_clients;
use crate::components::forms::{BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::pagination::Pagination;
use crate::components::panels::ErrorPanel;
use crate::components::query::{query_str, query_u64};
use crate::model::{ClientPage, ClientView, Expiry};

const LINK: &str = "text-sky-700 underline hover:text-sky-900";

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
    // Typed text: encoded, so a search for "R&D" stays one parameter on page 2.
    let link = move |n: u64| {
        use crate::api::audit::encode;
        format!(
            "{base}?search={}&sort={}&page={n}",
            encode(&search),
            encode(&sort)
        )
    };
    view! {
        <p class="mt-4 text-sm text-slate-600">
            {if p.total == 1 { "1 client".to_owned() } else { format!("{} clients", p.total) }}
        </p>
        // `stack`: one card per client on a phone (style/tailwind.css).
        <div class="mt-2 overflow-x-auto">
        <table class="stack w-full border-collapse rounded-lg bg-white text-left text-sm shadow-sm">
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
                    // A metadata document's client id is a URL: one path segment.
                    let href = format!(
                        "/developer/clients/{}",
                        form_urlencoded::byte_serialize(c.id.as_bytes()).collect::<String>()
                    );
                    let testid = format!("client-{}", c.metadata.name);
                    view! {
                        <tr class="border-t border-slate-200" data-testid=testid>
                            <td data-label="Name" class="px-3 py-2 font-medium"><a class=LINK href=href>{c.metadata.name.clone()}</a>
                                <NameWarnings warnings=c.name_warnings.clone()/></td>
                            <td data-label="Client id" class="px-3 py-2 font-mono text-xs">{c.id.clone()}</td>
                            <td data-label="Type" class="px-3 py-2">{c.type_label()}</td>
                            <td data-label="Status" class="px-3 py-2">{c.status_label()}
                                {c.in_development.then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1 text-xs text-amber-900" data-testid="list-stage">"in development"</span> })}</td>
                            <td data-label="Scopes" class="px-3 py-2">{if c.scopes.is_empty() { "none".to_owned() } else { c.scopes.join(" ") }}</td>
                            <td data-label="Expires" class="px-3 py-2"><ExpiryBadge client=c.clone()/></td>
                            {all.then(|| view! { <td data-label="Owner" class="px-3 py-2">{c.owner.clone().unwrap_or_else(|| "—".into())}
                                {c.origin.clone().map(|o| view! { <p class="text-xs text-slate-600" data-testid="client-origin">{o}</p> })}</td> })}
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

/// Why a client's name may deceive people on a consent screen (administrators).
#[component]
pub fn NameWarnings(warnings: Vec<String>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <ul class="mt-1 list-none text-xs text-amber-800" data-testid="name-warning">
                {warnings.into_iter().map(|w| view! { <li>"⚠ " {w}</li> }).collect_view()}
            </ul>
        }
    })
}
