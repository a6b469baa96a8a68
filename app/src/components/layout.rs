use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::session::get_shell_info;
use crate::error::AppError;
use crate::model::ShellInfo;

/// The shell resource (who is signed in, CSRF token), shared by every page.
#[derive(Clone, Copy)]
pub struct ShellResource(pub Resource<Result<ShellInfo, AppError>>);

pub fn use_shell() -> Resource<Result<ShellInfo, AppError>> {
    expect_context::<ShellResource>().0
}

/// Header with navigation by role, notices, and the page.
#[component]
pub fn Frame(children: Children) -> impl IntoView {
    let location = use_location();
    // Refetched on every navigation, so the header follows sign-in and sign-out.
    let shell = Resource::new(move || location.pathname.get(), |_| get_shell_info());
    provide_context(ShellResource(shell));
    let counts = live_counts();
    // Effects run only in the browser, after hydration: a marker for browser tests
    // (and a hook for styles) that the page is interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:p-2 focus:bg-white">"Skip to content"</a>
        <header class="bg-slate-900 text-white">
            // Below `lg` the signed-in links fold into a menu (a <details>, so it opens
            // without JavaScript; style/tailwind.css shows `.nav-items` while it is open):
            // at 390 px the header used to be 436-988 px wide (issue 13, WCAG 1.4.10).
            <nav class="mx-auto max-w-5xl px-4 min-h-14 py-2 flex flex-wrap items-center gap-x-6 gap-y-2 lg:flex-nowrap" aria-label="Main">
                <a href="/" class="font-semibold tracking-tight text-lg">"Portcullis"</a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match shell.await {
                            Ok(info) => view! { <NavLinks info counts/> }.into_any(),
                            Err(_) => ().into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
        <main id="main" class="mx-auto max-w-5xl px-4 py-8">
            <Notice/>
            <crate::components::verify_banner::UnverifiedBanner/>
            {children()}
        </main>
    }
}

/// The bell's and the Queue badge's numbers as the server has them after the last
/// action (`None` until one: the shell's numbers hold).
///
/// Every action redirects with a `?notice=` (which [`Notice`] then takes out of the
/// address), so the numbers are read again whenever the address changes after the
/// page loaded: "Mark all as read" and a decision no longer leave old counts in the
/// header (issue 13). They are read apart from the shell, which pages wait on
/// (`signed_in_or_prompt`): refetching the shell would build the page again.
fn live_counts() -> RwSignal<Option<(u64, u64)>> {
    let location = use_location();
    let counts = RwSignal::new(None);
    // Effects run only in the browser; the first run is the page as loaded.
    Effect::new(move |before: Option<String>| {
        let path = location.pathname.get();
        let _ = location.search.get();
        if before.as_ref() != Some(&path) {
            // A new page: its shell, read just now, has the numbers.
            counts.set(None);
        }
        if before.is_some() {
            leptos::task::spawn_local(async move {
                if let Ok(info) = get_shell_info().await {
                    counts.set(Some((info.unread, info.pending_requests)));
                }
            });
        }
        path
    });
    counts
}

#[component]
fn NavLinks(info: ShellInfo, counts: RwSignal<Option<(u64, u64)>>) -> impl IntoView {
    let unread = move || counts.get().map_or(info.unread, |c| c.0);
    let pending = move || counts.get().map_or(info.pending_requests, |c| c.1);
    let link = "text-slate-300 hover:text-white focus:outline-none focus:ring-2 focus:ring-sky-400 rounded px-1";
    match info.user {
        Some(user) => {
            // The menu closes when the router moves to another page (hydrated).
            let menu = NodeRef::<leptos::html::Details>::new();
            let location = use_location();
            Effect::new(move |_| {
                location.pathname.track();
                if let Some(d) = menu.get_untracked() {
                    let _ = d.remove_attribute("open");
                }
            });
            view! {
                <a href="/notifications" class=format!("{link} ml-auto lg:order-2") data-testid="bell"
                    aria-label=move || format!("Notifications: {} unread", unread())>
                    <svg aria-hidden="true" class="inline h-5 w-5 align-middle" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
                        <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/>
                        <path d="M13.73 21a2 2 0 0 1-3.46 0"/>
                    </svg>
                    {move || (unread() > 0).then(|| view! {
                        <span class="ml-0.5 rounded-full bg-sky-700 px-1.5 text-xs font-semibold text-white" data-testid="unread-count">{unread()}</span>
                    })}
                </a>
                <details class="nav-menu lg:hidden" node_ref=menu>
                    <summary class="flex cursor-pointer list-none items-center gap-1 rounded border border-slate-600 px-3 py-1 text-sm text-slate-200 hover:text-white focus:outline-none focus:ring-2 focus:ring-sky-400 [&::-webkit-details-marker]:hidden">
                        <svg aria-hidden="true" class="h-4 w-4" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round">
                            <path d="M4 6h16M4 12h16M4 18h16"/>
                        </svg>
                        "Menu"
                    </summary>
                </details>
                <div class="nav-items hidden w-full flex-col gap-3 border-t border-slate-700 pt-3 pb-1 text-sm lg:contents">
                <div class="flex flex-col items-start gap-3 lg:order-1 lg:flex-row lg:items-center lg:gap-4">
                    <A href="/apps" attr:class=link>"My apps"</A>
                    <A href="/account" attr:class=link>"My account"</A>
                    {user.can_develop().then(|| view! { <A href="/developer" attr:class=link>"Developer"</A> })}
                    {user.is_admin().then(|| view! {
                        <A href="/admin" attr:class=link>"Admin"</A>
                        <A href="/admin/requests" attr:class=link>
                            "Queue"
                            {move || (pending() > 0).then(|| view! {
                                <span class="ml-1 rounded-full bg-amber-500 px-1.5 text-xs font-semibold text-slate-900" data-testid="pending-count">{pending()}</span>
                            })}
                        </A>
                    })}
                </div>
                <div class="flex flex-wrap items-center gap-3 lg:order-3 lg:text-sm">
                    <span class="text-slate-300" data-testid="whoami">
                        {user.display_name.clone()} " · " {user.role.label()}
                    </span>
                    // A plain form to the end-session endpoint (not a server
                    // function): the page it answers loads the front-channel
                    // logout pages of the apps this session signed in to.
                    <form method="post" action="/oauth/end_session">
                        <input type="hidden" name="csrf_token" value=info.csrf_token/>
                        <input type="hidden" name="confirm" value="yes"/>
                        <button type="submit" class="rounded bg-slate-700 px-3 py-1 hover:bg-slate-600 focus:outline-none focus:ring-2 focus:ring-sky-400">
                            "Sign out"
                        </button>
                    </form>
                </div>
                </div>
            }
            .into_any()
        }
        None => view! {
            <div class="ml-auto flex items-center gap-3 text-sm">
                <a href="/login" class=link>"Sign in"</a>
                {info.allow_signup.then(|| view! { <a href="/signup" class=link>"Create account"</a> })}
            </div>
        }
        .into_any(),
    }
}

/// The address as the router has it now, without tracking it.
fn here_untracked(location: &leptos_router::location::Location) -> String {
    format!(
        "{}?{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    )
}

/// On the server, the notice code the request's cookie carries (set by the
/// redirect of a plain form post); in the browser after hydration there is none.
fn carried_notice() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::ssr::current_request_ctx().and_then(|c| c.notice)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// The text of a known notice code; only known codes are shown, so a link cannot
/// put arbitrary text on the page.
fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "signed_out" => "You have been signed out.",
        "signed_up" => "Your account was created. You can sign in now; we sent a link to your e-mail address to confirm it.",
        "reset_requested" => "If that is the username or e-mail address of an account, a link to choose a new password is on its way to the account's e-mail address. It works once, and only for a short time.",
        "password_reset" => "Your password was changed and you were signed out everywhere. Sign in with the new password.",
        "email_verified" => "Thank you: your e-mail address is verified.",
        "verification_sent" => "We sent a new confirmation link to your e-mail address.",
        "profile_saved" => "Your profile was saved.",
        "password_changed" => "Your password was changed. You were signed out everywhere else.",
        "email_change_sent" => "We sent a confirmation link to the new address. Your account keeps its current address until the link is opened.",
        "session_ended" => "The session was signed out.",
        "other_sessions_ended" => "You were signed out everywhere else.",
        "user_created" => "The user was created.",
        "client_created" => "The client was registered.",
        "client_created_request" => "The client was registered. What needs approval (pairwise subject identifiers) was sent to the administrators; until then people get public ids.",
        "client_updated" => "The client was updated.",
        "client_updated_request" => "The client was updated. The changes that need approval were sent to the administrators.",
        "client_updated_needs_secret" => "The client was updated. It now signs in to the token endpoint with a secret, but has none yet: use \"Rotate secret\" below to create one (it is shown once).",
        "client_deleted" => "The client was deleted.",
        "client_enabled" => "The client was enabled.",
        "client_disabled" => "The client was disabled.",
        "secret_rotated" => "A new secret was created.",
        "secret_revoked" => "The secret was revoked: it no longer works.",
        "scope_removed" => "The scope was removed.",
        "expiry_changed" => "The expiry was changed.",
        "request_submitted" => "Your request was sent to the administrators.",
        "request_auto_approved" => "Your request was approved at once.",
        "scopes_added" => "The scopes were added: they need no approval.",
        "scopes_added_request_submitted" => "The scopes that need no approval were added; the others were sent to the administrators.",
        "scopes_added_request_auto_rejected" => "The scopes that need no approval were added; an approval rule rejected the others (see the reason below).",
        "request_auto_rejected" => "Your request was rejected by an approval rule; see the reason below.",
        "request_approved" => "The request was approved.",
        "developer_access_asked" => "Your request for developer access was sent to the administrators.",
        "developer_approved" => "The request was approved: the account can register apps now, and its holder was told.",
        "developer_rejected" => "The request was rejected and its sender told why.",
        "request_rejected" => "The request was rejected and the developer told why.",
        "co_owner_added" => "The co-owner was added and told: they can manage this client now.",
        "co_owner_removed" => "The co-owner was removed: they can no longer manage this client.",
        "left_team" => "You left the client's team: it is no longer in your list.",
        "transfer_offered" => "The offer was sent. The client stays yours until they accept it.",
        "transfer_cancelled" => "The offer was withdrawn.",
        "transfer_accepted" => "The client is yours now. Its former owner stays on its team as a co-owner until you remove them.",
        "transfer_declined" => "You declined the offer; the client stays with its owner.",
        "taken_over" => "You own the client now.",
        "promotion_requested" => "Your request to promote the client to production was sent to the administrators.",
        "client_promoted" => "The client is in production: anyone may sign in to it now. Its team was told.",
        "client_in_development" => "The client is back in development: only its team can sign in to it. Its team was told.",
        "client_claimed" => "The client is yours now: manage it here like any client you registered.",
        "client_admitted" => "The client was admitted: it gets tokens from now on.",
        "client_refused" => "The client was refused: it gets no tokens, and people it sends here are told it was not admitted.",
        "rule_saved" => "The rule was saved.",
        "rule_deleted" => "The rule was deleted.",
        "notifications_read" => "All notifications are marked as read.",
        "app_revoked" => "The app's access was revoked. It can no longer use your account.",
        "app_revoked_for_user" => "The app's access to this person's account was revoked.",
        "agents_changed" => "Saved who may act for you through the app. Agents you no longer allow lost the access they held through it.",
        "agent_revoked" => "The agent was stopped. The tokens it held for you, and those it passed on, no longer work.",
        "app_changed" => "The app's permissions were changed.",
        "settings_saved" => "The settings were saved.",
        "personal_token_created" => "The token was made: copy it now, it is not shown again.",
        "second_factor_reset" => "Two-step sign-in was reset and the person was told by e-mail. If their role requires it, they set up a new authenticator app at their next sign-in.",
        "personal_token_revoked" => "The token was revoked: whatever used it can no longer use the API with it.",
        "token_minted" => "The token was minted: copy it now, it is not shown again.",
        "token_revoked" => "The token was revoked: registrations with it stop at once.",
        "api_created" => "The API was created.",
        "scope_added" => "The scope was added.",
        "scope_updated" => "The scope was updated.",
        "second_factor_on" => "Your authenticator app is set up: sign-in now asks for its code.",
        "second_factor_off" => "Your authenticator app was turned off.",
        "recovery_codes_new" => "New recovery codes were made; the old ones no longer work.",
        "provider_linked" => "The provider was linked: you can sign in with it from now on.",
        "passkey_added" => "The passkey was added: use it on the sign-in page.",
        "passkey_removed" => "The passkey was removed: it no longer signs you in here.",
        "provider_added" => "The provider was added: people can continue with it on the sign-in page.",
        "provider_changed" => "The provider was saved.",
        "provider_removed" => "The provider was removed, and the links of people to it.",
        "provider_unlinked" => "The link was removed: that provider no longer signs you in here.",
        _ => return None,
    })
}

/// One-line confirmations after a redirect (`?notice=…`).
///
/// A confirmation speaks of the action just done, so (issue 13) it is not shown
/// beside the error of a later action (hidden once another form is sent, and when
/// the address carries a server function's error without JavaScript), and not
/// again when the page is reloaded:
/// - hydrated, the action's redirect is a move of the router, and the code leaves
///   the address once shown;
/// - with a plain form post, the server's redirect also sets a short-lived cookie
///   naming the code (`server/src/notice.rs`), and the next page shows the notice
///   only when the address and the cookie agree, which clears the cookie. A reload
///   (or a shared link) has the code in the address but no cookie.
#[component]
fn Notice() -> impl IntoView {
    let query = use_query_map();
    let location = use_location();
    let navigate = use_navigate();
    // The notice whose code was taken out of the address, and that address: shown
    // while the browser stays there.
    let kept = RwSignal::new(None::<(&'static str, String)>);
    let stale = RwSignal::new(false);
    let here = move || format!("{}?{}", location.pathname.get(), location.search.get());
    // The code the notice cookie carried to the page the server rendered (read
    // again from the page's data when it hydrates), and that page's address:
    // there, and only there, a code in the address needs the cookie's agreement.
    let carried = StoredValue::new(SharedValue::new(carried_notice).into_inner());
    let loaded_at = StoredValue::new(here_untracked(&location));
    let trusted = move |code: &str| {
        loaded_at.with_value(|at| *at != here())
            || carried.with_value(|c| c.as_deref() == Some(code))
    };
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        let code = query.read().get_str("notice").map(str::to_owned);
        let Some(code) = code else {
            return;
        };
        let text = notice_text(&code).filter(|_| trusted(&code));
        // The address as it is, less `notice` (the other parameters untouched: a
        // `return_to` keeps its encoding).
        let search = location.search.get_untracked();
        let rest = search
            .split('&')
            .filter(|p| !p.is_empty() && p.split('=').next() != Some("notice"))
            .collect::<Vec<_>>()
            .join("&");
        let path = location.pathname.get_untracked();
        kept.set(text.map(|t| (t, format!("{path}?{rest}"))));
        stale.set(false);
        let address = if rest.is_empty() {
            path
        } else {
            format!("{path}?{rest}")
        };
        navigate(
            &format!("{address}{}", location.hash.get_untracked()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let sent = window_event_listener(leptos::ev::submit, move |_| stale.set(true));
    on_cleanup(move || sent.remove());
    move || {
        if stale.get() || query.read().get_str("__err").is_some() {
            return None;
        }
        let text = match query.read().get_str("notice") {
            Some(code) => notice_text(code).filter(|_| trusted(code)),
            None => kept.get().filter(|(_, at)| *at == here()).map(|(t, _)| t),
        }?;
        Some(view! {
            <div role="status" class="mb-6 rounded border border-emerald-300 bg-emerald-50 px-4 py-3 text-emerald-900">
                {text}
            </div>
        })
    }
}
