//! A sign-in that must set up a second factor before its session exists (an
//! administrator requires one of the person's role; docs/IDENTITY.md, "Requiring
//! a second factor"): `/login/set-up-second-factor`, then the recovery codes once
//! at `/login/recovery-codes`, then on to where the sign-in was going. Plain
//! forms and links, so every step works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::second_factor::{sign_in_set_up, sign_in_set_up_done, SignInSetUpConfirm};
use crate::components::forms::{CsrfField, Field, FormError, BUTTON};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::navigation::query_param;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

fn return_to() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let location = use_location();
    move || query_param(&location.search.read(), "return_to").unwrap_or_else(|| "/".to_owned())
}

fn role_people(role: &str) -> &'static str {
    match role {
        "admin" => "administrators",
        "developer" => "developers",
        _ => "everyone",
    }
}

#[component]
pub fn SetUpSecondFactorPage() -> impl IntoView {
    let action = ServerAction::<SignInSetUpConfirm>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let return_to = return_to();
    let view_data = Resource::new(|| (), |_| sign_in_set_up());
    view! {
        <Title text="Set up two-step sign-in · Portcullis"/>
        <div class="mx-auto max-w-md">
            <h1 class="text-2xl font-semibold mb-6">"Set up two-step sign-in"</h1>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(v) => view! {
                            <section class=CARD data-testid="set-up-second-factor">
                                <p class="mb-4 text-slate-700">
                                    {format!(
                                        "An administrator requires two-step sign-in for {}. Before you go on, {}, add this account to an authenticator app on your phone.",
                                        role_people(&v.role), v.username
                                    )}
                                </p>
                                <h2 class="text-lg font-semibold mb-2">"1. Add this account to your app"</h2>
                                <div role="img" aria-label="QR code of the setup link" class="mb-3 w-52" inner_html=v.enrollment.qr_svg></div>
                                <p class="text-sm font-medium text-slate-600">"Key"</p>
                                <p class="mb-3 break-all font-mono" data-testid="totp-secret">{v.enrollment.secret}</p>
                                <p class="text-sm font-medium text-slate-600">"Setup link"</p>
                                <p class="mb-6 break-all font-mono text-sm">{v.enrollment.uri}</p>
                                <h2 class="text-lg font-semibold mb-2">"2. Enter the code it shows"</h2>
                                <FormError error fields=vec!["code"]/>
                                <ActionForm action>
                                    <CsrfField/>
                                    <input type="hidden" name="return_to" value=return_to/>
                                    <Field name="code" label="Code from your app" autocomplete="one-time-code" required=true maxlength=64 error/>
                                    <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Turn on and continue"</button>
                                </ActionForm>
                            </section>
                        }.into_any(),
                        Err(e) => view! {
                            <ErrorPanel error=e/>
                            <p class="mt-4 text-sm"><a href="/login" class="text-sky-700 underline">"Sign in again"</a></p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn RecoveryCodesAfterSetUpPage() -> impl IntoView {
    view! {
        <Title text="Your recovery codes · Portcullis"/>
        {signed_in_or_prompt("/login/recovery-codes", |_, _| view! { <Codes/> })}
    }
}

#[component]
fn Codes() -> impl IntoView {
    let return_to = return_to();
    let done = Resource::new(return_to, sign_in_set_up_done);
    view! {
        <div class="mx-auto max-w-md">
            <h1 class="text-2xl font-semibold mb-6">"Two-step sign-in is on"</h1>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match done.await {
                        Ok(d) => view! {
                            <section class=CARD data-testid="recovery-codes" aria-labelledby="codes-h">
                                {if d.codes.is_empty() {
                                    view! {
                                        <p class="text-slate-700">
                                            "Your recovery codes were shown already. You can make new ones on your "
                                            <a href="/account/two-factor" class="text-sky-700 underline">"two-step sign-in page"</a> "."
                                        </p>
                                    }.into_any()
                                } else {
                                    view! {
                                        <h2 id="codes-h" class="text-lg font-semibold mb-2">"Your recovery codes"</h2>
                                        <p class="mb-3 text-sm text-slate-700">
                                            "Keep these somewhere safe. Each works once, in place of a code from your app, if you lose your phone. They are shown only now."
                                        </p>
                                        <ul class="grid grid-cols-2 gap-1 font-mono">
                                            {d.codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                                // A link the server answers (it may be the authorization
                                // endpoint), not a page of the client-side router.
                                <a href=d.continue_to rel="external" class=format!("{BUTTON} mt-6") data-testid="continue">"I saved them — continue"</a>
                            </section>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
