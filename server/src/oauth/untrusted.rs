//! The page shown instead of redirecting an error to a redirect URI nobody reviewed.
//!
//! RFC 9700 §4.11.2: "authorization servers MUST only automatically redirect the
//! user agent if it trusts the redirect URI; if the URI is not trusted, the AS MAY
//! inform the user and rely on the user to make the correct decision." Any
//! developer can register a client with a redirect URI of their choosing; if every
//! malformed request bounced there automatically, our address would serve as an
//! open redirector to it (a link that starts at the university's sign-in server
//! and ends on any site). So the person sees what failed and which application sent
//! them, and decides themselves: one plain link carries the error to the
//! application, exactly as the redirect would have.
//!
//! Only fixed text is shown for the error: an `error_description` may echo request
//! parameters (a scope name), which must not become words on our page.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

/// What the person reads for each error code.
fn explain(error: &str) -> &'static str {
    match error {
        "access_denied" => "The application may not be used with your account.",
        "login_required" => {
            "You are not signed in, and the application asked to continue without showing a sign-in page."
        }
        "consent_required" => {
            "You have not allowed this application yet, and it asked to continue without asking you."
        }
        "invalid_scope" => "The application asked for permissions it may not have.",
        "unauthorized_client" => "The application may not sign people in this way.",
        "unsupported_response_type" => "The application asked for a kind of response this server does not give.",
        "invalid_target" => "The application asked for access to an API this server does not know.",
        "server_error" => "Something went wrong on our side.",
        _ => "The application's sign-in request was malformed or incomplete.",
    }
}

/// `s` safe inside HTML text and double-quoted attributes.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Our error page for an error that would have gone to `back` (the redirect URI
/// with `error`, `state` and `iss`). `detail` is one of our own fixed sentences.
pub fn error_page(
    client_name: &str,
    error: &str,
    detail: Option<&'static str>,
    back: &url::Url,
) -> Response {
    let status = match error {
        "access_denied" => StatusCode::FORBIDDEN,
        "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let host = match back.host_str() {
        Some(h) => h.to_owned(),
        // A native app's private-use scheme (RFC 8252 §7.1) names the app.
        None => format!("{}:", back.scheme()),
    };
    let detail = detail
        .map(|d| format!(r#"<p class="mt-3">{}.</p>"#, escape(&capitalised(d))))
        .unwrap_or_default();
    let body = format!(
        r#"<!DOCTYPE html>
<html lang="en" class="h-full bg-slate-50">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Cannot continue · Portcullis</title>
<link rel="stylesheet" href="/pkg/portcullis.css"/>
</head>
<body class="h-full text-slate-900 antialiased">
<main id="main" class="mx-auto max-w-5xl px-4 py-8">
<section role="alert" class="mx-auto max-w-lg rounded-lg border border-red-300 bg-red-50 p-8 text-red-900">
<h1 class="text-xl font-semibold">This sign-in request cannot continue</h1>
<p class="mt-3" data-testid="oauth-error">The application <strong data-testid="oauth-error-client">{client}</strong> sent you here. {explain} <span class="text-sm">(Error code: <code data-testid="oauth-error-code">{error}</code>.)</span></p>
{detail}
<p class="mt-4 text-sm">The address it asked to return to has not been reviewed by this server's administrators, so you were not sent there automatically. If you trust the application, go back to it; it will be told what went wrong.</p>
<p class="mt-4"><a class="text-sky-700 underline" href="{href}" rel="noreferrer" data-testid="oauth-error-return">Return to {host}</a></p>
</section>
</main>
</body>
</html>
"#,
        client = escape(client_name),
        explain = explain(error),
        error = escape(error),
        href = escape(back.as_str()),
        host = escape(&host),
    );
    (status, Html(body)).into_response()
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_links_are_escaped() {
        let back = url::Url::parse("https://app.example/cb?error=x&state=%22%3E").unwrap();
        let r = error_page("<b>App</b>", "invalid_request", None, &back);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(escape("<b>\"'&"), "&lt;b&gt;&quot;&#39;&amp;");
    }
}
