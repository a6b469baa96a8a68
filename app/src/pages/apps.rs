//! "My apps": every application the signed-in person has allowed, what it may do in
//! plain words, and the two ways to take that back — narrow it or revoke it. Both
//! are plain HTML forms underneath, so they work without JavaScript.

use crate::components::forms::DANGER;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::apps::{my_apps, ChangeAppScopes, RevokeAgent, RevokeApp, SetAppAgents};
use crate::components::forms::{CsrfField, FormError, BUTTON_SECONDARY};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::model::AgentChoice;
use crate::model::{human_duration, AgentView, ConnectedAppView, ConnectedApps};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";

#[component]
pub fn MyAppsPage() -> impl IntoView {
    view! {
        <Title text="My apps · Portcullis"/>
        {signed_in_or_prompt("/apps", |_, _| view! { <AppsList/> })}
    }
}

#[component]
fn AppsList() -> impl IntoView {
    let revoke = ServerAction::<RevokeApp>::new();
    let change = ServerAction::<ChangeAppScopes>::new();
    let stop = ServerAction::<RevokeAgent>::new();
    let policy = ServerAction::<SetAppAgents>::new();
    let apps = Resource::new(
        move || {
            revoke.version().get()
                + change.version().get()
                + stop.version().get()
                + policy.version().get()
        },
        |_| my_apps(),
    );
    let error = move || {
        revoke
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| change.value().get().and_then(|r| r.err()))
            .or_else(|| stop.value().get().and_then(|r| r.err()))
            .or_else(|| policy.value().get().and_then(|r| r.err()))
    };
    view! {
        <h1 class="text-2xl font-semibold">"My apps"</h1>
        <p class="mt-1 text-slate-600">"Applications you allowed to use your account, and what each may do."</p>
        <div class="mt-4"><FormError error/></div>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Ok(list) => view! { <Apps list revoke change stop policy/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Apps(
    list: ConnectedApps,
    revoke: ServerAction<RevokeApp>,
    change: ServerAction<ChangeAppScopes>,
    stop: ServerAction<RevokeAgent>,
    policy: ServerAction<SetAppAgents>,
) -> impl IntoView {
    if list.apps.is_empty() {
        return view! {
            <div class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center" data-testid="no-apps">
                <p class="font-medium">"No connected apps"</p>
                <p class="mt-1 text-sm text-slate-600">"When you allow an application to use your account, it appears here, and you can take that permission back at any time."</p>
            </div>
        }
        .into_any();
    }
    let window = human_duration(list.access_token_secs);
    view! {
        <p class="mt-4 rounded border border-sky-200 bg-sky-50 p-4 text-sm text-sky-950" data-testid="offline-window">
            "Revoking takes effect at once here: the app cannot refresh its access, and this server reports its tokens as no longer valid. "
            "An access token the app already holds is a signed pass that some services check on their own without asking us; "
            "such a service may still accept it until it expires — at most " <strong>{window}</strong> " after it was issued."
        </p>
        <ul class="mt-6 space-y-6">
            {list.apps.into_iter().map(|app| view! { <AppCard app revoke change stop policy/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn AppCard(
    app: ConnectedAppView,
    revoke: ServerAction<RevokeApp>,
    change: ServerAction<ChangeAppScopes>,
    stop: ServerAction<RevokeAgent>,
    policy: ServerAction<SetAppAgents>,
) -> impl IntoView {
    let testid = format!("app-{}", app.name);
    let confirm_id = format!("confirm-{}", app.grant_id);
    let initial = app
        .name
        .chars()
        .next()
        .map(|c| c.to_uppercase().to_string())
        .unwrap_or_default();
    let own_window = human_duration(app.access_token_secs);
    let single = app.scopes.len() == 1;
    let (grant_for_change, grant_for_revoke) = (app.grant_id.clone(), app.grant_id.clone());
    let name_for_revoke = app.name.clone();
    let scopes = app.scopes.clone();
    let confirm_for = confirm_id.clone();
    let agents = app.agents.clone();
    let through = app.name.clone();
    view! {
        <li class=CARD data-testid=testid>
            <div class="flex items-start gap-4">
                {match app.logo_uri.clone() {
                    Some(l) => view! { <img src=l alt="" class="h-12 w-12 rounded object-contain"/> }.into_any(),
                    None => view! {
                        <span aria-hidden="true" class="flex h-12 w-12 items-center justify-center rounded bg-slate-200 text-lg font-semibold text-slate-600">{initial}</span>
                    }.into_any(),
                }}
                <div class="min-w-0">
                    <h2 class="text-lg font-semibold" data-testid="app-name">{app.name.clone()}</h2>
                    <p class="text-sm text-slate-600">
                        {match app.owner.clone() {
                            Some(o) => format!("Developed by {o}"),
                            None => "Registered by the operators of this service".to_owned(),
                        }}
                    </p>
                </div>
            </div>
            <dl class="mt-4 grid gap-2 text-sm sm:grid-cols-3">
                <div>
                    <dt class="font-medium text-slate-600">"First authorised"</dt>
                    <dd data-testid="first-authorised">{app.first_authorised.clone()}</dd>
                </div>
                <div>
                    <dt class="font-medium text-slate-600">"Last used"</dt>
                    <dd data-testid="last-used">{app.last_used.clone().unwrap_or_else(|| "Not yet".into())}</dd>
                </div>
                <div>
                    <dt class="font-medium text-slate-600">"Client ID"</dt>
                    <dd><code class="break-all font-mono text-xs" data-testid="app-client-id">{app.client_id.clone()}</code></dd>
                </div>
            </dl>

            {(!agents.is_empty()).then(|| view! { <Agents agents through=through.clone() stop/> })}
            {(app.delegable || app.may_act != "any").then(|| view! {
                <AgentsPolicy grant_id=app.grant_id.clone() app=through mode=app.may_act.clone() choices=app.agent_choices.clone() policy/>
            })}

            <ActionForm action=change attr:class="mt-4">
                <CsrfField/>
                <input type="hidden" name="grant_id" value=grant_for_change.clone()/>
                <fieldset>
                    <legend class="font-medium">"It may:"</legend>
                    <ul class="mt-2 space-y-1" data-testid="app-scopes">
                        {scopes.iter().map(|s| {
                            let id = format!("scope-{}-{}", grant_for_change, s.name);
                            view! {
                                <li class="flex items-start gap-2">
                                    {if single {
                                        view! { <span aria-hidden="true">"✓"</span> }.into_any()
                                    } else {
                                        view! { <input type="checkbox" id=id.clone() name="scopes[]" value=s.name.clone() checked=true class="mt-1"/> }.into_any()
                                    }}
                                    <label for=id class="text-sm">
                                        {s.description.clone()}
                                        <code class="ml-2 font-mono text-xs text-slate-500">{s.name.clone()}</code>
                                    </label>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </fieldset>
                {(!single).then(|| view! {
                    <p class="mt-2 text-xs text-slate-500">"Untick what it should no longer do. Its current tokens stop working and new ones carry only what is left."</p>
                    <button type="submit" class=format!("{BUTTON_SECONDARY} mt-2")>"Change permissions"</button>
                })}
            </ActionForm>

            <ActionForm action=revoke attr:class="mt-4 border-t border-slate-100 pt-4">
                <CsrfField/>
                <input type="hidden" name="grant_id" value=grant_for_revoke.clone()/>
                <label for=confirm_for.clone() class="flex items-start gap-2 text-sm">
                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="mt-1"/>
                    <span>
                        "I understand that " {name_for_revoke.clone()} " loses access to my account. Tokens it already holds may still be accepted for up to "
                        {own_window.clone()} " by services that check them on their own."
                    </span>
                </label>
                <button type="submit" class=format!("{DANGER} mt-3")>"Revoke access"</button>
            </ActionForm>
        </li>
    }
}

/// The agents acting for the person through one app (RFC 8693 token exchange),
/// each with its own way to stop it.
#[component]
fn Agents(
    agents: Vec<AgentView>,
    through: String,
    stop: ServerAction<RevokeAgent>,
) -> impl IntoView {
    view! {
        <section class="mt-4 rounded border border-amber-200 bg-amber-50 p-4" data-testid="app-agents">
            <h3 class="font-medium text-amber-950">"Acting for you through " {through.clone()}</h3>
            <p class="mt-1 text-xs text-amber-900">"These services got access from " {through.clone()} " to act for you elsewhere. Stopping one ends the access it holds and anything it passed on; " {through} " keeps its own."</p>
            <ul class="mt-3 space-y-3">
                {agents.into_iter().map(|a| {
                    let confirm_id = format!("stop-{}", a.client_id);
                    let testid = format!("agent-{}", a.name);
                    let how = if a.depth <= 1 { "directly".to_owned() } else { format!("through {} other agents", a.depth - 1) };
                    view! {
                        <li class="rounded bg-white p-3" data-testid=testid>
                            <p class="text-sm"><span class="font-medium" data-testid="agent-name">{a.name.clone()}</span>
                                " · " {how} " · last acted " {a.last_used.clone()}
                                " · " {a.live_tokens} {if a.live_tokens == 1 { " live token" } else { " live tokens" }}</p>
                            <ActionForm action=stop attr:class="mt-2">
                                <CsrfField/>
                                <input type="hidden" name="client_id" value=a.client_id.clone()/>
                                <label for=confirm_id.clone() class="flex items-start gap-2 text-sm">
                                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="mt-1"/>
                                    <span>"I understand that " {a.name.clone()} " stops acting for me."</span>
                                </label>
                                <button type="submit" class=format!("{DANGER} mt-2")>"Stop this agent"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Who may act for the person through one app (RFC 8693 `may_act`): any agent,
/// only the ones ticked, or none. A plain form, so it works without JavaScript;
/// hydrated, `prop:checked` sets the ticks anew when the list is redrawn after a
/// save (the `checked` attribute alone leaves what the person clicked before).
#[component]
fn AgentsPolicy(
    grant_id: String,
    app: String,
    mode: String,
    choices: Vec<AgentChoice>,
    policy: ServerAction<SetAppAgents>,
) -> impl IntoView {
    let radio = |value: &'static str, label: String| {
        let id = format!("may-act-{grant_id}-{value}");
        view! {
            <label for=id.clone() class="flex items-start gap-2 text-sm">
                <input type="radio" id=id.clone() name="mode" value=value checked=mode == value prop:checked=mode == value class="mt-1"/>
                <span>{label}</span>
            </label>
        }
    };
    let any = radio(
        "any",
        format!("Any agent {app} or its services hand my access to"),
    );
    let only = radio("only", "Only the agents I tick below".to_owned());
    let none = radio("none", format!("No agents: only {app} itself"));
    view! {
        <ActionForm action=policy attr:class="mt-4 rounded border border-slate-200 p-4" attr:data-testid="app-may-act">
            <CsrfField/>
            <input type="hidden" name="grant_id" value=grant_id.clone()/>
            <fieldset class="space-y-2">
                <legend class="font-medium">"Who may act for you through " {app.clone()}</legend>
                {any}
                {only}
                {if choices.is_empty() {
                    view! { <p class="ml-6 text-xs text-slate-500">"No agent has acted for you through it yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="ml-6 space-y-1">
                            {choices.into_iter().map(|c| {
                                let id = format!("allow-{grant_id}-{}", c.client_id);
                                view! {
                                    <li class="flex items-start gap-2">
                                        <input type="checkbox" id=id.clone() name="allowed[]" value=c.client_id.clone() checked=c.allowed prop:checked=c.allowed class="mt-1"/>
                                        <label for=id class="text-sm">{c.name.clone()}</label>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                {none}
            </fieldset>
            <p class="mt-2 text-xs text-slate-500">"An agent you no longer allow loses at once the access it holds through this app."</p>
            <button type="submit" class=format!("{BUTTON_SECONDARY} mt-2")>"Save"</button>
        </ActionForm>
    }
}
