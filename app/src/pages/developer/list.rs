//! `/developer`: the developer's own clients.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::clients::ClientList;
use crate::components::forms::{BUTTON, BUTTON_SECONDARY};
use crate::components::panels::signed_in_or_prompt;

#[component]
pub fn DeveloperPage() -> impl IntoView {
    view! {
        <Title text="My clients · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer", |user, _| {
            if !user.can_develop() {
                return view! { <BecomeDeveloper/> }.into_any();
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

/// What an account without developer access sees here: how to get it, instead of
/// an error (issue 13).
#[component]
fn BecomeDeveloper() -> impl IntoView {
    view! {
        <section class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm" data-testid="become-developer">
            <h1 class="text-xl font-semibold">"Register your own apps"</h1>
            <p class="mt-2 text-slate-700">
                "Developers register apps (OAuth clients) that people sign in to with their Portcullis account. "
                "Your account is not a developer account yet."
            </p>
            <p class="mt-2 text-slate-700">
                "To become a developer, ask an administrator of this Portcullis to give your account the "
                <strong>"Developer"</strong> " role (they do it under Administration → Users). "
                "Once they have, this page lists your apps and lets you register new ones."
            </p>
            <p class="mt-4"><a href="/apps" class="text-sky-700 underline">"See the apps that use your account"</a></p>
        </section>
    }
}
