//! Asking for developer access from `/developer`, and administrators' decisions
//! in the approval queue (issue 13).

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{DeveloperAccessView, DeveloperRequestsPage};
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// The signed-in person's latest request for developer access, if any.
#[server(input = GetUrl, endpoint = "developer_access")]
pub async fn my_developer_access() -> Result<Option<DeveloperAccessView>, AppError> {
    use crate::api::portal::conv::status_view;
    use domain::platform::clock::format_utc;
    let st = crate::ssr::state()?;
    let user = crate::ssr::require_user()?;
    Ok(domain::portal::developer_access::latest(&st.db, &user.id)
        .await?
        .map(|r| DeveloperAccessView {
            status: status_view(r.status),
            plan: r.plan,
            asked: format_utc(r.created_at),
            decided: r.decided_at.map(format_utc),
            reason: r.reason,
        }))
}

#[server(endpoint = "ask_developer_access")]
pub async fn ask_developer_access(
    csrf_token: String,
    #[server(default)] plan: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let who = crate::api::portal::conv::who()?;
    match domain::portal::developer_access::ask(&st.db, &who, &plan, st.now()).await {
        Ok(_) => {}
        // Beside its field, keeping what was typed (also without JavaScript).
        Err(e @ domain::DomainError::Invalid { .. }) => {
            AppError::fields(vec![e], vec![("plan", plan)])?
        }
        Err(e) => return Err(e.into()),
    }
    leptos_axum::redirect("/developer?notice=developer_access_asked");
    Ok(())
}

/// Administrators: the requests for developer access that wait, oldest first.
#[server(input = GetUrl, endpoint = "admin/developer_requests")]
pub async fn waiting_developers(
    #[server(default)] page: u64,
) -> Result<DeveloperRequestsPage, AppError> {
    use crate::model::WaitingDeveloperView;
    use domain::platform::clock::format_utc;
    let st = crate::ssr::state()?;
    let who = crate::api::portal::conv::who()?;
    let p = domain::portal::developer_access::waiting(&st.db, &who.as_admin()?, page).await?;
    Ok(DeveloperRequestsPage {
        page: p.page,
        pages: p.pages(),
        total: p.total,
        items: p
            .items
            .into_iter()
            .map(|w| WaitingDeveloperView {
                id: w.request.id,
                name: w.display_name,
                username: w.username,
                email: w.email,
                email_verified: w.email_verified,
                member_since: format_utc(w.member_since),
                asked: format_utc(w.request.created_at),
                plan: w.request.plan,
            })
            .collect(),
    })
}

#[server(endpoint = "admin/approve_developer")]
pub async fn approve_developer(csrf_token: String, id: String) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let who = crate::api::portal::conv::who()?;
    domain::portal::developer_access::approve(&st.db, &who.as_admin()?, &id, st.now()).await?;
    leptos_axum::redirect("/admin/requests?notice=developer_approved");
    Ok(())
}

#[server(endpoint = "admin/reject_developer")]
pub async fn reject_developer(
    csrf_token: String,
    id: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let who = crate::api::portal::conv::who()?;
    domain::portal::developer_access::reject(&st.db, &who.as_admin()?, &id, &reason, st.now())
        .await
        .map_err(|e| AppError::from(e).on_card(&id))?;
    leptos_axum::redirect("/admin/requests?notice=developer_rejected");
    Ok(())
}
