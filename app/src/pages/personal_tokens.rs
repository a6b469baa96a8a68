//! `/account/tokens`: the person's personal access tokens for the REST API — make
//! one (name, full or read-only, days), copy it once, see each one's last use,
//! revoke it. Plain forms, so every step works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::personal_tokens::{
    personal_tokens, CreatePersonalToken, PersonalTokenView, RevokePersonalToken,
};
use crate::components::forms::{CsrfField, FormError, BUTTON, INPUT, LABEL};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const DANGER: &str = "inline-flex items-center rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";

#[component]
pub fn PersonalTokensPage() -> impl IntoView {
    view! {
        <Title text="Personal access tokens · Portcullis"/>
        {signed_in_or_prompt("/account/tokens", |_, _| view! { <Tokens/> })}
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreatePersonalToken>::new();
    let revoke = ServerAction::<RevokePersonalToken>::new();
    let data = Resource::new(
        move || create.version().get() + revoke.version().get(),
        |_| personal_tokens(),
    );
    let create_err = move || create.value().get().and_then(|r| r.err());
    let revoke_err = move || revoke.value().get().and_then(|r| r.err());
    view! {
        <h1 class="text-2xl font-semibold">"Personal access tokens"</h1>
        <p class="mt-2 text-slate-600"><a href="/account" class="text-sky-700 underline">"Back to my account"</a></p>
        <p class="mt-2 max-w-2xl text-sm text-slate-600">
            "A token lets a script or tool of yours use the REST API as you ("
            <code>"Authorization: Bearer pcp_…"</code>
            "). It can do what you can, or only read; it stops when it expires, when you revoke it, or when your account is disabled. It is shown once and stored only hashed."
        </p>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! {
                        <section class=format!("{CARD} mt-6 max-w-3xl") aria-labelledby="pat-list-title">
                            <h2 id="pat-list-title" class="text-lg font-semibold">"Your tokens"</h2>
                            {v.new_token.clone().map(|t| view! {
                                <div id="new-token" class="mt-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm" role="status" data-testid="new-personal-token">
                                    <p class="font-medium">"Copy the new token now: it is not shown again."</p>
                                    <code class="mt-1 block break-all font-mono" data-testid="new-personal-token-value">{t}</code>
                                </div>
                            })}
                            <FormError error=revoke_err/>
                            {if v.tokens.is_empty() {
                                view! { <p class="mt-3 text-sm text-slate-600" data-testid="no-personal-tokens">"You have no tokens."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="mt-3 space-y-2">{v.tokens.clone().into_iter().map(|t| view! { <TokenRow t revoke/> }).collect_view()}</ul>
                                }.into_any()
                            }}
                        </section>
                        <section class=format!("{CARD} mt-6 max-w-3xl") aria-labelledby="pat-new-title">
                            <h2 id="pat-new-title" class="text-lg font-semibold">"Make a token"</h2>
                            <FormError error=create_err fields=vec!["name", "scope", "days"]/>
                            <ActionForm action=create attr:class="mt-2 grid gap-3 sm:grid-cols-2" attr:data-testid="make-personal-token">
                                <CsrfField/>
                                <div class="sm:col-span-2">
                                    <label for="pat-name" class=LABEL>"Name (what will use it)"</label>
                                    <input id="pat-name" name="name" required=true maxlength={limits::PERSONAL_TOKEN_NAME} class=INPUT/>
                                </div>
                                <fieldset>
                                    <legend class=LABEL>"It may"</legend>
                                    <div class="flex items-center gap-2 text-sm">
                                        <input type="radio" id="pat-full" name="scope" value="portal" checked=true/>
                                        <label for="pat-full">"Do what I can (portal)"</label>
                                    </div>
                                    <div class="flex items-center gap-2 text-sm">
                                        <input type="radio" id="pat-read" name="scope" value="portal:read"/>
                                        <label for="pat-read">"Only read (portal:read)"</label>
                                    </div>
                                </fieldset>
                                <div>
                                    <label for="pat-days" class=LABEL>{format!("Expires after (days, at most {})", v.max_days)}</label>
                                    <input id="pat-days" name="days" type="number" min="1" max=v.max_days.to_string() required=true value=v.max_days.min(30).to_string() class=INPUT/>
                                </div>
                                <div class="sm:col-span-2"><button type="submit" class=BUTTON>"Make token"</button></div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokenRow(t: PersonalTokenView, revoke: ServerAction<RevokePersonalToken>) -> impl IntoView {
    let confirm = format!("confirm-{}", t.id);
    let state = if t.live { "live" } else { "expired" };
    view! {
        <li class="rounded border border-slate-200 p-3 text-sm" data-testid="personal-token" data-state=state>
            <div class="flex flex-wrap items-center gap-2">
                <strong data-testid="personal-token-name">{t.name.clone()}</strong>
                <span class="rounded bg-slate-100 px-2 py-0.5 text-xs">{if t.read_only { "read only" } else { "full access" }}</span>
                <span class="rounded bg-slate-100 px-2 py-0.5 text-xs">{state}</span>
            </div>
            <p class="mt-1 text-slate-600" data-testid="personal-token-dates">
                {format!("Made {} · {} {} · ", t.created, if t.live { "expires" } else { "expired" }, t.expires)}
                {match t.last_used.clone() {
                    Some(u) => format!("last used {u}"),
                    None => "never used".to_owned(),
                }}
            </p>
            <details class="mt-2">
                <summary class="cursor-pointer text-red-800">"Revoke…"</summary>
                <ActionForm action=revoke attr:class="mt-2 flex flex-wrap items-center gap-3">
                    <CsrfField/>
                    <input type="hidden" name="id" value=t.id.clone()/>
                    <div class="flex items-start gap-2">
                        <input type="checkbox" id=confirm.clone() name="confirm" value="yes" required=true class="mt-0.5 h-6 w-6 shrink-0"/>
                        <label for=confirm>"I understand that whatever uses this token stops working at once."</label>
                    </div>
                    <button type="submit" class=DANGER aria-label=format!("Revoke the token {}", t.name)>"Revoke token"</button>
                </ActionForm>
            </details>
        </li>
    }
}
