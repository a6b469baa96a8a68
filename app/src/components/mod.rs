//! Pieces several pages use. Pages import these, never each other.

pub mod clients;
pub mod consent;
pub mod forms;
pub mod layout;
pub mod pagination;
pub mod panels;
pub mod query;
pub mod requests;
pub mod time;
pub mod verify_banner;
