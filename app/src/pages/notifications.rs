//! `/notifications`: decisions on requests and expiry reminders, for anyone
//! signed in.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::portal::notifications::{list_notifications, MarkAllRead};
use crate::components::forms::{CsrfField, BUTTON_SECONDARY};
use crate::components::pagination::Pagination;
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::components::query::query_u64;

const LINK: &str = "text-sky-700 underline hover:text-sky-900";

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
                                        <span class="ml-auto text-xs text-slate-600">{n.created.clone()}</span>
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
