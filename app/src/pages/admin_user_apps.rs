//! An administrator's view of one person's authorizations: the apps they allowed,
//! what each may do, the agents acting through it, and a confirmed way to revoke
//! an app for them (a plain form: it works without JavaScript).

use crate::components::forms::DANGER;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::apps::{user_apps, AdminResetSecondFactor, AdminRevokeApp};
use crate::api::personal_tokens::{AdminRevokeToken, PersonalTokenView};
use crate::components::forms::{CsrfField, FormError};
use crate::components::panels::ErrorPanel;
use crate::model::{ConnectedAppView, UserApps};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

#[component]
pub fn AdminUserAppsPage() -> impl IntoView {
    let params = use_params_map();
    let revoke = ServerAction::<AdminRevokeApp>::new();
    let revoke_token = ServerAction::<AdminRevokeToken>::new();
    let reset = ServerAction::<AdminResetSecondFactor>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                revoke.version().get() + revoke_token.version().get() + reset.version().get(),
            )
        },
        |(id, _)| user_apps(id),
    );
    let error = move || {
        revoke
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| revoke_token.value().get().and_then(|r| r.err()))
            .or_else(|| reset.value().get().and_then(|r| r.err()))
    };
    view! {
        <Title text="Authorizations · Admin · Portcullis"/>
        <p class="text-sm"><a class="text-sky-700 underline hover:text-sky-900" href="/admin/users">"← Users"</a></p>
        <div class="mt-4"><FormError error/></div>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! {
                        <h1 class="mt-2 text-2xl font-semibold">"Authorizations of " {format!("{} ({})", d.display_name, d.username)}</h1>
                        <SecondFactor on=d.second_factor user_id=d.user_id.clone() username=d.username.clone() reset/>
                        <Tokens tokens=d.tokens.clone() user_id=d.user_id.clone() revoke=revoke_token/>
                        <Authorizations d revoke/>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Authorizations(d: UserApps, revoke: ServerAction<AdminRevokeApp>) -> impl IntoView {
    view! {
        <h2 class="mt-8 text-xl font-semibold">"Applications"</h2>
        <p class="mt-1 text-slate-600">"The applications this person allowed to use their account, and the agents acting for them through each."</p>
        {if d.list.apps.is_empty() {
            view! {
                <p class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center" data-testid="no-apps">
                    {d.username.clone()} " has not allowed any application."
                </p>
            }.into_any()
        } else {
            let (user_id, username) = (d.user_id.clone(), d.username.clone());
            view! {
                <ul class="mt-6 space-y-6">
                    {d.list.apps.into_iter().map(|app| view! {
                        <AppRow app user_id=user_id.clone() username=username.clone() revoke/>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn AppRow(
    app: ConnectedAppView,
    user_id: String,
    username: String,
    revoke: ServerAction<AdminRevokeApp>,
) -> impl IntoView {
    let testid = format!("app-{}", app.name);
    let confirm_id = format!("confirm-{}", app.grant_id);
    view! {
        <li class=CARD data-testid=testid>
            <h3 class="text-lg font-semibold" data-testid="app-name">{app.name.clone()}</h3>
            <p class="text-sm text-slate-600">
                "Client " <code class="break-all font-mono text-xs">{app.client_id.clone()}</code>
                " · allowed " {app.first_authorised.clone()}
                " · last used " {app.last_used.clone().unwrap_or_else(|| "not yet".into())}
            </p>
            <ul class="mt-3 list-disc pl-5 text-sm" data-testid="app-scopes">
                {app.scopes.iter().map(|s| view! {
                    <li>{s.description.clone()} <code class="ml-2 font-mono text-xs text-slate-500">{s.name.clone()}</code></li>
                }).collect_view()}
            </ul>
            {(!app.agents.is_empty()).then(|| view! {
                <div class="mt-3 rounded border border-amber-200 bg-amber-50 p-3 text-sm text-amber-950" data-testid="app-agents">
                    <p class="font-medium">"Agents acting through it"</p>
                    <ul class="mt-1 list-disc pl-5">
                        {app.agents.iter().map(|a| view! {
                            <li>{a.name.clone()} " · last acted " {a.last_used.clone()}</li>
                        }).collect_view()}
                    </ul>
                </div>
            })}
            <ActionForm action=revoke attr:class="mt-4 border-t border-slate-100 pt-4">
                <CsrfField/>
                <input type="hidden" name="user_id" value=user_id/>
                <input type="hidden" name="grant_id" value=app.grant_id.clone()/>
                <div class="flex items-start gap-2 text-sm">
                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="mt-1"/>
                    <label for=confirm_id>
                        "I understand that " {app.name.clone()} " loses access to " {username} "'s account, with every agent acting through it."
                    </label>
                </div>
                <button type="submit" class=format!("{DANGER} mt-3")>"Revoke for this person"</button>
            </ActionForm>
        </li>
    }
}

/// The person's personal access tokens, each revocable (confirmed) by an
/// administrator.
#[component]
fn Tokens(
    tokens: Vec<PersonalTokenView>,
    user_id: String,
    revoke: ServerAction<AdminRevokeToken>,
) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="user-tokens-title" data-testid="user-personal-tokens">
            <h2 id="user-tokens-title" class="text-lg font-semibold">"Personal access tokens"</h2>
            {if tokens.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"None."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 space-y-2">
                        {tokens.into_iter().map(|t| {
                            let confirm = format!("token-confirm-{}", t.id);
                            let user_id = user_id.clone();
                            view! {
                                <li class="rounded border border-slate-200 p-3 text-sm" data-testid="user-personal-token">
                                    <strong>{t.name.clone()}</strong>
                                    <span class="ml-2 text-slate-600">
                                        {format!("{} · {} {} · {}",
                                            if t.read_only { "read only" } else { "full access" },
                                            if t.live { "expires" } else { "expired" },
                                            t.expires,
                                            t.last_used.clone().map_or_else(|| "never used".to_owned(), |u| format!("last used {u}")))}
                                    </span>
                                    <ActionForm action=revoke attr:class="mt-2 flex flex-wrap items-center gap-3">
                                        <CsrfField/>
                                        <input type="hidden" name="user_id" value=user_id.clone()/>
                                        <input type="hidden" name="id" value=t.id.clone()/>
                                        <div class="flex items-start gap-2">
                                            <input type="checkbox" id=confirm.clone() name="confirm" value="yes" required=true class="mt-0.5 h-6 w-6 shrink-0"/>
                                            <label for=confirm>"I understand that whatever uses this token stops working at once."</label>
                                        </div>
                                        <button type="submit" class=DANGER aria-label=format!("Revoke the token {}", t.name)>"Revoke token"</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Whether the person has two-step sign-in, and a confirmed reset for a lost phone.
#[component]
fn SecondFactor(
    on: bool,
    user_id: String,
    username: String,
    reset: ServerAction<AdminResetSecondFactor>,
) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mt-6") aria-labelledby="user-2fa-title" data-testid="user-second-factor">
            <h2 id="user-2fa-title" class="text-lg font-semibold">"Two-step sign-in"</h2>
            {if on {
                view! {
                    <p class="mt-1 text-sm text-slate-700">"On: signing in asks " {username.clone()} " for a code from an authenticator app."</p>
                    <details class="mt-3">
                        <summary class="inline-flex cursor-pointer list-none items-center rounded border border-slate-300 bg-white px-4 py-2 font-medium text-slate-800 hover:bg-slate-50">"Reset…"</summary>
                        <ActionForm action=reset attr:class="mt-2 grid max-w-md gap-2 rounded border border-red-300 bg-red-50 p-3">
                            <CsrfField/>
                            <input type="hidden" name="user_id" value=user_id/>
                            <p class="text-sm text-slate-700">
                                "For a lost phone with no recovery code left. Their authenticator app and recovery codes stop working, and they are told by e-mail. Make sure it is really them who asked."
                            </p>
                            <div class="flex items-start gap-2 text-sm">
                                <input type="checkbox" id="confirm-2fa-reset" name="confirm" value="yes" required=true class="mt-1 h-6 w-6 shrink-0"/>
                                <label for="confirm-2fa-reset">"I understand that " {username} " signs in with their password alone until they set up an app again (at once, if their role requires it)."</label>
                            </div>
                            <button type="submit" class=DANGER>"Reset two-step sign-in"</button>
                        </ActionForm>
                    </details>
                }.into_any()
            } else {
                view! { <p class="mt-1 text-sm text-slate-700" data-testid="second-factor-off">"Off: " {username} " has no authenticator app set up."</p> }.into_any()
            }}
        </section>
    }
}
