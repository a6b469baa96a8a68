use leptos::prelude::*;

use crate::components::layout::use_shell;
use crate::error::AppError;

pub const INPUT: &str = "mt-1 block w-full rounded border border-slate-300 bg-white px-3 py-2 shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500";
pub const BUTTON: &str = "inline-flex items-center rounded bg-sky-700 px-4 py-2 font-medium text-white hover:bg-sky-800 focus:outline-none focus:ring-2 focus:ring-sky-500 focus:ring-offset-2 disabled:opacity-50";
pub const BUTTON_SECONDARY: &str = "inline-flex items-center rounded border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-sky-500";
/// A button whose action cannot be undone (deleting, revoking, disabling).
pub const DANGER: &str = "inline-flex items-center rounded bg-red-700 px-4 py-2 font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";
/// [`DANGER`] in a list row (at least 44 px high: WCAG 2.5.8).
pub const DANGER_SMALL: &str = "inline-flex min-h-[2.75rem] items-center rounded bg-red-700 px-3 py-2 text-sm font-medium text-white hover:bg-red-800 focus:outline-none focus:ring-2 focus:ring-red-500 focus:ring-offset-2";
pub const LABEL: &str = "block text-sm font-medium text-slate-700";

/// The hidden CSRF field every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let shell = use_shell();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let token = shell.await.map(|s| s.csrf_token).unwrap_or_default();
                view! { <input type="hidden" name="csrf_token" value=token/> }
            })}
        </Suspense>
    }
}

/// A form-level error banner for errors not tied to one field; for several field
/// errors at once ([`AppError::Fields`]), a summary at the top that links each
/// message to its field, and (hydrated) focus on the first field in error (issue
/// 13, defect 4). A single field error in `fields` shows only beside its field.
#[component]
pub fn FormError<F>(error: F, #[prop(optional, into)] fields: Vec<&'static str>) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + Copy + 'static,
{
    // Effects run only in the browser: after a failed send, the first field in error.
    Effect::new(move |_| {
        if let Some(e @ AppError::Fields { .. }) = error() {
            if let Some((field, _)) = e.field_errors().first() {
                focus_field(&input_id(field));
            }
        }
    });
    move || {
        error().and_then(|e| match &e {
            AppError::Fields { .. } => Some(
                view! {
                    <div role="alert" class="mb-4 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900" data-testid="error-summary">
                        <p class="font-semibold">{e.to_string()}</p>
                        <ul class="mt-1 list-disc pl-5">
                            {e.field_errors().into_iter().map(|(field, message)| view! {
                                <li><a class="underline" href=format!("#{}", input_id(&field))>{message}</a></li>
                            }).collect_view()}
                        </ul>
                    </div>
                }
                .into_any(),
            ),
            AppError::Invalid { field, .. } if fields.contains(&field.as_str()) => None,
            _ => Some(
                view! {
                    <div role="alert" class="mb-4 rounded border border-red-300 bg-red-50 px-4 py-3 text-red-900" data-testid="form-error">
                        {e.to_string()}
                    </div>
                }
                .into_any(),
            ),
        })
    }
}

/// The id of the input (or fieldset) a field's error is about.
pub fn input_id(field: &str) -> String {
    match field {
        "token_endpoint_auth_method" => "f-auth_method".to_owned(),
        "refresh_token_ttl_secs" => "f-refresh_token_days".to_owned(),
        other => format!("f-{other}"),
    }
}

/// Moves focus to the element `id`, or to the first input inside it (a fieldset).
fn focus_field(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    let Some(el) = document().get_element_by_id(id) else {
        return;
    };
    let target = if el.tag_name().eq_ignore_ascii_case("fieldset") {
        el.query_selector("input, select, textarea").ok().flatten()
    } else {
        Some(el)
    };
    if let Some(t) = target.and_then(|t| t.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
        let _ = t.focus();
    }
}

/// A labelled input with its own error message underneath.
#[component]
pub fn Field<F>(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: &'static str,
    /// The field's bound (the `limits` crate), as the browser's `maxlength`.
    #[prop(optional)]
    maxlength: Option<usize>,
    /// What the person typed, when a form comes back without JavaScript.
    #[prop(optional)]
    value: String,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let id = format!("f-{name}");
    let value = (!value.is_empty()).then_some(value);
    let err_id = format!("{id}-error");
    let message = move || error().and_then(|e| e.field_message(name));
    view! {
        <div class="mb-4">
            <label for=id.clone() class=LABEL>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete)
                required=required
                maxlength=maxlength
                value=value
                aria-invalid=move || message().is_some().then_some("true")
                aria-describedby=err_id.clone()
                class=INPUT
            />
            {(!hint.is_empty()).then(|| view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> })}
            <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}
