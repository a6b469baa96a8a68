//! The developer portal (seed 001): my clients, create, view, edit, rotate the
//! secret, delete, request scopes and extensions, my requests. Every form is a
//! plain HTML form underneath, so the portal works without JavaScript.

mod access_request;
mod admin_settings;
mod detail;
mod edit;
mod encryption;
mod fields;
mod list;
mod new;
mod requests;
mod secrets;
mod stage;
mod team;
mod usage;

pub use detail::ClientDetailPage;
pub use edit::EditClientPage;
pub use list::DeveloperPage;
pub use new::NewClientPage;
pub use requests::MyRequestsPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const LINK: &str = "text-sky-700 underline hover:text-sky-900";

/// The `:id` of `/developer/clients/:id` (and its `/edit`).
fn client_id_param() -> impl Fn() -> String + Copy {
    let params = use_params_map();
    move || params.read().get("id").unwrap_or_default()
}
