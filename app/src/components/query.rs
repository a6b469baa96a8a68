//! The page's query string, read reactively.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A number from the query string; 1 when absent or not a number (pages are 1-based).
pub fn query_u64(key: &'static str) -> impl Fn() -> u64 + Copy {
    let q = use_query_map();
    move || q.read().get(key).and_then(|v| v.parse().ok()).unwrap_or(1)
}

/// A text from the query string; empty when absent.
pub fn query_str(key: &'static str) -> impl Fn() -> String + Copy {
    let q = use_query_map();
    move || q.read().get(key).unwrap_or_default()
}
