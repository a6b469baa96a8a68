//! Signing in through an upstream OpenID provider: the sign-in page's buttons and
//! home-realm discovery, the page that explains a refused upstream sign-in, the
//! link offered to the holder of an address (`/login/link`), and the person's
//! linked providers (`/account/providers`). Plain forms: the buttons post and the
//! browser follows the redirect to the provider, with JavaScript or without.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::api::upstream::{
    upstream_links, upstream_offer, upstream_options, UpstreamConfirm, UpstreamDecline,
    UpstreamDiscover, UpstreamUnlink,
};
use crate::components::forms::{CsrfField, Field, FormError, BUTTON, BUTTON_SECONDARY};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::navigation::{encode_component, query_param};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

/// What a refused upstream sign-in (`?upstream_error=`) tells the person; only
/// known codes, so an address cannot put text of its own on the page.
pub fn refusal_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "cancelled" => "You cancelled the sign-in at your provider, so you are not signed in. Choose how to sign in.",
        "failed" => "Your provider sent an answer we could not accept, so you are not signed in. Try again; if it keeps happening, tell an administrator.",
        "unavailable" => "Your provider is not answering. Try again in a few minutes, or sign in with your password.",
        "expired" => "That sign-in took too long or was started in another browser. Start again.",
        "disabled" => "This account is disabled. Contact an administrator.",
        "no_account" => "No account here is linked to that identity, and new accounts are not made from it. Ask an administrator.",
        "unverified" => "An account here already has the e-mail address your provider gave, but the provider has not verified it, so the two cannot be linked. Sign in with your password, then link the provider on your account page.",
        "no_email" => "Your provider did not share a usable e-mail address, which a new account needs. Allow it to share your address and try again.",
        "linked_elsewhere" => "That identity is already linked to another account here.",
        "already_linked" => "Your account is already linked to a different identity at that provider. Remove that link first.",
        _ => return None,
    })
}

/// The refusal named in the address, as an alert.
#[component]
pub fn UpstreamRefusal() -> impl IntoView {
    let location = use_location();
    move || {
        query_param(&location.search.read(), "upstream_error")
            .and_then(|c| refusal_text(&c))
            .map(|t| {
                view! {
                    <div role="alert" class="mb-4 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900" data-testid="upstream-error">{t}</div>
                }
            })
    }
}

/// "Continue with …" for each provider, and (when a provider signs in an e-mail
/// domain) a field for the address; nothing when no provider is configured.
#[component]
pub fn UpstreamSignIn(return_to: String) -> impl IntoView {
    let options = Resource::new(|| (), |_| upstream_options());
    let discover = ServerAction::<UpstreamDiscover>::new();
    let error = move || discover.value().get().and_then(|r| r.err());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let return_to = return_to.clone();
                Suspend::new(async move {
                    let o = options.await.unwrap_or_default();
                    (!o.providers.is_empty()).then(|| view! {
                        <div class="mt-6" data-testid="upstream">
                            <p class="mb-2 text-sm text-slate-600">"Or sign in with an account you already have:"</p>
                            <div class="grid gap-2">
                                {o.providers.into_iter().map(|p| view! {
                                    <form method="post" action="/api/upstream_start">
                                        <CsrfField/>
                                        <input type="hidden" name="provider" value=p.id/>
                                        <input type="hidden" name="return_to" value=return_to.clone()/>
                                        <button type="submit" class=format!("{BUTTON_SECONDARY} w-full justify-center")>{format!("Continue with {}", p.name)}</button>
                                    </form>
                                }).collect_view()}
                            </div>
                            {o.discovery.then(|| view! {
                                <ActionForm action=discover attr:class="mt-4" attr:data-testid="realm-discovery">
                                    <FormError error fields=vec!["email"]/>
                                    <CsrfField/>
                                    <input type="hidden" name="return_to" value=return_to.clone()/>
                                    <Field name="email" label="Work or school e-mail" kind="email" autocomplete="email" required=true
                                        maxlength={limits::EMAIL} hint="We send you to your organisation's sign-in page." error/>
                                    <button type="submit" class=BUTTON_SECONDARY>"Continue"</button>
                                </ActionForm>
                            })}
                        </div>
                    })
                })
            }}
        </Suspense>
    }
}

/// `/login/link`: an upstream identity whose verified address an account here
/// has. Only that account's holder, signed in, links the two.
#[component]
pub fn LinkOfferPage() -> impl IntoView {
    let confirm = ServerAction::<UpstreamConfirm>::new();
    let decline = ServerAction::<UpstreamDecline>::new();
    let error = move || confirm.value().get().and_then(|r| r.err());
    let offer = Resource::new(|| (), |_| upstream_offer());
    view! {
        <Title text="Link your account · Portcullis"/>
        <div class="mx-auto max-w-md">
            <h1 class="text-2xl font-semibold mb-6">"Link your account"</h1>
            <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match offer.await {
                        Err(e) => view! {
                            <ErrorPanel error=e/>
                            <p class="mt-4 text-sm"><a href="/login" class="text-sky-700 underline">"Sign in"</a></p>
                        }.into_any(),
                        Ok(o) => {
                            let holder = o.signed_in_as.as_deref() == Some(o.username.as_str());
                            let intro = format!(
                                "{} says you are {}. An account here, {}, has that address.",
                                o.provider, o.email, o.username
                            );
                            view! {
                                <div class=CARD>
                                    <p class="text-slate-700">{intro}</p>
                                    {if holder {
                                        view! {
                                            <p class="mt-3 text-slate-700">{format!(
                                                "Link {} to this account? Afterwards you can sign in with either. You can remove the link on your account page.",
                                                o.provider
                                            )}</p>
                                            <FormError error/>
                                            <div class="mt-4 flex flex-wrap gap-3">
                                                <ActionForm action=confirm>
                                                    <CsrfField/>
                                                    <button type="submit" class=BUTTON>{format!("Link {}", o.provider)}</button>
                                                </ActionForm>
                                                <ActionForm action=decline>
                                                    <CsrfField/>
                                                    <button type="submit" class=BUTTON_SECONDARY>"Do not link"</button>
                                                </ActionForm>
                                            </div>
                                        }.into_any()
                                    } else {
                                        let other = o.signed_in_as.clone().map(|me| view! {
                                            <p class="mt-3 text-slate-700">{format!(
                                                "You are signed in as {me}. Sign out, then sign in as {}.", o.username
                                            )}</p>
                                        });
                                        view! {
                                            <p class="mt-3 text-slate-700">{format!(
                                                "To link them, prove the account is yours: sign in to {} with its password, then confirm here.",
                                                o.username
                                            )}</p>
                                            {other}
                                            <p class="mt-4"><a href=format!("/login?return_to={}", encode_component("/login/link"))
                                                class=BUTTON>{format!("Sign in as {}", o.username)}</a></p>
                                        }.into_any()
                                    }}
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

/// `/account/providers`: the providers linked to the person's account, each
/// removable (confirmed), and buttons to link the others.
#[component]
pub fn ProvidersPage() -> impl IntoView {
    view! {
        <Title text="Sign-in providers · Portcullis"/>
        {signed_in_or_prompt("/account/providers", |_, _| view! { <Providers/> })}
    }
}

#[component]
fn Providers() -> impl IntoView {
    let unlink = ServerAction::<UpstreamUnlink>::new();
    let error = move || unlink.value().get().and_then(|r| r.err());
    let links = Resource::new(move || unlink.version().get(), |_| upstream_links());
    view! {
        <h1 class="text-2xl font-semibold">"Sign-in providers"</h1>
        <p class="mt-2 max-w-2xl text-slate-600">"Accounts elsewhere that sign you in here. "
            <a href="/account" class="text-sky-700 underline">"Back to my account"</a></p>
        <div class="mt-4 max-w-2xl"><UpstreamRefusal/><FormError error/></div>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match links.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(v) => view! {
                        <div class="mt-6 grid max-w-2xl gap-6">
                            <section class=CARD>
                                <h2 class="text-lg font-semibold">"Linked"</h2>
                                {if v.links.is_empty() {
                                    view! { <p class="mt-2 text-slate-600" data-testid="no-links">"No provider is linked to your account."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mt-2 divide-y divide-slate-200" data-testid="links">
                                            {v.links.into_iter().map(|l| {
                                                let detail = format!(
                                                    "{}linked {}{}",
                                                    l.email.map(|e| format!("{e} · ")).unwrap_or_default(),
                                                    l.linked,
                                                    l.last_sign_in.map(|t| format!(" · last sign-in {t}")).unwrap_or_default(),
                                                );
                                                let label = format!("Remove {}…", l.name);
                                                let confirm = format!("Remove the link to {}", l.name);
                                                view! {
                                                    <li class="py-3">
                                                        <p class="font-medium">{l.name.clone()}</p>
                                                        <p class="text-sm text-slate-600">{detail}</p>
                                                        <details class="mt-2">
                                                            <summary class="cursor-pointer text-sm text-red-800 underline">{label}</summary>
                                                            <p class="mt-2 text-sm text-slate-700">{format!(
                                                                "You will no longer be able to sign in here with {}. You can link it again later.", l.name
                                                            )}</p>
                                                            <ActionForm action=unlink attr:class="mt-2">
                                                                <CsrfField/>
                                                                <input type="hidden" name="provider" value=l.provider/>
                                                                <button type="submit" class="inline-flex items-center rounded bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800">{confirm}</button>
                                                            </ActionForm>
                                                        </details>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                            {(!v.available.is_empty()).then(|| view! {
                                <section class=CARD>
                                    <h2 class="text-lg font-semibold">"Link another"</h2>
                                    <p class="mt-1 text-sm text-slate-600">"You sign in at the provider; it then signs you in here too."</p>
                                    <div class="mt-3 flex flex-wrap gap-2">
                                        {v.available.into_iter().map(|p| view! {
                                            <form method="post" action="/api/upstream_start">
                                                <CsrfField/>
                                                <input type="hidden" name="provider" value=p.id/>
                                                <input type="hidden" name="link" value="1"/>
                                                <button type="submit" class=BUTTON_SECONDARY>{format!("Link {}", p.name)}</button>
                                            </form>
                                        }).collect_view()}
                                    </div>
                                </section>
                            })}
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
