//! `/admin/registration`: how clients may register themselves (issue 16) — the
//! dynamic registration mode, initial access tokens (a new one shown once), and
//! client ID metadata documents. Plain forms: all of it works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::admin_registration::{
    registration_settings, MintInitialToken, RevokeInitialToken, SaveMetadataDocuments,
    SetRegistrationMode,
};
use crate::components::forms::{CsrfField, FormError, BUTTON, INPUT, LABEL};
use crate::components::panels::admin_only;
use crate::components::panels::ErrorPanel;
use crate::model::{InitialTokenView, RegistrationView};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";
const DANGER: &str = "inline-flex items-center rounded bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";

#[component]
pub fn AdminRegistrationPage() -> impl IntoView {
    view! {
        <Title text="Self-registration · Admin · Portcullis"/>
        {admin_only("/admin/registration", || view! { <Registration/> })}
    }
}

/// The page's actions, shared by its sections.
#[derive(Clone, Copy)]
struct Actions {
    mode: ServerAction<SetRegistrationMode>,
    mint: ServerAction<MintInitialToken>,
    revoke: ServerAction<RevokeInitialToken>,
    documents: ServerAction<SaveMetadataDocuments>,
}

#[component]
fn Registration() -> impl IntoView {
    let a = Actions {
        mode: ServerAction::new(),
        mint: ServerAction::new(),
        revoke: ServerAction::new(),
        documents: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            a.mode.version().get()
                + a.mint.version().get()
                + a.revoke.version().get()
                + a.documents.version().get()
        },
        |_| registration_settings(),
    );
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Self-registration"</h1>
        <p class="mt-1 max-w-3xl text-slate-600">
            "How applications and agents register themselves: by dynamic registration (RFC 7591) or by a client ID metadata document. "
            "Every client that registers itself waits in the " <a class=LINK href="/admin/requests?kind=admission">"approval queue"</a>
            " until it is admitted, by a person or by the " <a class=LINK href="/admin/rules">"rule for new registrations"</a> "."
        </p>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <Sections v a/> }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Sections(v: RegistrationView, a: Actions) -> impl IntoView {
    let mode_err = move || a.mode.value().get().and_then(|r| r.err());
    let mint_err = move || a.mint.value().get().and_then(|r| r.err());
    let revoke_err = move || a.revoke.value().get().and_then(|r| r.err());
    let docs_err = move || a.documents.value().get().and_then(|r| r.err());
    let choice = |value: &'static str, label: &'static str, hint: &'static str, current: &str| {
        let id = format!("mode-{value}");
        view! {
            <div class="flex items-start gap-2 py-1 text-sm">
                <input type="radio" id=id.clone() name="mode" value=value checked=current == value class="mt-1"/>
                <label for=id><strong>{label}</strong> " — " {hint}</label>
            </div>
        }
    };
    let names = v
        .protected_names
        .iter()
        .map(|p| format!("{} @ {}", p.name, p.host))
        .collect::<Vec<_>>()
        .join("\n");
    view! {
        <section class=format!("{CARD} mt-6 max-w-3xl") aria-labelledby="reg-mode-title">
            <h2 id="reg-mode-title" class="text-lg font-semibold">"Dynamic registration"</h2>
            <FormError error=mode_err/>
            <ActionForm action=a.mode attr:class="mt-2" attr:data-testid="registration-mode">
                <CsrfField/>
                <fieldset>
                    <legend class=LABEL>"Who may register at /oauth/register"</legend>
                    {choice("off", "Off", "nobody (the default)", &v.mode)}
                    {choice("open", "Open", "anyone, a limited number per address", &v.mode)}
                    {choice("token", "With an initial access token", "only software you gave a token below", &v.mode)}
                </fieldset>
                <button type="submit" class=format!("{BUTTON} mt-3")>"Save mode"</button>
            </ActionForm>
        </section>

        <section class=format!("{CARD} mt-6 max-w-3xl") aria-labelledby="reg-tokens-title">
            <h2 id="reg-tokens-title" class="text-lg font-semibold">"Initial access tokens"</h2>
            <p class="mt-1 text-sm text-slate-600">"Give one to the software you expect; each registration spends a use. A token is shown once, here, and stored only hashed."</p>
            {v.new_token.clone().map(|t| view! {
                <div id="new-token" class="mt-3 rounded border border-amber-300 bg-amber-50 p-3 text-sm" role="status" data-testid="new-initial-token">
                    <p class="font-medium">"Copy the new token now: it is not shown again."</p>
                    <code class="mt-1 block break-all font-mono" data-testid="new-initial-token-value">{t}</code>
                </div>
            })}
            <FormError error=revoke_err/>
            {if v.tokens.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-600" data-testid="no-initial-tokens">"No tokens yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 space-y-2">{v.tokens.into_iter().map(|t| view! { <TokenRow t revoke=a.revoke/> }).collect_view()}</ul>
                }.into_any()
            }}
            <h3 class="mt-5 font-medium">"Mint a token"</h3>
            <FormError error=mint_err fields=vec!["label", "max_uses", "days"]/>
            <ActionForm action=a.mint attr:class="mt-2 grid gap-3 sm:grid-cols-3" attr:data-testid="mint-token">
                <CsrfField/>
                <div>
                    <label for="it-label" class=LABEL>"Label"</label>
                    <input id="it-label" name="label" required=true maxlength={limits::INITIAL_TOKEN_LABEL} class=INPUT/>
                </div>
                <div>
                    <label for="it-uses" class=LABEL>"Registrations it allows"</label>
                    <input id="it-uses" name="max_uses" type="number" min="1" required=true value="10" class=INPUT/>
                </div>
                <div>
                    <label for="it-days" class=LABEL>"Valid for (days)"</label>
                    <input id="it-days" name="days" type="number" min="1" max="365" required=true value="14" class=INPUT/>
                </div>
                <div class="sm:col-span-3"><button type="submit" class=BUTTON>"Mint token"</button></div>
            </ActionForm>
        </section>

        <section class=format!("{CARD} mt-6 max-w-3xl") aria-labelledby="reg-docs-title">
            <h2 id="reg-docs-title" class="text-lg font-semibold">"Client ID metadata documents"</h2>
            <p class="mt-1 text-sm text-slate-600">"An app whose client_id is the https address of its own metadata document. Clients from a trusted host are admitted at once; any other host's wait in the queue. A protected name served from another host than its vendor's is flagged and always waits for a person."</p>
            <FormError error=docs_err fields=vec!["trusted_hosts", "protected_names"]/>
            <ActionForm action=a.documents attr:class="mt-2" attr:data-testid="metadata-documents">
                <CsrfField/>
                <div class="flex items-center gap-2 text-sm">
                    <input type="checkbox" id="docs-enabled" name="enabled" value="on" checked=v.documents_enabled/>
                    <label for="docs-enabled">"Accept client ID metadata documents"</label>
                </div>
                <label for="docs-hosts" class=format!("{LABEL} mt-3")>"Trusted hosts"</label>
                <textarea id="docs-hosts" name="trusted_hosts" rows="3" maxlength="5000" class=format!("{INPUT} font-mono") aria-describedby="docs-hosts-help">{v.trusted_hosts.join("\n")}</textarea>
                <p id="docs-hosts-help" class="mt-1 text-xs text-slate-500">"One host name per line, exactly (no scheme, port or path)."</p>
                <label for="docs-names" class=format!("{LABEL} mt-3")>"Protected names"</label>
                <textarea id="docs-names" name="protected_names" rows="3" maxlength="5000" class=format!("{INPUT} font-mono") aria-describedby="docs-names-help">{names}</textarea>
                <p id="docs-names-help" class="mt-1 text-xs text-slate-500">"One per line: Name @ vendor host, e.g. Claude @ claude.ai."</p>
                <button type="submit" class=format!("{BUTTON} mt-3")>"Save documents settings"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn TokenRow(t: InitialTokenView, revoke: ServerAction<RevokeInitialToken>) -> impl IntoView {
    let confirm = format!("confirm-{}", t.id);
    let live = t.state == "live";
    view! {
        <li class="rounded border border-slate-200 p-3 text-sm" data-testid="initial-token" data-state=t.state.clone()>
            <div class="flex flex-wrap items-center gap-2">
                <strong>{t.label.clone()}</strong>
                <span class="rounded bg-slate-100 px-2 py-0.5 text-xs">{t.state.clone()}</span>
                <span class="text-slate-600">{format!("{} of {} used · until {}", t.uses, t.max_uses, t.expires)}</span>
            </div>
            {live.then(|| view! {
                <details class="mt-2">
                    <summary class="cursor-pointer text-red-800">"Revoke…"</summary>
                    <ActionForm action=revoke attr:class="mt-2 flex flex-wrap items-center gap-3">
                        <CsrfField/>
                        <input type="hidden" name="id" value=t.id.clone()/>
                        <div class="flex items-start gap-2">
                            <input type="checkbox" id=confirm.clone() name="confirm" value="yes" required=true class="mt-0.5 shrink-0"/>
                            <label for=confirm>"Registrations with this token stop at once; clients it registered stay."</label>
                        </div>
                        <button type="submit" class=DANGER aria-label=format!("Revoke the token {}", t.label)>"Revoke token"</button>
                    </ActionForm>
                </details>
            })}
        </li>
    }
}
