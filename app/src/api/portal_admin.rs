//! Administrators' side of the portal: the approval queue's decisions, direct
//! client changes, auto-approval rules and the e-mail outbox.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{OutboxPage, RuleTrialView, RulesPage};
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[cfg(feature = "ssr")]
fn admin_who() -> Result<domain::portal::Who, AppError> {
    let who = crate::api::portal::conv::who()?;
    if who.is_admin() {
        Ok(who)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The queue as the administrator was looking at it (its filters), with a notice:
/// after a decision the page shows the same list, now without the decided request.
#[cfg(feature = "ssr")]
fn back_to_queue(status: &str, kind: &str, client_id: &str, notice: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("status", status), ("kind", kind), ("client_id", client_id)] {
        // Echoed into our own URL, encoded; anything unusual is simply dropped.
        if !v.is_empty() && v.len() <= limits::SEARCH {
            q.append_pair(k, v);
        }
    }
    q.append_pair("notice", notice);
    format!("/admin/requests?{}", q.finish())
}

#[server(endpoint = "admin/approve_request")]
pub async fn approve_request(
    csrf_token: String,
    id: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] note: String,
    #[server(default)] status: String,
    #[server(default)] kind: String,
    #[server(default)] client_id: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = admin_who()?;
    let req = domain::portal::find_request(&st.db, &who, &id).await?;
    // A scope request form always lists its scopes as checkboxes: none ticked means
    // the administrator unticked them all.
    let pick = matches!(req.ask, domain::portal::Ask::Scopes { .. }).then_some(scopes);
    domain::portal::approve(
        &st.db,
        &st.clients,
        &who.as_admin()?,
        &id,
        pick,
        Some(note),
        st.now(),
    )
    .await?;
    let admission = matches!(req.ask, domain::portal::Ask::Admission(_));
    leptos_axum::redirect(&back_to_queue(
        &status,
        &kind,
        &client_id,
        if admission {
            "client_admitted"
        } else {
            "request_approved"
        },
    ));
    Ok(())
}

#[server(endpoint = "admin/reject_request")]
pub async fn reject_request(
    csrf_token: String,
    id: String,
    #[server(default)] reason: String,
    #[server(default)] status: String,
    #[server(default)] kind: String,
    #[server(default)] client_id: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = admin_who()?;
    let req = domain::portal::find_request(&st.db, &who, &id).await?;
    domain::portal::reject(
        &st.db,
        &st.clients,
        &who.as_admin()?,
        &id,
        &reason,
        st.now(),
    )
    .await
    .map_err(|e| AppError::from(e).on_card(&id))?;
    let admission = matches!(req.ask, domain::portal::Ask::Admission(_));
    leptos_axum::redirect(&back_to_queue(
        &status,
        &kind,
        &client_id,
        if admission {
            "client_refused"
        } else {
            "request_rejected"
        },
    ));
    Ok(())
}

#[server(endpoint = "admin/set_client_expiry")]
pub async fn set_client_expiry(
    csrf_token: String,
    id: String,
    #[server(default)] expires: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = admin_who()?;
    let at = match expires.trim() {
        "" | "never" => None,
        d => Some(
            domain::platform::clock::parse_date_end(d)
                .ok_or_else(|| AppError::invalid("expires", "Choose a date (YYYY-MM-DD)."))?,
        ),
    };
    domain::portal::set_expiry(&st.db, &st.clients, &who.as_admin()?, &id, at, st.now()).await?;
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice=expiry_changed"));
    Ok(())
}

/// Removes one scope from a client (owners and administrators: least privilege
/// needs no approval).
#[server(endpoint = "portal/remove_scope")]
pub async fn remove_scope(csrf_token: String, id: String, scope: String) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = crate::api::portal::conv::who()?;
    domain::portal::remove_scope(&st.db, &st.clients, &who, &id, &scope, st.now()).await?;
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice=scope_removed"));
    Ok(())
}

/// The scopes a form or query named: `scopes` (a list, or names separated by
/// spaces as in OAuth's `scope`), and `scope`, the one scope a rule had before
/// rules could have several (still accepted).
#[cfg(feature = "ssr")]
fn scope_list(scope: &str, scopes: &[String]) -> Vec<String> {
    std::iter::once(scope)
        .chain(scopes.iter().map(String::as_str))
        .flat_map(str::split_whitespace)
        .map(str::to_owned)
        .collect()
}

#[cfg(feature = "ssr")]
fn rule_draft(
    id: String,
    scope: &str,
    scopes: &[String],
    approve_if: String,
    reject_if: String,
    reject_reason: String,
) -> domain::portal::rules::RuleDraft {
    domain::portal::rules::RuleDraft {
        id: Some(id).filter(|i| !i.trim().is_empty()),
        scopes: scope_list(scope, scopes),
        approve_if,
        reject_if,
        reject_reason,
    }
}

#[server(input = GetUrl, endpoint = "admin/rules")]
pub async fn list_rules() -> Result<RulesPage, AppError> {
    use crate::model::RuleView;
    use crate::ssr::state;
    admin_who()?;
    let st = state()?;
    // API scopes (a rule may be written before the scope is gated), and every
    // other scope that needs approval: the gated OpenID scopes, the role scope.
    // First, the admission of clients that register themselves (issue 16).
    let mut scopes = vec![crate::model::ScopeView {
        name: domain::portal::rules::ADMISSION_TARGET.into(),
        description: "New registrations: admits a client that registered itself (RFC 7591) or came by a metadata document from a host not trusted at once. Reads request, client and registration.".into(),
        api: None,
        requires_approval: true,
    }];
    scopes.extend(
        domain::apis::catalogue(&st.db)
            .await?
            .into_iter()
            .filter(|s| s.audience.is_some() || s.requires_approval)
            .map(crate::api::portal::conv::scope_view),
    );
    let rules = domain::portal::rules::list(&st.db)
        .await?
        .into_iter()
        .map(|r| RuleView {
            id: r.id,
            scopes: r.scopes,
            approve_if: r.approve_if.unwrap_or_default(),
            reject_if: r.reject_if.unwrap_or_default(),
            reject_reason: r.reject_reason.unwrap_or_default(),
            updated: domain::platform::clock::format_utc(r.updated_at),
        })
        .collect();
    Ok(RulesPage { scopes, rules })
}

/// Saves a rule for one or more scopes: `id` names the rule being edited (empty:
/// a new rule), `scopes[]` its scopes (or `scope`, one).
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "admin/save_rule")]
pub async fn save_rule(
    csrf_token: String,
    #[server(default)] id: String,
    #[server(default)] scope: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] approve_if: String,
    #[server(default)] reject_if: String,
    #[server(default)] reject_reason: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = admin_who()?;
    let admin = domain::accounts::AdminCtx::for_principal(&who.user).ok_or(AppError::Forbidden)?;
    domain::portal::rules::save(
        &st.db,
        &admin,
        &rule_draft(id, &scope, &scopes, approve_if, reject_if, reject_reason),
        st.now(),
    )
    .await?;
    leptos_axum::redirect("/admin/rules?notice=rule_saved");
    Ok(())
}

/// The rules editor's one form: `intent` `test` shows the draft again with its
/// outcomes against recent requests (the draft travels in the page's query, so it
/// works without JavaScript); `save` saves it.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "admin/edit_rule")]
pub async fn edit_rule(
    csrf_token: String,
    #[server(default)] intent: String,
    #[server(default)] id: String,
    #[server(default)] scope: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] approve_if: String,
    #[server(default)] reject_if: String,
    #[server(default)] reject_reason: String,
) -> Result<(), AppError> {
    match intent.as_str() {
        "save" => {
            save_rule(
                csrf_token,
                id,
                scope,
                scopes,
                approve_if,
                reject_if,
                reject_reason,
            )
            .await
        }
        "test" => {
            check_csrf(&csrf_token)?;
            admin_who()?;
            let draft = crate::model::RuleDraftView {
                id,
                scopes: scope_list(&scope, &scopes),
                approve_if,
                reject_if,
                reject_reason,
            };
            leptos_axum::redirect(&format!(
                "/admin/rules?{}#rule-editor",
                crate::pages::rules_draft_query(&draft, true)
            ));
            Ok(())
        }
        _ => Err(AppError::invalid("intent", "Choose Test or Save.")),
    }
}

/// Tries a draft rule against recent requests; changes nothing.
#[server(endpoint = "admin/test_rule")]
pub async fn test_rule(
    csrf_token: String,
    #[server(default)] scope: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] approve_if: String,
    #[server(default)] reject_if: String,
    #[server(default)] reject_reason: String,
) -> Result<Vec<RuleTrialView>, AppError> {
    check_csrf(&csrf_token)?;
    let draft = rule_draft(
        String::new(),
        &scope,
        &scopes,
        approve_if,
        reject_if,
        reject_reason,
    );
    rule_trials(draft).await
}

/// The rules page's test of the draft in its query: reads, changes nothing (so a
/// GET without a CSRF token), administrators only. `scopes`: names separated by
/// spaces.
#[server(input = GetUrl, endpoint = "admin/try_rule")]
pub async fn try_rule(
    #[server(default)] scope: String,
    #[server(default)] scopes: String,
    #[server(default)] approve_if: String,
    #[server(default)] reject_if: String,
    #[server(default)] reject_reason: String,
) -> Result<Vec<RuleTrialView>, AppError> {
    let draft = rule_draft(
        String::new(),
        &scope,
        &[scopes],
        approve_if,
        reject_if,
        reject_reason,
    );
    rule_trials(draft).await
}

#[cfg(feature = "ssr")]
async fn rule_trials(
    draft: domain::portal::rules::RuleDraft,
) -> Result<Vec<RuleTrialView>, AppError> {
    use crate::ssr::state;
    use domain::portal::rules::Verdict;
    let st = state()?;
    let who = admin_who()?;
    let trials = domain::portal::test_rule(&st.db, &who.as_admin()?, &draft, 20).await?;
    Ok(trials
        .into_iter()
        .map(|t| {
            let (verdict, detail) = match t.verdict {
                Verdict::Approve => ("approve", String::new()),
                Verdict::Reject { reason } => ("reject", reason),
                Verdict::Human { why } => ("human", why),
            };
            RuleTrialView {
                scope: t.scope,
                client_name: t.client_name,
                developer: t.developer,
                created: domain::platform::clock::format_utc(t.created_at),
                verdict: verdict.into(),
                detail,
            }
        })
        .collect())
}

/// Deletes a rule (`id`, or the rule in force for `scope`) once the administrator
/// confirmed it (`confirm=yes`): requests for its scopes then wait for a person.
#[server(endpoint = "admin/delete_rule")]
pub async fn delete_rule(
    csrf_token: String,
    #[server(default)] id: String,
    #[server(default)] scope: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = admin_who()?;
    let admin = domain::accounts::AdminCtx::for_principal(&who.user).ok_or(AppError::Forbidden)?;
    if confirm != "yes" {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm: requests for its scopes will wait for a person again.",
        ));
    }
    let id = match id.trim() {
        "" => domain::portal::rules::find(&st.db, scope.trim())
            .await?
            .map(|r| r.id)
            .ok_or(AppError::NotFound)?,
        id => id.to_owned(),
    };
    domain::portal::rules::delete(&st.db, &admin, &id, st.now()).await?;
    leptos_axum::redirect("/admin/rules?notice=rule_deleted");
    Ok(())
}

#[server(input = GetUrl, endpoint = "admin/outbox")]
pub async fn list_outbox(#[server(default)] page: u64) -> Result<OutboxPage, AppError> {
    use crate::model::OutboxView;
    use crate::ssr::state;
    use domain::platform::clock::format_utc;
    let who = admin_who()?;
    let admin = domain::accounts::AdminCtx::for_principal(&who.user).ok_or(AppError::Forbidden)?;
    let st = state()?;
    let p = domain::portal::notify::outbox(&st.db, &admin, page.max(1), 20).await?;
    Ok(OutboxPage {
        pages: p.pages(),
        page: p.page,
        total: p.total,
        smtp_configured: st.smtp_configured,
        items: p
            .items
            .into_iter()
            .map(|m| OutboxView {
                to: m.to,
                subject: m.subject,
                body: m.body,
                created: format_utc(m.created_at),
                sent: m.sent_at.map(format_utc),
                attempts: m.attempts,
                last_error: m.last_error,
            })
            .collect(),
    })
}
