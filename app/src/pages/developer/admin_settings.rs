//! The administrators' section of the client edit form (issue 17): the client's
//! access-token lifetime, first-party status and pre-authorization. Only
//! administrators see it; the server refuses these fields from anyone else.

use leptos::prelude::*;

use crate::components::forms::{INPUT, LABEL};
use crate::error::AppError;
use crate::model::ClientView;

/// The section's inputs, for the form's error summary.
pub(super) const ADMIN_FIELDS: [&str; 3] =
    ["access_token_ttl_secs", "first_party", "pre_authorized"];

#[component]
pub(super) fn AdminSettings<F>(c: ClientView, error: F) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    // Without JavaScript a refused form comes back with what was sent.
    let sent =
        move |input: &str, stored: String| error().and_then(|e| e.sent(input)).unwrap_or(stored);
    let ticked = move |input: &str, stored: bool| {
        error()
            .and_then(|e| e.sent(input))
            .map_or(stored, |v| v == "on")
    };
    let ttl = c
        .access_token_ttl_secs
        .map(|s| s.to_string())
        .unwrap_or_default();
    let message = move |field: &'static str| move || error().and_then(|e| e.field_message(field));
    let invalid = move |field: &'static str| {
        move || {
            error()
                .and_then(|e| e.field_message(field))
                .is_some()
                .then_some("true")
        }
    };
    view! {
        <section class="mb-4 mt-6 rounded border border-amber-300 bg-amber-50 p-4" data-testid="admin-settings" aria-labelledby="admin-settings-title">
            <h2 id="admin-settings-title" class="mb-1 font-semibold">"Administrator settings"</h2>
            <p class="mb-3 text-sm text-slate-700">"Only administrators see and change these. They apply at once and are recorded in the audit log."</p>
            // Marks that the section was on the form: an unticked box means "off".
            <input type="hidden" name="governed" value="on"/>
            <div class="mb-4">
                <label for="f-access_token_ttl_secs" class=LABEL>"Access-token lifetime (seconds, 60–3600; empty = server default)"</label>
                <input id="f-access_token_ttl_secs" name="access_token_ttl_secs" type="number" min="60" max="3600" step="1"
                    value=sent("access_token_ttl_secs", ttl) class=INPUT aria-describedby="f-access_token_ttl_secs-help f-access_token_ttl_secs-error"
                    aria-invalid=invalid("access_token_ttl_secs")/>
                <p id="f-access_token_ttl_secs-help" class="mt-1 text-xs text-slate-600">"How long this app's access tokens work. A person who withdraws the app, or is signed out, may still be reached by an API that checks tokens offline until the token expires: keep it short."</p>
                <p id="f-access_token_ttl_secs-error" class="mt-1 text-sm text-red-700">{message("access_token_ttl_secs")}</p>
            </div>
            <div class="mb-4">
                <label class="flex items-center gap-2 text-sm">
                    <input id="f-first_party" type="checkbox" name="first_party" value="on" checked=ticked("first_party", c.first_party)
                        aria-describedby="f-first_party-help f-first_party-error" aria-invalid=invalid("first_party")/>
                    "First party"
                </label>
                <p id="f-first_party-help" class="mt-1 text-xs text-slate-600">"The organisation's own app: people can still sign in to it when third-party apps are switched off, and sign-in errors are sent back to it directly."</p>
                <p id="f-first_party-error" class="mt-1 text-sm text-red-700">{message("first_party")}</p>
            </div>
            <div>
                <label class="flex items-center gap-2 text-sm">
                    <input id="f-pre_authorized" type="checkbox" name="pre_authorized" value="on" checked=ticked("pre_authorized", c.pre_authorized)
                        aria-describedby="f-pre_authorized-help f-pre_authorized-error" aria-invalid=invalid("pre_authorized")/>
                    "Pre-authorized (no consent screen)"
                </label>
                <p id="f-pre_authorized-help" class="mt-1 text-xs text-slate-600">"People signing in to this app are not asked to allow it: their consent is recorded for them. They still see the app under My apps and can withdraw it. Only for apps the organisation trusts with what they ask for."</p>
                <p id="f-pre_authorized-error" class="mt-1 text-sm text-red-700">{message("pre_authorized")}</p>
            </div>
        </section>
    }
}
