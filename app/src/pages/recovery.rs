//! Account recovery and e-mail verification pages: `/forgot-password` (asks for a
//! username or address), `/reset-password?token=…` (the mailed reset link: a new
//! password), `/verify-email?token=…` (the mailed verification link: one button, so
//! a mail scanner that only opens the page verifies nothing). Plain forms, so all
//! three work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::recovery::{reset_link, RequestPasswordReset, ResetPassword, VerifyEmail};
use crate::components::forms::{CsrfField, Field, FormError, BUTTON};
use crate::navigation::query_param;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

/// The `token` of the page's address.
fn use_token() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let location = use_location();
    move || query_param(&location.search.read(), "token").unwrap_or_default()
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Title text="Forgot your password? · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Forgot your password?"</h1>
            <p class="mb-4 text-slate-700">
                "Enter your username or e-mail address. If it belongs to an account, we send a link to choose a new password to the account's e-mail address."
            </p>
            <FormError error fields=vec!["who"]/>
            <ActionForm action attr:class=CARD>
                <CsrfField/>
                <Field name="who" label="Username or e-mail address" autocomplete="username" required=true maxlength={limits::EMAIL} error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Send me a link"</button>
            </ActionForm>
            <p class="mt-4 text-sm text-slate-600"><a href="/login" class="text-sky-700 underline">"Back to sign-in"</a></p>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = use_token();
    let link = Resource::new(token, reset_link);
    let action = ServerAction::<ResetPassword>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Title text="Choose a new password · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Choose a new password"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(username) => view! {
                            <p class="mb-4 text-slate-700">
                                "For the account " <strong data-testid="reset-username">{username}</strong>
                                ". Afterwards you sign in with the new password; you are signed out everywhere else."
                            </p>
                            <FormError error fields=vec!["password", "password_confirm"]/>
                            <ActionForm action attr:class=CARD>
                                <CsrfField/>
                                <input type="hidden" name="token" value=token/>
                                <Field name="password" label="New password" kind="password" autocomplete="new-password" required=true maxlength={limits::PASSWORD} hint="At least 10 characters and hard to guess: a few unrelated words work well." error/>
                                <Field name="password_confirm" label="Repeat the new password" kind="password" autocomplete="new-password" required=true error/>
                                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Set the new password"</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <LinkProblem message=e.to_string() again="/forgot-password"/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let token = use_token();
    let action = ServerAction::<VerifyEmail>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Title text="Confirm your e-mail address · Portcullis"/>
        <div class="mx-auto max-w-sm">
            <h1 class="text-2xl font-semibold mb-6">"Confirm your e-mail address"</h1>
            <FormError error/>
            <ActionForm action attr:class=CARD>
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <p class="mb-4 text-slate-700">"Confirm that the address this link was sent to is yours."</p>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Confirm my address"</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn LinkProblem(message: String, again: &'static str) -> impl IntoView {
    view! {
        <div role="alert" class="rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900" data-testid="link-error">
            {message}
        </div>
        <p class="mt-4 text-sm"><a href=again class="text-sky-700 underline">"Ask for a new link"</a></p>
    }
}
