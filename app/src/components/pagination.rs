//! Previous / next links under a paged list.

use leptos::prelude::*;

const LINK: &str = "text-sky-700 underline hover:text-sky-900";

#[component]
pub fn Pagination(page: u64, pages: u64, link: impl Fn(u64) -> String + 'static) -> impl IntoView {
    (pages > 1).then(|| {
        view! {
            <nav class="mt-4 flex items-center gap-4 text-sm" aria-label="Pagination">
                {(page > 1).then(|| view! { <a class=LINK href=link(page - 1)>"← Previous"</a> })}
                <span>"Page " {page} " of " {pages}</span>
                {(page < pages).then(|| view! { <a class=LINK href=link(page + 1)>"Next →"</a> })}
            </nav>
        }
    })
}
