use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers and it holds a signing key for
/// every algorithm it signs with (a load balancer sends it no traffic otherwise).
pub async fn readyz(State(oauth): State<crate::oauth::OAuthState>) -> Response {
    use domain::oauth::keys::Alg;
    if !domain::platform::db::ping(&oauth.services.db).await {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    let keys = oauth.keys();
    if let Some(alg) = Alg::ALL.into_iter().find(|a| !keys.signing.contains_key(a)) {
        let msg = format!("no {alg} signing key loaded");
        return (StatusCode::SERVICE_UNAVAILABLE, msg).into_response();
    }
    (StatusCode::OK, "ready").into_response()
}

/// The 500 page: the cause goes to the log, never to the browser.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = %detail, "request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error · Portcullis</title></head>\
             <body style=\"font-family:sans-serif;max-width:40rem;margin:4rem auto\"><h1>Something went wrong</h1>\
             <p>The server could not complete this request. Please try again; if it keeps happening, contact an administrator.</p>\
             <p><a href=\"/\">Go to the home page</a></p></body></html>",
        ),
    )
        .into_response()
}
