use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::session::{SignIn, SignInSecondStep, SignUp};
use crate::components::forms::{CsrfField, Field, FormError, BUTTON};
use crate::components::layout::use_shell;
use crate::navigation::{encode_component, query_param};

/// Where to go after signing in: `return_to` from the address, decoded once (it is
/// checked again on the server).
fn use_return_to() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let location = use_location();
    move || query_param(&location.search.read(), "return_to").unwrap_or_else(|| "/".to_owned())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let return_to = use_return_to();
    let shell = use_shell();
    view! {
        <Title text="Sign in · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Sign in"</h1>
            <FormError error fields=vec!["username", "password"]/>
            <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <CsrfField/>
                <input type="hidden" name="return_to" value=return_to/>
                <Field name="username" label="Username" autocomplete="username" required=true error/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password" required=true error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600"><a href="/forgot-password" class="text-sky-700 underline">"Forgot your password?"</a></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    shell.await.ok().filter(|s| s.allow_signup).map(|_| {
                        // Sign-up carries on to where sign-in would have gone.
                        let href = match return_to().as_str() {
                            "/" => "/signup".to_owned(),
                            r => format!("/signup?return_to={}", encode_component(r)),
                        };
                        view! {
                            <p class="mt-4 text-sm text-slate-600">"No account? " <a href=href class="text-sky-700 underline">"Create one"</a></p>
                        }
                    })
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let return_to = use_return_to();
    let shell = use_shell();
    view! {
        <Title text="Create account · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Create an account"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let open = shell.await.map(|s| s.allow_signup).unwrap_or(false);
                    if open {
                        view! {
                            <FormError error fields=vec!["username", "email", "display_name", "password", "password_confirm"]/>
                            <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                                <CsrfField/>
                                <input type="hidden" name="return_to" value=return_to/>
                                <Field name="username" label="Username" autocomplete="username" required=true maxlength={limits::USERNAME} hint="3–64 characters: letters, digits, '.', '_' or '-'." error/>
                                <Field name="email" label="E-mail" kind="email" autocomplete="email" required=true maxlength={limits::EMAIL} error/>
                                <Field name="display_name" label="Display name" autocomplete="name" maxlength={limits::DISPLAY_NAME} error/>
                                <Field name="password" label="Password" kind="password" autocomplete="new-password" required=true maxlength={limits::PASSWORD} hint="At least 10 characters and hard to guess: a few unrelated words work well." error/>
                                <Field name="password_confirm" label="Repeat the password" kind="password" autocomplete="new-password" required=true error/>
                                <button type="submit" class=BUTTON>"Create account"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! {
                            <p class="rounded border border-slate-200 bg-white p-6 text-slate-700">
                                "Self sign-up is turned off on this server. Ask an administrator to create an account for you."
                            </p>
                        }.into_any()
                    }
                })}
            </Suspense>
        </div>
    }
}

/// The second step of a sign-in (`/login/second-factor`): a code from the
/// authenticator app, or a recovery code in the same field. No session exists
/// yet; the sign-in waiting for this step is bound to the browser by a cookie.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<SignInSecondStep>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let return_to = use_return_to();
    view! {
        <Title text="Second step · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Enter your code"</h1>
            <FormError error fields=vec!["code"]/>
            <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <CsrfField/>
                <input type="hidden" name="return_to" value=return_to/>
                <Field name="code" label="Code from your authenticator app" autocomplete="one-time-code" required=true maxlength=64
                    hint="Six digits. Lost your device? Type one of your recovery codes here instead." error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Continue"</button>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600"><a href="/login" class="text-sky-700 underline">"Start over"</a></p>
        </div>
    }
}
