//! What an account without developer access sees at `/developer`: what
//! developers do, and a request to the administrators for access — or where its
//! last request stands (issue 13).

use leptos::prelude::*;

use super::CARD;
use crate::api::developer_access::{my_developer_access, AskDeveloperAccess};
use crate::components::forms::{CsrfField, FormError, BUTTON, INPUT, LABEL};
use crate::components::panels::ErrorPanel;
use crate::model::{DeveloperAccessView, RequestStatus};

#[component]
pub fn BecomeDeveloper() -> impl IntoView {
    // Read again after each ask: the page shows what the server now has.
    let ask = ServerAction::<AskDeveloperAccess>::new();
    let latest = Resource::new(move || ask.version().get(), |_| my_developer_access());
    view! {
        <section class=CARD data-testid="become-developer">
            <h1 class="text-xl font-semibold">"Register your own apps"</h1>
            <p class="mt-2 text-slate-700">
                "Developers register apps (OAuth clients) that people sign in to with their Portcullis account. "
                "Your account is not a developer account yet."
            </p>
            <Suspense fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match latest.await {
                        Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                        Ok(Some(r)) if r.status == RequestStatus::Pending => view! { <Waiting r/> }.into_any(),
                        Ok(last) => view! { <AskForm ask last/> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="mt-4"><a href="/apps" class="text-sky-700 underline">"See the apps that use your account"</a></p>
        </section>
    }
}

/// A request that waits: when it was sent and what it said.
#[component]
fn Waiting(r: DeveloperAccessView) -> impl IntoView {
    view! {
        <div class="mt-4 rounded border border-amber-200 bg-amber-50 p-4" data-testid="developer-access-waiting">
            <p class="font-medium">"Your request for developer access is waiting for an administrator."</p>
            <p class="mt-1 text-sm text-slate-700">"Sent " {r.asked} ". You will be told in the app and by e-mail when it is decided."</p>
            <p class="mt-2 text-sm"><span class="font-medium">"What you said: "</span><span class="whitespace-pre-wrap">{r.plan}</span></p>
        </div>
    }
}

/// The request form, after the reason a previous request was declined, if one was.
#[component]
fn AskForm(
    ask: ServerAction<AskDeveloperAccess>,
    last: Option<DeveloperAccessView>,
) -> impl IntoView {
    let error = move || ask.value().get().and_then(|r| r.err());
    // Without JavaScript a refused form comes back as a new page: what was typed.
    let typed = move || error().and_then(|e| e.sent("plan")).unwrap_or_default();
    let message = move || error().and_then(|e| e.field_message("plan"));
    let declined = last.filter(|r| r.status == RequestStatus::Rejected);
    view! {
        {declined.map(|r| view! {
            <div class="mt-4 rounded border border-red-200 bg-red-50 p-4" data-testid="developer-access-declined">
                <p class="font-medium">"Your last request was declined" {r.decided.map(|d| format!(" on {d}"))} "."</p>
                <p class="mt-1 text-sm"><span class="font-medium">"The administrator's reason: "</span><span class="whitespace-pre-wrap">{r.reason.unwrap_or_default()}</span></p>
                <p class="mt-1 text-sm text-slate-700">"You may ask again, answering it."</p>
            </div>
        })}
        <h2 class="mt-6 font-semibold">"Ask for developer access"</h2>
        <p class="mt-1 text-sm text-slate-700">"The administrators of this Portcullis decide; you are told in the app and by e-mail."</p>
        <div class="mt-3"><FormError error fields=vec!["plan"]/></div>
        <ActionForm action=ask attr:class="mt-2">
            <CsrfField/>
            <label for="f-plan" class=LABEL>"What will you build?"</label>
            <textarea id="f-plan" name="plan" rows="4" required=true maxlength=limits::JUSTIFICATION class=INPUT
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby="f-plan-hint f-plan-error">{typed()}</textarea>
            <p id="f-plan-hint" class="mt-1 text-xs text-slate-500">"The app, who will use it and what it needs from people's accounts: the administrators read this."</p>
            <p id="f-plan-error" class="mt-1 text-sm text-red-700">{message}</p>
            <button type="submit" class=format!("{BUTTON} mt-3") disabled=move || ask.pending().get()>"Ask for developer access"</button>
        </ActionForm>
    }
}
