//! Passkeys: the person's list (`/account/passkeys`: add, remove) and the sign-in
//! page's "Use a passkey". Adding and signing in need the browser's
//! WebAuthn API, so those controls appear only once the page runs its code
//! (`/passkeys.js` carries the ceremony); the list and removal are plain forms.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::passkeys::{my_passkeys, RemovePasskey};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

/// True once the page runs in the browser (Effects run only there).
fn use_scripted() -> ReadSignal<bool> {
    let (scripted, set) = signal(false);
    Effect::new(move |_| set.set(true));
    scripted
}

/// The sign-in page's passkey button (nothing without JavaScript).
#[component]
pub fn PasskeySignIn(return_to: String) -> impl IntoView {
    let scripted = use_scripted();
    move || {
        let return_to = return_to.clone();
        scripted.get().then(|| {
            view! {
                <div class="mt-4" data-passkey-root="">
                    <CsrfField/>
                    <p data-passkey-error="" role="alert" hidden=true class="mb-2 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900"></p>
                    <button type="button" data-passkey-sign-in="" data-return-to=return_to class=format!("{BUTTON_SECONDARY} w-full justify-center")>"Use a passkey"</button>
                </div>
            }
        })
    }
}

/// The second step's passkey button (`/login/second-factor`); without JavaScript,
/// what to do instead. `code`: the person can also type a code there.
#[component]
pub fn PasskeySecondStep(return_to: String, code: bool) -> impl IntoView {
    let scripted = use_scripted();
    move || {
        let return_to = return_to.clone();
        if scripted.get() {
            view! {
                <div class="mt-4" data-passkey-root="" data-testid="passkey-second-step">
                    <CsrfField/>
                    {(!code).then(|| view! {
                        <p class="mb-3 text-slate-700">"Confirm it is you with one of your passkeys."</p>
                    })}
                    <p data-passkey-error="" role="alert" hidden=true class="mb-2 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900"></p>
                    <button type="button" data-passkey-sign-in="" data-passkey-step="second" data-return-to=return_to
                        class=format!("{} w-full justify-center", if code { BUTTON_SECONDARY } else { BUTTON })>"Use a passkey"</button>
                </div>
            }
            .into_any()
        } else if code {
            view! {
                <p class="mt-4 text-sm text-slate-600">"With JavaScript on, one of your passkeys would do instead."</p>
            }
            .into_any()
        } else {
            view! {
                <p class="rounded border border-amber-300 bg-amber-50 px-4 py-3 text-amber-900" data-testid="passkey-needs-js">
                    "Your second step is one of your passkeys, and passkeys need JavaScript. Turn JavaScript on, or use a browser that has it."
                </p>
            }
            .into_any()
        }
    }
}

#[component]
pub fn PasskeysPage() -> impl IntoView {
    view! {
        <Title text="Passkeys · Portcullis"/>
        {signed_in_or_prompt("/account/passkeys", |_, _| view! { <Passkeys/> })}
    }
}

#[component]
fn Passkeys() -> impl IntoView {
    let remove = ServerAction::<RemovePasskey>::new();
    let error = move || remove.value().get().and_then(|r| r.err());
    let list = Resource::new(move || remove.version().get(), |_| my_passkeys());
    let scripted = use_scripted();
    view! {
        <h1 class="text-2xl font-semibold">"Passkeys"</h1>
        <p class="mt-2 max-w-2xl text-slate-600">
            "A passkey signs you in without a password: your device checks it is you (PIN, fingerprint or face) and proves it to this site. "
            <a href="/account" class="text-sky-700 underline">"Back to my account"</a>
        </p>
        <div class="mt-4 max-w-2xl"><FormError error/></div>
        <div class="mt-6 grid max-w-2xl gap-6">
            <section class=CARD>
                <h2 class="text-lg font-semibold">"Add a passkey"</h2>
                {move || if scripted.get() {
                    view! {
                        <form data-passkey-register="" class="mt-3" method="post" action="/account/passkeys">
                            <CsrfField/>
                            <p data-passkey-error="" role="alert" hidden=true class="mb-3 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900"></p>
                            <label for="f-passkey-name" class=LABEL>"Name of this passkey"</label>
                            <input id="f-passkey-name" name="name" required=true maxlength="60" class=INPUT placeholder="e.g. Work laptop"/>
                            <button type="submit" class=format!("{BUTTON} mt-3")>"Add a passkey"</button>
                        </form>
                    }.into_any()
                } else {
                    view! {
                        <p class="mt-2 text-slate-600" data-testid="passkeys-need-js">"Passkeys need JavaScript in your browser. Turn it on to add one."</p>
                    }.into_any()
                }}
            </section>
            <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(v) if v.passkeys.is_empty() => view! {
                            <section class=CARD><p class="text-slate-600" data-testid="no-passkeys">"You have no passkeys yet."</p></section>
                        }.into_any(),
                        Ok(v) => view! {
                            <section class=CARD>
                                <h2 class="text-lg font-semibold">"Your passkeys"</h2>
                                <ul class="mt-2 divide-y divide-slate-200" data-testid="passkeys">
                                    {v.passkeys.into_iter().map(|p| {
                                        let used = format!("Added {} · Last used: {}", p.created, p.last_used.unwrap_or_else(|| "never".into()));
                                        let summary = format!("Remove {}…", p.name);
                                        let confirm = format!("Remove the passkey {}", p.name);
                                        view! {
                                            <li class="py-3">
                                                <p class="font-medium">{p.name.clone()}</p>
                                                <p class="text-sm text-slate-600">{used}</p>
                                                <details class="mt-2">
                                                    <summary class="cursor-pointer text-sm text-red-800 underline">{summary}</summary>
                                                    <p class="mt-2 text-sm text-slate-700">"It will no longer sign you in here. The device keeps it until you delete it there too."</p>
                                                    <ActionForm action=remove attr:class="mt-2">
                                                        <CsrfField/>
                                                        <input type="hidden" name="id" value=p.id/>
                                                        <button type="submit" class="inline-flex items-center rounded bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800">{confirm}</button>
                                                    </ActionForm>
                                                </details>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}
