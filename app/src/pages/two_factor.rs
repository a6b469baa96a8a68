//! `/account/two-factor`: the person's authenticator app (TOTP) and recovery codes
//! (docs/IDENTITY.md, "Second factors"). Plain forms, so every step works without
//! JavaScript; recovery codes are shown once, on the view after they were made.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::second_factor::{
    second_factor, RecoveryCodesNew, SecondFactorView, TotpBegin, TotpConfirm, TotpDisable,
};
use crate::components::forms::{
    CsrfField, Field, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL,
};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const DANGER: &str = "inline-flex items-center rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    view! {
        <Title text="Two-step sign-in · Portcullis"/>
        {signed_in_or_prompt("/account/two-factor", |_, _| view! { <TwoFactor/> })}
    }
}

#[component]
fn TwoFactor() -> impl IntoView {
    let begin = ServerAction::<TotpBegin>::new();
    let confirm = ServerAction::<TotpConfirm>::new();
    let disable = ServerAction::<TotpDisable>::new();
    let regenerate = ServerAction::<RecoveryCodesNew>::new();
    let view_data = Resource::new(
        move || {
            begin.version().get()
                + confirm.version().get()
                + disable.version().get()
                + regenerate.version().get()
        },
        |_| second_factor(),
    );
    view! {
        <h1 class="text-2xl font-semibold">"Two-step sign-in"</h1>
        <p class="mt-2 text-slate-600"><a href="/account" class="text-sky-700 underline">"Back to my account"</a></p>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(v) => view! {
                        <div class="mt-6 grid max-w-2xl gap-6">
                            <NewCodes codes=v.new_codes.clone()/>
                            {match v.status.as_str() {
                                "active" => view! { <Active v=v.clone() disable regenerate/> }.into_any(),
                                "pending" => view! { <Pending v=v.clone() begin confirm/> }.into_any(),
                                _ => view! { <Off begin/> }.into_any(),
                            }}
                        </div>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewCodes(codes: Vec<String>) -> impl IntoView {
    (!codes.is_empty()).then(|| {
        view! {
            <section class=CARD data-testid="recovery-codes" aria-labelledby="codes-h">
                <h2 id="codes-h" class="text-lg font-semibold mb-2">"Your recovery codes"</h2>
                <p class="mb-3 text-sm text-slate-700">
                    "Keep these somewhere safe. Each works once, in place of a code from your app. They are shown only now."
                </p>
                <ul class="grid grid-cols-2 gap-1 font-mono">
                    {codes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}
                </ul>
            </section>
        }
    })
}

#[component]
fn Off(begin: ServerAction<TotpBegin>) -> impl IntoView {
    let error = move || begin.value().get().and_then(|r| r.err());
    view! {
        <section class=CARD data-testid="totp-off">
            <p class="mb-4 text-slate-700">
                "Two-step sign-in is off. With it on, signing in asks for a code from an authenticator app on your phone after your password."
            </p>
            <FormError error/>
            <ActionForm action=begin>
                <CsrfField/>
                <button type="submit" class=BUTTON>"Set up an authenticator app"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Pending(
    v: SecondFactorView,
    begin: ServerAction<TotpBegin>,
    confirm: ServerAction<TotpConfirm>,
) -> impl IntoView {
    let error = move || confirm.value().get().and_then(|r| r.err());
    let e = v
        .enrollment
        .unwrap_or_else(|| crate::api::second_factor::EnrollmentView {
            secret: String::new(),
            uri: String::new(),
            qr_svg: String::new(),
        });
    view! {
        <section class=CARD data-testid="totp-pending">
            <h2 class="text-lg font-semibold mb-2">"1. Add this account to your app"</h2>
            <p class="mb-3 text-sm text-slate-700">"Scan the code with your authenticator app, or type the key into it."</p>
            <div role="img" aria-label="QR code of the setup link" class="mb-3 w-52" inner_html=e.qr_svg></div>
            <p class="text-sm font-medium text-slate-600">"Key"</p>
            <p class="mb-3 break-all font-mono" data-testid="totp-secret">{e.secret}</p>
            <p class="text-sm font-medium text-slate-600">"Setup link"</p>
            <p class="mb-6 break-all font-mono text-sm" data-testid="totp-uri">{e.uri}</p>
            <h2 class="text-lg font-semibold mb-2">"2. Enter the code it shows"</h2>
            <FormError error fields=vec!["code"]/>
            <ActionForm action=confirm>
                <CsrfField/>
                <Field name="code" label="Code from your app" autocomplete="one-time-code" required=true maxlength=64 error/>
                <button type="submit" class=BUTTON>"Turn on"</button>
            </ActionForm>
            <ActionForm action=begin attr:class="mt-4">
                <CsrfField/>
                <button type="submit" class=BUTTON_SECONDARY>"Start over with a new key"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Active(
    v: SecondFactorView,
    disable: ServerAction<TotpDisable>,
    regenerate: ServerAction<RecoveryCodesNew>,
) -> impl IntoView {
    let off_error = move || disable.value().get().and_then(|r| r.err());
    let codes_error = move || regenerate.value().get().and_then(|r| r.err());
    view! {
        <section class=CARD data-testid="totp-active">
            <p class="text-slate-700">"Two-step sign-in is on: signing in asks for a code from your authenticator app."</p>
            <p class="mt-2 text-sm text-slate-600" data-testid="codes-left">{format!("Recovery codes left: {}", v.recovery_codes_left)}</p>
        </section>
        <section class=CARD>
            <h2 class="text-lg font-semibold mb-2">"New recovery codes"</h2>
            <p class="mb-3 text-sm text-slate-700">"Makes ten new codes; the old ones stop working. Give your password, or a code from your app."</p>
            // Errors show above the form: its inputs share their names (not their
            // ids) with the form below.
            <FormError error=codes_error/>
            <ActionForm action=regenerate>
                <CsrfField/>
                <div class="mb-4">
                    <label for="f-rc-password" class=LABEL>"Current password"</label>
                    <input id="f-rc-password" name="current_password" type="password" autocomplete="current-password" maxlength={limits::PASSWORD} class=INPUT/>
                </div>
                <div class="mb-4">
                    <label for="f-rc-code" class=LABEL>"…or a code from your app"</label>
                    <input id="f-rc-code" name="code" type="text" autocomplete="one-time-code" maxlength=64 class=INPUT/>
                </div>
                <button type="submit" class=BUTTON>"Make new recovery codes"</button>
            </ActionForm>
        </section>
        {if v.required {
            view! {
                <section class=CARD data-testid="totp-required">
                    <h2 class="text-lg font-semibold mb-2">"Turn off"</h2>
                    <p class="text-sm text-slate-700">
                        "An administrator requires two-step sign-in for your role, so it cannot be turned off. If you lose your phone, sign in with a recovery code, or ask an administrator to reset it."
                    </p>
                </section>
            }.into_any()
        } else {
            view! {
                <section class=CARD>
                    <h2 class="text-lg font-semibold mb-2">"Turn off"</h2>
                    <p class="mb-3 text-sm text-slate-700">"Signing in will ask for your password only. Give your password, or a code from your app."</p>
                    <FormError error=off_error fields=vec!["current_password", "code", "confirm"]/>
                    <ActionForm action=disable>
                        <CsrfField/>
                        <Field name="current_password" label="Current password" kind="password" autocomplete="current-password" maxlength={limits::PASSWORD} error=off_error/>
                        <Field name="code" label="…or a code from your app" autocomplete="one-time-code" maxlength=64 error=off_error/>
                        <div class="mb-4">
                            <input id="f-confirm" type="checkbox" name="confirm" required=true/>
                            <label for="f-confirm" class="ml-2">"Yes, turn two-step sign-in off"</label>
                        </div>
                        <button type="submit" class=DANGER>"Turn off"</button>
                    </ActionForm>
                </section>
            }.into_any()
        }}
    }
}
