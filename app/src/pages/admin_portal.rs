//! Administrators' portal pages: the approval queue, all clients and the e-mail
//! outbox (the auto-approval rules are in `admin_rules`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::admin_developer_access::DeveloperRequests;
use crate::api::audit::encode;
use crate::api::portal::requests::list_requests;
use crate::api::portal_admin::{list_outbox, ApproveRequest, RejectRequest};
use crate::components::clients::{ClientList, NameWarnings};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::components::pagination::Pagination;
use crate::components::panels::{admin_only, ErrorPanel};
use crate::components::requests::RequestItem;
use crate::error::AppError;
use crate::model::{ClientView, RequestKind, RequestStatus, RequestView};

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";

#[component]
pub fn AdminRequestsPage() -> impl IntoView {
    view! {
        <Title text="Approval queue · Admin · Portcullis"/>
        {admin_only("/admin/requests", || view! { <Queue/> })}
    }
}

#[component]
fn Queue() -> impl IntoView {
    let q = use_query_map();
    let kind = move || q.read().get("kind").unwrap_or_default();
    let client = move || q.read().get("client_id").unwrap_or_default();
    let status = move || q.read().get("status").unwrap_or_else(|| "pending".into());
    let page = move || {
        q.read()
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1u64)
    };
    let filters = Filters {
        status: Signal::derive(status),
        kind: Signal::derive(kind),
        client: Signal::derive(client),
    };
    let approve = ServerAction::<ApproveRequest>::new();
    let reject = ServerAction::<RejectRequest>::new();
    let reqs = Resource::new(
        move || {
            (
                status(),
                kind(),
                client(),
                page(),
                approve.version().get() + reject.version().get(),
            )
        },
        |(s, k, c, p, _)| list_requests(false, s, k, c, p),
    );
    let error = move || {
        approve
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| reject.value().get().and_then(|r| r.err()))
    };
    // A missing reason shows on its own card only (`reason-{id}`), not up here.
    let page_error = move || {
        error().filter(
            |e| !matches!(e, AppError::Invalid { field, .. } if field.starts_with("reason-")),
        )
    };
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"Approval queue"</h1>
        <form method="get" action="/admin/requests" class="mt-4 flex flex-wrap items-end gap-2">
            <div>
                <label for="q-status" class=LABEL>"Status"</label>
                <select id="q-status" name="status" class=INPUT>
                    <option value="pending" selected=move || status() == "pending">"Pending (oldest first)"</option>
                    <option value="approved" selected=move || status() == "approved">"Approved"</option>
                    <option value="rejected" selected=move || status() == "rejected">"Rejected"</option>
                    <option value="all" selected=move || status() == "all">"All"</option>
                </select>
            </div>
            <div>
                <label for="q-kind" class=LABEL>"Kind"</label>
                <select id="q-kind" name="kind" class=INPUT>
                    <option value="" selected=move || kind().is_empty()>"Any"</option>
                    <option value="scopes" selected=move || kind() == "scopes">"Scopes"</option>
                    <option value="extension" selected=move || kind() == "extension">"Extension"</option>
                    <option value="change" selected=move || kind() == "change">"Field change"</option>
                    <option value="admission" selected=move || kind() == "admission">"Admission (new registrations)"</option>
                </select>
            </div>
            <div>
                <label for="q-client" class=LABEL>"Client id"</label>
                <input id="q-client" name="client_id" maxlength={limits::SEARCH} class=INPUT value=client/>
            </div>
            <button type="submit" class=BUTTON_SECONDARY>"Filter"</button>
        </form>
        // Requests for developer access wait above the clients' (not for a filter
        // on a kind or client: they are neither).
        {move || (status() == "pending" && kind().is_empty() && client().is_empty()).then(|| view! { <DeveloperRequests/> })}
        <div class="mt-4"><FormError error=page_error/></div>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match reqs.await {
                    Ok(p) if p.requests.is_empty() => view! {
                        <div class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center" data-testid="queue-empty">
                            <p class="font-medium">"No client requests waiting."</p>
                            <p class="mt-1 text-sm text-slate-600">"New scope, extension and change requests, and clients that registered themselves, appear here; you are also notified."</p>
                        </div>
                    }.into_any(),
                    Ok(p) => view! {
                        <p class="mt-4 text-sm text-slate-600">{format!("{} request(s)", p.total)}</p>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
            // The cards live outside the Suspend above, in a list keyed by request
            // (and its status): after a decision or a failed one the list is
            // diffed, so a card that stays keeps its own DOM and typed text, and no
            // card ever takes over another request's form (its note, its focus);
            // re-rendering the whole list instead either reused a decided card's
            // inputs for the next request or wiped what was typed (issue 13).
            <ul class="mt-2 space-y-4">
                <For
                    each=move || reqs.get().and_then(Result::ok).map(|p| p.requests).unwrap_or_default()
                    key=|r| (r.id.clone(), r.status)
                    children=move |r| view! { <QueueItem r approve reject error filters/> }
                />
            </ul>
            {move || Suspend::new(async move {
                reqs.await.ok().map(|p| {
                    let (s, k, c) = (status(), kind(), client());
                    view! {
                        <Pagination page=p.page pages=p.pages link=move |n| format!("/admin/requests?status={}&kind={}&client_id={}&page={n}", encode(&s), encode(&k), encode(&c))/>
                    }
                })
            })}
        </Transition>
    }
}

/// The queue's filters (status, kind, client id), sent with a decision so the
/// administrator returns to the same list.
#[derive(Clone, Copy)]
struct Filters {
    status: Signal<String>,
    kind: Signal<String>,
    client: Signal<String>,
}

#[component]
fn QueueItem(
    r: RequestView,
    approve: ServerAction<ApproveRequest>,
    reject: ServerAction<RejectRequest>,
    error: impl Fn() -> Option<AppError> + Send + Sync + Copy + 'static,
    filters: Filters,
) -> impl IntoView {
    if r.status != RequestStatus::Pending {
        return view! { <RequestItem r/> }.into_any();
    }
    let history = format!(
        "/admin/requests?status=all&client_id={}",
        encode(&r.client_id)
    );
    let client_href = format!("/developer/clients/{}", r.client_id);
    let reason_id = format!("reason-{}", r.id);
    let reason_error = reason_id.clone();
    let (rid1, rid2) = (r.id.clone(), r.id.clone());
    let prefix = format!("ap-{}", r.id);
    let note_id = format!("note-{}", r.id);
    let admission = r.kind == RequestKind::Admission;
    view! {
        <li class=CARD id=r.id.clone() data-testid="queue-item">
            <div class="flex flex-wrap items-center gap-2">
                <span class="rounded bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800">{r.kind.label()}</span>
                <h2 class="font-semibold">{r.summary.clone()}</h2>
            </div>
            <p class="mt-1 text-sm text-slate-700">
                "Client " <a class=LINK href=client_href>{r.client_name.clone()}</a>
                {if admission {
                    view! { " · registered itself" }.into_any()
                } else {
                    view! {
                        " · developer " <strong>{r.requester.clone().unwrap_or_else(|| "(deleted)".into())}</strong>
                        {r.requester_email.clone().map(|e| format!(" <{e}>"))}
                    }.into_any()
                }}
                " · " {r.created.clone()}
                " · " <a class=LINK href=history>"client history"</a>
            </p>
            <NameWarnings warnings=r.name_warnings.clone()/>
            {(!r.facts.is_empty()).then(|| view! { <Facts rows=r.facts.clone()/> })}
            {r.client.clone().map(|c| view! { <ClientFacts c=*c age=r.client_age_days waiting=r.waiting_days/> })}
            {(!r.changes.is_empty()).then(|| view! {
                <table class="mt-3 text-sm">
                    <caption class="sr-only">"Requested changes"</caption>
                    <thead><tr><th scope="col" class="pr-4 text-left">"Field"</th><th scope="col" class="pr-4 text-left">"Now"</th><th scope="col" class="text-left">"Asked"</th></tr></thead>
                    <tbody>{r.changes.iter().map(|ch| view! {
                        <tr><td class="pr-4">{ch.field.clone()}</td><td class="pr-4 text-slate-500">{ch.before.clone()}</td><td class="font-medium">{ch.after.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            })}
            {(!admission).then(|| view! { <p class="mt-2 text-sm"><span class="font-medium">"Justification: "</span>{r.justification.clone()}</p> })}
            {(!r.evaluations.is_empty()).then(|| view! {
                <ul class="mt-1 list-disc pl-5 text-xs text-slate-600">{r.evaluations.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
            })}
            <div class="mt-4 grid gap-4 md:grid-cols-2">
                <ActionForm action=approve attr:class="rounded border border-emerald-200 bg-emerald-50 p-3">
                    <CsrfField/>
                    <input type="hidden" name="id" value=rid1/>
                    <input type="hidden" name="status" value=filters.status/>
                    <input type="hidden" name="kind" value=filters.kind/>
                    <input type="hidden" name="client_id" value=filters.client/>
                    {(!r.scopes.is_empty()).then(|| view! {
                        <fieldset class="mb-2">
                            <legend class="text-sm font-medium">"Approve these scopes"</legend>
                            {r.scopes.iter().map(|s| {
                                let cid = format!("{prefix}-{}", s.name);
                                view! {
                                    <div class="flex items-start gap-2 text-sm">
                                        <input type="checkbox" id=cid.clone() name="scopes[]" value=s.name.clone() checked=true/>
                                        <label for=cid><code>{s.name.clone()}</code> " — " {s.description.clone()}</label>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                    })}
                    <label for=note_id.clone() class="text-sm font-medium">{if admission { "Note (optional, kept with the decision)" } else { "Note to the developer (optional)" }}</label>
                    <input id=note_id name="note" maxlength={limits::REASON} class=INPUT/>
                    <button type="submit" class=format!("{BUTTON} mt-2")>{if admission { "Admit" } else { "Approve" }}</button>
                </ActionForm>
                <ActionForm action=reject attr:class="rounded border border-red-200 bg-red-50 p-3">
                    <CsrfField/>
                    <input type="hidden" name="id" value=rid2/>
                    <input type="hidden" name="status" value=filters.status/>
                    <input type="hidden" name="kind" value=filters.kind/>
                    <input type="hidden" name="client_id" value=filters.client/>
                    <label for=reason_id.clone() class="text-sm font-medium">{if admission { "Reason (required, kept with the decision)" } else { "Reason (required, sent to the developer)" }}</label>
                    <textarea id=reason_id.clone() name="reason" rows="2" maxlength={limits::REASON} class=INPUT
                        aria-describedby=format!("{reason_id}-error")></textarea>
                    <p id=format!("{reason_id}-error") class="text-sm text-red-700" data-testid="reject-error">{move || error().and_then(|e| e.field_message(&reason_error))}</p>
                    <button type="submit" class="mt-2 inline-flex items-center rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800">"Reject"</button>
                </ActionForm>
            </div>
        </li>
    }
    .into_any()
}

/// How a client asking for admission came (an admission's card).
#[component]
fn Facts(rows: Vec<(String, String)>) -> impl IntoView {
    view! {
        <dl class="mt-3 rounded border border-amber-200 bg-amber-50 px-3 py-2 text-sm" data-testid="queue-arrival">
            {rows.into_iter().map(|(label, value)| view! {
                <div class="py-1 sm:grid sm:grid-cols-4 sm:gap-3">
                    <dt class="font-medium text-slate-600">{label}</dt>
                    <dd class="sm:col-span-3 break-words">{value}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

/// "3 days ago", "1 day ago", "today".
fn days(n: i64) -> String {
    match n {
        0 => "today".into(),
        1 => "1 day ago".into(),
        n => format!("{n} days ago"),
    }
}

/// The client a request is for, as it is now: what an administrator weighs
/// (issue 13, defect 10).
#[component]
fn ClientFacts(c: ClientView, age: Option<i64>, waiting: Option<i64>) -> impl IntoView {
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let row = "py-1 sm:grid sm:grid-cols-4 sm:gap-3";
    let dt = "font-medium text-slate-600";
    let dd = "sm:col-span-3 break-words";
    view! {
        <dl class="mt-3 rounded border border-slate-200 bg-slate-50 px-3 py-2 text-sm" data-testid="queue-client">
            <div class=row><dt class=dt>"Type"</dt><dd class=dd data-testid="queue-client-type">{c.type_label()}</dd></div>
            <div class=row><dt class=dt>"Owner"</dt><dd class=dd data-testid="queue-client-owner">{c.owner.clone().unwrap_or_else(|| "none".into())}</dd></div>
            {(!c.co_owners.is_empty()).then(|| view! {
                <div class=row><dt class=dt>"Co-owners"</dt><dd class=dd data-testid="queue-client-co-owners">{list(&c.co_owners)}</dd></div>
            })}
            <div class=row><dt class=dt>"Redirect URIs"</dt><dd class=dd data-testid="queue-client-redirects">{list(&c.metadata.redirect_uris)}</dd></div>
            <div class=row><dt class=dt>"Scopes it holds"</dt><dd class=dd data-testid="queue-client-scopes">{list(&c.scopes)}</dd></div>
            <div class=row><dt class=dt>"Registered"</dt><dd class=dd data-testid="queue-client-age">{c.created.clone()} {age.map(|a| format!(" ({})", days(a)))}</dd></div>
            {waiting.map(|w| view! {
                <div class=row><dt class=dt>"Waiting since"</dt><dd class=dd data-testid="queue-waiting">{days(w)}</dd></div>
            })}
        </dl>
    }
}

#[component]
pub fn AdminClientsPage() -> impl IntoView {
    view! {
        <Title text="All clients · Admin · Portcullis"/>
        {admin_only("/admin/clients", || view! {
            <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
            <h1 class="mt-2 text-2xl font-semibold">"All clients"</h1>
            <p class="mt-1 text-sm text-slate-600">"Open a client to edit any field, disable or enable it, change its expiry or delete it."</p>
            <ClientList all=true/>
        })}
    }
}

#[component]
pub fn AdminOutboxPage() -> impl IntoView {
    view! {
        <Title text="E-mail outbox · Admin · Portcullis"/>
        {admin_only("/admin/outbox", || view! { <Outbox/> })}
    }
}

#[component]
fn Outbox() -> impl IntoView {
    let q = use_query_map();
    let page = move || {
        q.read()
            .get("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1u64)
    };
    let mails = Resource::new(page, list_outbox);
    view! {
        <p class="text-sm"><a class=LINK href="/admin">"← Administration"</a></p>
        <h1 class="mt-2 text-2xl font-semibold">"E-mail outbox"</h1>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mails.await {
                    Ok(p) => view! {
                        <p class="mt-2 text-sm text-slate-700">{if p.smtp_configured {
                            "SMTP is configured: mail is delivered from here and marked sent; failures are retried."
                        } else {
                            "SMTP is not configured, so e-mail is kept here instead of being sent. Configure smtp.* (docs/SETTINGS.md) to deliver it."
                        }}</p>
                        {if p.items.is_empty() {
                            view! { <p class="mt-6 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-slate-600">"No e-mail yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="mt-4 space-y-2">{p.items.into_iter().map(|m| view! {
                                    <li class="rounded border border-slate-200 bg-white p-3 text-sm" data-testid="outbox-mail">
                                        <div class="flex flex-wrap gap-2"><strong>{m.subject.clone()}</strong><span class="text-slate-500">"to " {m.to.clone()} " · " {m.created.clone()}</span>
                                            <span class="ml-auto">{match (&m.sent, &m.last_error) {
                                                (Some(s), _) => format!("sent {s}"),
                                                (None, Some(e)) => format!("not sent ({} attempts): {e}", m.attempts),
                                                (None, None) => "waiting".into(),
                                            }}</span></div>
                                        <pre class="mt-2 whitespace-pre-wrap font-sans text-slate-700">{m.body.clone()}</pre>
                                    </li>
                                }).collect_view()}</ul>
                                <Pagination page=p.page pages=p.pages link=|n| format!("/admin/outbox?page={n}")/>
                            }.into_any()
                        }}
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}
