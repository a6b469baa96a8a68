//! `/device` (RFC 8628 §3.3): where a person enters the code a device shows.
//! Plain HTML forms throughout, so it works with and without JavaScript: the code
//! form is a GET to this page, the decision a POST (with the CSRF token) to the
//! `device_decide` server function.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::device::{device_details, DeviceView, EntryProblem};
use crate::components::consent::ConsentCard;
use crate::components::forms::{BUTTON, INPUT, LABEL};
use crate::components::panels::ErrorPanel;

#[component]
pub fn DevicePage() -> impl IntoView {
    let location = use_location();
    let details = Resource::new(move || location.search.get(), device_details);
    view! {
        <Title text="Connect a device · Portcullis"/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(DeviceView::SignIn { return_to }) => view! {
                        <div class="mx-auto max-w-lg rounded border border-slate-200 bg-white p-6">
                            <h1 class="text-xl font-semibold">"Sign in to connect your device"</h1>
                            <a href=return_to class="mt-4 inline-block text-sky-700 underline">"Sign in"</a>
                        </div>
                    }.into_any(),
                    Ok(DeviceView::Enter { code, problem, message }) => {
                        view! { <EnterCode code problem message/> }.into_any()
                    }
                    Ok(DeviceView::Consent { consent, user_code }) => {
                        let hidden = consent.params.clone();
                        view! {
                            <ConsentCard c=*consent action="/api/device_decide" hidden>
                                // RFC 8628 §5.4: the person compares this with the device's
                                // screen; a code someone else sent them is a phishing attempt.
                                <div class="mt-6 rounded border border-amber-300 bg-amber-50 p-4 text-amber-950" data-testid="device-code-check">
                                    <p>"Only allow this if your device shows this code:"</p>
                                    <p class="mt-2 font-mono text-2xl font-semibold tracking-widest" data-testid="device-user-code">{user_code}</p>
                                    <p class="mt-2 text-sm">"If you did not start signing in on a device yourself, or someone sent you this code, choose Deny."</p>
                                </div>
                            </ConsentCard>
                        }.into_any()
                    }
                    Ok(DeviceView::Done { approved }) => view! {
                        <section class="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-8 shadow-sm" data-testid="device-done">
                            {if approved {
                                view! {
                                    <h1 class="text-2xl font-semibold">"Device connected"</h1>
                                    <p class="mt-3">"You can return to your device: it will finish signing in by itself."</p>
                                }.into_any()
                            } else {
                                view! {
                                    <h1 class="text-2xl font-semibold">"Access denied"</h1>
                                    <p class="mt-3">"The device was not given access. You can return to your device."</p>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EnterCode(
    code: String,
    problem: Option<EntryProblem>,
    message: Option<String>,
) -> impl IntoView {
    let text = problem.map(|p| {
        message.unwrap_or_else(|| {
            match p {
                EntryProblem::NotValid => "That code is not valid. Check the code on your device and try again; if it has expired, start again on the device.",
                EntryProblem::Throttled => "Too many wrong codes. Try again later.",
                EntryProblem::Refused => "This app cannot be used with your account right now.",
            }
            .to_owned()
        })
    });
    view! {
        <section class="mx-auto max-w-md rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
            <h1 class="text-2xl font-semibold">"Connect a device"</h1>
            <p class="mt-2 text-slate-600">"Enter the code shown on your device."</p>
            {text.map(|t| view! {
                <div role="alert" class="mt-4 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900" data-testid="device-error">{t}</div>
            })}
            <form method="get" action="/device" class="mt-6">
                <label for="user_code" class=LABEL>"Code"</label>
                <input id="user_code" name="user_code" value=code class=INPUT required=true
                    maxlength="32" autocomplete="off" autocapitalize="characters" spellcheck="false"
                    placeholder="BCDF-GHJK"/>
                <button type="submit" class=format!("{BUTTON} mt-4")>"Continue"</button>
            </form>
        </section>
    }
}
