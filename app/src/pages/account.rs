use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::session::{
    get_terms, sign_in_second_step_kinds, sign_in_terms, SignIn, SignInAcceptTerms,
    SignInSecondStep, SignUp,
};
use crate::components::forms::{CsrfField, Field, FormError, BUTTON};
use crate::components::layout::use_shell;
use crate::components::panels::ErrorPanel;
use crate::error::AppError;
use crate::navigation::{encode_component, query_param};
use crate::pages::passkeys::PasskeySecondStep;

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
            <crate::pages::upstream::UpstreamRefusal/>
            <FormError error fields=vec!["username", "password"]/>
            <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                <CsrfField/>
                <input type="hidden" name="return_to" value=return_to/>
                <Field name="username" label="Username" autocomplete="username" required=true error/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password" required=true error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600"><a href="/forgot-password" class="text-sky-700 underline">"Forgot your password?"</a></p>
            <crate::pages::passkeys::PasskeySignIn return_to=return_to()/>
            <crate::pages::upstream::UpstreamSignIn return_to=return_to()/>
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
    let terms = Resource::new(|| (), |_| get_terms());
    view! {
        <Title text="Create account · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Create an account"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let open = shell.await.map(|s| s.allow_signup).unwrap_or(false);
                    let terms = terms.await.ok().flatten();
                    // Without JavaScript a refused sign-up comes back as a new page:
                    // what the person typed (never the passwords) comes with the
                    // error (issue 13, defect 4). Read once: hydrated, the inputs
                    // keep their text themselves.
                    let sent = move |input: &str| {
                        action.value().get_untracked().and_then(|r| r.err()).and_then(|e| e.sent(input)).unwrap_or_default()
                    };
                    if open {
                        view! {
                            <FormError error fields=vec!["username", "email", "display_name", "password", "password_confirm", "accept_terms"]/>
                            <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                                <CsrfField/>
                                <input type="hidden" name="return_to" value=return_to/>
                                <Field name="username" label="Username" autocomplete="username" required=true maxlength={limits::USERNAME} hint="3–64 characters: letters, digits, '.', '_' or '-'." value=sent("username") error/>
                                <Field name="email" label="E-mail" kind="email" autocomplete="email" required=true maxlength={limits::EMAIL} value=sent("email") error/>
                                <Field name="display_name" label="Display name" autocomplete="name" maxlength={limits::DISPLAY_NAME} value=sent("display_name") error/>
                                <Field name="password" label="Password" kind="password" autocomplete="new-password" required=true maxlength={limits::PASSWORD} hint="At least 10 characters and hard to guess: a few unrelated words work well." error/>
                                <Field name="password_confirm" label="Repeat the password" kind="password" autocomplete="new-password" required=true error/>
                                {terms.map(|t| view! { <AcceptTerms terms=t error/> })}
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

/// The box that accepts the terms of use: its value is the version read, so
/// terms changed in between are not accepted unread.
#[component]
pub fn AcceptTerms<F>(terms: crate::model::TermsView, error: F) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let message = move || error().and_then(|e| e.field_message("accept_terms"));
    view! {
        <div class="mb-4">
            <div class="flex items-start gap-2">
                <input type="checkbox" id="f-accept_terms" name="accept_terms" value=terms.version.clone() required=true
                    class="mt-0.5 h-6 w-6 shrink-0" aria-describedby="f-accept_terms-error"
                    aria-invalid=move || message().is_some().then_some("true")/>
                <label for="f-accept_terms" class="text-sm text-slate-700">
                    "I have read and accept the "
                    <a href=terms.url class="text-sky-700 underline" target="_blank" rel="noopener noreferrer">"terms of use"</a>
                    " (version " {terms.version} ")."
                </label>
            </div>
            <p id="f-accept_terms-error" class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}

/// The second step of a sign-in (`/login/second-factor`): a code from the
/// authenticator app, or a recovery code in the same field, and — for a person
/// with passkeys, once the page runs its code — "Use a passkey". No session
/// exists yet; the sign-in waiting for this step is bound to the browser by a
/// cookie.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<SignInSecondStep>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let return_to = use_return_to();
    let kinds = Resource::new(|| (), |_| sign_in_second_step_kinds());
    view! {
        <Title text="Second step · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Second step"</h1>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match kinds.await {
                        Err(e) => view! {
                            <ErrorPanel error=e/>
                            <p class="mt-4 text-sm"><a href="/login" class="text-sky-700 underline">"Sign in again"</a></p>
                        }.into_any(),
                        Ok(k) => view! {
                            {k.code.then(|| view! {
                                <FormError error fields=vec!["code"]/>
                                <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                                    <CsrfField/>
                                    <input type="hidden" name="return_to" value=return_to/>
                                    <Field name="code" label="Code from your authenticator app" autocomplete="one-time-code" required=true maxlength=64
                                        hint="Six digits. Lost your device? Type one of your recovery codes here instead." error/>
                                    <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Continue"</button>
                                </ActionForm>
                            })}
                            {k.passkey.then(|| view! {
                                <PasskeySecondStep return_to=return_to() code=k.code/>
                            })}
                        }.into_any(),
                    }
                })}
            </Suspense>
            <p class="mt-4 text-sm text-slate-600"><a href="/login" class="text-sky-700 underline">"Start over"</a></p>
        </div>
    }
}

/// A sign-in that waits for the person to accept the terms of use
/// (`/login/terms`): none accepted yet, or a new version since. No session exists
/// yet; the acceptance is recorded when the sign-in completes.
#[component]
pub fn TermsPage() -> impl IntoView {
    let action = ServerAction::<SignInAcceptTerms>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let return_to = use_return_to();
    let terms = Resource::new(|| (), |_| sign_in_terms());
    view! {
        <Title text="Terms of use · Portcullis"/>
        <div class="mx-auto max-w-md">
            <h1 class="text-2xl font-semibold mb-6">"Terms of use"</h1>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match terms.await {
                        Err(e) => view! {
                            <ErrorPanel error=e/>
                            <p class="mt-4 text-sm"><a href="/login" class="text-sky-700 underline">"Sign in again"</a></p>
                        }.into_any(),
                        Ok(t) => view! {
                            <FormError error fields=vec!["accept_terms"]/>
                            <ActionForm action attr:class="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
                                <CsrfField/>
                                <input type="hidden" name="return_to" value=return_to/>
                                {match t {
                                    Some(t) => view! {
                                        <p class="mb-4 text-slate-700">
                                            "To go on, read and accept this server's terms of use. They are new, or have changed since you last accepted them."
                                        </p>
                                        <AcceptTerms terms=t error/>
                                    }.into_any(),
                                    None => view! {
                                        <p class="mb-4 text-slate-700">"There are no terms to accept any more."</p>
                                    }.into_any(),
                                }}
                                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Continue"</button>
                            </ActionForm>
                            <p class="mt-4 text-sm text-slate-600">
                                "Do not accept? " <a href="/login" class="text-sky-700 underline">"Leave without signing in"</a>
                            </p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
