//! The notice cookie: a confirmation shown once after a plain form post.
//!
//! A portal action redirects to its page with `?notice=<code>`. Hydrated, the
//! router takes the code out of the address once shown. A plain form post (no
//! JavaScript) lands on an address the browser keeps, so a reload would confirm
//! the action again (issue 13). Its redirect therefore also sets a short-lived
//! cookie naming the code; the page shows the notice only when the address and the
//! cookie agree (`app::components::layout`), and that page's response clears the
//! cookie. The code is one of a closed set of words and carries nothing secret.

use app::ssr::notice_cookie_name;
use axum::response::Response;
use http::{header, HeaderMap, HeaderValue, Method};

use crate::middleware::cookie;

/// Long enough for the redirect's page to load on a slow connection.
const MAX_AGE_SECS: u32 = 60;

/// A notice code as the pages name them: a short word of `a-z` and `_`.
fn plausible(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The code the request's notice cookie carries, if it is a plausible one.
pub fn carried(headers: &HeaderMap, secure: bool) -> Option<String> {
    cookie(headers, notice_cookie_name(secure)).filter(|c| plausible(c))
}

/// What the response to a request must do with the notice cookie.
pub struct Request {
    pub method: Method,
    /// The browser's own form post or navigation (it accepts HTML), not the
    /// hydrated page's `fetch` of a server function.
    pub accepts_html: bool,
    /// A navigation to a page (Fetch Metadata), not a script or image.
    pub navigation: bool,
    pub carried: bool,
    /// A script that loads the returned `Location` as a new page itself
    /// (`public/passkeys.js`, header `x-portcullis-navigates`): as a plain form
    /// post, its redirect's notice is vouched for.
    pub navigates_itself: bool,
    pub secure: bool,
}

impl Request {
    pub fn of(req: &axum::extract::Request, navigation: bool, secure: bool) -> Self {
        let accepts_html = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        Self {
            method: req.method().clone(),
            accepts_html,
            navigation,
            carried: carried(req.headers(), secure).is_some(),
            navigates_itself: req.headers().contains_key("x-portcullis-navigates"),
            secure,
        }
    }

    /// Sets the cookie on a plain form post's redirect to a `?notice=`, and clears
    /// it on the page that carried it.
    pub fn finish(&self, resp: &mut Response) {
        let name = notice_cookie_name(self.secure);
        let secure_attr = if self.secure { "; Secure" } else { "" };
        let by_script = self.navigates_itself && resp.headers().contains_key("serverfnredirect");
        let set = if self.method == Method::POST
            && ((self.accepts_html && resp.status().is_redirection()) || by_script)
        {
            resp.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| vouching(l, self.secure))
        } else if self.method == Method::GET && self.navigation && self.carried && is_page(resp) {
            Some(format!(
                "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure_attr}"
            ))
        } else {
            None
        };
        if let Some(v) = set.and_then(|v| HeaderValue::from_str(&v).ok()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
}

/// The `Set-Cookie` value that vouches for the notice of `destination`, if it has
/// one.
fn vouching(destination: &str, secure: bool) -> Option<String> {
    let name = notice_cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    notice_of(destination).map(|code| {
        format!(
            "{name}={code}; Path=/; HttpOnly; SameSite=Lax; Max-Age={MAX_AGE_SECS}{secure_attr}"
        )
    })
}

/// For a page that moves on to `destination` by itself (the front-channel logout
/// page's refresh): vouches for the notice there, as a redirect to it would. Only
/// for one of our own pages: an app's address is not ours to confirm anything on.
pub fn vouch_for(resp: &mut Response, destination: &str, secure: bool) {
    let ours = destination.starts_with('/') && !destination.starts_with("//");
    if !ours {
        return;
    }
    if let Some(v) = vouching(destination, secure).and_then(|v| HeaderValue::from_str(&v).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn is_page(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"))
}

/// The `notice` parameter of a redirect's target, when it is a plausible code.
fn notice_of(location: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| v.into_owned())
        .filter(|c| plausible(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plausible_notice_of_the_target_is_taken() {
        assert_eq!(
            notice_of("/account?notice=profile_saved").as_deref(),
            Some("profile_saved")
        );
        assert_eq!(
            notice_of("/login?notice=signed_up&return_to=%2Foauth%2Fauthorize%3Fa%3Db").as_deref(),
            Some("signed_up")
        );
        assert_eq!(
            notice_of("/admin/users?search=x&notice=user_created#top").as_deref(),
            Some("user_created")
        );
        assert_eq!(notice_of("/account"), None);
        assert_eq!(notice_of("/account?notice="), None);
        assert_eq!(notice_of("/account?notice=%3Cscript%3E"), None);
        assert_eq!(notice_of("/account?notice=Profile_Saved"), None);
        assert_eq!(notice_of(&format!("/a?notice={}", "a".repeat(65))), None);
    }
    #[test]
    fn a_page_vouches_only_for_a_notice_on_our_own_pages() {
        let cookies = |destination: &str| {
            let mut resp = Response::new(axum::body::Body::empty());
            vouch_for(&mut resp, destination, false);
            resp.headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert!(cookies("/login?notice=signed_out")[0].starts_with("pc_notice=signed_out;"));
        assert!(cookies("https://app.example.org/bye?notice=signed_out").is_empty());
        assert!(cookies("//app.example.org/?notice=signed_out").is_empty());
        assert!(cookies("/login").is_empty());
    }
}
