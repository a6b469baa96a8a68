//! The device flow's `/device` page (RFC 8628 §3.3): a signed-in person enters the
//! code a device shows, sees the consent screen with that code beside it, and
//! approves or denies. Thin adapters over `domain::oauth::device`.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

use crate::api::consent::ConsentView;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

/// Why an entered code was not accepted (the page words each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryProblem {
    /// Unknown, expired, already used, or not a code at all: one answer for all.
    NotValid,
    /// Too many wrong codes from this person or this address.
    Throttled,
    /// The app may not be used now, or not by this account.
    Refused,
}

/// What `/device` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceView {
    /// Not signed in: the server has sent the browser to sign in and come back.
    SignIn { return_to: String },
    /// The code form, with what was typed and why it was not accepted.
    Enter {
        code: String,
        problem: Option<EntryProblem>,
        message: Option<String>,
    },
    /// The consent screen for the request behind the code, shown with the code.
    Consent {
        consent: Box<ConsentView>,
        user_code: String,
    },
    /// Decided: the person can go back to the device.
    Done { approved: bool },
}

#[cfg(feature = "ssr")]
fn problem(e: domain::oauth::device::EntryError) -> Result<(EntryProblem, String), AppError> {
    use domain::oauth::device::EntryError as E;
    let message = e.to_string();
    Ok(match e {
        E::NotValid => (EntryProblem::NotValid, message),
        E::Throttled { .. } => (EntryProblem::Throttled, message),
        E::Refused(_) => (EntryProblem::Refused, message),
        E::Internal(e) => return Err(e.into()),
    })
}

/// `/login`, returning to `/device` with the same query (a code that came in
/// `verification_uri_complete` survives the sign-in).
#[cfg(feature = "ssr")]
fn sign_in_first(query: &str) -> String {
    let back = match query.trim_start_matches('?') {
        "" => "/device".to_owned(),
        q => format!("/device?{q}"),
    };
    let to = format!(
        "/login?return_to={}",
        crate::navigation::encode_component(&back)
    );
    leptos_axum::redirect(&to);
    to
}

#[server(input = GetUrl, endpoint = "device_details")]
pub async fn device_details(query: String) -> Result<DeviceView, AppError> {
    use crate::ssr::{request_ctx, state};
    use domain::oauth::device;
    let st = state()?;
    let ctx = request_ctx()?;
    let get = |k: &str| crate::navigation::query_param(&query, k);
    if let Some(done) = get("done") {
        return Ok(DeviceView::Done {
            approved: done == "approved",
        });
    }
    let Some(user) = ctx.user.as_ref() else {
        return Ok(DeviceView::SignIn {
            return_to: sign_in_first(&query),
        });
    };
    // A problem the decision form ran into (it redirects here with its kind).
    let carried = match get("problem").as_deref() {
        Some("throttled") => Some(EntryProblem::Throttled),
        Some("refused") => Some(EntryProblem::Refused),
        Some(_) => Some(EntryProblem::NotValid),
        None => None,
    };
    let code = get("user_code").unwrap_or_default();
    if code.trim().is_empty() || carried.is_some() {
        return Ok(DeviceView::Enter {
            code,
            problem: carried,
            message: None,
        });
    }
    let now = st.now();
    let who = device::Entrant {
        user: user.user(),
        ip: ctx.ip.as_deref(),
        policy: st.throttle,
    };
    let found = async {
        let row = device::find_pending(&st.db, &who, &code, now).await?;
        let client = device::usable_client(&st.db, &row, user.user(), now).await?;
        Ok::<_, device::EntryError>((row, client))
    }
    .await;
    match found {
        Ok((row, client)) => {
            let user_code = device::normalize_user_code(&code)
                .map(|c| device::display_user_code(&c))
                .unwrap_or_default();
            let consent = crate::api::consent::consent_view(
                &st,
                user.user(),
                client,
                &row.scopes,
                vec![("user_code".into(), user_code.clone())],
            )
            .await?;
            Ok(DeviceView::Consent {
                consent: Box::new(consent),
                user_code,
            })
        }
        Err(e) => {
            let (p, message) = problem(e)?;
            Ok(DeviceView::Enter {
                code,
                problem: Some(p),
                message: Some(message),
            })
        }
    }
}

/// Approve or deny the request behind `user_code` (RFC 8628 §3.3), then to the
/// page that says the person can return to their device.
#[server(endpoint = "device_decide")]
pub async fn device_decide(
    csrf_token: String,
    user_code: String,
    #[server(default)] decision: String,
    /// Who may act for the person through the app (`any`, `none`, `only`).
    #[server(default)]
    agents: Option<String>,
) -> Result<(), AppError> {
    use crate::navigation::encode_component;
    use crate::ssr::{request_ctx, state};
    use domain::oauth::device::{self, Decision};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let ctx = request_ctx()?;
    let query = format!("user_code={}", encode_component(&user_code));
    let (Some(user), Some(auth_time)) = (ctx.user.as_ref(), ctx.auth_time) else {
        sign_in_first(&query);
        return Ok(());
    };
    let decision = match decision.as_str() {
        "allow" => Decision::Approve {
            may_act: domain::oauth::agents::MayAct::from_consent(agents.as_deref())
                .map_err(|why| AppError::invalid("agents", why))?,
        },
        _ => Decision::Deny,
    };
    let approved = decision != Decision::Deny;
    let who = device::Entrant {
        user: user.user(),
        ip: ctx.ip.as_deref(),
        policy: st.throttle,
    };
    match device::decide(
        &st.db,
        &st.revocations,
        &who,
        &user_code,
        decision,
        auth_time,
        st.now(),
    )
    .await
    {
        Ok(_) => {
            let done = if approved { "approved" } else { "denied" };
            leptos_axum::redirect(&format!("/device?done={done}"));
        }
        Err(e) => {
            let (p, _) = problem(e)?;
            let kind = match p {
                EntryProblem::NotValid => "not_valid",
                EntryProblem::Throttled => "throttled",
                EntryProblem::Refused => "refused",
            };
            leptos_axum::redirect(&format!("/device?{query}&problem={kind}"));
        }
    }
    Ok(())
}
