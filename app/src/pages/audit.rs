//! `/admin/audit`: the audit log, newest first, filtered by a plain GET form (works
//! without JavaScript), with links to export the same selection.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::audit::{list_audit, AuditEventView, AuditPage, AuditQuery, Party};
use crate::components::forms::{BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::panels::ErrorPanel;
use crate::components::time::LocalTime;

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let events = Resource::new(
        move || {
            let q = query.read();
            let get = |k: &str| q.get(k).unwrap_or_default();
            (
                AuditQuery {
                    actor: get("actor"),
                    client: get("client"),
                    user: get("user"),
                    event_type: get("event_type"),
                    from: get("from"),
                    to: get("to"),
                },
                get("page").parse::<u64>().unwrap_or(1),
            )
        },
        |(q, page)| list_audit(q.actor, q.client, q.user, q.event_type, q.from, q.to, page),
    );
    view! {
        <Title text="Audit log · Admin · Portcullis"/>
        <h1 class="text-2xl font-semibold">"Audit log"</h1>
        <p class="mt-1 text-sm text-slate-600">
            "Every change, sign-in and token, newest first. The log is hash-chained: "
            <code>"portcullis audit verify"</code> " finds any row altered, inserted or deleted."
        </p>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => view! { <Filters page=page.clone()/> <EventTable page/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(page: AuditPage) -> impl IntoView {
    let q = page.query.clone();
    let qs = q.query_string();
    let export = move |ext: &str| {
        if qs.is_empty() {
            format!("/admin/audit/export.{ext}")
        } else {
            format!("/admin/audit/export.{ext}?{qs}")
        }
    };
    let selected = q.event_type.clone();
    view! {
        <form method="get" action="/admin/audit" role="search"
            class="mt-4 grid gap-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-3">
            <div>
                <label for="audit-actor" class=LABEL>"Actor"</label>
                <input id="audit-actor" name="actor" maxlength={limits::SEARCH} class=INPUT value=q.actor.clone()
                    placeholder="user name, system, client:ID…"/>
            </div>
            <div>
                <label for="audit-client" class=LABEL>"Client"</label>
                <input id="audit-client" name="client" maxlength={limits::SEARCH} class=INPUT value=q.client.clone() placeholder="client id"/>
            </div>
            <div>
                <label for="audit-user" class=LABEL>"User (actor or target)"</label>
                <input id="audit-user" name="user" maxlength={limits::SEARCH} class=INPUT value=q.user.clone() placeholder="user name or id"/>
            </div>
            <div>
                <label for="audit-type" class=LABEL>"Event"</label>
                <select id="audit-type" name="event_type" class=INPUT>
                    <option value="" selected=selected.is_empty()>"Any event"</option>
                    {page.event_types.iter().map(|t| {
                        let is = *t == selected;
                        view! { <option value=t.clone() selected=is>{t.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="audit-from" class=LABEL>"From (UTC)"</label>
                <input id="audit-from" name="from" type="date" class=INPUT value=q.from.clone()/>
            </div>
            <div>
                <label for="audit-to" class=LABEL>"To (UTC)"</label>
                <input id="audit-to" name="to" type="date" class=INPUT value=q.to.clone()/>
            </div>
            <div class="flex items-center gap-3 sm:col-span-3">
                <button type="submit" class=BUTTON_SECONDARY>"Filter"</button>
                <a href="/admin/audit" class="text-sm text-sky-700 underline">"Clear"</a>
                <span class="ml-auto text-sm">"Export these events: "
                    // rel=external: a download, not a page for the client-side router.
                    <a rel="external" download="" class="text-sky-700 underline" href=export("jsonl")>"JSON Lines"</a>
                    " · "
                    <a rel="external" download="" class="text-sky-700 underline" href=export("csv")>"CSV"</a>
                </span>
            </div>
        </form>
    }
}

#[component]
fn EventTable(page: AuditPage) -> impl IntoView {
    if page.events.is_empty() {
        return view! {
            <p class="mt-6 rounded border border-dashed border-slate-300 bg-white p-6 text-center text-slate-600">
                "No events match these filters."
            </p>
        }
        .into_any();
    }
    let qs = page.query.query_string();
    let link = move |p: u64| {
        if qs.is_empty() {
            format!("/admin/audit?page={p}")
        } else {
            format!("/admin/audit?{qs}&page={p}")
        }
    };
    view! {
        <p class="mt-4 text-sm text-slate-600">
            {if page.more {
                format!("More than {} events: narrow the filters to count them, or export them all.", thousands(page.total))
            } else if page.total == 1 {
                "1 event".to_owned()
            } else {
                format!("{} events", thousands(page.total))
            }}
        </p>
        // `stack`: one card per event on a phone (style/tailwind.css).
        <table class="stack mt-2 w-full border-collapse overflow-hidden rounded-lg bg-white text-left text-sm shadow-sm">
            <thead class="bg-slate-100 text-slate-700">
                <tr>
                    <th scope="col" class="px-3 py-2">"Time"</th>
                    <th scope="col" class="px-3 py-2">"Event"</th>
                    <th scope="col" class="px-3 py-2">"Who"</th>
                    <th scope="col" class="px-3 py-2">"About"</th>
                    <th scope="col" class="px-3 py-2">"Details"</th>
                </tr>
            </thead>
            <tbody>
                {page.events.into_iter().map(|e| view! { <EventRow e/> }).collect_view()}
            </tbody>
        </table>
        <nav class="mt-4 flex items-center gap-4 text-sm" aria-label="Pagination">
            {(page.page > 1).then(|| view! { <a class="text-sky-700 underline" href=link(page.page - 1)>"← Newer"</a> })}
            <span>"Page " {page.page} " of " {page.pages}</span>
            {(page.page < page.pages).then(|| view! { <a class="text-sky-700 underline" href=link(page.page + 1)>"Older →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn EventRow(e: AuditEventView) -> impl IntoView {
    // The event's place in the hash chain (`portcullis audit verify` checks it).
    let seq = e
        .seq
        .map(|s| format!("#{s}"))
        .unwrap_or_else(|| "unchained".into());
    view! {
        <tr class="border-t border-slate-200 align-top" data-testid="audit-event">
            <td data-label="Time" class="px-3 py-2 text-slate-700 sm:w-44">
                <LocalTime iso=e.time.clone()/>
                <div class="text-xs text-slate-600" title="Position in the hash chain">{seq}</div>
            </td>
            <td data-label="Event" class="px-3 py-2 font-mono text-xs break-words">{e.event_type.clone()}</td>
            <td data-label="Who" class="px-3 py-2 sm:min-w-40" data-testid="audit-actor">
                <PartyView p=e.actor.clone()/>
                {(!e.ip.is_empty()).then(|| view! { <div class="text-xs text-slate-600">"from " {e.ip.clone()}</div> })}
            </td>
            <td data-label="About" class="px-3 py-2 sm:min-w-40" data-testid="audit-target">
                {e.target.clone().map(|p| view! { <PartyView p/> })}
            </td>
            <td data-label="Details" class="px-3 py-2">
                <div data-testid="audit-details">
                    {(!e.changes.is_empty()).then(|| view! {
                        <ul class="space-y-1">
                            {e.changes.iter().map(|c| view! {
                                <li data-testid="audit-change" class="break-words">
                                    <span class="font-medium">{c.field.clone()}</span>": "
                                    {(!c.before.is_empty()).then(|| view! {
                                        <del class="text-red-800" data-testid="before">{c.before.clone()}</del>
                                    })}
                                    {(!c.before.is_empty() && !c.after.is_empty()).then_some(" → ")}
                                    {(!c.after.is_empty()).then(|| view! {
                                        <ins class="text-emerald-800 no-underline" data-testid="after">{c.after.clone()}</ins>
                                    })}
                                    {(c.before.is_empty() && c.after.is_empty()).then_some("cleared")}
                                </li>
                            }).collect_view()}
                        </ul>
                    })}
                    {(!e.details.is_empty()).then(|| view! {
                        <dl class="mt-1 text-xs text-slate-700">
                            {e.details.iter().map(|(k, v)| view! {
                                <div class="break-words"><dt class="inline font-medium">{k.clone()}": "</dt><dd class="inline">{v.clone()}</dd></div>
                            }).collect_view()}
                        </dl>
                    })}
                </div>
                // The event as stored, one click away.
                <details class="mt-1" data-testid="audit-raw">
                    <summary class="cursor-pointer text-xs text-sky-700 underline">"Raw event"</summary>
                    <pre class="mt-1 max-h-80 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 text-xs" tabindex="0">{e.raw.clone()}</pre>
                </details>
            </td>
        </tr>
    }
}

/// An actor or target: what kind, and its name, linked where it has a page.
#[component]
fn PartyView(p: Party) -> impl IntoView {
    view! {
        <div class="text-xs text-slate-600">{p.kind.clone()}</div>
        {match p.href.clone() {
            Some(href) => view! { <a class="text-sky-700 underline break-words" href=href>{p.label.clone()}</a> }.into_any(),
            None => view! { <span class="break-words">{p.label.clone()}</span> }.into_any(),
        }}
    }
}

/// `10000` as "10,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
