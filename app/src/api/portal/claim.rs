//! A developer claims a client that registered itself (RFC 7591), proving it with
//! its registration access token (`domain::portal::claim`).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[server(endpoint = "portal/claim_client")]
pub async fn claim_client(
    csrf_token: String,
    #[server(default)] client_id: String,
    #[server(default)] registration_access_token: String,
) -> Result<(), AppError> {
    use crate::ssr::state;
    check_csrf(&csrf_token)?;
    let st = state()?;
    let who = super::conv::who()?;
    let client = domain::portal::claim::claim(
        &st.db,
        &st.clients,
        &who,
        &client_id,
        &registration_access_token,
        st.now(),
    )
    .await
    .map_err(|e| {
        // Beside the field it is about; without JavaScript the form comes back
        // with the client id typed — never the token, which is a secret.
        let (field, message) = match AppError::from(e) {
            AppError::NotFound => (
                "registration_access_token".to_owned(),
                "No client that registered itself has this client id and registration access token.".to_owned(),
            ),
            AppError::Conflict(m) => ("client_id".to_owned(), m),
            AppError::Invalid { field, message } => (field, message),
            other => return other,
        };
        AppError::Fields {
            errors: vec![(field, message)],
            values: vec![("client_id".to_owned(), client_id.clone())],
        }
    })?;
    leptos_axum::redirect(&format!(
        "/developer/clients/{}?notice=client_claimed",
        crate::navigation::encode_component(&client.id)
    ));
    Ok(())
}
