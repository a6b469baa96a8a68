//! Scope and extension requests, and the list of requests with their decisions
//! (a developer's own, or every request for administrators).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::REQUESTS_PER_PAGE;
use crate::error::AppError;
use crate::model::RequestPage;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[server(endpoint = "portal/request_scopes")]
pub async fn request_scopes(
    csrf_token: String,
    id: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] justification: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    use domain::portal::Status;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    let r = domain::portal::request_scopes(
        &st.db,
        &st.clients,
        &who,
        &id,
        &scopes,
        &justification,
        st.now(),
    )
    .await?;
    // What the developer reads next: what was added at once, what waits.
    let notice = match (r.request.status, r.at_once.is_some()) {
        (Status::Pending, true) => "scopes_added_request_submitted",
        (Status::Pending, false) => "request_submitted",
        (Status::Approved, _)
            if r.request
                .decider
                .as_ref()
                .is_some_and(|d| d.kind == "policy") =>
        {
            "scopes_added"
        }
        (Status::Approved, _) => "request_auto_approved",
        (Status::Rejected, true) => "scopes_added_request_auto_rejected",
        (Status::Rejected, false) => "request_auto_rejected",
    };
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}#requests"));
    Ok(())
}

#[server(endpoint = "portal/request_extension")]
pub async fn request_extension(
    csrf_token: String,
    id: String,
    #[server(default)] expires: String,
    #[server(default)] justification: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    let at = domain::platform::clock::parse_date_end(&expires)
        .ok_or_else(|| AppError::invalid("expires", "Choose a date (YYYY-MM-DD)."))?;
    domain::portal::request_extension(&st.db, &who, &id, at, &justification, st.now()).await?;
    leptos_axum::redirect(&format!(
        "/developer/clients/{id}?notice=request_submitted#requests"
    ));
    Ok(())
}

#[server(input = GetUrl, endpoint = "portal/requests")]
pub async fn list_requests(
    #[server(default)] mine: bool,
    #[server(default)] status: String,
    #[server(default)] kind: String,
    #[server(default)] client_id: String,
    #[server(default)] page: u64,
) -> Result<RequestPage, AppError> {
    use crate::ssr::state;
    use domain::portal::{RequestFilter, Status};
    let st = state()?;
    let who = super::conv::who()?;
    if !mine && !who.is_admin() {
        return Err(AppError::Forbidden);
    }
    let filter = RequestFilter {
        status: Status::parse(&status),
        kind: Some(kind).filter(|k| !k.is_empty()),
        client_id: Some(client_id).filter(|c| !c.is_empty()),
    };
    let p =
        domain::portal::list_requests(&st.db, &who, mine, &filter, page.max(1), REQUESTS_PER_PAGE)
            .await?;
    let pages = p.pages();
    let mut requests = Vec::new();
    let now = st.now();
    for r in p.items {
        let waited =
            (r.status == Status::Pending).then(|| (now - r.created_at).div_euclid(86_400).max(0));
        let mut v = super::conv::request_view(&st.db, r).await?;
        v.waiting_days = waited;
        requests.push(v);
    }
    if who.is_admin() && !requests.is_empty() {
        let all = domain::platform::lookalike::twins_of(
            &st.db,
            requests.iter().map(|r| r.client_name.as_str()),
        )
        .await?;
        for r in &mut requests {
            r.name_warnings =
                domain::platform::lookalike::warnings_for(&r.client_id, &r.client_name, &all);
        }
        review_facts(&st.db, &mut requests, now).await?;
    }
    Ok(RequestPage {
        requests,
        page: p.page,
        pages,
        total: p.total,
    })
}

/// What an administrator needs to judge a pending request without leaving the
/// queue (issue 13, defect 10; Entra's consent review shows the publisher and the
/// app): the client as it is now — type, redirect URIs, scopes, owner, age — and
/// how long the request has waited.
#[cfg(feature = "ssr")]
async fn review_facts(
    db: &domain::platform::db::Db,
    requests: &mut [crate::model::RequestView],
    now: domain::platform::clock::Timestamp,
) -> Result<(), AppError> {
    use crate::model::RequestStatus;
    let mut owners: std::collections::HashMap<String, Option<String>> = Default::default();
    for r in requests.iter_mut() {
        if r.status != RequestStatus::Pending {
            continue;
        }
        let Some(c) = domain::clients::find(db, &r.client_id).await? else {
            continue;
        };
        let owner = match &c.owner_id {
            Some(id) => {
                if !owners.contains_key(id) {
                    let u = domain::accounts::find_by_id(db, id).await?;
                    owners.insert(id.clone(), u.map(|u| u.username));
                }
                owners.get(id).cloned().flatten()
            }
            None => None,
        };
        r.client_age_days = Some((now - c.created_at).div_euclid(86_400).max(0));
        let mut view = super::conv::client_view(&c, owner, now);
        view.co_owners = domain::portal::team::co_owner_names(db, &c.id).await?;
        r.client = Some(Box::new(view));
    }
    Ok(())
}
