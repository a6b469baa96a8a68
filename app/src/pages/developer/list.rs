//! `/developer`: the developer's own clients.

use leptos::prelude::*;
use leptos_meta::Title;

use super::access_request::BecomeDeveloper;
use super::team::OffersForYou;
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
                <OffersForYou/>
                <ClientList all=false/>
            }.into_any()
        })}
    }
}
