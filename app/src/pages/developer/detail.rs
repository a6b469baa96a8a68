//! `/developer/clients/:id`: one client, with the secret shown once, its scopes
//! and requests, expiry, rotation, enabling and deletion.

use crate::components::forms::DANGER;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::stage::{StageActions, StageSection};
use super::team::{TeamActions, TeamSection, TransferClient};
use super::{client_id_param, CARD, LINK};
use crate::api::portal::clients::{
    get_client, DeleteClient, RevokeSecret, RotateSecret, SetClientEnabled,
};
use crate::api::portal::requests::{RequestExtension, RequestScopes};
use crate::api::portal_admin::{RemoveScope, SetClientExpiry};
use crate::components::clients::ExpiryBadge;
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::components::requests::RequestItem;
use crate::model::ClientDetail;

#[component]
pub fn ClientDetailPage() -> impl IntoView {
    view! {
        <Title text="Client · Developer · Portcullis"/>
        {signed_in_or_prompt("/developer", |_, _| view! { <ClientDetailLoader/> })}
    }
}

/// The page's actions, made once for the page so the client is read again after
/// each one that succeeds (and not after one that fails: the forms keep what was
/// typed beside the error).
#[derive(Clone, Copy)]
struct Actions {
    rotate: ServerAction<RotateSecret>,
    revoke: ServerAction<RevokeSecret>,
    delete: ServerAction<DeleteClient>,
    enable: ServerAction<SetClientEnabled>,
    scopes_req: ServerAction<RequestScopes>,
    extend: ServerAction<RequestExtension>,
    remove_scope: ServerAction<RemoveScope>,
    set_expiry: ServerAction<SetClientExpiry>,
    team: TeamActions,
    stage: StageActions,
}

impl Actions {
    /// Forgets every action's outcome: once one succeeds, an earlier error no
    /// longer describes the page.
    fn forget(&self) {
        self.rotate.value().set(None);
        self.revoke.value().set(None);
        self.delete.value().set(None);
        self.enable.value().set(None);
        self.scopes_req.value().set(None);
        self.extend.value().set(None);
        self.remove_scope.value().set(None);
        self.set_expiry.value().set(None);
        self.team.forget();
        self.stage.forget();
    }
}

/// Counts an action's successes: moves when it succeeds, stays when it fails.
macro_rules! successes {
    ($a:expr) => {{
        let a = $a;
        Memo::new(move |prev: Option<&u64>| match a.value().get() {
            Some(Ok(_)) => a.version().get() as u64,
            _ => prev.copied().unwrap_or(0),
        })
    }};
}

#[component]
fn ClientDetailLoader() -> impl IntoView {
    let id = client_id_param();
    let actions = Actions {
        rotate: ServerAction::new(),
        revoke: ServerAction::new(),
        delete: ServerAction::new(),
        enable: ServerAction::new(),
        scopes_req: ServerAction::new(),
        extend: ServerAction::new(),
        remove_scope: ServerAction::new(),
        set_expiry: ServerAction::new(),
        team: TeamActions::new(),
        stage: StageActions::new(),
    };
    // Deleting leaves the page, so it is not counted.
    let done = [
        successes!(actions.rotate),
        successes!(actions.revoke),
        successes!(actions.enable),
        successes!(actions.scopes_req),
        successes!(actions.extend),
        successes!(actions.remove_scope),
        successes!(actions.set_expiry),
        successes!(actions.team.add),
        successes!(actions.team.remove),
        successes!(actions.team.take_over),
        successes!(actions.team.offer),
        successes!(actions.team.cancel),
        successes!(actions.stage.promote),
        successes!(actions.stage.set),
    ];
    let landed = move || done.iter().map(|m| m.get()).sum::<u64>();
    let detail = Resource::new(move || (id(), landed()), |(id, _)| get_client(id));
    Effect::new(move |before: Option<u64>| {
        let now = landed();
        if before.is_some_and(|b| b != now) {
            actions.forget();
        }
        now
    });
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    // A closure, so that each reading builds the page afresh: after an
                    // action the page is the client as the server now has it, with
                    // no ticks or text left from the form just sent (rebuilding in
                    // place kept them: the next scope request then asked again for a
                    // scope already waiting; issue 13).
                    Ok(d) => (move || view! { <ClientDetailView d=d.clone() actions/> }).into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Dl(label: &'static str, #[prop(into)] value: String) -> impl IntoView {
    view! {
        <div class="py-2 sm:grid sm:grid-cols-3 sm:gap-4">
            <dt class="text-sm font-medium text-slate-600">{label}</dt>
            <dd class="mt-1 text-sm sm:col-span-2 sm:mt-0 break-words">{value}</dd>
        </div>
    }
}

fn list_or_none<T: std::fmt::Display>(v: &[T]) -> String {
    if v.is_empty() {
        "—".into()
    } else {
        v.iter().map(T::to_string).collect::<Vec<_>>().join(", ")
    }
}

#[component]
fn SecretOnce(secret: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let s = secret.clone();
    view! {
        <section role="status" class="mb-6 rounded-lg border-2 border-amber-400 bg-amber-50 p-5" data-testid="secret-once">
            <h2 class="font-semibold text-amber-900">"Your client secret — copy it now"</h2>
            <p class="mt-1 text-sm text-amber-900">"This is the only time it is shown. Portcullis keeps only a hash; if you lose it, rotate the secret."</p>
            <div class="mt-3 flex gap-2">
                <label for="new-secret" class="sr-only">"Client secret"</label>
                <input id="new-secret" readonly=true value=secret class=format!("{INPUT} font-mono") data-testid="secret-value"/>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| {
                    copy_to_clipboard(&s);
                    copied.set(true);
                }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </div>
        </section>
    }
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(s: &str) {
    let _ = window().navigator().clipboard().write_text(s);
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_: &str) {}

#[component]
fn ClientDetailView(d: ClientDetail, actions: Actions) -> impl IntoView {
    let c = d.client.clone();
    let Actions {
        rotate,
        revoke,
        delete,
        enable,
        scopes_req,
        extend,
        remove_scope,
        set_expiry,
        team: team_actions,
        stage: stage_actions,
    } = actions;
    let err = move || {
        rotate
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| enable.value().get().and_then(|r| r.err()))
            .or_else(|| remove_scope.value().get().and_then(|r| r.err()))
            .or_else(|| set_expiry.value().get().and_then(|r| r.err()))
    };
    let delete_err = move || delete.value().get().and_then(|r| r.err());
    let scopes_err = move || scopes_req.value().get().and_then(|r| r.err());
    let extend_err = move || extend.value().get().and_then(|r| r.err());
    let edit_href = format!("/developer/clients/{}/edit", c.id);
    let id = c.id.clone();
    let show_secret = d.new_secret.clone();
    let missing_secret = move || {
        let q = use_query_map();
        let n = q.read().get("notice").unwrap_or_default();
        (n == "client_created" || n == "client_created_request" || n == "secret_rotated")
            && show_secret.is_none()
    };
    let is_public = !c.metadata.has_secret();
    view! {
        <p class="text-sm"><a class=LINK href="/developer">"← My clients"</a></p>
        <div class="mt-2 flex flex-wrap items-center gap-3">
            {c.metadata.logo_uri.clone().map(|l| view! { <img src=l alt="" class="h-10 w-10 rounded object-contain"/> })}
            <h1 class="text-2xl font-semibold" data-testid="client-name">{c.metadata.name.clone()}</h1>
            <span class=if c.disabled { "rounded bg-red-100 px-2 py-0.5 text-sm text-red-800" } else { "rounded bg-emerald-100 px-2 py-0.5 text-sm text-emerald-800" }
                data-testid="client-status">{c.status_label()}</span>
            {c.in_development.then(|| view! {
                <span class="rounded bg-amber-100 px-2 py-0.5 text-sm text-amber-900" data-testid="client-stage">"In development"</span>
            })}
            <a href=edit_href class=format!("{BUTTON_SECONDARY} ml-auto")>"Edit"</a>
        </div>
        <p class="mt-1 text-slate-600">{c.metadata.description.clone()}</p>
        <div class="mt-4"><FormError error=err/></div>
        {d.new_secret.clone().map(|s| view! { <SecretOnce secret=s/> })}
        {move || missing_secret().then(|| view! {
            <p role="alert" class="mb-6 rounded border border-amber-300 bg-amber-50 p-4 text-amber-900">
                "The secret could not be shown on this page (it is shown only once, to the browser that asked for it). If you did not copy it, rotate the secret below."
            </p>
        })}

        <super::usage::Usage usage=d.usage.clone()/>

        {(c.in_development || d.viewer_is_admin).then(|| view! {
            <StageSection client_id=c.id.clone() in_development=c.in_development pending=d.promotion_pending
                admin=d.viewer_is_admin sandbox=d.sandbox.clone() actions=stage_actions/>
        })}

        <section class=format!("{CARD} mt-6")>
            <h2 class="text-lg font-semibold">"Details"</h2>
            <dl class="mt-2 divide-y divide-slate-100">
                <div class="py-2 sm:grid sm:grid-cols-3 sm:gap-4">
                    <dt class="text-sm font-medium text-slate-600">"Client id"</dt>
                    <dd class="mt-1 text-sm sm:col-span-2 sm:mt-0"><code class="font-mono" data-testid="client-id">{c.id.clone()}</code></dd>
                </div>
                <Dl label="Type" value=c.type_label()/>
                <Dl label="Token endpoint authentication" value=c.metadata.token_endpoint_auth_method.as_str()/>
                <Dl label="Grant types" value=list_or_none(&c.metadata.grant_types)/>
                <Dl label="Redirect URIs" value=list_or_none(&c.metadata.redirect_uris)/>
                <Dl label="Post-logout redirect URIs" value=list_or_none(&c.metadata.post_logout_redirect_uris)/>
                <Dl label="JavaScript origins" value=list_or_none(&c.metadata.allowed_origins)/>
                <Dl label="Request URIs" value=list_or_none(&c.metadata.request_uris)/>
                <Dl label="Individually requested claims" value=list_or_none(&c.metadata.requestable_claims)/>
                <Dl label="Claims of the granted scopes" value=if c.metadata.include_claims_in_id_token { "in the ID token and at userinfo" } else { "only at userinfo" }.to_owned()/>
                <Dl label="Back-channel logout URI" value=c.metadata.backchannel_logout_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Front-channel logout URI" value=c.metadata.frontchannel_logout_uri.clone().map(|u| if c.metadata.frontchannel_logout_session_required { format!("{u} (with iss and sid)") } else { u }).unwrap_or_else(|| "—".into())/>
                <Dl label="Home page" value=c.metadata.client_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Privacy policy" value=c.metadata.policy_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Terms of service" value=c.metadata.tos_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="JWKS URI" value=c.metadata.jwks_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Subject identifiers" value=c.metadata.subject_type.as_str().to_owned()/>
                <Dl label="Sector identifier URI" value=c.metadata.sector_identifier_uri.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Contacts" value=list_or_none(&c.metadata.contacts)/>
                <Dl label="Allowed e-mail domains" value=if c.allowed_email_domains.is_empty() { "any".to_owned() } else { c.allowed_email_domains.join(", ") }/>
                <Dl label="ID token signing" value=c.metadata.id_token_signed_response_alg.as_str()/>
                <Dl label="Userinfo response" value=c.metadata.userinfo_signed_response_alg.map(|a| format!("signed JWT ({a})")).unwrap_or_else(|| "JSON".into())/>
                <Dl label="ID token encryption" value=encrypted(c.metadata.id_token_encryption(), "not encrypted")/>
                <Dl label="Userinfo encryption" value=encrypted(c.metadata.userinfo_encryption(), "not encrypted")/>
                <Dl label="Request object encryption" value=encrypted(c.metadata.request_object_encryption(), "plain or encrypted")/>
                <Dl label="Maximum sign-in age" value=c.metadata.default_max_age.map(|s| format!("{s} seconds")).unwrap_or_else(|| "no limit".into())/>
                <Dl label="Require auth_time" value=if c.metadata.require_auth_time { "yes" } else { "no" }/>
                <Dl label="Require pushed authorization requests" value=if c.metadata.require_pushed_authorization_requests { "yes" } else { "no" }/>
                <Dl label="Require DPoP-bound access tokens" value=if c.metadata.dpop_bound_access_tokens { "yes" } else { "no" }/>
                <Dl label="Consent" value=if c.pre_authorized { "not asked: pre-authorized by an administrator" } else if c.metadata.persist_consent { "asked once, then remembered" } else { "asked every time" }/>
                <Dl label="First party" value=if c.first_party { "yes" } else { "no" }/>
                <Dl label="Access-token lifetime" value=c.access_token_ttl_secs.map(|s| format!("{s} seconds")).unwrap_or_else(|| "server default".into())/>
                <Dl label="Refresh-token lifetime" value=c.refresh_token_ttl_secs.map(|s| format!("{} days", s / 86_400)).unwrap_or_else(|| "server default".into())/>
                <Dl label="Owner" value=c.owner.clone().unwrap_or_else(|| "—".into())/>
                <Dl label="Created" value=c.created.clone()/>
                <div class="py-2 sm:grid sm:grid-cols-3 sm:gap-4">
                    <dt class="text-sm font-medium text-slate-600">"Registration expires"</dt>
                    <dd class="mt-1 text-sm sm:col-span-2 sm:mt-0"><ExpiryBadge client=c.clone()/></dd>
                </div>
            </dl>
        </section>

        <section class=format!("{CARD} mt-6") id="scopes">
            <h2 class="text-lg font-semibold">"Scopes"</h2>
            {if d.scopes.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600" data-testid="no-scopes">"This client has no scopes yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 divide-y divide-slate-100" data-testid="client-scopes">
                        {d.scopes.iter().cloned().map(|s| {
                            let id = id.clone();
                            view! {
                                <li class="flex items-center gap-3 py-2">
                                    <code class="font-mono text-sm">{s.name.clone()}</code>
                                    <span class="text-sm text-slate-600">{s.description.clone()}</span>
                                    <ActionForm action=remove_scope attr:class="ml-auto">
                                        <CsrfField/>
                                        <input type="hidden" name="id" value=id/>
                                        <input type="hidden" name="scope" value=s.name.clone()/>
                                        <button type="submit" class=BUTTON_SECONDARY aria-label=format!("Remove {}", s.name)>"Remove"</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3 class="mt-6 font-semibold">"Add scopes"</h3>
            {if d.requestable.is_empty() {
                view! { <p class="mt-1 text-sm text-slate-600">"There are no other scopes to add."</p> }.into_any()
            } else {
                let id = id.clone();
                view! {
                    <FormError error=scopes_err fields=vec!["justification"]/>
                    <ActionForm action=scopes_req attr:class="mt-2">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <fieldset>
                            <legend class="sr-only">"Scopes to request"</legend>
                            {d.requestable.iter().map(|s| {
                                let cid = format!("req-{}", s.name);
                                view! {
                                    <div class="flex items-start gap-2 py-1">
                                        <input type="checkbox" id=cid.clone() name="scopes[]" value=s.name.clone()/>
                                        <label for=cid class="text-sm">
                                            <code class="font-mono">{s.name.clone()}</code> " — " {s.description.clone()}
                                            {s.api.clone().map(|a| view! { <span class="text-slate-500">" (" {a} ")"</span> })}
                                            {if s.requires_approval && d.sandbox.contains(&s.name) {
                                                view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs">"sandbox: added at once in development"</span> }
                                            } else if s.requires_approval {
                                                view! { <span class="ml-1 rounded bg-amber-100 px-1 text-xs text-amber-900">"needs approval"</span> }
                                            } else {
                                                view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs">"no approval needed"</span> }
                                            }}
                                        </label>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                        // Not `required` in the markup: whether it is depends on the
                        // ticks, and the server says so beside the field (issue 13,
                        // defect 2: free scopes take no justification).
                        <label for="scopes-justification" class=format!("{LABEL} mt-3")>"Why does the client need them?"</label>
                        <p id="scopes-justification-hint" class="text-sm text-slate-600" data-testid="justification-hint">
                            "Required only for scopes that need approval: an administrator reads it. Scopes that need no approval are added at once."
                        </p>
                        <textarea id="scopes-justification" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT aria-describedby="scopes-justification-hint"></textarea>
                        <p class="mt-1 text-sm text-red-700">{move || scopes_err().and_then(|e| e.field_message("justification"))}</p>
                        <button type="submit" class=format!("{BUTTON} mt-3")>"Add or request scopes"</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>

        <section class=format!("{CARD} mt-6")>
            <h2 class="text-lg font-semibold">"Registration expiry"</h2>
            <p class="mt-1 text-sm">"Expires: " <ExpiryBadge client=c.clone()/></p>
            {c.expires.is_some().then(|| {
                let id = id.clone();
                view! {
                    <FormError error=extend_err fields=vec!["expires", "justification"]/>
                    <ActionForm action=extend attr:class="mt-3 grid gap-2 sm:max-w-md">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <label for="ext-date" class=LABEL>"Extend until"</label>
                        <input id="ext-date" type="date" name="expires" class=INPUT required=true/>
                        <p class="text-sm text-red-700">{move || extend_err().and_then(|e| e.field_message("expires"))}</p>
                        <label for="ext-why" class=LABEL>"Justification"</label>
                        <textarea id="ext-why" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT required=true></textarea>
                        <p class="text-sm text-red-700">{move || extend_err().and_then(|e| e.field_message("justification"))}</p>
                        <button type="submit" class=BUTTON>"Request an extension"</button>
                    </ActionForm>
                }
            })}
            {d.viewer_is_admin.then(|| {
                let id = id.clone();
                view! {
                    <ActionForm action=set_expiry attr:class="mt-4 flex flex-wrap items-end gap-2 border-t border-slate-100 pt-4">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <div>
                            <label for="admin-expiry" class=LABEL>"Administrator: set expiry (empty = never)"</label>
                            <input id="admin-expiry" type="date" name="expires" class=INPUT/>
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY>"Set expiry"</button>
                    </ActionForm>
                }
            })}
        </section>

        {(d.client.metadata.backchannel_logout_uri.is_some() || !d.logout_deliveries.is_empty()).then(|| view! {
            <LogoutDeliveries deliveries=d.logout_deliveries.clone()/>
        })}

        {(!is_public).then(|| {
            let id = id.clone();
            let secrets = d.secrets.clone();
            view! {
                <section class=format!("{CARD} mt-6") id="secrets">
                    <h2 class="text-lg font-semibold">"Client secret"</h2>
                    <super::secrets::SecretList client_id=id.clone() secrets revoke/>
                    <p class="mt-1 text-sm text-slate-600">"Rotating creates a new secret, shown once. The old one keeps working for the overlap you choose, so you can deploy the new one without downtime."</p>
                    <ActionForm action=rotate attr:class="mt-3 flex flex-wrap items-end gap-2">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <div>
                            <label for="overlap" class=LABEL>"The old secret keeps working for"</label>
                            <select id="overlap" name="overlap" class=INPUT>
                                <option value="none">"No overlap: it stops now"</option>
                                <option value="1h">"1 hour"</option>
                                <option value="24h" selected=true>"24 hours"</option>
                                <option value="7d">"7 days"</option>
                            </select>
                        </div>
                        <button type="submit" class=BUTTON>"Rotate secret"</button>
                    </ActionForm>
                </section>
            }
        })}

        // Enabling is not dangerous, so it is an ordinary section; disabling is in
        // the danger zone below, confirmed (issue 13, defect 5).
        {c.disabled.then(|| {
            let id = id.clone();
            let admin = d.viewer_is_admin;
            view! {
                <section class=format!("{CARD} mt-6")>
                    <h2 class="text-lg font-semibold">"Enable"</h2>
                    <p class="mt-1 text-sm text-slate-600">{if admin {
                        "Enabling lets the client get tokens again."
                    } else {
                        "Enabling a disabled client needs an administrator's approval: say why."
                    }}</p>
                    <ActionForm action=enable attr:class="mt-3 grid gap-2 sm:max-w-md">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="enabled" value="true"/>
                        <label for="enable-why" class=LABEL>"Justification"</label>
                        <textarea id="enable-why" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT></textarea>
                        <button type="submit" class=BUTTON_SECONDARY>"Enable client"</button>
                    </ActionForm>
                </section>
            }
        })}

        <TeamSection client_id=id.clone() team=d.team.clone() actions=team_actions/>

        <section class=format!("{CARD} mt-6") id="requests">
            <h2 class="text-lg font-semibold">"Requests for this client"</h2>
            {if d.requests.is_empty() {
                view! { <p class="mt-2 text-sm text-slate-600">"No requests yet."</p> }.into_any()
            } else {
                view! { <ul class="mt-2 space-y-3">{d.requests.iter().cloned().map(|r| view! { <RequestItem r/> }).collect_view()}</ul> }.into_any()
            }}
        </section>

        <section class="mt-6 rounded-lg border border-red-300 bg-white p-6" aria-labelledby="danger-zone">
            <h2 id="danger-zone" class="text-lg font-semibold text-red-800">"Danger zone"</h2>
            {(!c.disabled).then(|| {
                let id = id.clone();
                let admin = d.viewer_is_admin;
                view! { <DisableClient id admin enable err/> }
            })}
            {d.team.viewer_manages_team.then(|| {
                let id = id.clone();
                let name = c.metadata.name.clone();
                view! {
                    <TransferClient client_id=id.clone() team=d.team.clone() actions=team_actions/>
                    <h3 class="mt-6 font-semibold text-red-800">"Delete this client"</h3>
                    <p class="mt-1 text-sm text-slate-700">"Deleting is permanent: its secrets, refresh tokens and consents are removed and its access tokens stop working at once."</p>
                    <FormError error=delete_err fields=vec!["confirm_name"]/>
                    <ActionForm action=delete attr:class="mt-3 grid gap-2 sm:max-w-md">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <label for="confirm-name" class=LABEL>"Type the client's name, " <strong>{name}</strong> ", to confirm"</label>
                        <input id="confirm-name" name="confirm_name" class=INPUT required=true autocomplete="off"/>
                        <p class="text-sm text-red-700">{move || delete_err().and_then(|e| e.field_message("confirm_name"))}</p>
                        <button type="submit" class=DANGER>"Delete client permanently"</button>
                    </ActionForm>
                }
            })}
            {(!d.team.viewer_manages_team).then(|| view! {
                <p class="mt-6 text-sm text-slate-700">"Only the client's owner can hand it over or delete it."</p>
            })}
        </section>
    }
}

/// Disabling a client, in the danger zone: what happens, and a box to tick (the
/// server checks it too), so one stray click does not stop a client in production.
#[component]
fn DisableClient(
    id: String,
    /// Administrators enable it again themselves; developers must ask them.
    admin: bool,
    enable: ServerAction<SetClientEnabled>,
    err: impl Fn() -> Option<crate::error::AppError> + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let again = if admin {
        "You can enable it again here."
    } else {
        "Enabling it again needs an administrator's approval."
    };
    view! {
        <h3 class="mt-4 font-semibold text-red-800">"Disable this client"</h3>
        <p class="mt-1 text-sm text-slate-700" data-testid="disable-effects">
            "A disabled client cannot sign anyone in or get tokens, and its refresh tokens stop working at once. "
            "Portcullis refuses its access tokens at once (introspection, userinfo); an API that checks tokens only by their signature accepts them until they expire, within minutes. "
            {again}
        </p>
        <ActionForm action=enable attr:class="mt-3 grid gap-2 sm:max-w-md">
            <CsrfField/>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="enabled" value="false"/>
            <label for="disable-why" class=LABEL>"Reason (optional)"</label>
            <textarea id="disable-why" name="justification" rows="2" maxlength={limits::JUSTIFICATION} class=INPUT></textarea>
            <div class="flex items-start gap-2 text-sm">
                <input type="checkbox" id="disable-confirm" name="confirm" value="yes" required=true class="mt-1 shrink-0"/>
                <label for="disable-confirm">"I understand that the client stops working at once."</label>
            </div>
            <p class="text-sm text-red-700">{move || err().and_then(|e| e.field_message("confirm"))}</p>
            <button type="submit" class=DANGER>"Disable client"</button>
        </ActionForm>
    }
}

/// The client's latest back-channel logouts: whether its URI answers.
#[component]
fn LogoutDeliveries(deliveries: Vec<crate::model::LogoutDeliveryView>) -> impl IntoView {
    view! {
        <section class=format!("{CARD} mt-6") id="logout-deliveries" data-testid="logout-deliveries">
            <h2 class="text-lg font-semibold">"Back-channel logouts"</h2>
            <p class="mt-1 text-sm text-slate-600">"When someone who used this app signs out, Portcullis posts a signed logout token to its back-channel logout URI. A failed delivery is retried, each time after twice as long a pause, and given up after eight attempts."</p>
            {if deliveries.is_empty() {
                view! { <p class="mt-3 text-sm" data-testid="logout-deliveries-empty">"No sign-outs to report yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 divide-y divide-slate-200 text-sm">
                        {deliveries.into_iter().map(|d| {
                            let (label, class) = match d.state.as_str() {
                                "delivered" => ("Delivered", "text-emerald-800"),
                                "retrying" => ("Retrying", "text-amber-800"),
                                _ => ("Failed", "text-red-800"),
                            };
                            view! {
                                <li class="py-2" data-testid="logout-delivery">
                                    <span class=format!("font-semibold {class}")>{label}</span>
                                    " · " {d.created.clone()} " · "
                                    {format!("{} attempt{}", d.attempts, if d.attempts == 1 { "" } else { "s" })}
                                    {d.next_attempt.clone().map(|n| view! { <span>" · next try " {n}</span> })}
                                    {d.last_error.clone().map(|e| view! { <span class="block text-slate-700">"Last error: " {e}</span> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// A JWE pair in words: `RSA-OAEP-256 with A128CBC-HS256`, or what applies without.
fn encrypted(pair: Option<(&str, &str)>, none: &str) -> String {
    pair.map(|(alg, enc)| format!("{alg} with {enc}"))
        .unwrap_or_else(|| none.to_owned())
}
