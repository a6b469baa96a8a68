//! A moment in time for people: UTC, labelled, in the server's HTML (so it reads
//! right without JavaScript), and in the viewer's own zone and language once the
//! page is hydrated. The exact moment stays in `<time datetime>`.

use leptos::prelude::*;

/// `iso` is RFC 3339 in UTC (`2026-11-24T05:12:09Z`).
#[component]
pub fn LocalTime(iso: String) -> impl IntoView {
    let shown = RwSignal::new(utc_label(&iso));
    let moment = iso.clone();
    // Effects run only in the browser.
    Effect::new(move |_| {
        if let Some(local) = local_label(&moment) {
            shown.set(local);
        }
    });
    view! { <time datetime=iso.clone() title=iso>{move || shown.get()}</time> }
}

/// `2026-11-24 05:12:09 UTC`.
fn utc_label(iso: &str) -> String {
    format!("{} UTC", iso.trim_end_matches('Z').replacen('T', " ", 1))
}

#[cfg(feature = "hydrate")]
fn local_label(iso: &str) -> Option<String> {
    use web_sys::js_sys::{Date, Object, Reflect};
    use web_sys::wasm_bindgen::JsValue;
    let date = Date::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return None;
    }
    let options = Object::new();
    for (k, v) in [
        ("year", "numeric"),
        ("month", "short"),
        ("day", "numeric"),
        ("hour", "2-digit"),
        ("minute", "2-digit"),
        ("second", "2-digit"),
        ("timeZoneName", "short"),
    ] {
        Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v)).ok()?;
    }
    let language = web_sys::window()?.navigator().language();
    Some(
        date.to_locale_string(language.as_deref().unwrap_or("en"), &options)
            .into(),
    )
}

#[cfg(not(feature = "hydrate"))]
fn local_label(_: &str) -> Option<String> {
    None
}
