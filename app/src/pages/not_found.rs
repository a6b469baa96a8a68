use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found · Portcullis"/>
        <section class="text-center py-16">
            <p class="text-sm font-semibold text-sky-700">"404"</p>
            <h1 class="mt-2 text-3xl font-bold">"Page not found"</h1>
            <p class="mt-4 text-slate-600">"There is nothing at this address. Check the link, or go back to the start."</p>
            <a href="/" class="mt-6 inline-block text-sky-700 underline">"Go to the home page"</a>
        </section>
    }
}
