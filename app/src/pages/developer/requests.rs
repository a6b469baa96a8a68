//! `/developer/requests`: the developer's requests and their decisions.

use leptos::prelude::*;
use leptos_meta::Title;

use super::LINK;
use crate::api::portal::requests::list_requests;
use crate::components::pagination::Pagination;
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::components::query::{query_str, query_u64};
use crate::components::requests::RequestItem;
use crate::model::RequestPage;

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
