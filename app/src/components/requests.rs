//! A scope, extension or change request as developers and administrators see it.

use leptos::prelude::*;

use crate::model::{RequestStatus, RequestView};

/// One request, as developers and administrators see it.
#[component]
pub fn RequestItem(r: RequestView) -> impl IntoView {
    let badge = match r.status {
        RequestStatus::Approved => {
            "rounded bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800"
        }
        RequestStatus::Rejected => {
            "rounded bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800"
        }
        RequestStatus::Pending => {
            "rounded bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800"
        }
    };
    view! {
        <li class="rounded border border-slate-200 p-3" id=r.id.clone() data-testid="request" data-status=r.status.as_str()>
            <div class="flex flex-wrap items-center gap-2 text-sm">
                <span class=badge>{r.status.as_str()}</span>
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
            {r.granted.clone().filter(|_| r.status == RequestStatus::Approved).map(|g| view! { <p class="mt-1 text-sm">"Granted: " {g.join(", ")}</p> })}
            {r.decided_by.clone().map(|by| view! { <p class="mt-1 text-sm text-slate-600">"Decided by " {by} {r.decided.clone().map(|d| format!(" on {d}"))}</p> })}
            {r.reason.clone().map(|reason| view! {
                <p class="mt-1 text-sm" data-testid="request-reason">
                    {if r.status == RequestStatus::Rejected { "Reason: " } else { "Note: " }} {reason}
                </p>
            })}
        </li>
    }
}
