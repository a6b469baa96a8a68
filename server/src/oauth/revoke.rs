//! RFC 7009 revocation. The answer is 200 whether or not the token was valid, so
//! the endpoint cannot be used to test tokens; a client can revoke only its own.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use domain::audit::{self, Actor, AuditEvent, EventType};
use http::{HeaderMap, StatusCode};
use serde_json::json;

use super::client_auth::{authenticate, parse_form};
use super::error::no_store;
use super::{OAuthError, OAuthState};

pub async fn revoke(State(st): State<OAuthState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = async {
        let form = parse_form(&headers, &body)?;
        let caller = authenticate(&st, &headers, &form).await?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        let now = st.app.now();
        // A refresh token: revoke its family (and the access tokens issued with it).
        let txn = domain::db::write_txn(&st.app.db)
            .await
            .map_err(OAuthError::server_error)?;
        if domain::authz::revoke_refresh(&txn, token, &caller.id, now).await? {
            audit::record(
                &txn,
                now,
                AuditEvent::new(EventType::TokenRevoked, Actor::Client(caller.id.clone()))
                    .target("refresh_token", &caller.id)
                    .data(json!({ "client_id": caller.id })),
            )
            .await?;
        }
        txn.commit().await.map_err(OAuthError::server_error)?;
        if let Ok(claims) = domain::tokens::verify_access(&st.keys(), token, &st.issuer, now) {
            if claims.client_id == caller.id {
                let txn = domain::db::write_txn(&st.app.db)
                    .await
                    .map_err(OAuthError::server_error)?;
                domain::tokens::revoke(&txn, &claims.jti, claims.exp).await?;
                audit::record(
                    &txn,
                    now,
                    AuditEvent::new(EventType::TokenRevoked, Actor::Client(caller.id.clone()))
                        .target("token", &claims.jti)
                        .data(json!({ "sub": claims.sub, "client_id": claims.client_id })),
                )
                .await?;
                txn.commit().await.map_err(OAuthError::server_error)?;
            }
        }
        Ok::<_, OAuthError>(())
    }
    .await;
    match result {
        Ok(()) => {
            let mut resp = StatusCode::OK.into_response();
            no_store(&mut resp);
            resp
        }
        Err(e) => e.into_response(),
    }
}
