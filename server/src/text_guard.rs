//! Refuses, before any handler runs, request targets that carry characters no
//! Portcullis field accepts: control characters (NUL included), direction-changing
//! and invisible characters (`domain::platform::text::is_forbidden`), in a path segment or a
//! query parameter, once percent-decoded; and a NUL in a form field. Every
//! endpoint — pages, server functions, the REST API, the OAuth endpoints — answers
//! such a request 400, naming the parameter, instead of passing the text on (to
//! PostgreSQL, which cannot store a NUL and fails the query: a 500).
//!
//! OAuth parameters allow none of these either (RFC 6749 Appendix A: `client_id`,
//! `state` and `scope` are printable ASCII). Field-level validation in `domain`
//! still checks every value it stores, with a message in the form it came from;
//! this is the backstop for values that are only looked up.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};

/// Largest form body inspected (the CSRF check buffers the same).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Decodes `%XX` escapes (not `+`: that is a space only in query strings).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn forbidden(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| domain::platform::text::is_forbidden(c, false))
}

/// What is wrong with the request target, if anything: (field, message).
pub fn check_target(path: &str, query: Option<&str>) -> Option<(String, String)> {
    for segment in path.split('/') {
        if let Some(c) = forbidden(&percent_decode(segment)) {
            return Some(("path".into(), describe("the path", c)));
        }
    }
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if let Some(c) = forbidden(&k) {
            return Some(("query".into(), describe("a query parameter's name", c)));
        }
        if let Some(c) = forbidden(&v) {
            return Some((k.to_string(), describe(&format!("the parameter '{k}'"), c)));
        }
    }
    None
}

fn describe(what: &str, c: char) -> String {
    let kind = if c == '\0' {
        "a NUL character"
    } else if c.is_control() {
        "a control character"
    } else {
        "an invisible or direction-changing character"
    };
    format!("{what} contains {kind} (U+{:04X})", c as u32)
}

fn refuse(path: &str, field: String, message: String) -> Response {
    if crate::api::is_api_path(path) {
        return crate::api::ApiError::invalid_field(&field, message).into_response();
    }
    if path.starts_with("/oauth/") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "error": "invalid_request",
                "error_description": message,
            })),
        )
            .into_response();
    }
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("Bad request: {message}."),
    )
        .into_response()
}

pub async fn refuse_forbidden_characters(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if let Some((field, message)) = check_target(&path, req.uri().query()) {
        return refuse(&path, field, message);
    }
    // Form posts (server functions, the consent form): a NUL cannot be typed into
    // a form, so one in a body is an attack; other characters are the field
    // validation's to refuse with a message in the form. The token endpoints'
    // bodies never reach the database as text and stay on their fast path.
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if req.method() == Method::POST
        && is_form
        && !crate::oauth::routes::COOKIELESS.contains(&path.as_str())
    {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The submitted form is too large.",
                )
                    .into_response()
            }
        };
        if let Some((k, _)) = form_urlencoded::parse(&bytes).find(|(_, v)| v.contains('\0')) {
            let message = describe(&format!("the form field '{k}'"), '\0');
            return refuse(&path, k.into_owned(), message);
        }
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_forbidden_characters_in_paths_and_query_parameters() {
        assert_eq!(
            check_target("/api/v1/clients/abc", Some("q=ok&page=2")),
            None
        );
        assert_eq!(
            check_target("/developer", Some("search=caf%C3%A9+bot")),
            None
        );
        let (field, msg) = check_target("/api/v1/clients/a%00b", None).unwrap();
        assert_eq!(field, "path");
        assert!(msg.contains("NUL"), "{msg}");
        let (field, msg) = check_target("/developer", Some("search=x%E2%80%AEy")).unwrap();
        assert_eq!(field, "search");
        assert!(msg.contains("U+202E"), "{msg}");
        let (field, _) = check_target("/oauth/authorize", Some("client_id=%00")).unwrap();
        assert_eq!(field, "client_id");
        assert!(check_target("/x", Some("a%00=1")).is_some());
        // A lone or broken escape is not a character.
        assert_eq!(check_target("/a%", Some("b=%zz")), None);
    }
}
