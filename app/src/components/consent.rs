//! The consent card: who is asking, from where, for what, in plain words; Allow or
//! Deny. Shown by the authorization endpoint's consent page and by the device flow's
//! `/device` page. A plain HTML form, so it works the same with and without
//! JavaScript; the server checks the request again when it is posted.

use leptos::prelude::*;

use crate::api::consent::{AgentsOffer, ConsentView};
use crate::components::forms::{CsrfField, BUTTON, BUTTON_SECONDARY};

/// `action` receives the form with `hidden` fields and `decision=allow|deny`;
/// `children`, when given, is shown above the buttons (the device flow's code).
#[component]
pub fn ConsentCard(
    c: ConsentView,
    action: &'static str,
    hidden: Vec<(String, String)>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-8 shadow-sm" aria-labelledby="consent-title">
            {c.logo_uri.clone().map(|l| view! {
                <img src=l alt="" class="mb-4 h-14 w-14 rounded object-contain" data-testid="consent-logo" referrerpolicy="no-referrer"/>
            })}
            // A metadata document's client is only what its host says it is: the
            // host first, large, so "Claude" from evil.example reads as such.
            {c.document_host.clone().map(|h| view! {
                <p class="mb-3 rounded border border-amber-300 bg-amber-50 p-3 text-lg" data-testid="consent-document-host">
                    <strong class="font-semibold">{h}</strong>" says it is " <strong>{c.client_name.clone()}</strong>"."
                    <span class="mt-1 block text-sm text-slate-700">"Its name, logo and links come from a document on that site."</span>
                </p>
            })}
            <h1 id="consent-title" class="text-2xl font-semibold">
                <span data-testid="consent-client">{c.client_name.clone()}</span>" wants to use your account"
            </h1>
            <p class="mt-2 text-sm text-slate-600">
                {c.host.clone().map(|h| view! { "From " <strong data-testid="consent-host">{h}</strong> ". " })}
                {match c.owner.clone() {
                    Some(o) => format!("Developed by {o}. "),
                    None => String::new(),
                }}
                "Client ID: " <code class="text-xs">{c.client_id.clone()}</code>
            </p>
            {c.in_development.then(|| view! {
                <p class="mt-4 rounded border border-sky-300 bg-sky-50 p-3 text-sm text-slate-800" data-testid="consent-in-development">
                    <strong class="font-semibold">"In development. "</strong>
                    "Only its developers can sign in to it until an administrator promotes it to production; you are one of them."
                </p>
            })}
            <p class="mt-6">"Signed in as " <strong>{c.user_display_name.clone()}</strong> "." {if c.already.is_empty() { " If you allow it, it will be able to:" } else if c.scopes.is_empty() { " It asks you to confirm what you allowed before." } else { " It asks for more than you allowed before. If you allow it, it will also be able to:" }}</p>
            <ul class="mt-3 space-y-2" data-testid="consent-scopes">
                {c.scopes.iter().map(|s| view! {
                    <li class="flex gap-2"><span aria-hidden="true">"✓"</span><span>{s.description.clone()}
                        {s.api.clone().map(|a| view! { <span class="block text-xs text-slate-600" data-testid="consent-api">{format!("at {a}")}</span> })}
                    </span></li>
                }).collect_view()}
            </ul>
            // OIDC Core §5.5: details asked for one by one, beyond the permissions.
            {(!c.claims.is_empty()).then(|| view! {
                <p class="mt-4 text-sm">"It also asks to see these details of your account:"</p>
                <ul class="mt-2 space-y-1" data-testid="consent-claims">
                    {c.claims.iter().map(|l| view! {
                        <li class="flex gap-2"><span aria-hidden="true">"✓"</span><span>{l.clone()}</span></li>
                    }).collect_view()}
                </ul>
            })}
            {(!c.already.is_empty()).then(|| view! {
                <details class="mt-4 text-sm text-slate-700" data-testid="consent-already" open=c.scopes.is_empty()>
                    <summary class="cursor-pointer">{format!("What you already allowed ({})", c.already.len())}</summary>
                    <ul class="mt-2 list-disc space-y-1 pl-6">
                        {c.already.iter().map(|s| view! { <li>{s.description.clone()}</li> }).collect_view()}
                    </ul>
                </details>
            })}
            {(c.client_uri.is_some() || c.policy_uri.is_some() || c.tos_uri.is_some()).then(|| view! {
                <p class="mt-6 flex flex-wrap gap-4 text-sm" data-testid="consent-links">
                    {c.client_uri.clone().map(|u| view! { <a class="text-sky-700 underline" href=u rel="noopener noreferrer" target="_blank">"Home page"</a> })}
                    {c.policy_uri.clone().map(|u| view! { <a class="text-sky-700 underline" href=u rel="noopener noreferrer" target="_blank">"Privacy policy"</a> })}
                    {c.tos_uri.clone().map(|u| view! { <a class="text-sky-700 underline" href=u rel="noopener noreferrer" target="_blank">"Terms of service"</a> })}
                </p>
            })}
            {children.map(|ch| ch())}
            <p class="mt-6 text-sm text-slate-600">"You can take this permission back at any time under My apps."</p>
            <form method="post" action=action class="mt-6">
                <CsrfField/>
                {hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                {c.agents.clone().map(|a| view! { <AgentsChoice offer=a app=c.client_name.clone()/> })}
                <div class="flex gap-3">
                    <button type="submit" name="decision" value="allow" class=BUTTON>"Allow"</button>
                    <button type="submit" name="decision" value="deny" class=BUTTON_SECONDARY>"Deny"</button>
                </div>
            </form>
        </section>
    }
}

/// Who may act for the person through the app (RFC 8693 `may_act`): any agent
/// the app or its APIs hand the access on to, none, or (kept from My apps) only
/// the agents the person named there.
#[component]
fn AgentsChoice(offer: AgentsOffer, app: String) -> impl IntoView {
    let option = |value: &'static str, label: String| {
        let id = format!("agents-{value}");
        let checked = offer.current == value;
        view! {
            <label for=id.clone() class="flex items-start gap-2 text-sm">
                <input type="radio" id=id.clone() name="agents" value=value checked=checked class="mt-1"/>
                <span>{label}</span>
            </label>
        }
    };
    let only = (offer.current == "only").then(|| {
        option(
            "only",
            format!("Only the agents I chose: {}", offer.named.join(", ")),
        )
    });
    view! {
        <fieldset class="mb-6 space-y-2 rounded border border-slate-200 p-4" data-testid="consent-agents">
            <legend class="px-1 text-sm font-medium">"Agents acting for you"</legend>
            <p class="text-xs text-slate-600">
                {format!("{app}, or a service it gets access to, may hand this access on to another app or AI agent that then acts for you.")}
            </p>
            {only}
            {option("any", "Allow the agents they choose".to_owned())}
            {option("none", format!("No agents: only {app} itself"))}
        </fieldset>
    }
}
