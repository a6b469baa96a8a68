use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::layout::use_shell;
use crate::model::UserView;

#[component]
pub fn HomePage() -> impl IntoView {
    let shell = use_shell();
    view! {
        <Title text="Portcullis"/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match shell.await.ok().and_then(|s| s.user) {
                    Some(user) => view! { <Dashboard user/> }.into_any(),
                    None => view! { <Welcome/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="py-12">
            <h1 class="text-4xl font-bold tracking-tight">"Sign in once. Decide who gets in."</h1>
            <p class="mt-4 max-w-2xl text-lg text-slate-600">
                "Portcullis is the sign-in service and developer portal of this platform. "
                "Sign in to see the applications you allowed, to manage your own OAuth clients, or to administer the service."
            </p>
            <a href="/login" class="mt-8 inline-block rounded bg-sky-700 px-5 py-2.5 font-medium text-white hover:bg-sky-800">"Sign in"</a>
        </section>
    }
}

#[component]
fn Dashboard(user: UserView) -> impl IntoView {
    let card = "block rounded-lg border border-slate-200 bg-white p-5 hover:border-sky-400 focus:outline-none focus:ring-2 focus:ring-sky-500";
    view! {
        <h1 class="text-2xl font-semibold">"Welcome, " {user.display_name.clone()}</h1>
        <p class="mt-1 text-slate-600">"Signed in as " <strong>{user.username.clone()}</strong> " (" {user.role.label()} ")."</p>
        <div class="mt-8 grid gap-4 sm:grid-cols-3">
            <a href="/apps" class=card>
                <h2 class="font-semibold">"My apps"</h2>
                <p class="mt-1 text-sm text-slate-600">"Applications you allowed to act for you."</p>
            </a>
            {user.can_develop().then(|| view! {
                <a href="/developer" class=card>
                    <h2 class="font-semibold">"Developer"</h2>
                    <p class="mt-1 text-sm text-slate-600">"Your OAuth clients and requests."</p>
                </a>
            })}
            {user.is_admin().then(|| view! {
                <a href="/admin" class=card>
                    <h2 class="font-semibold">"Admin"</h2>
                    <p class="mt-1 text-sm text-slate-600">"Users, roles and settings."</p>
                </a>
            })}
        </div>
    }
}
