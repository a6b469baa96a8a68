//! `/admin/rules`: the auto-approval rules (CEL), each deciding one or more scopes
//! that need approval (issue 17: a group of scopes). One editor (issue 13, defect 6): "Test" runs the draft against recent requests and shows it
//! again with the outcomes, "Save" saves what is in the editor; a rule in force is
//! edited by opening it in the editor, and deleted after a confirmation. Both
//! buttons are submit buttons of one form, so it all works without JavaScript:
//! the draft under test travels in the page's query, never the CSRF token.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::portal_admin::{list_rules, try_rule, DeleteRule, EditRule};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::panels::admin_only;
use crate::components::panels::ErrorPanel;
use crate::error::AppError;
use crate::model::{RuleDraftView, RuleTrialView, RuleView, ScopeView, ADMISSION_TARGET};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";
const DANGER: &str = "inline-flex items-center rounded bg-red-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";
const CEL_SPEC: &str = "https://github.com/google/cel-spec/blob/master/doc/langdef.md";

#[component]
pub fn AdminRulesPage() -> impl IntoView {
    view! {
        <Title text="Auto-approval rules · Admin · Portcullis"/>
        {admin_only("/admin/rules", || view! { <Rules/> })}
    }
}

/// The draft in the page's query (`?id=…&scopes=a+b&approve_if=…`; `scope=…` as
/// before rules had several): what "Test" ran, or a rule in force opened for
/// editing.
fn draft_in_query() -> Memo<Option<RuleDraftView>> {
    let q = use_query_map();
    Memo::new(move |_| {
        let q = q.read();
        let scopes: Vec<String> = [q.get("scopes"), q.get("scope")]
            .into_iter()
            .flatten()
            .flat_map(|s| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let id = q.get("id").unwrap_or_default();
        if scopes.is_empty() && id.is_empty() && q.get("test").is_none() {
            return None;
        }
        Some(RuleDraftView {
            id,
            scopes,
            approve_if: q.get("approve_if").unwrap_or_default(),
            reject_if: q.get("reject_if").unwrap_or_default(),
            reject_reason: q.get("reject_reason").unwrap_or_default(),
        })
    })
}

/// The page's query for a draft (`test`: run it against recent requests).
pub(crate) fn draft_query(d: &RuleDraftView, test: bool) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    let scopes = d.scopes.join(" ");
    for (k, v) in [
        ("id", &d.id),
        ("scopes", &scopes),
        ("approve_if", &d.approve_if),
        ("reject_if", &d.reject_if),
        ("reject_reason", &d.reject_reason),
    ] {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    if test {
        q.append_pair("test", "1");
    }
    q.finish()
}

#[component]
fn Rules() -> impl IntoView {
    let edit = ServerAction::<EditRule>::new();
    let delete = ServerAction::<DeleteRule>::new();
    let rules = Resource::new(
        move || edit.version().get() + delete.version().get(),
        |_| list_rules(),
    );
    let q = use_query_map();
    let draft = draft_in_query();
    let testing = Memo::new(move |_| q.read().get("test").is_some_and(|t| t == "1"));
    let trials = Resource::new(
        move || testing.get().then(|| draft.get()).flatten(),
        |d| async move {
            match d {
                Some(d) => try_rule(
                    String::new(),
                    d.scopes.join(" "),
                    d.approve_if,
                    d.reject_if,
                    d.reject_reason,
                )
                .await
                .map(Some),
                None => Ok(None),
            }
        },
    );
    let delete_err = move || delete.value().get().and_then(|r| r.err());
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Auto-approval rules"</h1>
        <div class="mt-2 max-w-3xl text-sm text-slate-700">
            <p>"A scope that needs approval may have a rule in CEL, the Common Expression Language ("
                <a class=LINK href=CEL_SPEC rel="noreferrer" data-testid="cel-reference">"the CEL language definition"</a>
                "); one rule may decide a group of scopes, each on its own. When a developer requests a scope, "
                <strong>"reject if"</strong>" is checked first (the request is rejected with your reason), then "
                <strong>"approve if"</strong>". Otherwise, or if the rule fails while running, the request waits for a person. "
                "Scopes that need no approval are added at once and never reach a rule."</p>
            <p class="mt-2">"One more rule can decide " <strong>"new registrations"</strong> " (" <code>{ADMISSION_TARGET}</code> "): whether a client that registered itself, or came by a metadata document from a host not trusted at once, is admitted. It reads " <code>"registration"</code> " instead of " <code>"developer"</code> ". A client whose name imitates a protected name always waits for a person."</p>
        </div>
        <Variables/>
        <FormError error=delete_err/>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                // Awaited here, with the rules, so that the page is rendered once
                // both are in: without JavaScript the test's outcome (or its error)
                // must be in the HTML the server sends.
                let tried = trials.await;
                match rules.await {
                    Ok(page) => {
                        let scopes = page.scopes.clone();
                        let ruled = page.rules.clone();
                        view! {
                            <h2 class="mt-6 text-lg font-semibold">"Rules in force"</h2>
                            {if page.rules.is_empty() {
                                view! { <p class="mt-2 text-sm text-slate-600" data-testid="no-rules">"No rules yet: every request for a scope that needs approval waits for a person."</p> }.into_any()
                            } else {
                                view! { <ul class="mt-2 space-y-2">{page.rules.into_iter().map(|r| view! { <RuleRow r delete/> }).collect_view()}</ul> }.into_any()
                            }}
                            <section class=format!("{CARD} mt-8 max-w-3xl") id="rule-editor" aria-labelledby="rule-editor-title">
                                {if scopes.is_empty() {
                                    view! {
                                        <h2 id="rule-editor-title" class="text-lg font-semibold">"Write a rule"</h2>
                                        <p class="mt-2 text-sm text-slate-600">"There are no scopes that need approval yet. Register an API and its scopes first (portcullis api add / add-scope), or make an OpenID scope need approval (APIs and scopes)."</p>
                                    }.into_any()
                                } else {
                                    view! { {move || view! { <RuleEditor scopes=scopes.clone() ruled=ruled.clone() draft=draft.get() edit tried=tried.clone()/> }} }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Whole rules for new registrations, as the rules page offers them: what each
/// does, the field it goes in (`approve_if` or `reject_if`), and the condition.
/// Each is saved and applied by `server/tests/it/registration/queue.rs`.
pub const REGISTRATION_EXAMPLES: [(&str, &str, &str); 4] = [
    (
        "Admit desktop and command-line agents that only return to this machine",
        "approve_if",
        r#"client.application_type == "native" && registration.redirect_hosts.all(h, h == "127.0.0.1" || h == "localhost")"#,
    ),
    (
        "Admit whatever registered with an initial access token an administrator minted",
        "approve_if",
        r#"registration.via == "token""#,
    ),
    (
        "Admit metadata documents served from the university's own hosts",
        "approve_if",
        r#"registration.via == "metadata_document" && registration.host.endsWith(".example.edu")"#,
    ),
    (
        "Refuse anything that asks to write",
        "reject_if",
        r#"registration.scopes.exists(s, s.endsWith(":write"))"#,
    ),
];

/// What a rule can read, with examples (`RuleInput` in the domain).
#[component]
fn Variables() -> impl IntoView {
    let rows: [(&str, &str, &str); 13] = [
        (
            "request.scope",
            "the scope being decided (a rule for several decides each on its own)",
            r#"request.scope == "grades:write""#,
        ),
        (
            "request.scopes",
            "every scope in the request (those that need approval)",
            r#"request.scopes.size() == 1"#,
        ),
        (
            "request.justification",
            "what the developer wrote",
            r#"request.justification.size() >= 20"#,
        ),
        (
            "request.created_at",
            "when it was asked (Unix seconds)",
            r#"request.created_at > 1767225600"#,
        ),
        (
            "client.name, client.id",
            "the client",
            r#"client.name.startsWith("Test ")"#,
        ),
        (
            "client.application_type",
            r#""web", "native" or "service""#,
            r#"client.application_type == "service""#,
        ),
        (
            "client.scopes",
            "the scopes it holds now",
            r#""openid" in client.scopes"#,
        ),
        (
            "client.grant_types",
            "its grant types",
            r#"!("password" in client.grant_types)"#,
        ),
        (
            "client.redirect_uris",
            "its redirect URIs",
            r#"client.redirect_uris.all(u, u.startsWith("https://app.example.edu/"))"#,
        ),
        (
            "client.first_party, client.created_at, client.expires_at",
            "first party (true/false); Unix seconds (expires_at 0: never)",
            r#"client.expires_at != 0"#,
        ),
        (
            "developer.email",
            "who asks",
            r#"developer.email.endsWith("@example.edu")"#,
        ),
        (
            "developer.username, developer.id",
            "who asks",
            r#"developer.username in ["ada", "grace"]"#,
        ),
        (
            "developer.role, developer.created_at",
            r#""developer" or "admin"; Unix seconds"#,
            r#"developer.role == "admin""#,
        ),
    ];
    let registration: [(&str, &str, &str); 6] = [
        (
            "registration.via",
            r#""open" or "token" (dynamic registration), "metadata_document""#,
            r#"registration.via == "token""#,
        ),
        (
            "registration.host",
            "a metadata document's host (else empty)",
            r#"registration.host.endsWith(".example.edu")"#,
        ),
        (
            "registration.redirect_hosts",
            "the hosts of its redirect URIs",
            r#"registration.redirect_hosts.all(h, h == "localhost" || h == "127.0.0.1")"#,
        ),
        (
            "registration.software_id, registration.initial_token",
            "RFC 7591 software_id; the initial access token's id (else empty)",
            r#"registration.software_id == "4NRB1-0XZABZI9E6-5SM3R""#,
        ),
        (
            "registration.ip",
            "the address it registered from (else empty)",
            r#"registration.ip.startsWith("10.")"#,
        ),
        (
            "registration.scopes",
            "every scope it asked for",
            r#"!("admin" in registration.scopes)"#,
        ),
    ];
    let row = |(name, what, example): (&'static str, &'static str, &'static str)| {
        view! {
            <tr class="border-t border-slate-100 align-top">
                <td class="py-1 pr-3"><code>{name}</code></td>
                <td class="py-1 pr-3">{what}</td>
                <td class="py-1"><code class="break-all">{example}</code></td>
            </tr>
        }
    };
    view! {
        <details class="mt-3 max-w-3xl rounded border border-slate-200 bg-white p-3 text-sm" data-testid="rule-variables">
            <summary class="cursor-pointer font-medium">"Variables a rule can use, with examples"</summary>
            <div class="mt-2 overflow-x-auto" tabindex="0" role="region" aria-label="Variables a rule can use">
                <table class="w-full text-left">
                    <thead><tr><th scope="col" class="pr-3">"Variable"</th><th scope="col" class="pr-3">"What it is"</th><th scope="col">"Example"</th></tr></thead>
                    <tbody>{rows.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
            <div class="mt-3 overflow-x-auto" tabindex="0" role="region" aria-label="Variables of the rule for new registrations">
                <table class="w-full text-left" data-testid="registration-variables">
                    <caption class="text-left font-medium">"The rule for new registrations also reads"</caption>
                    <thead><tr><th scope="col" class="pr-3">"Variable"</th><th scope="col" class="pr-3">"What it is"</th><th scope="col">"Example"</th></tr></thead>
                    <tbody>{registration.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
            <div class="mt-3" data-testid="registration-examples">
                <p class="font-medium">"Whole rules for new registrations"</p>
                <ul class="mt-1 space-y-2">
                    {REGISTRATION_EXAMPLES.into_iter().map(|(what, field, rule)| view! {
                        <li>
                            <span class="block">{what}</span>
                            <span class="text-xs text-slate-600">{if field == "approve_if" { "Approve if: " } else { "Reject if: " }}</span>
                            <code class="break-all">{rule}</code>
                        </li>
                    }).collect_view()}
                </ul>
            </div>
            <p class="mt-2">"Combine conditions with " <code>"&&"</code> ", " <code>"||"</code> " and " <code>"!"</code> "; a rule must give true or false."</p>
        </details>
    }
}

/// The scopes a rule decides, as people read them.
fn target_names(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|s| {
            if s == ADMISSION_TARGET {
                "new registrations".to_owned()
            } else {
                s.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn RuleRow(r: RuleView, delete: ServerAction<DeleteRule>) -> impl IntoView {
    let draft = RuleDraftView {
        id: r.id.clone(),
        scopes: r.scopes.clone(),
        approve_if: r.approve_if.clone(),
        reject_if: r.reject_if.clone(),
        reject_reason: r.reject_reason.clone(),
    };
    let edit_href = format!("/admin/rules?{}#rule-editor", draft_query(&draft, false));
    let names = target_names(&r.scopes);
    let confirm_id = format!("delete-confirm-{}", r.id);
    let delete_label = format!("Delete the rule for {names}");
    let (rule_id, hidden_id, scope_list) = (r.id.clone(), r.id.clone(), r.scopes.join(" "));
    view! {
        <li class="rounded border border-slate-200 bg-white p-3 text-sm" data-testid="rule" data-rule=rule_id data-scopes=scope_list>
            <div class="flex flex-wrap items-center gap-2">
                {r.scopes.iter().map(|s| view! { <code class="font-semibold">{s.clone()}</code> }).collect_view()}
                <span class="text-xs text-slate-500">"updated " {r.updated.clone()}</span>
                <a href=edit_href class=format!("{BUTTON_SECONDARY} ml-auto") aria-label=format!("Edit the rule for {names}")>"Edit"</a>
            </div>
            {(!r.reject_if.is_empty()).then(|| view! { <p class="mt-1">"Reject if " <code>{r.reject_if.clone()}</code> " — “" {r.reject_reason.clone()} "”"</p> })}
            {(!r.approve_if.is_empty()).then(|| view! { <p class="mt-1">"Approve if " <code>{r.approve_if.clone()}</code></p> })}
            <details class="mt-2">
                <summary class="cursor-pointer text-red-800">"Delete…"</summary>
                <ActionForm action=delete attr:class="mt-2 flex flex-wrap items-center gap-3">
                    <CsrfField/>
                    <input type="hidden" name="id" value=hidden_id/>
                    <div class="flex items-start gap-2">
                        <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="mt-0.5 shrink-0"/>
                        <label for=confirm_id.clone()>"Requests for " <code>{names.clone()}</code> " will wait for a person again."</label>
                    </div>
                    <button type="submit" class=DANGER aria-label=delete_label.clone()>"Delete rule"</button>
                </ActionForm>
            </details>
        </li>
    }
}

/// The one editor: the draft (a rule opened for editing, or the one just tested),
/// "Test" and "Save", one place for errors, and the test's outcomes.
#[component]
fn RuleEditor(
    scopes: Vec<ScopeView>,
    /// The rules in force (a scope belongs to at most one).
    ruled: Vec<RuleView>,
    draft: Option<RuleDraftView>,
    edit: ServerAction<EditRule>,
    /// The outcome of testing the draft in the page's query, if it was tested.
    tried: Result<Option<Vec<RuleTrialView>>, AppError>,
) -> impl IntoView {
    let d = draft.unwrap_or_default();
    // The rule being edited: named, or (a link from before rules had several
    // scopes) the one rule whose scopes these are.
    let editing = ruled
        .iter()
        .find(|r| (!d.id.is_empty() && r.id == d.id) || (d.id.is_empty() && r.scopes == d.scopes))
        .map(|r| r.id.clone())
        .unwrap_or_else(|| d.id.clone());
    let title = if editing.is_empty() {
        "Write a rule".to_owned()
    } else {
        format!("Edit the rule for {}", target_names(&d.scopes))
    };
    let editing_id = editing.clone();
    let holder = move |scope: &str| {
        ruled
            .iter()
            .find(|r| r.id != editing && r.scopes.iter().any(|s| s == scope))
            .map(|r| r.scopes.join(", "))
    };
    // One error place: the last submission's (saving), else the test's.
    let (rows, tried_err) = match tried {
        Ok(rows) => (rows, None),
        Err(e) => (None, Some(e)),
    };
    let tried_err = StoredValue::new(tried_err);
    let err = move || {
        edit.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| tried_err.get_value())
    };
    let msg = move |f: &'static str| move || err().and_then(|e| e.field_message(f));
    let fields = vec!["scopes", "approve_if", "reject_if", "reject_reason"];
    view! {
        <h2 id="rule-editor-title" class="text-lg font-semibold" data-testid="rule-editor-title">{title}</h2>
        <p class="mt-1 text-sm text-slate-600">"“Test” runs the rule against the latest requests for the scope without saving or deciding anything; “Save” puts it in force."</p>
        <div class="mt-3"><FormError error=err fields=fields/></div>
        <ActionForm action=edit attr:class="grid gap-1" attr:data-testid="rule-editor">
            <CsrfField/>
            <input type="hidden" name="id" value=editing_id/>
            <fieldset aria-describedby="rule-scopes-error">
                <legend class=LABEL>"Scopes this rule decides"</legend>
                <p class="text-xs text-slate-500">"Tick one or more: the rule decides each of them on its own."</p>
                {scopes.into_iter().enumerate().map(|(i, s)| {
                    let cid = format!("rule-scope-{i}");
                    let checked = d.scopes.contains(&s.name);
                    let held = holder(&s.name);
                    view! {
                        <div class="flex items-start gap-2 py-0.5 text-sm">
                            <input type="checkbox" id=cid.clone() name="scopes[]" value=s.name.clone() checked=checked class="mt-0.5 shrink-0"/>
                            <label for=cid><code class="font-mono">{s.name.clone()}</code></label>
                            <span class="text-slate-600">
                                {s.description.clone()}
                                {(!s.requires_approval).then(|| view! { <span class="ml-1 rounded bg-slate-100 px-1 text-xs">"needs no approval yet"</span> })}
                                {held.map(|h| view! { <span class="ml-1 text-xs text-slate-500">"(has a rule: " {h} ")"</span> })}
                            </span>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <p id="rule-scopes-error" class="text-sm text-red-700">{msg("scopes")}</p>
            <label for="rule-approve" class=format!("{LABEL} mt-3")>"Approve if"</label>
            <textarea id="rule-approve" name="approve_if" rows="2" maxlength={limits::RULE_EXPRESSION} class=format!("{INPUT} font-mono")
                aria-describedby="rule-approve-error">{d.approve_if.clone()}</textarea>
            <p id="rule-approve-error" class="text-sm text-red-700">{msg("approve_if")}</p>
            <label for="rule-reject" class=format!("{LABEL} mt-3")>"Reject if"</label>
            <textarea id="rule-reject" name="reject_if" rows="2" maxlength={limits::RULE_EXPRESSION} class=format!("{INPUT} font-mono")
                aria-describedby="rule-reject-error">{d.reject_if.clone()}</textarea>
            <p id="rule-reject-error" class="text-sm text-red-700">{msg("reject_if")}</p>
            <label for="rule-reason" class=format!("{LABEL} mt-3")>"Reason given when the rule rejects"</label>
            <input id="rule-reason" name="reject_reason" maxlength={limits::RULE_REASON} class=INPUT value=d.reject_reason.clone()
                aria-describedby="rule-reason-error"/>
            <p id="rule-reason-error" class="text-sm text-red-700">{msg("reject_reason")}</p>
            <div class="mt-3 flex flex-wrap gap-3">
                <button type="submit" name="intent" value="test" class=BUTTON_SECONDARY>"Test against recent requests"</button>
                <button type="submit" name="intent" value="save" class=BUTTON>"Save rule"</button>
            </div>
        </ActionForm>
        {rows.map(|rows| view! { <Trials rows/> })}
    }
}

#[component]
fn Trials(rows: Vec<RuleTrialView>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="mt-3 text-sm text-slate-600" data-testid="rule-trials">"No recent requests for these scopes to test against."</p> }.into_any();
    }
    view! {
        <div class="mt-3 overflow-x-auto" tabindex="0" role="region" aria-label="The rule against recent requests">
            <table class="w-full text-sm" data-testid="rule-trials">
                <caption class="text-left font-medium">"The rule above against recent requests"</caption>
                <thead><tr><th scope="col" class="text-left">"Scope"</th><th scope="col" class="text-left">"Client"</th><th scope="col" class="text-left">"Developer"</th><th scope="col" class="text-left">"When"</th><th scope="col" class="text-left">"Outcome"</th></tr></thead>
                <tbody>{rows.into_iter().map(|t| view! {
                    <tr><td><code>{t.scope}</code></td><td>{t.client_name}</td><td>{t.developer}</td><td>{t.created}</td><td><strong>{t.verdict}</strong> " " {t.detail}</td></tr>
                }).collect_view()}</tbody>
            </table>
        </div>
    }.into_any()
}
