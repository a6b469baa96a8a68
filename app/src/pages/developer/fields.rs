//! The form fields the register and edit forms share, each with its own error.

use leptos::prelude::*;

use crate::components::forms::{INPUT, LABEL};
use crate::error::AppError;

/// Text area for a list (one entry per line).
#[component]
pub(super) fn ListField<F>(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    #[prop(optional)] value: String,
    /// The most characters the whole list may take (entries × their bound).
    maxlength: usize,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let message = move || error().and_then(|e| e.field_message(name));
    view! {
        <div class="mb-4">
            <label for=id.clone() class=LABEL>{label}</label>
            <textarea id=id name=name rows="3" maxlength=maxlength class=INPUT aria-describedby=err_id.clone()
                aria-invalid=move || message().is_some().then_some("true")>{value}</textarea>
            <p class="mt-1 text-xs text-slate-500">{hint}</p>
            <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}

/// A text input with a preset value and its own error.
#[component]
pub(super) fn ValueField<F>(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] value: String,
    #[prop(optional)] hint: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    maxlength: usize,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let message = move || error().and_then(|e| e.field_message(name));
    view! {
        <div class="mb-4">
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=name type=kind value=value required=required maxlength=maxlength class=INPUT aria-describedby=err_id.clone()
                aria-invalid=move || message().is_some().then_some("true")/>
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
            <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}

/// The fields the register form sends, for its form-level error banner.
pub(super) const FIELDS: [&str; 18] = [
    "name",
    "description",
    "application_type",
    "redirect_uris",
    "post_logout_redirect_uris",
    "allowed_origins",
    "request_uris",
    "sector_identifier_uri",
    "subject_type",
    "grant_types",
    "token_endpoint_auth_method",
    "logo_uri",
    "client_uri",
    "policy_uri",
    "tos_uri",
    "jwks_uri",
    "contacts",
    "allowed_email_domains",
];
