//! Navigation between the portal's pages and the server's own routes.
//!
//! The client-side router can only render the portal's pages. A server function
//! that redirects elsewhere on this site (to `/oauth/authorize` after sign-in, to
//! an export, to anything the axum router serves) must make the browser load that
//! address from the server; left to the router it would show "Page not found".

/// Every page of [`crate::App`]'s router, in its path syntax. A test in the server's
/// suite checks this list against the routes the router really has.
pub const PAGE_ROUTES: &[&str] = &[
    "/",
    "/login",
    "/login/second-factor",
    "/login/set-up-second-factor",
    "/login/terms",
    "/login/link",
    "/login/recovery-codes",
    "/signup",
    "/forgot-password",
    "/reset-password",
    "/verify-email",
    "/account",
    "/account/two-factor",
    "/account/tokens",
    "/account/providers",
    "/account/passkeys",
    "/apps",
    "/developer",
    "/developer/clients/new",
    "/developer/clients/:id",
    "/developer/clients/:id/edit",
    "/developer/requests",
    "/notifications",
    "/admin",
    "/admin/users",
    "/admin/users/:id/apps",
    "/admin/requests",
    "/admin/rules",
    "/admin/clients",
    "/admin/outbox",
    "/admin/settings",
    "/admin/registration",
    "/admin/apis",
    "/admin/sign-in-providers",
    "/admin/sign-in-providers/new",
    "/admin/sign-in-providers/:id",
    "/admin/audit",
    "/oauth/consent",
    "/oauth/error",
    "/oauth/logout",
    "/device",
];

/// Whether the client-side router has a page for `path` (no query).
pub fn is_page(path: &str) -> bool {
    PAGE_ROUTES.iter().any(|route| {
        let (mut r, mut p) = (route.split('/'), path.split('/'));
        loop {
            match (r.next(), p.next()) {
                (None, None) => return true,
                (Some(seg), Some(given)) if seg.starts_with(':') && !given.is_empty() => {}
                (Some(seg), Some(given)) if seg == given => {}
                _ => return false,
            }
        }
    })
}

/// The value of parameter `name` in a raw (still percent-encoded) query string,
/// decoded exactly once. `leptos_router`'s `use_query_map` decodes values a second
/// time, which turns the `%2B` `%26` `%25` … inside a `return_to` that carries an
/// authorization request into `+` `&` `%` and so changes its parameters.
pub fn query_param(search: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `s` encoded for use as one query-parameter value.
pub fn encode_component(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Replaces the router's hook for server-function redirects (a `OnceLock`: the first
/// hook set wins, so this must run before the `<Router>` is built): pages of this
/// site are still rendered by the client-side router; everything else, on this site
/// or not, is loaded by the browser.
#[cfg(feature = "hydrate")]
pub fn install_redirect_hook() {
    use leptos::prelude::*;
    use leptos_router::location::{BrowserUrl, LocationProvider};

    let owner = Owner::current();
    let _ = leptos::server_fn::redirect::set_redirect_hook(move |loc: &str| {
        let location = window().location();
        let Ok(origin) = location.origin() else {
            return;
        };
        let Ok(url) = web_sys::Url::new_with_base(loc, &origin) else {
            leptos::logging::error!("invalid redirect location {loc}");
            return;
        };
        match &owner {
            Some(owner) if url.origin() == origin && is_page(&url.pathname()) => {
                owner.with(|| BrowserUrl::redirect(loc));
            }
            _ => {
                let _ = location.assign(&url.href());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_told_apart_from_server_routes() {
        for page in [
            "/",
            "/login",
            "/developer/clients/abc",
            "/developer/clients/abc/edit",
            "/oauth/consent",
        ] {
            assert!(is_page(page), "{page}");
        }
        for server in [
            "/oauth/authorize",
            "/api/sign_in",
            "/admin/audit/export.csv",
            "/developer/clients/",
            "/healthz",
            "/.well-known/openid-configuration",
        ] {
            assert!(!is_page(server), "{server}");
        }
    }

    #[test]
    fn a_query_parameter_is_decoded_once() {
        let q = "return_to=%2Foauth%2Fauthorize%3Fstate%3Dst-a%2520%252B%252F%253D%253F%2526%2525~.%253A%26x%3D1";
        assert_eq!(
            query_param(q, "return_to").as_deref(),
            Some("/oauth/authorize?state=st-a%20%2B%2F%3D%3F%26%25~.%3A&x=1")
        );
        assert_eq!(query_param(&format!("?{q}"), "missing"), None);
    }
}
