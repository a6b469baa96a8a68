//! What a page shows instead of its content: a sign-in prompt or an error, and
//! the gate that picks between the page and the prompt.

use leptos::prelude::*;

use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::model::{ShellInfo, UserView};

/// Renders `f(user)` for a signed-in user, or a sign-in prompt.
pub fn signed_in_or_prompt<V: IntoView + 'static>(
    path: &'static str,
    f: impl Fn(UserView, ShellInfo) -> V + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let shell = use_shell();
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match shell.await {
                    Ok(info) => match info.user.clone() {
                        Some(u) => f(u, info).into_any(),
                        None => view! { <SignInPrompt path/> }.into_any(),
                    },
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Renders `f()` for a signed-in administrator; a sign-in prompt, or "no
/// permission" for anyone else. (The server functions check again.)
pub fn admin_only<V: IntoView + 'static>(
    path: &'static str,
    f: impl Fn() -> V + Send + Sync + Copy + 'static,
) -> impl IntoView {
    signed_in_or_prompt(path, move |user, _| {
        if user.is_admin() {
            f().into_any()
        } else {
            view! { <ErrorPanel error=AppError::Forbidden/> }.into_any()
        }
    })
}

#[component]
pub fn SignInPrompt(path: &'static str) -> impl IntoView {
    view! {
        <div class="rounded border border-slate-200 bg-white p-6">
            <h1 class="text-xl font-semibold">"Sign in required"</h1>
            <p class="mt-2 text-slate-600">"You need to sign in to see this page."</p>
            <a href=format!("/login?return_to={path}") class="mt-4 inline-block text-sky-700 underline">"Sign in"</a>
        </div>
    }
}

#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <div role="alert" class="rounded border border-red-300 bg-red-50 p-6 text-red-900">
            <h1 class="text-lg font-semibold">"This page could not be shown"</h1>
            <p class="mt-2">{error.to_string()}</p>
        </div>
    }
}
