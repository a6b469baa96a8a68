//! Signing in through an upstream OpenID provider (`domain::accounts::upstream`):
//! the buttons' start, home-realm discovery, the way back (the redirect URI
//! `{issuer}/api/upstream_callback`), the link offered to the holder of an
//! address, and the person's linked providers (`/account/providers`).
//!
//! Two short cookies of this browser: the binding of a sign-in on its way to the
//! provider (its PKCE verifier and nonce derive from it), and the link offer.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// A provider as the sign-in page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamView {
    pub id: String,
    pub name: String,
}

/// The sign-in page's other ways in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SignInOptions {
    pub providers: Vec<UpstreamView>,
    /// Some provider signs in an e-mail domain: the page asks for an address.
    pub discovery: bool,
}

/// The link waiting for the holder of an address (`/login/link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub provider: String,
    pub email: String,
    /// The account with that address: the person signs in to it to confirm.
    pub username: String,
    /// Who is signed in in this browser, if anyone.
    pub signed_in_as: Option<String>,
}

/// One linked provider on `/account/providers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    pub provider: String,
    pub name: String,
    pub email: Option<String>,
    pub linked: String,
    pub last_sign_in: Option<String>,
}

/// The person's linked providers, and those they may still link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinksView {
    pub links: Vec<LinkView>,
    pub available: Vec<UpstreamView>,
}

#[cfg(feature = "ssr")]
mod cookies {
    use domain::accounts::upstream::{flow, link};

    pub fn binding_name(secure: bool) -> &'static str {
        if secure {
            "__Host-pc_upstream"
        } else {
            "pc_upstream"
        }
    }

    pub fn offer_name(secure: bool) -> &'static str {
        if secure {
            "__Host-pc_link"
        } else {
            "pc_link"
        }
    }

    /// Lax: the provider's redirect back is a top-level navigation from its site.
    fn cookie(name: &str, secure: bool, value: Option<&str>, max_age: i64) -> String {
        let secure_attr = if secure { "; Secure" } else { "" };
        let (v, age) = match value {
            Some(v) => (v, max_age),
            None => ("", 0),
        };
        format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={age}{secure_attr}")
    }

    pub fn binding(secure: bool, value: Option<&str>) -> String {
        cookie(binding_name(secure), secure, value, flow::TTL_SECS)
    }

    pub fn offer(secure: bool, value: Option<&str>) -> String {
        cookie(offer_name(secure), secure, value, link::OFFER_TTL_SECS)
    }
}

#[cfg(feature = "ssr")]
fn redirect_uri(st: &crate::ssr::AppState) -> String {
    format!(
        "{}/api/upstream_callback",
        st.config.issuer.trim_end_matches('/')
    )
}

#[server(input = GetUrl, endpoint = "upstream_options")]
pub async fn upstream_options() -> Result<SignInOptions, AppError> {
    let st = crate::ssr::state()?;
    let ps = st.upstreams.all(&st.db).await?;
    Ok(SignInOptions {
        providers: ps
            .iter()
            .map(|p| UpstreamView {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect(),
        discovery: ps.iter().any(|p| !p.domains.is_empty()),
    })
}

/// Sends the browser to `provider`: to sign in, or — `link` set, signed in — to
/// link it to the person's account.
#[server(endpoint = "upstream_start")]
pub async fn upstream_start(
    csrf_token: String,
    provider: String,
    #[server(default)] return_to: String,
    #[server(default)] link: Option<String>,
) -> Result<(), AppError> {
    use domain::accounts::upstream::flow::Purpose;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    if provider.len() > 64 {
        return Err(AppError::invalid(
            "provider",
            "No such sign-in provider here.",
        ));
    }
    let Some(p) = st.upstreams.get(&st.db, &provider).await? else {
        return Err(AppError::invalid(
            "provider",
            "No such sign-in provider here.",
        ));
    };
    let purpose = if link.is_some_and(|l| !l.is_empty()) {
        Purpose::Link {
            user_id: crate::ssr::require_user()?.id.clone(),
        }
    } else {
        Purpose::SignIn
    };
    start(&st, &p, purpose, &return_to, None).await
}

/// Home-realm discovery: the address's domain names the provider that signs its
/// people in; the provider is told the address (`login_hint`).
#[server(endpoint = "upstream_discover")]
pub async fn upstream_discover(
    csrf_token: String,
    email: String,
    #[server(default)] return_to: String,
) -> Result<(), AppError> {
    use domain::accounts::upstream::flow::Purpose;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let email = email.trim();
    if email.is_empty() {
        return Err(AppError::invalid(
            "email",
            "Enter your work or school e-mail address.",
        ));
    }
    let parsed = domain::accounts::Email::parse(email)
        .map_err(|_| AppError::invalid("email", "That is not an e-mail address."))?;
    let Some(p) = st.upstreams.for_email(&st.db, parsed.as_str()).await? else {
        return Err(AppError::invalid(
            "email",
            format!(
                "No organisation signs in people of {} here. Sign in with your username and password.",
                parsed.domain()
            ),
        ));
    };
    start(&st, &p, Purpose::SignIn, &return_to, Some(parsed.as_str())).await
}

#[cfg(feature = "ssr")]
async fn start(
    st: &crate::ssr::AppState,
    p: &domain::accounts::upstream::ProviderConfig,
    purpose: domain::accounts::upstream::flow::Purpose,
    return_to: &str,
    login_hint: Option<&str>,
) -> Result<(), AppError> {
    use crate::ssr::{safe_return_to, set_cookie};
    use domain::accounts::upstream::{flow, UpstreamError};
    let begun = flow::begin(
        &st.db,
        &st.upstreams,
        p,
        purpose,
        &safe_return_to(return_to),
        &redirect_uri(st),
        login_hint,
        st.now(),
    )
    .await
    .map_err(|e| match e {
        UpstreamError::Refused(r) => AppError::Unavailable(format!(
            "{} cannot be reached: {r} Try again in a few minutes.",
            p.name
        )),
        UpstreamError::Internal(d) => AppError::from(d),
    })?;
    set_cookie(cookies::binding(
        st.config.secure_cookies,
        Some(&begun.binding),
    ));
    leptos_axum::redirect(&begun.url);
    Ok(())
}

/// The provider's redirect back (`{issuer}/api/upstream_callback`). Never an
/// error page of its own: every outcome is a redirect — to where the person was
/// going, to the next step of the sign-in, or to a page that explains a refusal.
#[server(input = GetUrl, endpoint = "upstream_callback")]
pub async fn upstream_callback(
    #[server(default)] state: Option<String>,
    #[server(default)] code: Option<String>,
    #[server(default)] error: Option<String>,
    #[server(default)] iss: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{request_cookie, request_ctx, set_cookie};
    use domain::accounts::upstream::{flow, link, Refusal, UpstreamError};

    let st = crate::ssr::state()?;
    let ctx = request_ctx()?;
    let secure = st.config.secure_cookies;
    fn bound(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|v| v.len() <= 2048)
    }
    let binding = request_cookie(cookies::binding_name(secure));
    set_cookie(cookies::binding(secure, None));
    let now = st.now();
    let refused = |r: &Refusal, to: &str| {
        leptos_axum::redirect(&format!("{to}?upstream_error={}", r.code()));
        Ok(())
    };
    let back = match flow::finish(
        &st.db,
        &st.upstreams,
        flow::Response {
            state: bound(&state),
            code: bound(&code),
            error: bound(&error),
            iss: bound(&iss),
        },
        binding.as_deref(),
        &redirect_uri(&st),
        ctx.ip.clone(),
        now,
    )
    .await
    {
        Ok(b) => b,
        Err(UpstreamError::Refused(r)) => return refused(&r, "/login"),
        Err(UpstreamError::Internal(d)) => return Err(AppError::from(d)),
    };
    let linking = matches!(back.purpose, flow::Purpose::Link { .. });
    let to = if linking {
        "/account/providers"
    } else {
        "/login"
    };
    // Linking: only for the person who started it, still signed in.
    if let flow::Purpose::Link { user_id } = &back.purpose {
        if ctx.user.as_ref().map(|u| &u.id) != Some(user_id) {
            return refused(&Refusal::Expired, to);
        }
    }
    let outcome = match link::settle(&st.db, &st.upstreams, &back, ctx.ip.clone(), now).await {
        Ok(o) => o,
        Err(UpstreamError::Refused(r)) => return refused(&r, to),
        Err(UpstreamError::Internal(d)) => return Err(AppError::from(d)),
    };
    let user = match outcome {
        link::Outcome::Linked(_) => {
            leptos_axum::redirect("/account/providers?notice=provider_linked");
            return Ok(());
        }
        link::Outcome::Offer { token } => {
            set_cookie(cookies::offer(secure, Some(&token)));
            leptos_axum::redirect("/login/link");
            return Ok(());
        }
        link::Outcome::SignIn(u) => u,
    };
    crate::api::session::signed_in_without_password(
        &user,
        domain::accounts::second_factor::Method::Upstream,
        &back.return_to,
    )
    .await
}

/// The link offered to the holder of an address, for `/login/link`.
#[server(input = GetUrl, endpoint = "upstream_offer")]
pub async fn upstream_offer() -> Result<OfferView, AppError> {
    use crate::ssr::{request_cookie, request_ctx};
    let st = crate::ssr::state()?;
    let expired = || {
        AppError::Refused(
            "This link offer expired or was made in another browser. Sign in again with your provider."
                .into(),
        )
    };
    let token =
        request_cookie(cookies::offer_name(st.config.secure_cookies)).ok_or_else(expired)?;
    let o = domain::accounts::upstream::link::offered(&st.db, &token, st.now())
        .await?
        .ok_or_else(expired)?;
    let name = st
        .upstreams
        .get(&st.db, &o.provider)
        .await?
        .map(|p| p.name.clone())
        .ok_or_else(expired)?;
    Ok(OfferView {
        provider: name,
        email: o.email.unwrap_or_default(),
        username: o.username,
        signed_in_as: request_ctx()?.user.map(|u| u.username.clone()),
    })
}

/// The holder of the address, signed in, links the provider to their account.
#[server(endpoint = "upstream_confirm")]
pub async fn upstream_confirm(csrf_token: String) -> Result<(), AppError> {
    use crate::ssr::{request_cookie, require_user, safe_return_to, set_cookie};
    use domain::accounts::upstream::{link, UpstreamError};
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    let user = require_user()?;
    let secure = st.config.secure_cookies;
    let expired = || {
        AppError::Refused(
            "This link offer expired or is for another account. Sign in again with your provider."
                .into(),
        )
    };
    let token = request_cookie(cookies::offer_name(secure)).ok_or_else(expired)?;
    let o = link::confirm(&st.db, &st.upstreams, &token, user.user(), st.now())
        .await
        .map_err(|e| match e {
            UpstreamError::Refused(r) => match r {
                domain::accounts::upstream::Refusal::Expired => expired(),
                other => AppError::Refused(other.to_string()),
            },
            UpstreamError::Internal(d) => AppError::from(d),
        })?;
    set_cookie(cookies::offer(secure, None));
    let to = safe_return_to(&o.return_to);
    leptos_axum::redirect(if to == "/" {
        "/account/providers?notice=provider_linked"
    } else {
        &to
    });
    Ok(())
}

/// The person declines the offered link.
#[server(endpoint = "upstream_decline")]
pub async fn upstream_decline(csrf_token: String) -> Result<(), AppError> {
    use crate::ssr::set_cookie;
    check_csrf(&csrf_token)?;
    let st = crate::ssr::state()?;
    set_cookie(cookies::offer(st.config.secure_cookies, None));
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(input = GetUrl, endpoint = "account/providers")]
pub async fn upstream_links() -> Result<LinksView, AppError> {
    use domain::platform::clock::format_utc;
    let user = crate::ssr::require_user()?;
    let st = crate::ssr::state()?;
    let mine = domain::accounts::upstream::link::links_of(&st.db, &user.id).await?;
    let all = st.upstreams.all(&st.db).await?;
    let name_of = |id: &str| {
        all.iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            // A provider the operator removed: its id, so the link can go too.
            .unwrap_or_else(|| id.to_owned())
    };
    let links: Vec<LinkView> = mine
        .iter()
        .map(|l| LinkView {
            provider: l.provider.clone(),
            name: name_of(&l.provider),
            email: l.email.clone(),
            linked: format_utc(l.linked_at),
            last_sign_in: l.last_sign_in_at.map(format_utc),
        })
        .collect();
    let available = all
        .iter()
        .filter(|p| !mine.iter().any(|l| l.provider == p.id))
        .map(|p| UpstreamView {
            id: p.id.clone(),
            name: p.name.clone(),
        })
        .collect();
    Ok(LinksView { links, available })
}

#[server(endpoint = "account/providers/unlink")]
pub async fn upstream_unlink(csrf_token: String, provider: String) -> Result<(), AppError> {
    use crate::ssr::request_ctx;
    check_csrf(&csrf_token)?;
    let user = crate::ssr::require_user()?;
    let st = crate::ssr::state()?;
    if provider.len() > 64 {
        return Err(AppError::invalid("provider", "No such linked provider."));
    }
    domain::accounts::upstream::link::unlink(
        &st.db,
        user.user(),
        &provider,
        request_ctx()?.ip.clone(),
        st.now(),
    )
    .await
    .map_err(|e| match e {
        domain::DomainError::NotFound => AppError::invalid("provider", "No such linked provider."),
        other => AppError::from(other),
    })?;
    leptos_axum::redirect("/account/providers?notice=provider_unlinked");
    Ok(())
}
