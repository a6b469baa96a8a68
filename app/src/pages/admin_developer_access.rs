//! The approval queue's requests for developer access (issue 13): who asks,
//! since when they have an account, what they will build; approve, or reject
//! with a reason the person reads. Shown above the clients' requests while any
//! wait.

use leptos::prelude::*;

use crate::api::developer_access::{waiting_developers, ApproveDeveloper, RejectDeveloper};
use crate::components::forms::{CsrfField, FormError, BUTTON, INPUT};
use crate::error::AppError;
use crate::model::WaitingDeveloperView;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

#[component]
pub fn DeveloperRequests() -> impl IntoView {
    let approve = ServerAction::<ApproveDeveloper>::new();
    let reject = ServerAction::<RejectDeveloper>::new();
    let waiting = Resource::new(
        move || approve.version().get() + reject.version().get(),
        |_| waiting_developers(1),
    );
    let error = move || {
        approve
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| reject.value().get().and_then(|r| r.err()))
    };
    // A missing reason shows on its own card only.
    let page_error = move || {
        error().filter(
            |e| !matches!(e, AppError::Invalid { field, .. } if field.starts_with("reason-")),
        )
    };
    let items = move || {
        waiting
            .get()
            .and_then(Result::ok)
            .map(|p| p.items)
            .unwrap_or_default()
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                waiting.await.ok().filter(|p| p.total > 0).map(|p| view! {
                    <h2 class="mt-6 text-lg font-semibold" id="developer-requests-h">"Developer access"</h2>
                    <p class="text-sm text-slate-600">
                        {format!("{} waiting", p.total)}
                        {(p.pages > 1).then_some(" · the oldest are shown first; decide them to see the next")}
                    </p>
                })
            })}
            <div class="mt-2"><FormError error=page_error/></div>
            // Keyed by request: a decided card goes, and no card takes over
            // another's typed reason.
            <ul class="mt-2 space-y-4" aria-labelledby="developer-requests-h">
                <For each=items key=|r| r.id.clone() children=move |r| view! { <Card r approve reject error/> }/>
            </ul>
        </Transition>
    }
}

#[component]
fn Card(
    r: WaitingDeveloperView,
    approve: ServerAction<ApproveDeveloper>,
    reject: ServerAction<RejectDeveloper>,
    error: impl Fn() -> Option<AppError> + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let reason_id = format!("reason-{}", r.id);
    let (approve_id, reject_id) = (r.id.clone(), r.id.clone());
    let reason_field = reason_id.clone();
    let verified = if r.email_verified {
        "verified"
    } else {
        "not verified"
    };
    view! {
        <li class=CARD data-testid="developer-request">
            <div class="flex flex-wrap items-center gap-2">
                <span class="rounded bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-900">"Developer access"</span>
                <h3 class="font-semibold">{format!("{} asks to register apps", r.name)}</h3>
            </div>
            <dl class="mt-3 rounded border border-slate-200 bg-slate-50 px-3 py-2 text-sm">
                <div class="py-1 sm:grid sm:grid-cols-4 sm:gap-3"><dt class="font-medium text-slate-600">"Account"</dt><dd class="break-words sm:col-span-3">{r.username.clone()}</dd></div>
                <div class="py-1 sm:grid sm:grid-cols-4 sm:gap-3"><dt class="font-medium text-slate-600">"E-mail"</dt><dd class="break-words sm:col-span-3">{format!("{} ({verified})", r.email)}</dd></div>
                <div class="py-1 sm:grid sm:grid-cols-4 sm:gap-3"><dt class="font-medium text-slate-600">"Member since"</dt><dd class="sm:col-span-3">{r.member_since.clone()}</dd></div>
                <div class="py-1 sm:grid sm:grid-cols-4 sm:gap-3"><dt class="font-medium text-slate-600">"Asked"</dt><dd class="sm:col-span-3">{r.asked.clone()}</dd></div>
            </dl>
            <p class="mt-2 text-sm"><span class="font-medium">"What they will build: "</span><span class="whitespace-pre-wrap" data-testid="developer-plan">{r.plan.clone()}</span></p>
            <div class="mt-4 grid gap-4 md:grid-cols-2">
                <ActionForm action=approve attr:class="rounded border border-emerald-200 bg-emerald-50 p-3">
                    <CsrfField/>
                    <input type="hidden" name="id" value=approve_id/>
                    <p class="text-sm">"Their account becomes a developer's: they can register apps."</p>
                    <button type="submit" class=format!("{BUTTON} mt-2")>"Approve"</button>
                </ActionForm>
                <ActionForm action=reject attr:class="rounded border border-red-200 bg-red-50 p-3">
                    <CsrfField/>
                    <input type="hidden" name="id" value=reject_id/>
                    <label for=reason_id.clone() class="text-sm font-medium">"Reason (required, sent to them)"</label>
                    <textarea id=reason_id.clone() name="reason" rows="2" required=true maxlength={limits::REASON} class=INPUT
                        aria-describedby=format!("{reason_id}-error")></textarea>
                    <p id=format!("{reason_id}-error") class="text-sm text-red-700">{move || error().and_then(|e| e.field_message(&reason_field))}</p>
                    <button type="submit" class="mt-2 inline-flex items-center rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800">"Reject"</button>
                </ActionForm>
            </div>
        </li>
    }
}
