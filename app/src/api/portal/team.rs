//! A client's team (issue 13): co-owners added and removed, ownership offered,
//! answered and taken over. The rules are `domain::portal::team`'s; each form
//! redirects with a notice, so it works without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::OfferView;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[cfg(feature = "ssr")]
fn confirmed(confirm: &str, what: &str) -> Result<(), AppError> {
    if confirm == "yes" {
        Ok(())
    } else {
        Err(AppError::invalid(
            "confirm",
            format!("Tick the box to confirm {what}."),
        ))
    }
}

#[cfg(feature = "ssr")]
fn back(id: &str, notice: &str) {
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}#team"));
}

/// The owner (or an administrator) adds a developer as a co-owner.
#[server(endpoint = "portal/add_co_owner")]
pub async fn add_co_owner(
    csrf_token: String,
    id: String,
    #[server(default)] member: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::team::add_co_owner(&st.db, &who, &id, &member, st.now()).await?;
    back(&id, "co_owner_added");
    Ok(())
}

/// Removes a co-owner (the owner or an administrator), or the caller leaves.
#[server(endpoint = "portal/remove_co_owner")]
pub async fn remove_co_owner(
    csrf_token: String,
    id: String,
    user_id: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    confirmed(&confirm, "that they can no longer manage this client")?;
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::team::remove_co_owner(&st.db, &who, &id, &user_id, st.now()).await?;
    if user_id == who.user.id && !who.is_admin() {
        leptos_axum::redirect("/developer?notice=left_team");
    } else {
        back(&id, "co_owner_removed");
    }
    Ok(())
}

/// The owner (or an administrator) offers the client to another developer.
#[server(endpoint = "portal/offer_client")]
pub async fn offer_client(
    csrf_token: String,
    id: String,
    #[server(default)] new_owner: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    // The name first: a person who typed nobody's name hears that, not the box.
    if new_owner.trim().is_empty() {
        return Err(AppError::invalid(
            "new_owner",
            "Enter the username or e-mail address of the developer to offer it to.",
        ));
    }
    confirmed(&confirm, "that the client will be theirs once they accept")?;
    domain::portal::team::offer_transfer(&st.db, &who, &id, &new_owner, st.now()).await?;
    back(&id, "transfer_offered");
    Ok(())
}

/// The owner (or an administrator) withdraws the waiting offer.
#[server(endpoint = "portal/cancel_offer")]
pub async fn cancel_offer(csrf_token: String, id: String) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::team::cancel_transfer(&st.db, &who, &id, st.now()).await?;
    back(&id, "transfer_cancelled");
    Ok(())
}

/// The recipient accepts (`answer=accept`) or declines an offer.
#[server(endpoint = "portal/answer_offer")]
pub async fn answer_offer(
    csrf_token: String,
    id: String,
    #[server(default)] answer: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let accept = match answer.as_str() {
        "accept" => true,
        "decline" => false,
        _ => return Err(AppError::invalid("answer", "Accept or decline the offer.")),
    };
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::team::answer_transfer(&st.db, &st.clients, &who, &id, accept, st.now()).await?;
    if accept {
        back(&id, "transfer_accepted");
    } else {
        leptos_axum::redirect("/developer?notice=transfer_declined");
    }
    Ok(())
}

/// A co-owner takes over a client whose owner left.
#[server(endpoint = "portal/take_over")]
pub async fn take_over(
    csrf_token: String,
    id: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    confirmed(&confirm, "that you become the client's owner")?;
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::team::take_over(&st.db, &st.clients, &who, &id, st.now()).await?;
    back(&id, "taken_over");
    Ok(())
}

/// Clients offered to the caller, waiting for an answer.
#[server(input = GetUrl, endpoint = "portal/offers")]
pub async fn list_offers() -> Result<Vec<OfferView>, AppError> {
    use crate::ssr::state;
    let st = state()?;
    let who = super::conv::who()?;
    Ok(domain::portal::team::offers_for(&st.db, &who, st.now())
        .await?
        .into_iter()
        .map(super::conv::offer_view)
        .collect())
}
