//! A client's lifecycle stage (issue 13): its team asks for production, an
//! administrator promotes it (or moves it back) at once. The rules are
//! `domain::portal::stage`'s; each form redirects with a notice, so it works
//! without JavaScript.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// A member of the client's team asks the administrators to promote it to
/// production (a request in the approval queue).
#[server(endpoint = "portal/request_promotion")]
pub async fn request_promotion(
    csrf_token: String,
    id: String,
    #[server(default)] justification: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    domain::portal::stage::request_promotion(&st.db, &who, &id, &justification, st.now()).await?;
    leptos_axum::redirect(&format!(
        "/developer/clients/{id}?notice=promotion_requested#stage"
    ));
    Ok(())
}

/// Administrators: moves the client to production, or back to development
/// (which needs the box ticked: people outside its team lose access).
#[server(endpoint = "portal/set_client_stage")]
pub async fn set_client_stage(
    csrf_token: String,
    id: String,
    stage: String,
    #[server(default)] reason: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    use domain::clients::Stage;
    check_csrf(&csrf_token)?;
    let stage = Stage::parse(&stage)
        .ok_or_else(|| AppError::invalid("stage", "Choose development or production."))?;
    if stage == Stage::Development && confirm != "yes" {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm that only the client's team can sign in to it from now on.",
        ));
    }
    let st = state()?;
    let who = super::conv::who()?;
    let admin = who.as_admin()?;
    domain::portal::stage::set_stage(&st.db, &st.clients, &admin, &id, stage, &reason, st.now())
        .await?;
    let notice = match stage {
        Stage::Production => "client_promoted",
        Stage::Development => "client_in_development",
    };
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}#stage"));
    Ok(())
}
